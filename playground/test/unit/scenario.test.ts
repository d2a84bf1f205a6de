import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlinkJobModel } from '../../src/model/cluster';
import { resolveJob } from '../../src/model/job';
import { Rng } from '../../src/rng';
import {
  generateTrace,
  loadScenario,
  parseScenario,
  parseTraceCsv,
  ScenarioError,
  type ShapeSpec,
  scenarioTrace,
  type Trace,
  traceRateAt,
} from '../../src/scenario';

/** The example of issue 3, item 3. */
const issueExample = {
  name: 'issue-example',
  seed: 7,
  durationSeconds: 86_400,
  stepSeconds: 10,
  trace: { csv: 'trace.csv' },
  cluster: {
    partitions: 32,
    slotsPerTaskManager: 2,
    recordsPerSecondPerSlot: 500,
    initialTaskManagers: 2,
    minTaskManagers: 1,
    maxTaskManagers: 24,
    startupSeconds: 60,
    restartSeconds: 30,
    checkpointIntervalSeconds: 60,
  },
  sloLagSeconds: 60,
  faults: [
    { atSeconds: 30_000, kind: 'kill', count: 1 },
    { atSeconds: 50_000, kind: 'hang', count: 1 },
  ],
  manual: [{ atSeconds: 600, payload: { action: 'rescale', desiredCount: 6, reason: 'x', holdMinutes: 15 } }],
};

const minimal = {
  name: 'minimal',
  seed: 1,
  durationSeconds: 3600,
  trace: { shape: 'constant', rate: 100 },
  cluster: { partitions: 8, recordsPerSecondPerSlot: 100, initialTaskManagers: 2, maxTaskManagers: 8 },
};

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseScenario(raw);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

function csvError(text: string): string {
  try {
    parseTraceCsv(text, 'trace.csv');
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('expected the CSV to be rejected');
}

const rows = (trace: Trace) => trace.times.map((t, i) => [t, trace.rates[i]]);

describe('Function: parseScenario', () => {
  it('accepts the example of the issue as is', () => {
    // Act
    const scenario = parseScenario(issueExample);

    // Assess
    expect(scenario.cluster).toEqual({ ...issueExample.cluster, taskCpuUnits: 1024 });
    expect(scenario.trace).toEqual({ csv: 'trace.csv' });
    expect(scenario.faults).toEqual(issueExample.faults);
    expect(scenario.manual).toEqual(issueExample.manual);
    expect(scenario.alarms).toEqual([]);
  });

  it('fills in the documented defaults', () => {
    // Act
    const scenario = parseScenario(minimal);

    // Assess
    expect(scenario).toMatchObject({
      stepSeconds: 10,
      sloLagSeconds: 60,
      faults: [],
      manual: [],
      alarms: [],
      cluster: {
        slotsPerTaskManager: 1,
        minTaskManagers: 1,
        startupSeconds: 60,
        restartSeconds: 30,
        checkpointIntervalSeconds: 60,
        taskCpuUnits: 1024,
      },
    });
  });

  it('accepts an optional job block and leaves it out when absent (existing scenarios load unchanged)', () => {
    // Act
    const plain = parseScenario(minimal);
    const withJob = parseScenario({
      ...minimal,
      cluster: {
        ...minimal.cluster,
        job: {
          topic: 'orders',
          operators: [
            { costSeconds: 3e-5 },
            { input: 'hash', costSeconds: 2e-3, selectivity: 0.2 },
            { input: 'forward' },
          ],
          keyZipfExponent: 1,
          gc: { longPausesPerHour: 2 },
          checkpoint: { unaligned: true },
        },
      },
    });

    // Assess
    expect(plain.cluster.job).toBeUndefined();
    expect(withJob.cluster.job).toMatchObject({
      topic: 'orders',
      keyZipfExponent: 1,
      checkpoint: { unaligned: true },
    });
    const job = resolveJob(withJob.cluster, withJob.cluster.job);
    expect(job.operators.map((o) => [o.name, o.input, o.costSeconds, o.selectivity])).toEqual([
      ['Source: kafka-source', undefined, 3e-5, 1],
      ['aggregate', 'hash', 2e-3, 0.2],
      ['sink: Writer', 'forward', 15e-6, 0],
    ]);
    // Chained as Flink chains them: the sink runs in the aggregate's task (2 ms + 0.2 × 15 µs per record).
    expect(job.vertices.map((v) => [v.name, v.costSeconds])).toEqual([
      ['Source: kafka-source', 3e-5],
      ['aggregate -> sink: Writer', expect.closeTo(2e-3 + 0.2 * 15e-6, 15)],
    ]);
    // Without a job block, recordsPerSecondPerSlot sets the aggregate's cost: 1/100 s.
    expect(resolveJob(plain.cluster).operators[1]?.costSeconds).toBe(0.01);
  });

  it('passes manual payloads through unvalidated: the scaler handler judges them', () => {
    // Prepare
    const payloads = [{ action: 'rescale', desiredCount: -3 }, 'not even an object', null, 42];

    // Act
    const scenario = parseScenario({
      ...minimal,
      manual: payloads.map((payload, i) => ({ atSeconds: i, payload })),
    });

    // Assess
    expect(scenario.manual.map((m) => m.payload)).toEqual(payloads);
  });

  it('accepts alarms and fills in their defaults', () => {
    // Act
    const scenario = parseScenario({
      ...minimal,
      alarms: [
        { name: 'lag', metric: 'lagSeconds', threshold: 60, evaluationPeriods: 2 },
        { name: 'idle', metric: 'busy', threshold: 0.2, comparison: 'LessThanThreshold' },
      ],
    });

    // Assess
    expect(scenario.alarms).toEqual([
      {
        name: 'lag',
        metric: 'lagSeconds',
        threshold: 60,
        evaluationPeriods: 2,
        comparison: 'GreaterThanThreshold',
      },
      { name: 'idle', metric: 'busy', threshold: 0.2, evaluationPeriods: 1, comparison: 'LessThanThreshold' },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a field below its minimum',
      { cluster: { ...minimal.cluster, partitions: 0 } },
      'cluster.partitions: must be ≥ 1',
    ],
    [
      'a missing field',
      { cluster: { ...minimal.cluster, recordsPerSecondPerSlot: undefined } },
      'cluster.recordsPerSecondPerSlot: is required',
    ],
    ['a wrong type', { seed: 'seven' }, 'seed: must be a number'],
    [
      'a fractional count',
      { cluster: { ...minimal.cluster, maxTaskManagers: 2.5 } },
      'cluster.maxTaskManagers: must be an integer',
    ],
    [
      'an unknown field',
      { cluster: { ...minimal.cluster, partitons: 8 } },
      'cluster.partitons: is not a known field',
    ],
    [
      'an unknown field of the job block',
      { cluster: { ...minimal.cluster, job: { vertices: [] } } },
      'cluster.job.vertices: is not a known field',
    ],
    [
      'an unknown edge kind',
      { cluster: { ...minimal.cluster, job: { operators: [{}, { input: 'broadcast' }] } } },
      'cluster.job.operators.1.input: must be one of "hash", "rebalance", "forward"',
    ],
    [
      'an input edge on the source',
      { cluster: { ...minimal.cluster, job: { operators: [{ input: 'hash' }] } } },
      'cluster.job.operators.0.input: the source has no input edge',
    ],
    [
      'partition weights that do not match the partitions',
      { cluster: { ...minimal.cluster, job: { partitionWeights: [1, 2] } } },
      'cluster.job.partitionWeights: must have one weight per partition (8)',
    ],
    [
      'a negative per-record cost',
      { cluster: { ...minimal.cluster, job: { operators: [{ costSeconds: -1 }] } } },
      'cluster.job.operators.0.costSeconds: must be > 0',
    ],
    ['a step that does not divide a minute', { stepSeconds: 7 }, 'stepSeconds: must divide 60'],
    [
      'a duration off the step grid',
      { durationSeconds: 3605 },
      'durationSeconds: must be a multiple of stepSeconds (10)',
    ],
    [
      'min above max',
      { cluster: { ...minimal.cluster, minTaskManagers: 9 } },
      'cluster.minTaskManagers: must be ≤ maxTaskManagers (8)',
    ],
    [
      'initial outside the bounds',
      { cluster: { ...minimal.cluster, initialTaskManagers: 9 } },
      'cluster.initialTaskManagers: must be between',
    ],
    [
      'a fault after the end',
      { faults: [{ atSeconds: 3600, kind: 'kill' }] },
      'faults.0.atSeconds: must be < durationSeconds (3600)',
    ],
    [
      'an unknown fault kind',
      { faults: [{ atSeconds: 5, kind: 'explode' }] },
      'faults.0.kind: must be one of "kill", "hang"',
    ],
    [
      'a zero fault count',
      { faults: [{ atSeconds: 5, kind: 'kill', count: 0 }] },
      'faults.0.count: must be ≥ 1',
    ],
    ['a manual invoke without payload', { manual: [{ atSeconds: 5 }] }, 'manual.0.payload: is required'],
    [
      'a manual invoke after the end',
      { manual: [{ atSeconds: 9000, payload: {} }] },
      'manual.0.atSeconds: must be < durationSeconds',
    ],
    [
      'a busy alarm above 1',
      { alarms: [{ name: 'a', metric: 'busy', threshold: 2 }] },
      'alarms.0.threshold: must be ≤ 1',
    ],
    [
      'an unknown alarm metric',
      { alarms: [{ name: 'a', metric: 'cpu', threshold: 2 }] },
      'alarms.0.metric: must be one of "lagSeconds", "busy"',
    ],
    [
      'duplicate alarm names',
      {
        alarms: [
          { name: 'a', metric: 'busy', threshold: 0.5 },
          { name: 'a', metric: 'lagSeconds', threshold: 9 },
        ],
      },
      'alarms.1.name: duplicates "a"',
    ],
    ['a missing trace', { trace: undefined }, 'trace: is required'],
    ['a trace of no known form', { trace: { file: 'x.csv' } }, 'trace: must be {"csv": FILE}'],
    ['an empty csv path', { trace: { csv: '' } }, 'trace.csv: must not be empty'],
    [
      'an unknown shape',
      { trace: { shape: 'sawtooth' } },
      'trace.shape: must be one of "constant", "diurnal"',
    ],
    [
      'a bad shape parameter',
      { trace: { shape: 'diurnal', base: 'low', peak: 10 } },
      'trace.base: must be a number',
    ],
    [
      'a peak below the base',
      { trace: { shape: 'diurnal', base: 10, peak: 5 } },
      'trace.peak: must be ≥ base',
    ],
    [
      'a bad parameter in a list of shapes',
      {
        trace: {
          shapes: [
            { shape: 'constant', rate: 5 },
            { shape: 'spike', atSeconds: 0, durationSeconds: 60, factor: 0 },
          ],
        },
      },
      'trace.shapes.1.factor: must be > 0',
    ],
    [
      'noise above 100%',
      {
        trace: {
          shapes: [
            { shape: 'constant', rate: 5 },
            { shape: 'noise', noisePct: 150 },
          ],
        },
      },
      'trace.shapes.1.noisePct: must be ≤ 100',
    ],
    [
      'only modifiers',
      { trace: { shapes: [{ shape: 'spike', atSeconds: 0, durationSeconds: 9, factor: 2 }] } },
      'trace.shapes: needs a level shape',
    ],
    ['a lone modifier', { trace: { shape: 'noise', noisePct: 5 } }, 'trace.shape: needs a level shape'],
    ['an empty list of shapes', { trace: { shapes: [] } }, 'trace.shapes: must have at least 1 item'],
  ])('names the field for %s', (_case, change, expected) => {
    // Act
    const problems = problemsOf({ ...minimal, ...change });

    // Assess
    expect(
      problems.some((p) => p.startsWith(expected)),
      `${problems.join('\n')}\nshould contain: ${expected}`,
    ).toBe(true);
  });

  it('reports every bad field at once, in the error message too', () => {
    // Act & Assess
    expect(() =>
      parseScenario({ ...minimal, seed: 1.5, cluster: { ...minimal.cluster, partitions: -1 } }, 'my.json'),
    ).toThrow(/^invalid scenario my\.json: seed: must be an integer; cluster\.partitions: must be ≥ 1$/);
  });

  it('rejects a scenario that is not an object', () => {
    // Act & Assess
    expect(problemsOf([1, 2])).toEqual(['(root): must be an object']);
  });
});

describe('Function: parseTraceCsv', () => {
  it('reads rows with CRLF line ends, a byte order mark, spaces and a trailing newline', () => {
    // Act
    const trace = parseTraceCsv('\uFEFFtime_s, input_rate\r\n0,100\r\n60, 250.5\r\n120,0\r\n\r\n');

    // Assess
    expect(rows(trace)).toEqual([
      [0, 100],
      [60, 250.5],
      [120, 0],
    ]);
  });

  it.each([
    ['a wrong header', 'time,rate\n0,1\n', 'trace.csv line 1: the header must be "time_s,input_rate"'],
    ['an empty file', '', 'trace.csv line 1: the header must be'],
    ['no rows', 'time_s,input_rate\n', 'trace.csv line 2: the trace has no rows'],
    ['a missing field', 'time_s,input_rate\n0,1\n10\n', 'trace.csv line 3: expected 2 fields'],
    ['an extra field', 'time_s,input_rate\n0,1,2\n', 'trace.csv line 2: expected 2 fields'],
    [
      'a non-numeric time',
      'time_s,input_rate\n0,1\nten,1\n',
      'trace.csv line 3: time_s "ten" is not a number',
    ],
    ['an empty rate', 'time_s,input_rate\n0,\n', 'trace.csv line 2: input_rate "" is not a number'],
    ['a negative rate', 'time_s,input_rate\n0,1\n10,-5\n', 'trace.csv line 3: input_rate -5 must be ≥ 0'],
    [
      'a first row after 0',
      'time_s,input_rate\n5,1\n',
      'trace.csv line 2: the first row must be at time_s 0',
    ],
    [
      'unsorted times',
      'time_s,input_rate\n0,1\n20,1\n\n10,1\n',
      "trace.csv line 5: time_s 10 must be after the previous row's 20",
    ],
    [
      'a repeated time',
      'time_s,input_rate\n0,1\n0,2\n',
      "trace.csv line 3: time_s 0 must be after the previous row's 0",
    ],
  ])('rejects %s with the line number', (_case, text, expected) => {
    // Act & Assess
    expect(csvError(text)).toContain(expected);
  });
});

describe('Function: traceRateAt', () => {
  const trace: Trace = { times: [0, 60, 120, 600], rates: [10, 20, 30, 40] };

  it.each([
    [-5, 10],
    [0, 10],
    [59.999, 10],
    [60, 20],
    [119, 20],
    [120, 30],
    [599, 30],
    [600, 40],
    [1e9, 40],
  ])('at %d s is %d records/s (constant from each row to the next)', (t, expected) => {
    // Act & Assess
    expect(traceRateAt(trace, t)).toBe(expected);
  });

  it('agrees with a linear scan on a long trace', () => {
    // Prepare
    const rng = new Rng(3);
    const times = [0];
    for (let i = 1; i < 2000; i++) times.push((times[i - 1] ?? 0) + 1 + rng.int(50));
    const long: Trace = { times, rates: times.map((_, i) => i) };

    // Act & Assess
    for (let k = 0; k < 500; k++) {
      const t = rng.uniform(-10, (times.at(-1) ?? 0) + 100);
      let expected = 0;
      for (let i = 0; i < times.length; i++) if ((times[i] ?? 0) <= t) expected = i;
      expect(traceRateAt(long, t)).toBe(expected);
    }
  });
});

describe('Function: generateTrace', () => {
  const options = { seed: 7, durationSeconds: 3600, stepSeconds: 10 };

  it('gives a constant shape one row', () => {
    // Act & Assess
    expect(rows(generateTrace([{ shape: 'constant', rate: 500 }], options))).toEqual([[0, 500]]);
  });

  it('swells diurnally from base to peak and back', () => {
    // Prepare
    const shape: ShapeSpec = { shape: 'diurnal', base: 1000, peak: 5000, periodSeconds: 3600 };

    // Act
    const trace = generateTrace([shape], options);

    // Assess: trough at the start, peak half a period later, a quarter in between.
    expect(traceRateAt(trace, 0)).toBeCloseTo(1000, 9);
    expect(traceRateAt(trace, 1800)).toBeCloseTo(5000, 9);
    expect(traceRateAt(trace, 900)).toBeCloseTo(3000, 9);
    expect(Math.max(...trace.rates)).toBeCloseTo(5000, 9);
    expect(Math.min(...trace.rates)).toBeCloseTo(1000, 9);
  });

  it('adds level shapes and multiplies by modifiers', () => {
    // Prepare
    const shapes: ShapeSpec[] = [
      { shape: 'constant', rate: 100 },
      { shape: 'step', from: 0, to: 50, atSeconds: 600 },
      { shape: 'ramp', from: 0, to: 100, atSeconds: 1200, durationSeconds: 600 },
      { shape: 'spike', atSeconds: 2400, durationSeconds: 300, factor: 10 },
    ];

    // Act
    const trace = generateTrace(shapes, options);

    // Assess
    expect(traceRateAt(trace, 0)).toBe(100);
    expect(traceRateAt(trace, 600)).toBe(150);
    expect(traceRateAt(trace, 1500)).toBe(200);
    expect(traceRateAt(trace, 1800)).toBe(250);
    expect(traceRateAt(trace, 2400)).toBe(2500);
    expect(traceRateAt(trace, 2690)).toBe(2500);
    expect(traceRateAt(trace, 2700)).toBe(250);
  });

  it('keeps noise within ±noisePct, constant over each period, and never below zero', () => {
    // Prepare
    const shapes: ShapeSpec[] = [
      { shape: 'constant', rate: 1000 },
      { shape: 'noise', noisePct: 30, everySeconds: 300 },
    ];

    // Act
    const trace = generateTrace(shapes, options);

    // Assess
    expect(trace.rates.every((r) => r >= 700 && r <= 1300)).toBe(true);
    expect(trace.times.every((t) => t % 300 === 0)).toBe(true);
    expect(new Set(trace.rates).size).toBeGreaterThan(5);
  });

  it('is deterministic per seed, and differs between seeds', () => {
    // Prepare
    const shapes: ShapeSpec[] = [
      { shape: 'diurnal', base: 100, peak: 900, periodSeconds: 3600 },
      { shape: 'noise', noisePct: 20, everySeconds: 60 },
    ];

    // Act
    const a = generateTrace(shapes, options);
    const b = generateTrace(shapes, options);
    const c = generateTrace(shapes, { ...options, seed: 8 });

    // Assess
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("does not change one noise shape's draws when another shape is added after it", () => {
    // Prepare
    const noise: ShapeSpec = { shape: 'noise', noisePct: 20, everySeconds: 60 };
    const constant: ShapeSpec = { shape: 'constant', rate: 1000 };

    // Act
    const alone = generateTrace([noise, constant], options);
    const more = generateTrace([noise, constant, { shape: 'noise', noisePct: 0, everySeconds: 60 }], options);

    // Assess
    expect(more).toEqual(alone);
  });
});

describe('Class: Rng', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    // Prepare
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => rng.next());
    };

    // Act & Assess
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('stays within its ranges', () => {
    // Prepare
    const rng = new Rng(1);

    // Act & Assess
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const u = rng.uniform(-3, 5);
      expect(u >= -3 && u < 5).toBe(true);
      const k = rng.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
    expect(() => rng.int(0)).toThrow(RangeError);
  });

  it('draws normals with mean 0 and standard deviation 1', () => {
    // Prepare
    const rng = new Rng(5);
    const n = 20_000;

    // Act
    const xs = Array.from({ length: n }, () => rng.normal());

    // Assess
    const mean = xs.reduce((a, x) => a + x, 0) / n;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.03);
  });

  it('forks independent streams that do not depend on draws from the parent', () => {
    // Prepare
    const parent = new Rng(9);
    const early = parent.fork('faults').next();
    parent.next();

    // Act & Assess
    expect(parent.fork('faults').next()).toBe(early);
    expect(parent.fork('noise').next()).not.toBe(early);
  });
});

describe('Function: loadScenario', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scenario-test-'));
    await writeFile(join(dir, 'good.csv'), 'time_s,input_rate\n0,100\n600,300\n');
    await writeFile(join(dir, 'bad.csv'), 'time_s,input_rate\n0,100\n600,-1\n');
    const scenario = (csv: string) => JSON.stringify({ ...minimal, trace: { csv } });
    await writeFile(join(dir, 'good.json'), scenario('good.csv'));
    await writeFile(join(dir, 'bad-trace.json'), scenario('bad.csv'));
    await writeFile(join(dir, 'missing-trace.json'), scenario('nowhere.csv'));
    await writeFile(join(dir, 'broken.json'), '{"name": ');
    await writeFile(
      join(dir, 'invalid.json'),
      JSON.stringify({ ...minimal, cluster: { ...minimal.cluster, partitions: 0 } }),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves the CSV relative to the scenario file and parses it', async () => {
    // Act
    const loaded = await loadScenario(join(dir, 'good.json'));

    // Assess
    expect(loaded.path).toBe(join(dir, 'good.json'));
    expect(loaded.scenario.trace).toEqual({ csv: join(dir, 'good.csv') });
    expect(rows(loaded.trace)).toEqual([
      [0, 100],
      [600, 300],
    ]);
  });

  it.each([
    ['bad-trace.json', /bad\.csv line 3: input_rate -1 must be ≥ 0/],
    ['missing-trace.json', /trace\.csv: cannot read .*nowhere\.csv/],
    ['broken.json', /broken\.json: not valid JSON/],
    ['invalid.json', /invalid\.json: cluster\.partitions: must be ≥ 1/],
    ['absent.json', /scenario: cannot read .*absent\.json/],
  ])('rejects %s with a clear error', async (file, expected) => {
    // Act & Assess
    await expect(loadScenario(join(dir, file))).rejects.toThrow(expected);
  });

  it('refuses to build a CSV trace without its text', () => {
    // Act & Assess
    expect(() => scenarioTrace(parseScenario({ ...minimal, trace: { csv: 'x.csv' } }))).toThrow(
      ScenarioError,
    );
  });
});

describe('Sample scenarios (sim/scenarios)', () => {
  const samples = fileURLToPath(new URL('../../scenarios', import.meta.url));

  it('demo.json is a compressed day that needs between 2 and 11 TaskManagers, with the required events', async () => {
    // Act
    const { scenario, trace } = await loadScenario(join(samples, 'demo.json'));

    // Assess
    expect(scenario.durationSeconds).toBe(6 * 3600);
    expect(scenario.faults.map((f) => f.kind).sort()).toEqual(['hang', 'kill']);
    expect(scenario.manual).toEqual([
      { atSeconds: 3000, payload: { action: 'rescale', desiredCount: 6, reason: 'demo', holdMinutes: 15 } },
    ]);
    const model = new FlinkJobModel(resolveJob(scenario.cluster, scenario.cluster.job));
    const needed = trace.rates.map((r) => model.physicalMinimum(r, scenario.cluster.maxTaskManagers));
    expect(Math.min(...needed)).toBe(2);
    expect(Math.max(...needed)).toBe(11);
    // Deterministic: loading twice gives the same trace.
    expect((await loadScenario(join(samples, 'demo.json'))).trace).toEqual(trace);
  });

  it('csv-step.json loads its CSV trace', async () => {
    // Act
    const { trace } = await loadScenario(join(samples, 'csv-step.json'));

    // Assess
    expect(rows(trace)).toEqual([
      [0, 1500],
      [1800, 6000],
      [3600, 3000],
      [5400, 1000],
    ]);
  });
});
