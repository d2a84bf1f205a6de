import fc from 'fast-check';
import { jobCapacity } from 'flink-ecs-autoscaler/lib/core/capacity';
import { METRIC_NAMES } from 'flink-ecs-autoscaler/lib/core/metric-names';
import { describe, expect, it } from 'vitest';
import {
  type FlinkClusterParams,
  FlinkJobModel,
  type FlinkJobModelOptions,
  FlinkModelError,
  type FlinkStepResult,
  type MetricDatum,
  physicalMinimum,
  type RunningTaskManager,
} from '../../src/flink-model';

const names = { clusterName: 'flink', jobName: 'orders', taskDefinitionFamily: 'flink-taskmanager' };

const cluster = (overrides: Partial<FlinkClusterParams> = {}): FlinkClusterParams => ({
  partitions: 32,
  slotsPerTaskManager: 2,
  recordsPerSecondPerSlot: 500,
  restartSeconds: 30,
  checkpointIntervalSeconds: 60,
  ...overrides,
});

const running = (...ids: string[]): RunningTaskManager[] => ids.map((taskId) => ({ taskId, hung: false }));
const withHung = (ids: string[], hung: string[]): RunningTaskManager[] =>
  ids.map((taskId) => ({ taskId, hung: hung.includes(taskId) }));

/** Runs `steps` steps of dt seconds from startMs; `tms` and `rate` may vary by step time (seconds). */
function run(
  model: FlinkJobModel,
  opts: {
    startS?: number;
    steps: number;
    dt?: number;
    rate: number | ((tS: number) => number);
    tms: RunningTaskManager[] | ((tS: number) => RunningTaskManager[]);
  },
): FlinkStepResult[] {
  const dt = opts.dt ?? 10;
  const out: FlinkStepResult[] = [];
  for (let k = 0; k < opts.steps; k++) {
    const tS = (opts.startS ?? 0) + k * dt;
    const rate = typeof opts.rate === 'number' ? opts.rate : opts.rate(tS);
    const tms = typeof opts.tms === 'function' ? opts.tms(tS) : opts.tms;
    out.push(model.step(tS * 1000, dt, rate, tms));
  }
  return out;
}

const newModel = (c: Partial<FlinkClusterParams> = {}, o: Partial<FlinkJobModelOptions> = {}) =>
  new FlinkJobModel(cluster(c), { names, ...o });

const byMetric = (metrics: readonly MetricDatum[], metricName: string, taskId?: string) =>
  metrics.filter(
    (m) => m.metricName === metricName && (taskId === undefined || m.dimensions.TaskId === taskId),
  );

describe('Function: physicalMinimum', () => {
  // P=32, S=2, r=500: capacities 1000, 2000, 2666.7, 4000 (N=4,5), 5333 (6,7), 8000 (8..15), 16000 (16+).
  it.each([
    [0, 1],
    [1000, 1],
    [1001, 2],
    [2000, 2],
    [2001, 3],
    [4000, 4],
    [4001, 6],
    [8000, 8],
    [8001, 16],
    [16_000, 16],
    [50_000, 16],
  ])('input %d records/s needs %d TaskManagers at 100%% busy', (input, expected) => {
    // Act & Assess
    expect(physicalMinimum(input, cluster())).toBe(expected);
  });
});

describe('Class: FlinkJobModel', () => {
  it('processes at most the capacity formula, skew included (P=32, S=2, N=5 → r·32/4)', () => {
    // Prepare
    const model = newModel();
    const tms = running('a', 'b', 'c', 'd', 'e');

    // Act
    const [first, second] = run(model, { steps: 2, rate: 10_000, tms });

    // Assess
    const expected = (500 * 32) / 4;
    expect(jobCapacity(5, 500, 32, 2)).toBe(expected);
    expect(first?.capacity).toBe(expected);
    expect(first?.processed).toBe(expected * 10);
    expect(first?.restarting).toBe(false);
    expect(second?.backlog).toBe(2 * (10_000 - expected) * 10);
  });

  it('spreads partitions round-robin over slots in taskId order: the busiest slot sets the busy fraction', () => {
    // Prepare: 10 slots for 32 partitions: slots 0 and 1 (TaskManager "a") hold 4, the others 3.
    const model = newModel();

    // Act
    run(model, { steps: 1, rate: 10_000, tms: running('e', 'c', 'a', 'd', 'b') });

    // Assess
    const loads = model.taskManagerLoads();
    expect(loads.map((l) => [l.taskId, l.partitions, l.busy])).toEqual([
      ['a', 8, 1],
      ['b', 6, 0.75],
      ['c', 6, 0.75],
      ['d', 6, 0.75],
      ['e', 6, 0.75],
    ]);
    expect(loads.reduce((sum, l) => sum + l.processedRate, 0)).toBeCloseTo(4000, 9);
    expect(loads[0]?.processedRate).toBeCloseTo(1000, 9);
  });

  it('gives extra TaskManagers beyond one slot per partition no work', () => {
    // Prepare: P=4, S=1, N=6
    const model = newModel({ partitions: 4, slotsPerTaskManager: 1, recordsPerSecondPerSlot: 100 });

    // Act
    const [step] = run(model, { steps: 1, rate: 1000, tms: running('a', 'b', 'c', 'd', 'e', 'f') });

    // Assess
    expect(step?.capacity).toBe(400);
    expect(model.taskManagerLoads().map((l) => l.partitions)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(model.taskManagerLoads().map((l) => l.busy)).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('stops processing for exactly restartSeconds after a TaskManager joins', () => {
    // Prepare: always backlogged so every processing second is visible.
    const model = newModel({ restartSeconds: 30 });
    run(model, { steps: 10, rate: 5000, tms: running('a', 'b') });

    // Act: "c" joins at t = 100 s.
    const steps = run(model, { startS: 100, steps: 5, rate: 5000, tms: running('a', 'b', 'c') });

    // Assess
    const capacity = jobCapacity(3, 500, 32, 2);
    expect(steps.map((s) => s.processed)).toEqual([0, 0, 0, capacity * 10, capacity * 10]);
    expect(steps.map((s) => s.restarting)).toEqual([true, true, true, false, false]);
    expect(steps.map((s) => s.capacity)).toEqual([0, 0, 0, capacity, capacity]);
    expect(steps.map((s) => s.activeSeconds)).toEqual([0, 0, 0, 10, 10]);
    expect(model.totals().restarts).toBe(1);
  });

  it('resumes mid-step when restartSeconds is not a multiple of the step', () => {
    // Prepare
    const model = newModel({ restartSeconds: 25 });
    run(model, { steps: 3, rate: 5000, tms: running('a', 'b') });

    // Act: "b" dies at t = 30 s.
    const steps = run(model, { startS: 30, steps: 4, rate: 5000, tms: running('a') });

    // Assess: down for [30, 55), so the step at 50 processes 5 s.
    const capacity = jobCapacity(1, 500, 32, 2);
    expect(steps.map((s) => s.activeSeconds)).toEqual([0, 0, 5, 10]);
    expect(steps.map((s) => s.processed)).toEqual([0, 0, capacity * 5, capacity * 10]);
    expect(steps.reduce((sum, s) => sum + (s.dtSeconds - s.activeSeconds), 0)).toBe(25);
  });

  it('replays exactly the records processed since the last completed checkpoint', () => {
    // Prepare: checkpoints at 60 s and 120 s of processing; always backlogged.
    const model = newModel({ checkpointIntervalSeconds: 60 });
    const before = run(model, { steps: 15, rate: 5000, tms: running('a', 'b') });
    const sinceCheckpoint = before.slice(12).reduce((sum, s) => sum + s.processed, 0);
    const backlogBefore = before.at(-1)?.backlog ?? 0;

    // Act: "c" joins at t = 150 s.
    const [restart] = run(model, { startS: 150, steps: 1, rate: 5000, tms: running('a', 'b', 'c') });

    // Assess
    expect(sinceCheckpoint).toBe(2000 * 30);
    expect(restart?.replayed).toBe(sinceCheckpoint);
    expect(restart?.backlog).toBe(backlogBefore + sinceCheckpoint + 5000 * 10);
    expect(model.totals()).toMatchObject({ replayed: sinceCheckpoint, checkpoints: 2 });
  });

  it('places checkpoints inside a step when the interval does not divide the step', () => {
    // Prepare: interval 25 s: checkpoints at 25, 50, 75 s of processing.
    const model = newModel({ checkpointIntervalSeconds: 25 });
    run(model, { steps: 8, rate: 5000, tms: running('a', 'b') });

    // Act: change at 80 s: 5 s of processing since the checkpoint at 75 s.
    const [restart] = run(model, { startS: 80, steps: 1, rate: 5000, tms: running('a') });

    // Assess
    expect(restart?.replayed).toBeCloseTo(2000 * 5, 9);
    expect(model.totals().checkpoints).toBe(3);
  });

  it('replays nothing more when the running set changes again during a restart', () => {
    // Prepare
    const model = newModel({ restartSeconds: 30 });
    run(model, { steps: 4, rate: 5000, tms: running('a', 'b') });

    // Act: "c" joins at 40 s, "d" at 60 s (the job is still restarting).
    const steps = run(model, {
      startS: 40,
      steps: 7,
      rate: 5000,
      tms: (t) => (t < 60 ? running('a', 'b', 'c') : running('a', 'b', 'c', 'd')),
    });

    // Assess: the second restart counts from 60 s.
    expect(steps[0]?.replayed).toBe(2000 * 40);
    expect(steps[2]?.replayed).toBe(0);
    expect(steps.map((s) => s.activeSeconds)).toEqual([0, 0, 0, 0, 0, 10, 10]);
    expect(model.totals().restarts).toBe(2);
  });

  it('does not restart when only the order of the reported TaskManagers changes', () => {
    // Prepare
    const model = newModel();
    run(model, { steps: 1, rate: 100, tms: running('a', 'b', 'c') });

    // Act
    const [step] = run(model, { startS: 10, steps: 1, rate: 100, tms: running('c', 'a', 'b') });

    // Assess
    expect(step?.restarting).toBe(false);
    expect(model.totals().restarts).toBe(0);
  });

  it('stalls the whole job while a TaskManager hangs, completes no checkpoint, and publishes nothing for it', () => {
    // Prepare: checkpoints at 60 s; "b" hangs from 90 s to 180 s, then ECS replaces it with "c".
    const model = newModel();
    const tms = (t: number) =>
      t < 90 ? running('a', 'b') : t < 180 ? withHung(['a', 'b'], ['b']) : running('a', 'c');

    // Act
    const steps = run(model, { steps: 24, rate: 1500, tms });

    // Assess
    const hungSteps = steps.filter((s) => s.tMs >= 90_000 && s.tMs < 180_000);
    expect(
      hungSteps.every((s) => s.stalled && s.processed === 0 && s.capacity === 0 && s.activeSeconds === 0),
    ).toBe(true);
    expect(hungSteps.every((s) => s.running === 2 && s.hung === 1)).toBe(true);
    // The replacement restarts the job and replays the 30 s processed after the checkpoint at 60 s.
    const replacement = steps.find((s) => s.tMs === 180_000);
    expect(replacement?.replayed).toBe(1500 * 30);
    expect(model.totals().checkpoints).toBe(1);
    // Minutes ending at 120 s and 180 s: "a" publishes, "b" does not.
    const published = steps.filter((s) => s.tMs >= 110_000 && s.tMs < 180_000).flatMap((s) => s.metrics);
    expect(published.some((m) => m.dimensions.TaskId === 'b')).toBe(false);
    expect(byMetric(published, METRIC_NAMES.seed.taskDuration, 'a')).toHaveLength(2);
    // "a" was 75% busy (8 partitions per slot at 1500/s) until the hang at 90 s, then idle.
    expect(byMetric(published, METRIC_NAMES.seed.taskDuration, 'a').map((m) => m.value)).toEqual([22.5, 0]);
  });

  it('publishes per-TaskManager minute averages for every preset at the end of each minute', () => {
    // Prepare: P=4, S=1, r=100, N=2 → each TaskManager holds 2 partitions; input 100/s → busy 0.5.
    const model = newModel({ partitions: 4, slotsPerTaskManager: 1, recordsPerSecondPerSlot: 100 });
    const startMs = 1_700_000_040_000; // a minute boundary

    // Act
    const steps: FlinkStepResult[] = [];
    for (let k = 0; k < 18; k++) steps.push(model.step(startMs + k * 10_000, 10, 100, running('a', 'b')));

    // Assess
    const publishing = steps.filter((s) => s.metrics.length > 0);
    expect(publishing.map((s) => s.tMs + 10_000 - startMs)).toEqual([60_000, 120_000, 180_000]);
    const first = publishing[0]?.metrics ?? [];
    expect(first).toHaveLength(2 * 6 + 1);
    expect(new Set(first.map((m) => m.timestampMs))).toEqual(new Set([startMs]));
    const value = (metric: string, task?: string) => byMetric(first, metric, task)[0]?.value;
    expect(value(METRIC_NAMES.seed.taskDuration, 'a')).toBeCloseTo(30, 9);
    expect(value(METRIC_NAMES.seed.taskInterval, 'a')).toBe(60);
    expect(value(METRIC_NAMES.flink.busyTimeMsPerSecond, 'b')).toBeCloseTo(500, 9);
    expect(value(METRIC_NAMES.flink.numRecordsInPerSecond, 'b')).toBeCloseTo(50, 9);
    expect(value(METRIC_NAMES.containerInsights.cpuReserved, 'a')).toBe(1024);
    expect(value(METRIC_NAMES.containerInsights.cpuUtilized, 'a')).toBeCloseTo(1024 * (0.02 + 0.98 * 0.5), 9);
    expect(value(METRIC_NAMES.flink.pendingRecords)).toBe(0);
    expect(byMetric(first, METRIC_NAMES.seed.taskDuration, 'a')[0]).toEqual({
      namespace: METRIC_NAMES.seed.namespace,
      metricName: 'task_duration',
      dimensions: { TaskId: 'a' },
      timestampMs: startMs,
      value: expect.closeTo(30, 9),
      unit: 'Seconds',
    });
    expect(byMetric(first, METRIC_NAMES.containerInsights.cpuUtilized, 'a')[0]?.dimensions).toEqual({
      ClusterName: 'flink',
      TaskDefinitionFamily: 'flink-taskmanager',
      TaskId: 'a',
    });
    expect(byMetric(first, METRIC_NAMES.flink.busyTimeMsPerSecond, 'a')[0]?.dimensions).toEqual({
      ClusterName: 'flink',
      TaskId: 'a',
    });
    expect(byMetric(first, METRIC_NAMES.flink.pendingRecords)[0]).toMatchObject({
      namespace: 'ECS/ContainerInsights/Prometheus',
      dimensions: { ClusterName: 'flink', JobName: 'orders' },
      unit: 'Count',
    });
  });

  it('averages over the seconds a TaskManager was present and counts a restart as idle time', () => {
    // Prepare: "c" joins at 30 s; restart 20 s; input 100/s on P=4, S=1, r=100.
    const model = newModel({
      partitions: 4,
      slotsPerTaskManager: 1,
      recordsPerSecondPerSlot: 100,
      restartSeconds: 20,
    });

    // Act
    const steps = run(model, {
      steps: 6,
      rate: 100,
      tms: (t) => (t < 30 ? running('a', 'b') : running('a', 'b', 'c')),
    });

    // Assess
    const metrics = steps.at(-1)?.metrics ?? [];
    expect(byMetric(metrics, METRIC_NAMES.seed.taskInterval, 'c')[0]?.value).toBe(30);
    expect(byMetric(metrics, METRIC_NAMES.seed.taskInterval, 'a')[0]?.value).toBe(60);
    // "a": busy 0.5 for 30 s, 0 during the 20 s restart, then 10 s catching up at capacity
    // (its slot holds 2 of the 4 partitions: busy 1). "c" holds 1 partition: busy 0.5 for 10 s.
    expect(byMetric(metrics, METRIC_NAMES.seed.taskDuration, 'a')[0]?.value).toBeCloseTo(25, 9);
    expect(byMetric(metrics, METRIC_NAMES.seed.taskDuration, 'c')[0]?.value).toBeCloseTo(5, 9);
  });

  it('publishes only the requested presets', () => {
    // Prepare
    const model = newModel({}, { presets: ['flink-prometheus'] });

    // Act
    const metrics = run(model, { steps: 6, rate: 100, tms: running('a') }).flatMap((s) => s.metrics);

    // Assess
    expect(metrics.map((m) => m.metricName).sort()).toEqual(
      [
        METRIC_NAMES.flink.pendingRecords,
        METRIC_NAMES.flink.busyTimeMsPerSecond,
        METRIC_NAMES.flink.numRecordsInPerSecond,
      ].sort(),
    );
  });

  it('reports lag as backlog over the input rate, 0 without backlog', () => {
    // Prepare: capacity 1000/s with one TaskManager.
    const model = newModel();

    // Act
    const [under, over] = [
      ...run(model, { steps: 1, rate: 500, tms: running('a') }),
      ...run(model, { startS: 10, steps: 1, rate: 2000, tms: running('a') }),
    ];

    // Assess
    expect(under?.lagSeconds).toBe(0);
    expect(under?.backlog).toBe(0);
    expect(over?.backlog).toBe(10_000);
    expect(over?.lagSeconds).toBe(5);
  });

  it('processes nothing and lets the backlog grow with no TaskManager running', () => {
    // Prepare
    const model = newModel();

    // Act
    const steps = run(model, { steps: 3, rate: 100, tms: [] });

    // Assess
    expect(steps.map((s) => [s.processed, s.capacity, s.backlog])).toEqual([
      [0, 0, 1000],
      [0, 0, 2000],
      [0, 0, 3000],
    ]);
  });

  it('rejects time going backwards, duplicate task ids and bad inputs', () => {
    // Prepare
    const model = newModel();
    model.step(100_000, 10, 100, running('a'));

    // Act & Assess
    expect(() => model.step(105_000, 10, 100, running('a'))).toThrow(FlinkModelError);
    expect(() => model.step(110_000, 10, -1, running('a'))).toThrow(/inputRate/);
    expect(() => model.step(110_000, 0, 1, running('a'))).toThrow(/dtSeconds/);
    expect(() => newModel().step(0, 10, 1, running('a', 'a'))).toThrow(/twice/);
    expect(() => newModel({ partitions: 0 })).toThrow(/partitions/);
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
          initialBacklog: fc.double({ min: 0, max: 1e6, noNaN: true }),
          steps: fc.array(stepArb, { minLength: 1, maxLength: 400 }),
        }),
        (p) => {
          const model = new FlinkJobModel(
            {
              partitions: p.partitions,
              slotsPerTaskManager: p.slots,
              recordsPerSecondPerSlot: p.perSlot,
              restartSeconds: p.restart,
              checkpointIntervalSeconds: p.checkpoint,
            },
            { names, initialBacklog: p.initialBacklog },
          );
          let tms: RunningTaskManager[] = running('tm-0', 'tm-1');
          let next = 2;
          let backlog = p.initialBacklog;
          let input = 0;
          let processed = 0;
          let replayed = 0;
          p.steps.forEach((s, k) => {
            if (s.action === 'add') tms = [...tms, { taskId: `tm-${next++}`, hung: false }];
            if (s.action === 'remove') tms = tms.slice(1);
            if (s.action === 'hang' && tms[0]) tms = [{ ...tms[0], hung: true }, ...tms.slice(1)];
            if (s.action === 'replace')
              tms = [...tms.filter((t) => !t.hung), { taskId: `tm-${next++}`, hung: false }];
            const r = model.step(k * p.dt * 1000, p.dt, s.rate, tms);
            // Per step: nothing negative, nothing processed that was not there.
            expect(r.backlog).toBeGreaterThanOrEqual(0);
            expect(r.processed).toBeGreaterThanOrEqual(0);
            expect(r.processed).toBeLessThanOrEqual(backlog + r.replayed + r.input);
            const bound = jobCapacity(r.running, p.perSlot, p.partitions, p.slots) * r.activeSeconds;
            expect(r.processed).toBeLessThanOrEqual(bound * (1 + 1e-12));
            if (r.stalled) expect(r.processed).toBe(0);
            backlog = r.backlog;
            input += r.input;
            processed += r.processed;
            replayed += r.replayed;
          });
          const totals = model.totals();
          const lhs = totals.input;
          const rhs = totals.processed + (totals.backlog - totals.initialBacklog) - totals.replayed;
          const scale = Math.max(1, totals.input, totals.processed, totals.initialBacklog);
          expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(scale * 1e-9);
          expect(totals.input).toBeCloseTo(input, 6);
          expect(totals.processed).toBeCloseTo(processed, 6);
          expect(totals.replayed).toBeCloseTo(replayed, 6);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it('simulates 24 hours at 10 s steps with 24 TaskManagers well under a second', () => {
    // Prepare
    const model = newModel();
    const ids = Array.from({ length: 24 }, (_, i) => `task-${String(i).padStart(2, '0')}`);
    const all = running(...ids);
    const fewer = running(...ids.slice(1));

    // Act
    const started = performance.now();
    let datapoints = 0;
    for (let k = 0; k < 8640; k++) {
      const tms = k % 720 < 360 ? all : fewer; // a restart every hour
      const r = model.step(k * 10_000, 10, 6000 + 3000 * Math.sin(k / 500), tms);
      datapoints += r.metrics.length;
    }
    const elapsed = performance.now() - started;

    // Assess
    expect(elapsed).toBeLessThan(1000);
    expect(datapoints).toBeGreaterThan(1440 * 23 * 6);
  });
});
