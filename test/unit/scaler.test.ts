import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createScalerHandler } from '../../functions/scaler';
import type { AppConfig } from '../../lib/core/config';
import type { MetricQuery, MetricSeries } from '../../lib/core/domain';
import { ValidationError } from '../../lib/core/errors';
import { JOB_QUERY_IDS } from '../../lib/core/metrics';
import type { Trigger } from '../../lib/core/triggers';
import { createObservability } from '../../lib/observability';
import { Scaler } from '../../lib/scaler';
import { FakeEcs, FakeMetrics, flinkFleet, ManualClock, MemoryStore } from '../support/fakes';
import { config, T0 } from '../support/fixtures';

beforeAll(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});

const tick = (clock: ManualClock): Trigger => ({ kind: 'schedule', eventTime: clock.now() });

/** Every TaskManager of the fleet reads `rate` records/s, its busiest subtask `busy`; the source reports `backlog`. */
function metricsAt(
  busy: number,
  rate: number,
  backlog = 0,
  status?: (q: MetricQuery) => MetricSeries['status'],
): (taskManagers: () => number) => FakeMetrics {
  return (taskManagers) => new FakeMetrics(flinkFleet({ busy, rate, backlog, taskManagers }), status);
}

function setup(
  opts: { desired?: number; cfg?: AppConfig; metrics?: (taskManagers: () => number) => FakeMetrics } = {},
) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const ecs = new FakeEcs(opts.desired ?? 4);
  const cfg = opts.cfg ?? config({ metrics: { backlog: { preset: 'flink-pending-records' } } });
  const metrics = (opts.metrics ?? metricsAt(0.95, 950))(() => ecs.service.runningCount);
  let n = 0;
  const scaler = new Scaler({ config: cfg, store, ecs, metrics, clock, newId: () => `d${++n}` });
  return { clock, store, ecs, metrics, scaler, cfg };
}

/** The ids of the job-level queries a rate tick with the Flink backlog sends. */
const JOB_IDS: string[] = [
  JOB_QUERY_IDS.busy,
  JOB_QUERY_IDS.throughput,
  JOB_QUERY_IDS.heartbeat,
  JOB_QUERY_IDS.backlogSum,
  JOB_QUERY_IDS.backlogCount,
];

describe('Class: Scaler (scheduled and alarm evaluations)', () => {
  it('sizes an overloaded cluster in one step and sets the absolute desired count', async () => {
    // Prepare: 4 TMs at 95% busy, 950 rec/s each (see policy.test.ts: sized 6, no backlog so no minimum step)
    const { scaler, ecs, store, clock } = setup();
    // Act
    const d = await scaler.handle(tick(clock));
    // Assess
    expect(d).toMatchObject({
      trigger: 'schedule',
      current: 4,
      recommended: 6,
      desired: 6,
      reason: 'Applied',
      applied: true,
    });
    expect(ecs.updates).toEqual([6]);
    // Committed (version 1), then confirmed after UpdateService (version 2)
    expect(store.scaler).toMatchObject({
      version: 2,
      desired: 6,
      lastScaleOutAt: T0,
      change: { decisionId: d.decisionId, desired: 6, appliedAt: T0 },
    });
    expect(store.decisions.map((x) => x.reason)).toEqual(['Applied']);
  });

  it('keeps a steady run of ticks as one audit item per change of reason, and every change', async () => {
    // Prepare: 4 TMs at 50% of their rate: nothing to do, tick after tick
    const { scaler, store, clock } = setup({ metrics: metricsAt(0.5, 500) });
    // Act
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      reasons.push((await scaler.handle(tick(clock))).reason);
      clock.advance(60);
    }
    // Assess: five decisions returned (and logged), the repeats not stored. 4 TMs at 50% of
    // 1,000 records/s each: 3 would carry the input at the target, but shed only a quarter of
    // the capacity (less than the minimum rescale step): no change.
    expect(reasons).toEqual(['NoChange', 'NoChange', 'NoChange', 'NoChange', 'NoChange']);
    expect(store.decisions.map((x) => x.reason)).toEqual([reasons[0]]);
    expect(store.scaler).toMatchObject({ version: 5, lastReason: reasons[0] });
  });

  it('a stale scheduled event changes nothing and reads nothing', async () => {
    const { scaler, ecs, store, metrics } = setup();
    const d = await scaler.handle({ kind: 'schedule', eventTime: new Date(T0 - 121_000) });
    expect(d.reason).toBe('StaleEvent');
    expect({ updates: ecs.updates, writes: store.writes, metricReads: metrics.calls }).toEqual({
      updates: [],
      writes: 0,
      metricReads: 0,
    });
  });

  it('a throttled ECS read ends the tick cleanly with desired unchanged', async () => {
    const { scaler, ecs, store, clock } = setup();
    ecs.throttleDescribe = true;
    const d = await scaler.handle(tick(clock));
    expect(d.reason).toBe('Throttled');
    expect({ updates: ecs.updates, writes: store.writes, desired: ecs.service.desiredCount }).toEqual({
      updates: [],
      writes: 0,
      desired: 4,
    });
  });

  it('re-applies a committed decision whose UpdateService failed, on the next tick', async () => {
    // Prepare
    const { scaler, ecs, store, clock } = setup();
    ecs.failUpdates = 1;
    // Act
    const first = await scaler.handle(tick(clock));
    clock.advance(60);
    const second = await scaler.handle(tick(clock));
    // Assess
    expect(first).toMatchObject({ reason: 'ApplyFailed', applied: false, desired: 6 });
    expect(second).toMatchObject({
      reason: 'Applied',
      applied: true,
      desired: 6,
      decisionId: first.decisionId,
    });
    expect(ecs.updates).toEqual([6]);
    expect(store.scaler.change).toMatchObject({ decisionId: first.decisionId, appliedAt: T0 + 60_000 });
  });

  it('20 concurrent invocations of one tick: one UpdateService, 19 LostRace', async () => {
    const { scaler, ecs, clock } = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => scaler.handle(tick(clock))));
    const reasons = results.map((r) => r.reason);
    expect(reasons.filter((r) => r === 'Applied')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'LostRace')).toHaveLength(19);
    expect(ecs.updates).toEqual([6]);
  });

  it('an alarm scales out at once but never in', async () => {
    const withAlarm = config({ metrics: { backlog: { preset: 'flink-pending-records' } }, alarms: ['lag'] });
    const busy = setup({ metrics: metricsAt(0.95, 950), cfg: withAlarm });
    const out = await busy.scaler.handle({
      kind: 'alarm',
      eventTime: busy.clock.now(),
      alarmName: 'lag',
      state: 'ALARM',
    });
    expect(out).toMatchObject({ reason: 'Applied', desired: 6, triggerDetail: 'lag:ALARM' });

    const idle = setup({ desired: 8, metrics: metricsAt(0.25, 250), cfg: withAlarm });
    const stay = await idle.scaler.handle({
      kind: 'alarm',
      eventTime: idle.clock.now(),
      alarmName: 'lag',
      state: 'OK',
    });
    expect(stay).toMatchObject({ reason: 'AlarmNoScaleIn', desired: 8 });
    expect(idle.ecs.updates).toEqual([]);
  });

  it('PartialData on the job’s heartbeat count → InsufficientData, no scale-in', async () => {
    const partial = metricsAt(0.25, 250, 0, (q) => (q.id === 'jh' ? 'PartialData' : 'Complete'));
    const { scaler, ecs, clock } = setup({ desired: 8, metrics: partial });
    // Several ticks so that stabilization and cooldowns would allow a scale-in on complete data.
    const reasons: string[] = [];
    for (let i = 0; i < 15; i++) {
      reasons.push((await scaler.handle(tick(clock))).reason);
      clock.advance(60);
    }
    expect(new Set(reasons)).toEqual(new Set(['InsufficientData']));
    expect(ecs.updates).toEqual([]);
  });

  it('scales an idle cluster in only after the stabilization window is covered', async () => {
    const { scaler, ecs, clock, cfg } = setup({ desired: 8, metrics: metricsAt(0.25, 250) });
    const reasons: string[] = [];
    for (let s = 0; s <= cfg.policy.scaleInStabilizationSeconds; s += 60) {
      reasons.push((await scaler.handle(tick(clock))).reason);
      clock.advance(60);
    }
    expect(reasons.slice(0, -2).every((r) => r === 'Stabilizing')).toBe(true);
    // 8 TMs at 25% busy: sized 3 (policy.test.ts, 'lightly loaded'); maxScaleInStep (16) does
    // not limit it: 8 → 3 in one step
    expect(ecs.updates).toEqual([3]);
  });
});

describe('Class: Scaler (manual commands)', () => {
  it('rescale sets the count within bounds, bypasses cooldowns and holds the autoscaler off', async () => {
    const { scaler, ecs, store, clock } = setup();
    await scaler.handle(tick(clock)); // 4 → 6, starts the cooldown
    const d = await scaler.handle({
      kind: 'manual',
      command: { action: 'rescale', desiredCount: 12, reason: 'sale', holdMinutes: 30, dryRun: false },
    });
    expect(d).toMatchObject({ trigger: 'manual', reason: 'Applied', desired: 12, applied: true });
    expect(store.scaler.hold).toMatchObject({ until: T0 + 30 * 60_000, reason: 'sale' });
    clock.advance(600);
    expect((await scaler.handle(tick(clock))).reason).toBe('Held');
    clock.advance(1200);
    expect((await scaler.handle(tick(clock))).reason).not.toBe('Held');
    expect(ecs.updates.slice(0, 2)).toEqual([6, 12]);
  });

  it('a manual dry run changes nothing', async () => {
    const { scaler, ecs, store } = setup();
    const d = await scaler.handle({
      kind: 'manual',
      command: { action: 'rescale', desiredCount: 12, reason: 'x', holdMinutes: 30, dryRun: true },
    });
    expect(d).toMatchObject({ reason: 'DryRun', dryRun: true, desired: 4 });
    expect({ updates: ecs.updates, writes: store.writes }).toEqual({ updates: [], writes: 0 });
  });

  it('pause stops automatic decisions until resume', async () => {
    // 4 TMs at 95% busy with 60 s of input in backlog (3,800 rec/s, 228,000 records): a
    // scale-out at once, which the pause holds and the resume lets through. (Without the
    // backlog, the paused tick's reading in the window would absorb the 95%: policy.test.ts.)
    const { scaler, ecs, clock } = setup({ metrics: metricsAt(0.95, 950, 228_000) });
    await scaler.handle({ kind: 'manual', command: { action: 'pause', minutes: 60, reason: 'maintenance' } });
    expect((await scaler.handle(tick(clock))).reason).toBe('Paused');
    expect(ecs.updates).toEqual([]);
    await scaler.handle({ kind: 'manual', command: { action: 'resume' } });
    clock.advance(60);
    const d = await scaler.handle(tick(clock));
    expect(d.reason).toBe('Applied');
    expect(d.desired).toBeGreaterThan(4);
    expect(ecs.updates).toEqual([d.desired]);
  });

  it('status returns the state and the decisions newest first', async () => {
    const { scaler, clock } = setup();
    await scaler.handle(tick(clock));
    clock.advance(60);
    await scaler.handle(tick(clock));
    const s = await scaler.handle({ kind: 'manual', command: { action: 'status', limit: 10 } });
    expect(s.reason).toBe('Status');
    expect(s.status?.decisions.map((d) => d.reason)).toEqual(['Settling', 'Applied']);
    expect(s.status?.state.desired).toBe(6);
  });
});

describe('Function: scaler handler', () => {
  function handlerFor(env: ReturnType<typeof setup>) {
    return createScalerHandler({
      config: env.cfg,
      scaler: env.scaler,
      obs: createObservability('test', env.cfg.appId),
    });
  }

  it('property: any invalid manual payload is rejected naming a field, with zero ECS and store writes', async () => {
    const env = setup();
    const handler = handlerFor(env);
    const bad = fc.oneof(
      fc.record({
        action: fc.constant('rescale'),
        desiredCount: fc.oneof(
          fc.integer({ max: 0 }),
          fc.integer({ min: 21 }),
          fc.double({ noInteger: true }),
          fc.string(),
        ),
        reason: fc.constant('x'),
      }),
      fc.record({
        action: fc.constant('rescale'),
        desiredCount: fc.integer({ min: 1, max: 20 }),
        reason: fc.constantFrom('', '   '),
      }),
      fc.record({
        action: fc.constant('rescale'),
        desiredCount: fc.integer({ min: 1, max: 20 }),
        reason: fc.constant('x'),
        holdMinutes: fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 1441 })),
      }),
      fc.record({
        action: fc.constant('pause'),
        minutes: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 10081 })),
        reason: fc.constant('x'),
      }),
      fc.record({ action: fc.string().filter((s) => !['rescale', 'pause', 'resume', 'status'].includes(s)) }),
      fc.record({ action: fc.constant('resume'), extra: fc.anything() }),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (payload) => {
        const error = await handler(payload).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as Error).message).toMatch(
          /(desiredCount|reason|holdMinutes|minutes|action|\(root\)): /,
        );
      }),
      { numRuns: 200 },
    );
    expect({ updates: env.ecs.updates, writes: env.store.writes, metricReads: env.metrics.calls }).toEqual({
      updates: [],
      writes: 0,
      metricReads: 0,
    });
  });

  it('property: missing or partial metrics never lower the desired count', async () => {
    const statuses: MetricSeries['status'][] = [
      'Complete',
      'PartialData',
      'InternalError',
      'Forbidden',
      'Missing',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 16 }),
        // Idle loads are where a scale-in would be tempting; any load is allowed too.
        fc.oneof(fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.array(fc.constantFrom(...statuses), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 11, max: 20 }),
        fc.constantFrom(...JOB_IDS),
        async (desired, busy, statusList, ticks, gap) => {
          // At least one job-level series is not Complete; the rest report a (possibly idle) load.
          const status = (q: MetricQuery): MetricSeries['status'] =>
            q.id === gap
              ? 'PartialData'
              : (statusList[JOB_IDS.indexOf(q.id) % statusList.length] ?? 'Complete');
          const env = setup({ desired, metrics: metricsAt(busy, busy * 250, 0, status) });
          for (let i = 0; i < ticks; i++) {
            await env.scaler.handle(tick(env.clock));
            env.clock.advance(60);
          }
          expect(env.ecs.updates.every((n) => n >= desired)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
