import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadTimeSeconds } from '../../../lib/core/absorb';
import type { AutomaticTrigger } from '../../../lib/core/decide';
import {
  afterApply,
  type ClusterReading,
  completeInputs,
  decideAutomatic,
  decideManual,
  evaluationSnapshot,
  PENDING_GRACE_SECONDS,
  pendingVerdict,
  reopen,
  screenTrigger,
} from '../../../lib/core/decide';
import type {
  MetricQuery,
  MetricSeries,
  ScalerChange,
  ScalerState,
  TaskInfo,
} from '../../../lib/core/domain';
import {
  JOB_QUERY_IDS,
  type ResolvedMetrics,
  resolveMetrics,
  scalerQueries,
} from '../../../lib/core/metrics';
import { taskInfo } from '../../support/failover-fakes';
import { flinkFleet } from '../../support/fakes';
import { config, service, state, T0 } from '../../support/fixtures';

const cfg = config({
  alarms: ['lag-high'],
  policy: { scaleInStabilizationSeconds: 0, scaleInCooldownSeconds: 0 },
});
const resolved = resolveMetrics(cfg);
const withBacklog = config({
  metrics: { backlog: { preset: 'flink-pending-records' } },
  policy: { scaleInStabilizationSeconds: 0, scaleInCooldownSeconds: 0 },
});
const change = (extra: Partial<ScalerChange> = {}): ScalerChange => ({
  decisionId: 'd-1',
  desired: 8,
  committedAt: T0,
  ...extra,
});
const schedule = (atMs: number, id = 'ev-1'): AutomaticTrigger => ({
  kind: 'schedule',
  eventTime: new Date(atMs),
  id,
});

function task(i: number, startedAt = T0 - 3_600_000): TaskInfo {
  return taskInfo(`tm${String(i).padStart(2, '0')}`, T0, { startedAt: new Date(startedAt) });
}

/**
 * The series GetMetricData would return for `tasks`: the job-level series of the reporting
 * tasks (each scraped twice a minute, its busiest subtask at `busy` (0..1), its sources at
 * `rate` records/s, the job's backlog `backlog`) for the five minutes before `nowMs`; the
 * others answer no scrape. `adjust` may change a series (its status, a period's value).
 */
function reading(
  tasks: readonly TaskInfo[],
  reporting: ReadonlySet<string>,
  busy: number,
  rate: number,
  opts: {
    nowMs?: number;
    resolved?: ResolvedMetrics;
    backlog?: number;
    adjust?: (q: MetricQuery, s: MetricSeries) => MetricSeries;
  } = {},
): ClusterReading {
  const nowMs = opts.nowMs ?? T0;
  const running = tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => t.taskId)
    .sort();
  const n = running.filter((id) => reporting.has(id)).length;
  const value = flinkFleet({
    busy,
    rate,
    ...(opts.backlog === undefined ? {} : { backlog: opts.backlog }),
    taskManagers: () => n,
  });
  const times = [5, 4, 3, 2].map((m) => nowMs - m * 60_000);
  const series: MetricSeries[] = scalerQueries(opts.resolved ?? resolved, 'rate', running).map((q) => {
    const v = n > 0 ? value(q) : undefined;
    const s: MetricSeries = {
      id: q.id,
      timestamps: v === undefined ? [] : times,
      values: v === undefined ? [] : times.map(() => v),
      status: 'Complete',
    };
    return opts.adjust ? opts.adjust(q, s) : s;
  });
  return { tasks, series };
}

describe('Function: screenTrigger', () => {
  it.each([
    { name: 'a fresh tick', at: T0 - 30_000, reason: undefined },
    { name: 'a tick two periods old', at: T0 - 120_000, reason: undefined },
    { name: 'a tick older than two periods', at: T0 - 121_000, reason: 'StaleEvent' },
    { name: 'a tick 30 s ahead (clock skew)', at: T0 + 30_000, reason: undefined },
    { name: 'a tick 31 s ahead', at: T0 + 31_000, reason: 'StaleEvent' },
    { name: 'a tick from 2099', at: Date.parse('2099-01-01T00:00:00Z'), reason: 'StaleEvent' },
  ])('$name → $reason', ({ at, reason }) => {
    expect(screenTrigger(schedule(at), T0, cfg)?.reason).toBe(reason);
  });

  it.each([
    { alarmName: 'lag-high', reason: undefined },
    { alarmName: 'someone-elses-alarm', reason: 'UnknownAlarm' },
  ])('alarm $alarmName → $reason', ({ alarmName, reason }) => {
    const alarm: AutomaticTrigger = { kind: 'alarm', eventTime: new Date(T0), alarmName, state: 'ALARM' };
    expect(screenTrigger(alarm, T0, cfg)?.reason).toBe(reason);
  });
});

describe('Function: pendingVerdict', () => {
  const graceMs = PENDING_GRACE_SECONDS * 1000;
  it.each([
    { name: 'no change', st: state(), desired: 4, kind: 'none' },
    {
      name: 'a confirmed change',
      st: state({ change: change({ appliedAt: T0 }) }),
      desired: 4,
      kind: 'none',
    },
    { name: 'pending, ECS holds it', st: state({ change: change() }), desired: 8, kind: 'landed' },
    {
      name: 'pending, fresh',
      st: state({ change: change({ committedAt: T0 - graceMs + 1 }) }),
      desired: 4,
      kind: 'inFlight',
    },
    {
      name: 'pending, at the grace',
      st: state({ change: change({ committedAt: T0 - graceMs }) }),
      desired: 4,
      kind: 'failed',
    },
  ])('$name → $kind', ({ st, desired, kind }) => {
    expect(pendingVerdict(st, service(desired), T0).kind).toBe(kind);
  });
});

describe('Function: afterApply', () => {
  const ours = change({ decisionId: 'ours', desired: 8 });
  const newer = change({ decisionId: 'newer', desired: 6, committedAt: T0 + 1 });
  it.each([
    { name: 'still the latest, unconfirmed', latest: ours, ecs: 8, kind: 'confirm' },
    { name: 'still the latest, ECS overwritten since', latest: ours, ecs: 6, kind: 'resend' },
    {
      name: 'confirmed by a racer, ECS overwritten since',
      latest: { ...ours, appliedAt: T0 },
      ecs: 6,
      kind: 'confirmed',
    },
    {
      name: 'still the latest, confirmed by a racer',
      latest: { ...ours, appliedAt: T0 },
      ecs: 8,
      kind: 'confirmed',
    },
    {
      name: 're-committed by a re-applier',
      latest: { ...ours, committedAt: T0 + 5 },
      ecs: 8,
      kind: 'confirm',
    },
    { name: 'a newer change, ECS holds our late write', latest: newer, ecs: 8, kind: 'correct' },
    { name: 'a newer change, ECS holds the newer count', latest: newer, ecs: 6, kind: 'superseded' },
    { name: 'a newer change, ECS changed from outside', latest: newer, ecs: 5, kind: 'superseded' },
    {
      name: 'a newer change to the same count',
      latest: { ...newer, desired: 8 },
      ecs: 8,
      kind: 'superseded',
    },
  ])('$name → $kind', ({ latest, ecs, kind }) => {
    const verdict = afterApply(ours, state({ version: 7, change: latest }), ecs, T0 + 10);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === 'confirm') expect(verdict.next.change).toEqual({ ...latest, appliedAt: T0 + 10 });
    if (verdict.kind === 'correct') expect(verdict.to).toEqual(newer);
  });
});

describe('Function: reopen', () => {
  it('marks the latest change pending again', () => {
    const st = state({ change: change({ decisionId: 'any', appliedAt: T0 }) });
    expect(reopen(st)?.change).toEqual(change({ decisionId: 'any' }));
  });
  it('rewrites a pending change too (the version rises: a confirmation in flight loses)', () => {
    expect(reopen(state({ change: change() }))?.change).toEqual(change());
  });
  it('writes nothing when there is no change', () => {
    expect(reopen(state())).toBeUndefined();
  });
});

describe('Function: decideManual', () => {
  const rescale = (desiredCount: number) =>
    ({ action: 'rescale', desiredCount, reason: 'sale', holdMinutes: 30, dryRun: false }) as const;
  const input = (desiredCount: number, st = state(), ecs = 4) => ({
    config: cfg,
    command: rescale(desiredCount),
    nowMs: T0,
    decisionId: 'm-1',
    state: st,
    service: service(ecs),
  });

  it('a rescale commits a pending change, the hold, and applies it', () => {
    const d = decideManual(input(6));
    expect(d.fields).toMatchObject({ reason: 'Applied', current: 4, desired: 6 });
    expect(d.apply).toEqual({ decisionId: 'm-1', desired: 6, committedAt: T0 });
    expect(d.next).toMatchObject({ desired: 6, change: d.apply, hold: { until: T0 + 1_800_000 } });
  });

  it('a rescale supersedes a change another invocation has in flight (item 1)', () => {
    // A tick committed 4 → 8 and is still applying it; the operator asks for 6.
    const d = decideManual(input(6, state({ change: change({ committedAt: T0 - 1000 }) })));
    expect(d.apply?.desired).toBe(6);
    expect(d.next?.change?.decisionId).toBe('m-1');
    expect(d.fields.message).toMatch(/supersedes pending decision d-1/);
  });

  it('a rescale to the current count with nothing pending changes only the hold', () => {
    const d = decideManual(input(4));
    expect(d.fields.reason).toBe('NoChange');
    expect(d.apply).toBeUndefined();
    expect(d.next?.change).toBeUndefined();
  });

  it('a rescale to the current count still applies when another change is pending (it must not win later)', () => {
    const d = decideManual(input(4, state({ change: change({ committedAt: T0 - 1000 }) })));
    expect(d.apply?.desired).toBe(4);
  });

  it('a dry run writes nothing', () => {
    const d = decideManual({ ...input(6), command: { ...rescale(6), dryRun: true } });
    expect(d).toMatchObject({ fields: { reason: 'DryRun', desired: 4 }, audit: false });
    expect(d.next).toBeUndefined();
  });
});

describe('Function: evaluationSnapshot (item 3: coverage of every running TaskManager)', () => {
  const tasks = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => task(i));
  const all = new Set(tasks.map((t) => t.taskId));
  it.each([
    { name: 'all 8 report', reporting: all, runningCount: 8, complete: true },
    {
      name: '6 of 8 report (2 replaced, young)',
      reporting: new Set([...all].slice(2)),
      runningCount: 8,
      complete: false,
    },
    { name: 'all 8 listed report, ECS counts 10 running', reporting: all, runningCount: 10, complete: false },
  ])('$name → complete $complete', ({ reporting, runningCount, complete }) => {
    const out = evaluationSnapshot({
      config: cfg,
      resolved,
      nowMs: T0,
      state: state(),
      service: service(8, { runningCount }),
      cluster: reading(tasks, reporting, 0.5, 500),
    });
    expect(out.complete).toBe(complete);
  });
});

describe('Function: decideAutomatic', () => {
  const base = {
    config: cfg,
    resolved,
    trigger: schedule(T0),
    nowMs: T0,
    decisionId: 'd-new',
  };

  it('a redelivered event is not decided again', () => {
    const d = decideAutomatic({
      ...base,
      state: state({ lastTriggerId: 'ev-1' }),
      service: service(4),
      cluster: reading([], new Set(), 0, 0),
    });
    expect(d).toMatchObject({ fields: { reason: 'LostRace' } });
    expect(d.next).toBeUndefined();
  });

  it('stands down while another invocation applies its change, re-applies it after the grace', () => {
    const fresh = state({ change: change({ committedAt: T0 - 1000 }) });
    const old = state({ change: change({ committedAt: T0 - PENDING_GRACE_SECONDS * 1000 }) });
    const inFlight = decideAutomatic({
      ...base,
      state: fresh,
      service: service(4),
      cluster: reading([], new Set(), 0, 0),
    });
    const failed = decideAutomatic({
      ...base,
      state: old,
      service: service(4),
      cluster: reading([], new Set(), 0, 0),
    });
    expect(inFlight.fields.reason).toBe('LostRace');
    expect(inFlight.next).toBeUndefined();
    expect(failed).toMatchObject({
      fields: { reason: 'Applied' },
      apply: { decisionId: 'd-1', desired: 8, committedAt: T0 },
    });
  });

  it('item 3: 8 TaskManagers at 30% busy, 2 replaced and not reporting yet: no scale-in', () => {
    const tasks = [0, 1, 2, 3, 4, 5].map((i) => task(i)).concat([task(8, T0 - 90_000), task(9, T0 - 90_000)]);
    const reporting = new Set(tasks.slice(0, 6).map((t) => t.taskId));
    const d = decideAutomatic({
      ...base,
      state: state(),
      service: service(8),
      cluster: reading(tasks, reporting, 0.3, 300),
    });
    expect(d.fields).toMatchObject({ reason: 'InsufficientData', desired: 8 });
    expect(d.fields.inputs?.coverage).toBe('6/8');
    expect(d.apply).toBeUndefined();
  });

  it('the control case: the same 8 TaskManagers all reporting at 30% busy scale in', () => {
    const tasks = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => task(i));
    const all = new Set(tasks.map((t) => t.taskId));
    const d = decideAutomatic({
      ...base,
      state: state(),
      service: service(8),
      cluster: reading(tasks, all, 0.3, 300),
    });
    expect(d.fields.reason).toBe('Applied');
    expect(d.fields.desired).toBeLessThan(8);
  });

  it('property: a snapshot that covers fewer than all running tasks (young or not) never lowers the desired count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.integer({ min: 0, max: 4 }),
        (running, extraEcsRunning, young, busy, rate, silent) => {
          const tasks = Array.from({ length: running }, (_, i) =>
            task(i, young[i] ? T0 - 30_000 : T0 - 3_600_000),
          );
          // At least one running task does not report, or ECS counts more running than are listed.
          const missing = Math.min(silent, running - 1);
          const reporting = new Set(tasks.slice(missing).map((t) => t.taskId));
          fc.pre(missing > 0 || extraEcsRunning > 0);
          const d = decideAutomatic({
            ...base,
            state: state({ recommendations: [] }),
            service: service(running, { runningCount: running + extraEcsRunning }),
            cluster: reading(tasks, reporting, busy, rate),
          });
          expect(d.fields.desired).toBeGreaterThanOrEqual(running);
        },
      ),
      { numRuns: 500 },
    );
  });

  /** n TaskManagers, every one reporting, the job-level Flink series (withBacklog); `extra` for the state. */
  const jobLevel = (
    n: number,
    busy: number,
    rate: number,
    opts: { backlog: number; adjust?: (q: MetricQuery, s: MetricSeries) => MetricSeries },
    extra: Partial<ScalerState> = {},
    cfg = withBacklog,
  ) => {
    const tasks = Array.from({ length: n }, (_, i) => task(i));
    const flinkBacklog = resolveMetrics(cfg);
    return decideAutomatic({
      ...base,
      config: cfg,
      resolved: flinkBacklog,
      state: state({ recommendations: [], ...extra }),
      service: service(n),
      cluster: reading(tasks, new Set(tasks.map((t) => t.taskId)), busy, rate, {
        resolved: flinkBacklog,
        ...opts,
      }),
    });
  };

  it('the control case of the property below: the same job-level series, complete, scale an idle fleet in', () => {
    const d = jobLevel(8, 0.25, 250, { backlog: 0 });
    expect(d.fields).toMatchObject({ reason: 'Applied', inputs: { coverage: '8/8' } });
    expect(d.fields.desired).toBeLessThan(8);
  });

  it('remembers the input it measured (the state’s inputRate)', () => {
    const d = jobLevel(4, 0.5, 500, { backlog: 0 });
    // With the backlog read with it, at its period's start (before the decision): a later backlog
    // floor's growth is counted from it (policy.ts backlogFloorScaleOut).
    expect(d.next?.inputRate).toEqual({
      rate: d.fields.inputs?.inputRate,
      at: T0,
      backlog: { records: 0, at: expect.any(Number) },
    });
    expect(d.next?.inputRate?.rate).toBeGreaterThan(0);
    expect(d.next?.inputRate?.backlog?.at).toBeLessThan(T0);
  });

  it('remembers each evaluation’s input in its window sample only when its metrics were complete', () => {
    const windowed = config({
      metrics: { backlog: { preset: 'flink-pending-records' } },
      policy: { scaleInStabilizationSeconds: 600 },
    });
    const complete = jobLevel(4, 0.5, 500, { backlog: 0 }, {}, windowed);
    expect(complete.next?.recommendations.at(-1)?.input).toBe(complete.fields.inputs?.inputRate);
    // The same reading with a failed part of the metrics read (cluster.metricsProblem): not complete.
    const tasks = Array.from({ length: 4 }, (_, i) => task(i));
    const resolved = resolveMetrics(windowed);
    const partial = decideAutomatic({
      ...base,
      config: windowed,
      resolved,
      state: state({ recommendations: [] }),
      service: service(4),
      cluster: {
        ...reading(tasks, new Set(tasks.map((t) => t.taskId)), 0.5, 500, { resolved, backlog: 0 }),
        metricsProblem: 'ListTasks: throttled',
      },
    });
    expect(partial.fields.inputs?.inputRate).toBe(complete.fields.inputs?.inputRate);
    expect(partial.next?.recommendations.at(-1)).toEqual({ at: T0, desired: expect.any(Number) });
  });

  it.each([
    { name: 'remembers the rise in the state', lookback: 21_600, rises: [{ at: T0, from: 60, to: 2000 }] },
    { name: 'with the lookback off, none', lookback: 0, rises: undefined },
  ])('a complete evaluation after a step from 60 to 2000 records/s: $name', ({ lookback, rises }) => {
    const cfg = config({
      metrics: { backlog: { preset: 'flink-pending-records' } },
      policy: { scaleInStabilizationSeconds: 600, scaleInLookbackSeconds: lookback },
    });
    const before = { recommendations: [{ at: T0 - 400_000, desired: 4, input: 60 }] };
    const d = jobLevel(4, 0.5, 500, { backlog: 0 }, before, cfg);
    expect(d.fields.inputs?.inputRate).toBe(2000);
    expect(d.next?.rises).toEqual(rises);
    // A steady count (every task running, none settling, complete metrics): its per-slot rate is remembered.
    expect(d.next?.capacityCurve).toEqual(
      lookback > 0 ? [{ count: 4, perSlotRate: d.fields.inputs?.perSlotRate, at: T0 }] : undefined,
    );
  });

  it('a rise that continues the one remembered a minute before is remembered as one ramp, over both spans', () => {
    const cfg = config({
      metrics: { backlog: { preset: 'flink-pending-records' } },
      policy: { scaleInStabilizationSeconds: 600, scaleInLookbackSeconds: 21_600 },
    });
    const earlier = { at: T0 - 60_000, from: 50, to: 500 };
    const before = { recommendations: [{ at: T0 - 400_000, desired: 4, input: 60 }], rises: [earlier] };
    const d = jobLevel(4, 0.5, 500, { backlog: 0 }, before, cfg);
    // 60 → 2000 starts within 50 → 500: one ramp from 50, one dead time plus the minute between.
    expect(d.next?.rises).toEqual([
      earlier,
      { at: T0, from: 50, to: 2000, seconds: deadTimeSeconds(cfg) + 60 },
    ]);
  });

  it.each([
    {
      name: 'remembered 2 minutes ago → a scale-out sized from it and the floor',
      ageSeconds: 120,
      reason: 'Applied',
      desired: 8,
    },
    { name: 'remembered 16 minutes ago → no data', ageSeconds: 960, reason: 'InsufficientData', desired: 4 },
    // 1000 + 600,000 / 300 + the restart's 60,000 / 300 = 3200: the 4 running hold it.
    {
      name: 'remembered at 1,000 records/s → no data',
      ageSeconds: 120,
      rate: 1000,
      reason: 'InsufficientData',
      desired: 4,
    },
    // The same, and the backlog read with it was 0 five minutes ago: the floor grew at least
    // 600,000 since, so the input was at least about 3000 (policy.ts backlogFloorScaleOut).
    {
      name: 'remembered at 1,000 records/s with no backlog 5 minutes ago → sized for the floor’s growth',
      ageSeconds: 120,
      rate: 1000,
      backlog: { records: 0, at: T0 - 300_000 },
      reason: 'Applied',
      desired: 8,
    },
  ])(
    'no busy time in any period (the job’s tasks restarting), 600,000 records waiting, the input $name',
    ({ ageSeconds, reason, desired, rate = 3000, backlog }) => {
      const d = jobLevel(
        4,
        0.9,
        3000,
        {
          backlog: 600_000,
          adjust: (q, s) => (q.id === JOB_QUERY_IDS.busy ? { ...s, timestamps: [], values: [] } : s),
        },
        {
          perSlotRate: 500,
          inputRate: { rate, at: T0 - ageSeconds * 1000, ...(backlog ? { backlog } : {}) },
        },
      );
      expect(d.fields).toMatchObject({ reason, desired });
    },
  );

  it('property: a job-level series that is partial, or a period that should be visible but is not complete, never lowers the desired count', () => {
    const jobIds = [
      JOB_QUERY_IDS.busy,
      JOB_QUERY_IDS.throughput,
      JOB_QUERY_IDS.heartbeat,
      JOB_QUERY_IDS.backlogSum,
      JOB_QUERY_IDS.backlogCount,
    ];
    const flinkBacklog = resolveMetrics(withBacklog);
    const statuses: MetricSeries['status'][] = ['PartialData', 'InternalError', 'Forbidden', 'Missing'];
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        // Utilization equals the bottleneck's busy here: 20–45% is where complete data scales in
        // (below policy.ts MIN_BUSY_FOR_ESTIMATE, with no rate measured before, it does not).
        fc.double({ min: 0.2, max: 0.45, noNaN: true }),
        fc.double({ min: 1, max: 2000, noNaN: true }),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true })),
        fc.constantFrom(...jobIds),
        fc.oneof(
          // A series whose answer is not Complete.
          fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(...statuses) }),
          // One of the two periods due by now lost a share of its scrapes (every series of them),
          // or of its source subtasks (a restart: the backlog's sum and count), or a series lost it.
          // ('idle': the scrapes lost are of TaskManagers that hold no source subtask: the heartbeat's only.)
          fc.record({
            kind: fc.constantFrom('scrapes' as const, 'sources' as const, 'idle' as const),
            minutesAgo: fc.constantFrom(3, 2),
            kept: fc.double({ min: 0, max: 0.95, noNaN: true }),
          }),
          fc.record({ kind: fc.constant('absent' as const), minutesAgo: fc.constantFrom(3, 2) }),
        ),
        (running, busy, rate, backlog, id, fault) => {
          const tasks = Array.from({ length: running }, (_, i) => task(i));
          const hit = (q: MetricQuery): boolean => {
            if (fault.kind === 'scrapes') return q.id !== JOB_QUERY_IDS.busy;
            if (fault.kind === 'sources') return q.id.startsWith('b');
            if (fault.kind === 'idle') return q.id === JOB_QUERY_IDS.heartbeat;
            return q.id === id;
          };
          const adjust = (q: MetricQuery, s: MetricSeries): MetricSeries => {
            if (!hit(q)) return s;
            if (fault.kind === 'status') return { ...s, status: fault.status };
            const i = s.timestamps.indexOf(T0 - fault.minutesAgo * 60_000);
            if (fault.kind === 'absent') {
              return {
                ...s,
                timestamps: s.timestamps.filter((_, j) => j !== i),
                values: s.values.filter((_, j) => j !== i),
              };
            }
            return { ...s, values: s.values.map((v, j) => (j === i ? Math.floor(v * fault.kept) : v)) };
          };
          const d = decideAutomatic({
            ...base,
            config: withBacklog,
            resolved: flinkBacklog,
            state: state({ recommendations: [] }),
            service: service(running),
            cluster: reading(tasks, new Set(tasks.map((t) => t.taskId)), busy, rate, {
              resolved: flinkBacklog,
              backlog,
              adjust,
            }),
          });
          expect(d.fields.desired).toBeGreaterThanOrEqual(running);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Function: completeInputs (the window inputs the absorbed-peak rule may use)', () => {
  const s = (input?: number) => ({ at: T0, desired: 4, ...(input !== undefined ? { input } : {}) });
  it.each([
    { name: 'every evaluation complete', samples: [s(1), s(2), s(3)], expected: [1, 2, 3] },
    { name: 'partial readings left out, not counted as 0', samples: [s(1), s(), s(3)], expected: [1, 3] },
    { name: 'exactly half complete', samples: [s(1), s(), s(), s(4)], expected: [1, 4] },
    { name: 'fewer than half complete: none', samples: [s(1), s(), s()], expected: undefined },
    { name: 'no evaluation complete', samples: [s(), s()], expected: undefined },
    { name: 'an empty window', samples: [], expected: undefined },
  ])('$name', ({ samples, expected }) => {
    expect(completeInputs(samples)).toEqual(expected);
  });
});
