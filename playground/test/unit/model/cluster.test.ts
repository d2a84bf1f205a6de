/**
 * The ground-truth model over time, on a job worked by hand:
 *   source (1 ms/record) --hash--> work (4 ms/record, σ 0.5) --forward--> sink (1 ms/record)
 * 2 partitions of equal rate, 1 slot per TaskManager, Integer keys 0..3 (equally popular)
 * hashed by Flink's murmur into 4 key groups: key group 1 holds key 3, group 2 keys 0 and 1,
 * group 3 key 2. Capacities (records/s read): 1 TaskManager 250 (work at 4 ms); 2: work 1
 * holds groups 2–3 = 75% → 250 / 0.75 = 333.3; 3: groups split 0–1 | 2 | 3 → the one with
 * group 2 (50%) → 500; 4: one group each → still 500 (a fourth TaskManager adds nothing).
 * No noise, no GC, no overheads unless a case says otherwise; checkpoints exactly every 60 s
 * (min pause = interval), taking no time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialSplitAssignment, repartitionSplitState } from '../../../src/model/assignment';
import { FlinkJobModel, type FlinkStepResult, type RunningTaskManager } from '../../../src/model/cluster';
import { FlinkModelError, type JobInput, resolveJob } from '../../../src/model/job';
import { FLINK_PROMETHEUS as F, TASK_LABELS } from '../../../src/model/metrics';

const handInput = (overrides: JobInput = {}): JobInput => ({
  keys: 4,
  keyZipfExponent: 0,
  maxParallelism: 4,
  operators: [
    { name: 'Source: in', costSeconds: 1e-3, selectivity: 1 },
    { name: 'work', input: 'hash', costSeconds: 4e-3, selectivity: 0.5, stateBytes: 0 },
    { name: 'sink', input: 'forward', chain: false, costSeconds: 1e-3, selectivity: 0 },
  ],
  remoteRecordSeconds: 0,
  channelOverhead: 0,
  taskManagerOverhead: 0,
  busyNoiseCv: 0,
  gc: { allocatedBytesPerRecord: 0, baseAllocatedBytesPerSecond: 0, longPausesPerHour: 0 },
  registrationSeconds: 0,
  deploySeconds: 0,
  rescaleCooldownSeconds: 0,
  rescaleOnCheckpoint: false,
  checkpoint: { minPauseSeconds: 60, durationSeconds: 0 },
  ...overrides,
});

const handModel = (
  overrides: JobInput = {},
  cluster: { restartSeconds?: number; partitions?: number } = {},
) =>
  new FlinkJobModel(
    resolveJob(
      {
        partitions: cluster.partitions ?? 2,
        slotsPerTaskManager: 1,
        restartSeconds: cluster.restartSeconds ?? 30,
        checkpointIntervalSeconds: 60,
      },
      handInput(overrides),
      { jobName: 'hand-job', seed: 1 },
    ),
  );

const running = (...ids: string[]): RunningTaskManager[] => ids.map((taskId) => ({ taskId, hung: false }));

/** Steps of 10 s from startS; `tms` and `rate` may depend on the step's start (seconds). */
function run(
  model: FlinkJobModel,
  opts: {
    startS?: number;
    steps: number;
    rate: number;
    tms: RunningTaskManager[] | ((tS: number) => RunningTaskManager[]);
  },
): FlinkStepResult[] {
  const out: FlinkStepResult[] = [];
  for (let k = 0; k < opts.steps; k++) {
    const tS = (opts.startS ?? 0) + k * 10;
    out.push(model.step(tS * 1000, 10, opts.rate, typeof opts.tms === 'function' ? opts.tms(tS) : opts.tms));
  }
  return out;
}

const sample = (model: FlinkJobModel, taskId: string, name: string, taskName: string) =>
  model.scrape(taskId)?.find((s) => s.name === name && s.labels.task_name === taskName)?.value;

describe('Class: FlinkJobModel — capacity and the physical minimum', () => {
  it.each([
    [1, 250],
    [2, 250 / 0.75],
    [3, 500],
    [4, 500],
  ])(
    '%d TaskManagers read %d records/s at most (key groups decide, not N × per-slot rate)',
    (n, capacity) => {
      expect(handModel().capacityOf(n)).toBeCloseTo(capacity, 9);
    },
  );

  it.each([
    [0, 1],
    [250, 1],
    [300, 2],
    [400, 3],
    [600, 3], // nothing covers it: the smallest count with the highest capacity
  ])('input %d records/s needs %d TaskManagers at full busy', (input, n) => {
    expect(handModel().physicalMinimum(input, 4)).toBe(n);
  });

  it('is concave on the default job: N TaskManagers never do N times what one does', () => {
    const model = new FlinkJobModel(
      resolveJob({
        partitions: 32,
        slotsPerTaskManager: 2,
        recordsPerSecondPerSlot: 500,
        restartSeconds: 30,
        checkpointIntervalSeconds: 60,
      }),
    );
    const one = model.capacityOf(1);
    expect(one).toBeLessThan(2 * 500); // overheads
    for (let n = 2; n <= 24; n++) expect(model.capacityOf(n)).toBeLessThan(n * one);
    expect(model.capacityOf(24)).toBeLessThan(0.85 * 24 * one);
  });
});

describe('Class: FlinkJobModel — processing and restarts', () => {
  it('processes what the hottest subtask allows and lets the rest wait in Kafka', () => {
    const [first] = run(handModel(), { steps: 1, rate: 1000, tms: running('a', 'b') });
    expect(first?.processed).toBeCloseTo((250 / 0.75) * 10, 6);
    expect(first?.backlog).toBeCloseTo(10_000 - (250 / 0.75) * 10, 6);
    expect(first?.capacity).toBeCloseTo(250 / 0.75, 9);
  });

  it('restarts when a TaskManager has registered (registrationSeconds after ECS runs it) and processes nothing for restartSeconds', () => {
    const model = handModel({ registrationSeconds: 10 });
    run(model, { steps: 10, rate: 100, tms: running('a', 'b') });
    // "c" runs from t = 100; it offers its slots at 110; the job is down 110–140.
    const steps = run(model, { startS: 100, steps: 6, rate: 100, tms: running('a', 'b', 'c') });
    expect(steps.map((s) => s.restarting)).toEqual([false, true, true, true, false, false]);
    expect(steps.map((s) => s.activeSeconds)).toEqual([10, 0, 0, 0, 10, 10]);
    expect(steps[5]?.capacity).toBeCloseTo(500, 9);
    expect(model.totals().restarts).toBe(1);
  });

  it('waits for the rescale cooldown after the job started running before taking in a new TaskManager', () => {
    const model = handModel({ rescaleCooldownSeconds: 60 });
    const steps = run(model, {
      steps: 9,
      rate: 100,
      tms: (t) => (t < 20 ? running('a', 'b') : running('a', 'b', 'c')),
    });
    // Running since 0: "c" (there from 20) is taken in at 60, the job is back at 90.
    expect(steps.map((s) => s.restarting)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('with rescaleOnCheckpoint (Flink 2.x) takes in a new TaskManager at the first checkpoint after it registered, replaying only what came since', () => {
    // Checkpoints at 60 and 120 (taking no time); "c" registers at 100.
    const tms = (t: number) => (t < 100 ? running('a', 'b') : running('a', 'b', 'c'));
    const waits = handModel({ rescaleOnCheckpoint: true });
    const waiting = run(waits, { steps: 14, rate: 100, tms });
    const at = waiting.findIndex((s) => s.restarting) * 10;
    expect(at).toBe(130);
    expect(waiting[13]?.replayed).toBeCloseTo(10 * 100, 6);
    const eager = handModel({ rescaleOnCheckpoint: false });
    const immediate = run(eager, { steps: 11, rate: 100, tms });
    expect(immediate.findIndex((s) => s.restarting) * 10).toBe(100);
    expect(immediate[10]?.replayed).toBeCloseTo(40 * 100, 6);
  });

  it('with rescaleOnCheckpoint, a scale-up does not wait for checkpoints that fail: it rescales after two failures', () => {
    // Every checkpoint fails (timeout 10 s while each takes 30 s): "c" is taken in after the second failure.
    const model = handModel({
      rescaleOnCheckpoint: true,
      checkpoint: { minPauseSeconds: 60, durationSeconds: 30, timeoutSeconds: 10 },
    });
    const steps = run(model, {
      steps: 30,
      rate: 100,
      tms: (t) => (t < 50 ? running('a', 'b') : running('a', 'b', 'c')),
    });
    const at = steps.findIndex((s) => s.restarting) * 10;
    expect(model.totals().checkpoints).toBe(0);
    expect(at).toBeGreaterThan(50);
    expect(at).toBeLessThan(300);
  });

  it('restarts at once when a TaskManager is lost, cooldown or not', () => {
    const model = handModel({ rescaleCooldownSeconds: 600 });
    const steps = run(model, {
      steps: 3,
      rate: 100,
      tms: (t) => (t < 10 ? running('a', 'b') : running('a')),
    });
    expect(steps.map((s) => s.restarting)).toEqual([false, true, true]);
  });

  it('replays exactly the records read since the last completed checkpoint was triggered', () => {
    const model = handModel();
    // 100 records/s, below capacity: checkpoints at 60 and 120; "b" lost at 150.
    run(model, { steps: 15, rate: 100, tms: running('a', 'b') });
    expect(model.totals().checkpoints).toBe(2);
    const [restart] = run(model, { startS: 150, steps: 1, rate: 100, tms: running('a') });
    expect(restart?.replayed).toBeCloseTo(30 * 100, 6);
    expect(restart?.backlog).toBeCloseTo(30 * 100 + 10 * 100, 6);
  });

  it('replays nothing more when the set changes again during a restart', () => {
    const model = handModel();
    run(model, { steps: 15, rate: 100, tms: running('a', 'b') });
    const [first, second] = run(model, {
      startS: 150,
      steps: 2,
      rate: 100,
      tms: (t) => (t < 160 ? running('a') : running('a', 'c')),
    });
    expect(first?.replayed).toBeGreaterThan(0);
    expect(second?.replayed).toBe(0);
    expect(model.totals().restarts).toBe(2);
  });

  it('adds the state restore to a restart: the TaskManager holding 75% of 1 GB at 100 MB/s takes 7.5 s', () => {
    const model = handModel({
      operators: [
        { name: 'Source: in', costSeconds: 1e-3 },
        { name: 'work', input: 'hash', costSeconds: 4e-3, selectivity: 0.5, stateBytes: 1e9 },
        { name: 'sink', input: 'forward', chain: false, costSeconds: 1e-3, selectivity: 0 },
      ],
      restoreBytesPerSecondPerTaskManager: 1e8,
    });
    run(model, { steps: 7, rate: 100, tms: running('a', 'b', 'c') }); // a checkpoint at 60
    // 3 → 2 TaskManagers at 70: work subtask 1 (groups 2–3, 75% of the keys) restores 750 MB.
    const steps = run(model, { startS: 70, steps: 5, rate: 100, tms: running('a', 'b') });
    expect(steps.map((s) => s.activeSeconds)).toEqual([0, 0, 0, expect.closeTo(2.5, 9), 10]);
  });

  it('assigns splits with the enumerator at the start and from the checkpoint’s reader state after it', () => {
    const model = handModel({}, { partitions: 5 });
    run(model, { steps: 1, rate: 100, tms: running('a', 'b', 'c') });
    expect(model.currentSplits()).toEqual(initialSplitAssignment('input', 5, 3));
    run(model, { startS: 10, steps: 6, rate: 100, tms: running('a', 'b', 'c') }); // checkpoint at 60
    run(model, { startS: 70, steps: 1, rate: 100, tms: running('a', 'b') });
    expect(model.currentSplits()).toEqual(repartitionSplitState(initialSplitAssignment('input', 5, 3), 2));
  });

  it('does not restart when only the order of the reported TaskManagers changes', () => {
    const model = handModel();
    run(model, { steps: 3, rate: 100, tms: (t) => (t === 10 ? running('b', 'a') : running('a', 'b')) });
    expect(model.totals().restarts).toBe(0);
  });

  it('processes nothing and lets the backlog grow with no TaskManager', () => {
    const steps = run(handModel(), { steps: 3, rate: 50, tms: [] });
    expect(steps.map((s) => [s.processed, s.backlog, s.capacity])).toEqual([
      [0, 500, 0],
      [0, 1000, 0],
      [0, 1500, 0],
    ]);
    expect(steps[2]?.lagSeconds).toBe(30);
  });
});

describe('Class: FlinkJobModel — checkpoints', () => {
  it('delays an aligned checkpoint under backpressure by the binding subtask’s queued buffers', () => {
    // 1000 records/s in: work 1 binds at 250/s; 2 input channels × (2 + 10) + 8 = 32 buffers
    // of 32 KiB / 200 B = 163.84 records → 5242.9 records / 250 per s = 20.97 s after the trigger at 60.
    const model = handModel();
    run(model, { steps: 8, rate: 1000, tms: running('a', 'b') });
    expect(model.totals().checkpoints).toBe(0);
    run(model, { startS: 80, steps: 1, rate: 1000, tms: running('a', 'b') });
    expect(model.totals().checkpoints).toBe(1);
  });

  it('completes at the trigger with unaligned checkpoints, and fails one that outlasts the timeout', () => {
    const unaligned = handModel({ checkpoint: { minPauseSeconds: 60, durationSeconds: 0, unaligned: true } });
    run(unaligned, { steps: 7, rate: 1000, tms: running('a', 'b') });
    expect(unaligned.totals().checkpoints).toBe(1);
    const short = handModel({ checkpoint: { minPauseSeconds: 60, durationSeconds: 0, timeoutSeconds: 10 } });
    run(short, { steps: 20, rate: 1000, tms: running('a', 'b') });
    expect(short.totals()).toMatchObject({ checkpoints: 0, failedCheckpoints: expect.any(Number) });
    expect(short.totals().failedCheckpoints).toBeGreaterThanOrEqual(2);
  });

  it('triggers the first checkpoint a seeded random time within the first interval', () => {
    const model = handModel({ checkpoint: { minPauseSeconds: 0, durationSeconds: 0 } });
    run(model, { steps: 6, rate: 100, tms: running('a', 'b') });
    expect(model.totals().checkpoints).toBe(1);
  });
});

describe('Class: FlinkJobModel — a frozen TaskManager', () => {
  it('stalls the job, completes no checkpoint, answers no scrape, and is given up after the heartbeat timeout', () => {
    const model = handModel();
    run(model, { steps: 10, rate: 100, tms: running('a', 'b') });
    const hung = [
      { taskId: 'a', hung: false },
      { taskId: 'b', hung: true },
    ];
    const steps = run(model, { startS: 100, steps: 9, rate: 100, tms: hung });
    // Frozen from 100: nothing processed; at 150 the JobManager gives "b" up and restarts on "a" (30 s).
    expect(steps.slice(0, 5).map((s) => [s.stalled, s.processed])).toEqual(
      Array.from({ length: 5 }, () => [true, 0]),
    );
    expect(steps.slice(5).map((s) => s.restarting)).toEqual([true, true, true, false]);
    expect(steps[8]?.processed).toBeGreaterThan(0);
    expect(steps[8]?.capacity).toBeCloseTo(250, 9);
    expect(model.scrape('b')).toBeUndefined();
    expect(model.totals().checkpoints).toBe(1); // the one at 60 only
  });
});

describe('Class: FlinkJobModel — metrics as a scrape returns them', () => {
  it('exposes each subtask’s task and operator metrics with Flink’s labels (values filtered)', () => {
    const model = handModel();
    run(model, { steps: 6, rate: 100, tms: running('a', 'b') });
    const samples = model.scrape('a') ?? [];
    expect(new Set(samples.map((s) => s.name))).toEqual(new Set(Object.values(F)));
    const busy = samples.find((s) => s.name === F.busyTimeMsPerSecond && s.labels.task_name === 'Source:_in');
    // The names and their order are those of a real scrape (collector.test.ts compares).
    expect(Object.keys(busy?.labels ?? {})).toEqual([...TASK_LABELS]);
    expect(busy?.labels).toMatchObject({ tm_id: 'a', job_name: 'hand_job', subtask_index: '0' });
    const pending = samples.filter((s) => s.name === F.operatorPendingRecords);
    expect(pending.map((s) => s.labels.operator_name)).toEqual(['Source:_in']);
  });

  it('exposes a chained task once and each of its operators apart, as a real chained scrape does', () => {
    const model = handModel({
      operators: [
        { name: 'Source: in', costSeconds: 1e-3 },
        { name: 'work', input: 'hash', costSeconds: 4e-3, selectivity: 0.5 },
        { name: 'sink', input: 'forward', costSeconds: 1e-3, selectivity: 0 },
      ],
    });
    run(model, { steps: 6, rate: 100, tms: running('a', 'b') });
    const samples = model.scrape('b') ?? [];
    const task = samples.filter((s) => s.name === F.busyTimeMsPerSecond).map((s) => s.labels.task_name);
    expect(task).toEqual(['Source:_in', 'work____sink']);
    // "work -> sink" on b receives 75/s: work 75 in, 37.5 out; sink 37.5 in, 0 out; one thread at 4 + 0.5 × 1 ms.
    const op = (name: string, operator: string) =>
      samples.find((s) => s.name === name && s.labels.operator_name === operator)?.value;
    expect([
      op(F.operatorNumRecordsInPerSecond, 'work'),
      op(F.operatorNumRecordsOutPerSecond, 'work'),
    ]).toEqual([75, 37.5]);
    expect([
      op(F.operatorNumRecordsInPerSecond, 'sink'),
      op(F.operatorNumRecordsOutPerSecond, 'sink'),
    ]).toEqual([37.5, 0]);
    expect(sample(model, 'b', F.busyTimeMsPerSecond, 'work____sink')).toBe(Math.round(75 * 4.5));
    expect(sample(model, 'b', F.numRecordsOutPerSecond, 'work____sink')).toBe(0); // the chain's tail emits nothing
    const head = samples.find(
      (s) => s.name === F.operatorNumRecordsInPerSecond && s.labels.operator_name === 'work',
    );
    expect(head?.labels.operator_id).toBe(head?.labels.task_id);
  });

  it('reports the busy, idle and rate of each subtask as Flink computes them over its last 60 s', () => {
    const model = handModel();
    run(model, { steps: 6, rate: 100, tms: running('a', 'b') });
    // 100 records/s: each source reads 50/s (5% busy), work 1 gets 75% = 75/s (30% busy), work 0 25/s (10%).
    expect(sample(model, 'a', F.busyTimeMsPerSecond, 'Source:_in')).toBe(50);
    expect(sample(model, 'b', F.busyTimeMsPerSecond, 'work')).toBe(300);
    expect(sample(model, 'a', F.idleTimeMsPerSecond, 'work')).toBe(900);
    expect(sample(model, 'b', F.numRecordsInPerSecond, 'work')).toBe(75);
    expect(sample(model, 'b', F.numRecordsOutPerSecond, 'work')).toBe(37.5);
    // A source task's numRecordsIn is its source operator's: the records read.
    expect(sample(model, 'a', F.numRecordsInPerSecond, 'Source:_in')).toBe(50);
    expect(sample(model, 'a', F.operatorNumRecordsInPerSecond, 'Source:_in')).toBe(50);
  });

  it('shows the source back-pressured and the bottleneck busy under overload', () => {
    const model = handModel();
    run(model, { steps: 6, rate: 1000, tms: running('a', 'b') });
    expect(sample(model, 'b', F.busyTimeMsPerSecond, 'work')).toBe(1000);
    // Each source reads 166.7/s (16.7% busy): 8,333 ms back-pressured per 10 s → 833 ms/s.
    expect(sample(model, 'a', F.backPressuredTimeMsPerSecond, 'Source:_in')).toBe(833);
    expect(sample(model, 'a', F.busyTimeMsPerSecond, 'Source:_in')).toBe(167);
    expect(sample(model, 'a', F.operatorPendingRecords, 'Source:_in')).toBeGreaterThan(0);
  });

  it('answers every scrape with the TaskManager’s own metrics, slots or not; a frozen one answers none', () => {
    const model = handModel();
    run(model, { steps: 3, rate: 100, tms: running('a', 'b') });
    expect(model.scrape('a')?.[0]).toMatchObject({
      name: F.cpuLoad,
      labels: { host: expect.any(String), tm_id: 'a' },
    });
    run(model, {
      startS: 30,
      steps: 1,
      rate: 100,
      tms: [
        { taskId: 'a', hung: true },
        { taskId: 'b', hung: false },
      ],
    });
    expect(model.scrape('a')).toBeUndefined();
  });

  it('reports INITIALIZING tasks 1000 ms/s busy with no records after a restart, then ramps the rates up', () => {
    const model = handModel({ deploySeconds: 10 });
    run(model, { steps: 10, rate: 100, tms: running('a', 'b') });
    run(model, { startS: 100, steps: 1, rate: 100, tms: running('a') });
    // Tasks canceled, the new ones not deployed yet: only the TaskManager's own JVM metrics.
    expect(model.scrape('a')?.map((x) => x.name)).toEqual([F.cpuLoad]);
    run(model, { startS: 110, steps: 2, rate: 100, tms: running('a') });
    expect(sample(model, 'a', F.busyTimeMsPerSecond, 'work')).toBe(1000);
    expect(sample(model, 'a', F.numRecordsInPerSecond, 'work')).toBe(0);
    expect(sample(model, 'a', F.operatorPendingRecords, 'Source:_in')).toBeUndefined();
    run(model, { startS: 130, steps: 1, rate: 100, tms: running('a') });
    // Running since 130: 10 s of catching up at 250/s → 2500 records / 60 s.
    expect(sample(model, 'a', F.numRecordsInPerSecond, 'work')).toBeCloseTo(2500 / 60, 0);
  });
});

describe('Class: FlinkJobModel — noise and GC', () => {
  it('varies busy time with the seed’s noise, identically for the same seed', () => {
    const make = (seed: number) =>
      new FlinkJobModel(
        resolveJob(
          { partitions: 2, slotsPerTaskManager: 1, restartSeconds: 30, checkpointIntervalSeconds: 60 },
          handInput({ busyNoiseCv: 0.1 }),
          { seed },
        ),
      );
    const busy = (m: FlinkJobModel) =>
      run(m, { steps: 12, rate: 100, tms: running('a', 'b') }).map((s) => s.usage[1]?.busyThreadSeconds);
    expect(busy(make(1))).toEqual(busy(make(1)));
    expect(busy(make(1))).not.toEqual(busy(make(2)));
    expect(new Set(busy(make(1))).size).toBeGreaterThan(6);
  });

  it('loses throughput to GC pauses at saturation, the long ones stalling the whole job', () => {
    const withGc = handModel({
      gc: {
        allocatedBytesPerRecord: 0,
        baseAllocatedBytesPerSecond: 0,
        longPausesPerHour: 3600,
        longPauseMeanMs: 200,
        absorbedPauseMs: 50,
      },
    });
    const steps = run(withGc, { steps: 60, rate: 1000, tms: running('a', 'b') });
    const processed = steps.reduce((a, s) => a + s.processed, 0);
    const ideal = (250 / 0.75) * 600;
    // About one 200 ms pause per second per TaskManager: a large share of the time is lost.
    expect(processed).toBeLessThan(ideal * 0.9);
    expect(processed).toBeGreaterThan(ideal * 0.3);
    expect(steps.some((s) => s.activeSeconds < 10)).toBe(true);
    expect(steps.reduce((a, s) => a + (s.usage[0]?.gcSeconds ?? 0), 0)).toBeGreaterThan(60);
  });
});

describe('Class: FlinkJobModel — invariants', () => {
  it('rejects time going backwards, duplicate task ids and bad inputs', () => {
    const model = handModel();
    model.step(100_000, 10, 100, running('a'));
    expect(() => model.step(105_000, 10, 100, running('a'))).toThrow(FlinkModelError);
    expect(() => model.step(110_000, 10, -1, running('a'))).toThrow(/inputRate/);
    expect(() => model.step(110_000, 0, 1, running('a'))).toThrow(/dtSeconds/);
    expect(() => handModel().step(0, 10, 1, running('a', 'a'))).toThrow(/twice/);
    expect(() => handModel({}, { partitions: 0 })).toThrow(/partitions/);
  });

  it('conserves records: input = processed + backlog change − replayed, over long random runs', () => {
    const stepArb = fc.record({
      rate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 20_000, noNaN: true })),
      action: fc.constantFrom('none', 'none', 'none', 'add', 'remove', 'hang', 'replace'),
    });
    fc.assert(
      fc.property(
        fc.record({
          partitions: fc.integer({ min: 1, max: 64 }),
          slots: fc.integer({ min: 1, max: 4 }),
          perSlot: fc.double({ min: 1, max: 2000, noNaN: true }),
          restart: fc.integer({ min: 0, max: 90 }),
          checkpoint: fc.integer({ min: 1, max: 120 }),
          dt: fc.constantFrom(1, 5, 10, 30, 60),
          zipf: fc.double({ min: 0, max: 2, noNaN: true }),
          initialBacklog: fc.double({ min: 0, max: 1e6, noNaN: true }),
          steps: fc.array(stepArb, { minLength: 1, maxLength: 200 }),
        }),
        (p) => {
          const model = new FlinkJobModel(
            resolveJob(
              {
                partitions: p.partitions,
                slotsPerTaskManager: p.slots,
                recordsPerSecondPerSlot: p.perSlot,
                restartSeconds: p.restart,
                checkpointIntervalSeconds: p.checkpoint,
              },
              { keys: 1000, partitionZipfExponent: p.zipf, gc: { longPausesPerHour: 60 } },
              { seed: 5 },
            ),
            { initialBacklog: p.initialBacklog },
          );
          let tms: RunningTaskManager[] = running('tm-0', 'tm-1');
          let next = 2;
          let backlog = p.initialBacklog;
          p.steps.forEach((s, k) => {
            if (s.action === 'add') tms = [...tms, { taskId: `tm-${next++}`, hung: false }];
            if (s.action === 'remove') tms = tms.slice(1);
            if (s.action === 'hang' && tms[0]) tms = [{ ...tms[0], hung: true }, ...tms.slice(1)];
            if (s.action === 'replace')
              tms = [...tms.filter((t) => !t.hung), { taskId: `tm-${next++}`, hung: false }];
            const r = model.step(k * p.dt * 1000, p.dt, s.rate, tms);
            expect(r.backlog).toBeGreaterThanOrEqual(0);
            expect(r.processed).toBeGreaterThanOrEqual(0);
            const available = backlog + r.replayed + r.input;
            expect(r.processed).toBeLessThanOrEqual(available + 1e-9 * Math.max(1, available));
            backlog = r.backlog;
          });
          const t = model.totals();
          const rhs = t.processed + (t.backlog - t.initialBacklog) - t.replayed;
          const scale = Math.max(1, t.input, t.processed, t.initialBacklog);
          expect(Math.abs(t.input - rhs)).toBeLessThanOrEqual(scale * 1e-9);
        },
      ),
      { numRuns: 100, seed: 42 },
    );
  });

  it('simulates 24 hours at 10 s steps with 24 TaskManagers of 2 slots in a few seconds, scrapes included', () => {
    const model = new FlinkJobModel(
      resolveJob(
        {
          partitions: 48,
          slotsPerTaskManager: 2,
          recordsPerSecondPerSlot: 500,
          restartSeconds: 30,
          checkpointIntervalSeconds: 60,
        },
        {},
        { seed: 3 },
      ),
    );
    const ids = Array.from({ length: 24 }, (_, i) => `task-${String(i).padStart(2, '0')}`);
    const all = running(...ids);
    const fewer = running(...ids.slice(1));
    const started = performance.now();
    let samples = 0;
    for (let k = 0; k < 8640; k++) {
      const tms = k % 720 < 360 ? all : fewer; // a restart every half day… and back
      model.step(k * 10_000, 10, 6000 + 3000 * Math.sin(k / 500), tms);
      if (k % 6 === 5) for (const tm of tms) samples += model.scrape(tm.taskId)?.length ?? 0;
    }
    const elapsed = performance.now() - started;
    // Per TaskManager and scrape: 2 slots × (2 tasks × 5 + 3 operators × 2) + 2 pendingRecords = 34 series.
    expect(samples).toBeGreaterThan(1440 * 23 * 30);
    expect(elapsed).toBeLessThan(6000);
  });
});
