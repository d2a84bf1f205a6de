import { parseConfig } from 'flink-ecs-autoscaler/lib/core/config';
import { resolveMetrics } from 'flink-ecs-autoscaler/lib/core/metrics';
import { describe, expect, it } from 'vitest';
import { AAS_DEFAULTS, type AasParams, decideAas } from '../../src/baselines/aas-target-tracking';
import { aggregateMinutes, isPolicyName, POLICY_NAMES } from '../../src/baselines/controller';
import {
  decideFko,
  FKO_DEFAULTS,
  type FkoParams,
  type FkoState,
  fkoScale,
  fkoTargetCapacity,
} from '../../src/baselines/fko';
import { decideMsf, MSF_DEFAULTS, type MsfParams } from '../../src/baselines/msf-builtin';
import { staticPeakCount, staticPeakRule } from '../../src/baselines/static-peak';
import { type BaselineSetup, type JobMinute, trailingRun } from '../../src/baselines/types';
import { MIN, minutes, NOW, obs, repeat } from '../support/baseline-minutes';

describe('Function: trailingRun', () => {
  it.each([
    { name: 'all match', values: [0.8, 0.8, 0.8], expected: 3 },
    { name: 'the newest breaks it', values: [0.8, 0.8, 0.5], expected: 0 },
    { name: 'an older one breaks it', values: [0.8, 0.5, 0.8, 0.8], expected: 2 },
    { name: 'none', values: [], expected: 0 },
  ])('$name → $expected', ({ values, expected }) => {
    expect(trailingRun(minutes(values.map((v) => ({ avgBusy: v }))), (m) => m.avgBusy > 0.7)).toBe(expected);
  });

  it('a missing minute (a gap) ends the run', () => {
    const m = minutes(repeat(4, { avgBusy: 0.8 }));
    const gap = [m[0], m[1], m[3]] as JobMinute[]; // the minute before the newest is missing
    expect(trailingRun(gap, (x) => x.avgBusy > 0.7)).toBe(1);
  });
});

describe('Baseline: aas-target-tracking', () => {
  const p: AasParams = { ...AAS_DEFAULTS, minCapacity: 1, maxCapacity: 20 };

  it.each([
    {
      // 3 datapoints above 70%: ceil(4 × 0.8 / 0.7) = ceil(4.57) = 5
      name: 'scale-out after 3 consecutive datapoints above the target',
      busy: [0.6, 0.8, 0.8, 0.8],
      running: 4,
      desired: 4,
      expected: { desired: 5, reason: 'Applied' },
    },
    {
      name: 'not after 2',
      busy: [0.6, 0.6, 0.8, 0.8],
      running: 4,
      desired: 4,
      expected: { desired: 4, reason: 'NoChange' },
    },
    {
      name: 'exactly at the target is not above it',
      busy: [0.7, 0.7, 0.7],
      running: 4,
      desired: 4,
      expected: { desired: 4, reason: 'NoChange' },
    },
    {
      // ceil(4 × 1.0 / 0.7) = ceil(5.71) = 6: proportional to the metric, capped by its 100% ceiling
      name: 'a saturated service grows by 1/0.7 at most per step',
      busy: [1, 1, 1],
      running: 4,
      desired: 4,
      expected: { desired: 6, reason: 'Applied' },
    },
    {
      // 15 datapoints below 0.9 × 0.7 = 0.63: ceil(10 × 0.3 / 0.7) = ceil(4.29) = 5
      name: 'scale-in after 15 consecutive datapoints below 90% of the target',
      busy: repeat(15, 0.3),
      running: 10,
      desired: 10,
      expected: { desired: 5, reason: 'Applied' },
    },
    {
      name: 'not after 14',
      busy: [0.65, ...repeat(14, 0.3)],
      running: 10,
      desired: 10,
      expected: { desired: 10, reason: 'NoChange' },
    },
    {
      name: 'between 63% and 70% nothing happens',
      busy: repeat(20, 0.65),
      running: 10,
      desired: 10,
      expected: { desired: 10, reason: 'NoChange' },
    },
    {
      name: 'at the minimum capacity',
      busy: repeat(15, 0.1),
      running: 1,
      desired: 1,
      expected: { desired: 1, reason: 'AtMin' },
    },
  ])('$name', ({ busy, running, desired, expected }) => {
    const d = decideAas({}, obs(minutes(busy.map((b) => ({ avgBusy: b }))), { running, desired }), p);
    expect({ desired: d.desired, reason: d.reason }).toEqual(expected);
  });

  it.each([
    { name: 'no datapoint', m: [] as JobMinute[] },
    { name: 'the newest datapoint is 4 minutes old', m: minutes(repeat(5, { avgBusy: 0.9 }), NOW - 4 * MIN) },
  ])('never scales on missing data ($name)', ({ m }) => {
    expect(decideAas({}, obs(m), p)).toMatchObject({ desired: 4, reason: 'InsufficientData' });
  });

  it.each([
    {
      name: '300 s after a scale-out: scales out',
      state: { lastScaleOutAt: NOW - 300_000 },
      reason: 'Applied',
    },
    {
      // During the cooldown after 3 → 4, the metric still reflects 3 TaskManagers:
      // ceil(3 × 0.9 / 0.7) = 4 is not larger than the current 4.
      name: '240 s after a scale-out from 3: a scale-out no larger is held',
      state: { lastScaleOutAt: NOW - 240_000, capacityBeforeScaleOut: 3 },
      reason: 'NoChange',
    },
    {
      name: 'a recent scale-in does not hold a scale-out',
      state: { lastScaleInAt: NOW - 60_000 },
      reason: 'Applied',
    },
  ])('scale-out cooldown: $name', ({ state, reason }) => {
    const d = decideAas(state, obs(minutes(repeat(3, { avgBusy: 0.9 }))), p);
    expect(d.reason).toBe(reason);
    if (reason === 'Applied') expect(d.state.lastScaleOutAt).toBe(NOW);
  });

  it('during the scale-out cooldown a larger scale-out still happens (AWS: "unless a larger scale out is triggered")', () => {
    // 4 → 6 a minute ago (the metric still reflects 4): busy 1.0 on 4: ceil(4 × 1.0 / 0.7) = 6,
    // not larger than 6: held ...
    const base = { lastScaleOutAt: NOW - 60_000, capacityBeforeScaleOut: 4 };
    const held = decideAas(base, obs(minutes(repeat(3, { avgBusy: 1 })), { running: 4, desired: 6 }), p);
    // ... a larger one: the metric measured on 8 (cooldown started by 8 → 10): ceil(8 × 1 / 0.7) = 12 > 10.
    const larger = decideAas(
      { lastScaleOutAt: NOW - 60_000, capacityBeforeScaleOut: 8 },
      obs(minutes(repeat(3, { avgBusy: 1 })), { running: 8, desired: 10 }),
      p,
    );
    expect({ held: held.desired, larger: larger.desired, reason: larger.reason }).toEqual({
      held: 6,
      larger: 12,
      reason: 'Applied',
    });
    // The cooldown keeps counting from the initiating scale-out's capacity.
    expect(larger.state.capacityBeforeScaleOut).toBe(8);
  });

  it('after a step down it scales in only once 15 consecutive low minutes are visible, not 3', () => {
    // 10 TaskManagers at 0.9 busy, then the load drops to 0.2 busy: minute by minute.
    const history = [...repeat(10, 0.9), ...repeat(15, 0.2)];
    const firstScaleIn = history.findIndex((_, i) => {
      const seen = history.slice(0, i + 1).map((b) => ({ avgBusy: b }));
      return (
        decideAas({}, obs(minutes(seen), { running: 10, desired: 10 }), p).reason === 'Applied' && i >= 10
      );
    });
    // Index 24 is the 15th low minute; ceil(10 × 0.2 / 0.7) = 3.
    expect(firstScaleIn).toBe(24);
    const all = history.map((b) => ({ avgBusy: b }));
    expect(decideAas({}, obs(minutes(all), { running: 10, desired: 10 }), p).desired).toBe(3);
  });

  it.each([
    // tuned: backlog per task target 60 s × 1000 records/s = 60,000; 3 minutes of 4 × 90,000
    // = 360,000 backlog (90,000 per task): ceil(360000 / 60000) = 6, though CPU is at 0.5.
    { name: 'the backlog policy scales out', backlog: 360_000, busy: 0.5, expected: 6 },
    { name: 'under its target it does nothing', backlog: 200_000, busy: 0.5, expected: 4 },
    // CPU 0.9: ceil(4 × 0.9 / 0.7) = 6; backlog 600,000: 10. Any policy scales out: the larger.
    { name: 'both: the larger', backlog: 600_000, busy: 0.9, expected: 10 },
  ])('tuned (backlog per task): $name', ({ backlog, busy, expected }) => {
    const tuned: AasParams = { ...p, backlogPolicy: { targetBacklogPerTask: 60_000, disableScaleIn: true } };
    const d = decideAas({}, obs(minutes(repeat(3, { avgBusy: busy, backlog }))), tuned);
    expect(d.desired).toBe(expected);
  });

  it.each([
    { name: '200 s after a scale-in: cooldown', state: { lastScaleInAt: NOW - 200_000 }, reason: 'Cooldown' },
    {
      name: 'a scale-out after that scale-in ended its cooldown',
      state: { lastScaleInAt: NOW - 200_000, lastScaleOutAt: NOW - 100_000 },
      reason: 'Applied',
    },
    { name: '300 s after a scale-in: scales in', state: { lastScaleInAt: NOW - 300_000 }, reason: 'Applied' },
  ])('scale-in cooldown: $name', ({ state, reason }) => {
    const d = decideAas(state, obs(minutes(repeat(15, { avgBusy: 0.3 })), { running: 10, desired: 10 }), p);
    expect(d.reason).toBe(reason);
  });
});

describe('Baseline: msf-builtin', () => {
  const p: MsfParams = { ...MSF_DEFAULTS, minCount: 2, maxCount: 16 };
  const decide = (max: number[], desired: number, state = {}) =>
    decideMsf(state, obs(minutes(max.map((b) => ({ maxBusy: b }))), { desired }), p);

  it.each([
    {
      name: 'doubles after exactly 15 minutes at or above 75%',
      max: repeat(15, 0.8),
      desired: 4,
      expected: 8,
    },
    { name: 'not after 14', max: [0.7, ...repeat(14, 0.8)], desired: 4, expected: 4 },
    { name: '75% itself counts', max: repeat(15, 0.75), desired: 4, expected: 8 },
    { name: 'capped at the maximum', max: repeat(15, 0.9), desired: 12, expected: 16 },
    { name: 'at the maximum', max: repeat(15, 0.9), desired: 16, expected: 16 },
    { name: 'halves (rounding up) after 6 hours below 10%', max: repeat(360, 0.05), desired: 5, expected: 3 },
    { name: 'not after 5 h 59 min', max: [0.2, ...repeat(359, 0.05)], desired: 5, expected: 5 },
    { name: 'never below the initial count (2)', max: repeat(360, 0.05), desired: 3, expected: 2 },
    { name: 'at the initial count', max: repeat(360, 0.05), desired: 2, expected: 2 },
  ])('$name: $desired → $expected', ({ max, desired, expected }) => {
    expect(decide(max, desired).desired).toBe(expected);
  });

  it('a scaling action starts a new run of datapoints', () => {
    // Prepare: 15 busy minutes, but the last action was at the start of the 6th of them.
    const m = minutes(repeat(15, { maxBusy: 0.9 }));
    const lastScaledAt = (m[5] as JobMinute).at;
    // Act
    const before = decideMsf({ lastScaledAt }, obs(m, { desired: 8 }), p);
    const after = decideMsf({ lastScaledAt: (m[0] as JobMinute).at }, obs(m, { desired: 8 }), p);
    // Assess: 10 minutes since the action are not 15; all 15 are.
    expect({ before: before.desired, after: after.desired, next: after.state.lastScaledAt }).toEqual({
      before: 8,
      after: 16,
      next: NOW,
    });
  });
});

describe('Baseline: fko', () => {
  const base: FkoParams = {
    ...FKO_DEFAULTS,
    partitions: 32,
    slotsPerTaskManager: 2,
    minTaskManagers: 1,
    maxTaskManagers: 16,
  };

  it.each([
    { name: 'up to the next divisor of 64', current: 8, P: 64, factor: 1.5, expected: 16 }, // ceil(12) → 16
    { name: 'down to the next divisor above', current: 16, P: 64, factor: 0.4, expected: 8 }, // ceil(6.4) = 7 → 8
    { name: 'no divisor below the current: blocked', current: 12, P: 48, factor: 0.7, expected: 12 }, // 9 → 12
    { name: 'beyond the partitions: the partitions', current: 8, P: 32, factor: 5, expected: 32 }, // 40 → 32
    { name: 'a factor of 1: no change', current: 8, P: 32, factor: 1, expected: 8 },
    { name: 'a small factor still rounds up to a divisor', current: 8, P: 32, factor: 1.05, expected: 16 }, // 9 → 16
  ])('fkoScale: $name', ({ current, P, factor, expected }) => {
    expect(fkoScale(current, P, factor, 1, 48)).toBe(expected);
  });

  it('target capacity: lag and restart catch-up plus the input at the utilization', () => {
    const m = { trueProcessingRate: 2000, inputRate: 1000, lag: 180_000 };
    // 180000/1800 + 1000×300/1800 + 1000/0.7 = 100 + 166.7 + 1428.6 = 1695.2
    expect(fkoTargetCapacity(m, 0.7, true, base)).toBe(1695);
    // scale-up threshold: utilization 1.0, no restart: 100 + 1000
    expect(fkoTargetCapacity(m, 1.0, false, base)).toBe(1100);
    // scale-down threshold: utilization 0.4: 100 + 2500
    expect(fkoTargetCapacity(m, 0.4, false, base)).toBe(2600);
  });

  /** 15 minutes of a job processing `rate` at `busy` (MAX), the backlog growing linearly by `lagPerMinute`. */
  const window = (rate: number, busy: number, lagPerMinute = 0, n = 15) =>
    minutes(
      Array.from({ length: n }, (_, i) => ({
        processedRate: rate,
        maxBusy: busy,
        backlog: i * lagPerMinute,
      })),
    );

  it.each([
    {
      name: 'within the stabilization interval after a restart',
      o: obs(window(2000, 1), { lastRestartMs: NOW - 200_000 }),
      expected: { desired: 4, reason: 'Stabilizing' },
    },
    {
      name: 'the metrics window is not full yet',
      o: obs(window(2000, 1), { lastRestartMs: NOW - 15 * MIN }),
      expected: { desired: 4, reason: 'CollectingMetrics' },
    },
    {
      // 2 TMs (4 slots) process 2000 at 100% busy: TPR 2000; lag 0 → 420,000 over 14 minutes
      // (+500/s): input 2500. Target 420000/1800 + 2500×300/1800 + 2500/0.7 = 233.3 + 416.7 +
      // 3571.4 = 4221; up threshold 233.3 + 2500 = 2733 > TPR: scale up. Factor 4221/2000:
      // ceil(4 × 2.11) = 9 → next divisor of 32: 16 slots → 8 TMs.
      name: 'scale-up from a full window, aligned to the partitions',
      o: obs(window(2000, 1, 30_000), { running: 2, desired: 2 }),
      expected: { desired: 8, reason: 'Applied' },
    },
    {
      // 4 TMs: TPR 3600/0.9 = 4000, input 3600, no lag: target 600 + 5143 = 5743 → factor 1.44
      // → ceil(11.5) = 12 → 16 slots = 8 TMs; but TPR 4000 is inside [3600, 9000]: no rescale.
      name: 'a recommendation inside the utilization boundary is not applied',
      o: obs(window(3600, 0.9), { running: 4, desired: 4 }),
      expected: { desired: 4, reason: 'WithinTolerance' },
    },
  ])('$name', ({ o, expected }) => {
    const d = decideFko({}, o, base);
    expect({ desired: d.desired, reason: d.reason }).toEqual(expected);
  });

  describe('scale-down: delayed 1 h, then the highest recommendation of the hour', () => {
    // 8 TMs (16 slots) process 1000 at 12.5% busy: TPR 8000, input 1000, down threshold 2500:
    // outside. Target 166.7 + 1428.6 = 1595 → factor 0.2 → capped at 0.4: ceil(6.4) = 7 → 8 slots.
    const idle = obs(window(1000, 0.125), { running: 8, desired: 8 });

    it('the first trigger only starts the delay', () => {
      const d = decideFko({}, idle, base);
      expect(d).toMatchObject({ desired: 8, reason: 'ScaleDownDelayed' });
      expect(d.state.delayed).toEqual({
        firstTriggerAt: NOW,
        recommendations: [{ at: NOW, parallelism: 8 }],
      });
    });

    it.each([
      {
        name: '59 min 59 s after the first trigger: still delayed',
        firstTriggerAt: NOW - 3_599_000,
        expected: { desired: 8, reason: 'ScaleDownDelayed' },
      },
      {
        // recommendations 8, 12 and now 8 slots within the hour: the highest, 12 slots = 6 TMs
        name: 'an hour after: the highest recommendation within the hour',
        firstTriggerAt: NOW - 3_600_000,
        expected: { desired: 6, reason: 'Applied' },
      },
    ])('$name', ({ firstTriggerAt, expected }) => {
      const state: FkoState = {
        delayed: {
          firstTriggerAt,
          recommendations: [
            { at: NOW - 3_700_000, parallelism: 14 }, // older than the hour: forgotten
            { at: firstTriggerAt, parallelism: 8 },
            { at: NOW - 1_800_000, parallelism: 12 },
          ],
        },
      };
      const d = decideFko(state, idle, base);
      expect({ desired: d.desired, reason: d.reason }).toEqual(expected);
    });

    it('a scale-up recommendation cancels the pending scale-down', () => {
      const state: FkoState = {
        delayed: { firstTriggerAt: NOW - 600_000, recommendations: [{ at: NOW - 600_000, parallelism: 8 }] },
      };
      const d = decideFko(state, obs(window(2000, 1, 30_000), { running: 2, desired: 2 }), base);
      expect(d).toMatchObject({ desired: 8, reason: 'Applied', state: { lastRescaleAt: NOW } });
      expect(d.state.delayed).toBeUndefined();
    });
  });
});

describe('Baseline: static-peak', () => {
  const setup: BaselineSetup = {
    minTaskManagers: 1,
    maxTaskManagers: 24,
    initialTaskManagers: 2,
    partitions: 32,
    slotsPerTaskManager: 2,
    recordsPerSecondPerSlot: 500,
    peakInputRate: 6000,
    sloLagSeconds: 60,
    restartSeconds: 30,
    startupSeconds: 60,
  };

  it.each([
    { peak: 6000, max: 24, expected: 16 }, // 6000/0.7 = 8571 > 8 TMs' 8000 → 16 (16000)
    { peak: 5000, max: 24, expected: 8 }, // 7143 ≤ 8000
    { peak: 3000, max: 24, expected: 6 }, // 4286 > 4 TMs' 4000 → 6 (5333)
    { peak: 500, max: 24, expected: 1 }, // 714 ≤ 1000
    { peak: 6000, max: 12, expected: 12 }, // clamped to the service maximum
  ])('peak $peak, max $max → $expected', ({ peak, max, expected }) => {
    expect(staticPeakCount({ ...setup, peakInputRate: peak, maxTaskManagers: max })).toBe(expected);
  });

  it('sets its count once and then never changes', () => {
    const rule = staticPeakRule(setup);
    expect(rule.decide({}, obs([], { desired: 2 }))).toMatchObject({ desired: 16, reason: 'Applied' });
    expect(rule.decide({}, obs([], { desired: 16 }))).toMatchObject({ desired: 16, reason: 'NoChange' });
  });
});

describe('Function: aggregateMinutes (the shared glue)', () => {
  const resolved = resolveMetrics(
    parseConfig({
      appId: 'a',
      ecs: { cluster: 'c', service: 's' },
      partitions: 8,
      metrics: { backlog: { preset: 'flink-pending-records' } },
    }),
  );
  const task = (id: string) => ({
    taskArn: `arn:aws:ecs:eu-west-1:1:task/c/${id}`,
    taskId: id,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    startedAt: new Date(NOW - 3600_000),
  });

  it('reads the job-level series as the scaler does: the bottleneck, the mean busy, the throughput, the backlog', () => {
    const t0 = NOW - 3 * MIN;
    const t1 = NOW - 2 * MIN;
    const s = (id: string, values: number[]) => ({
      id,
      timestamps: [t0, t1],
      values,
      status: 'Complete' as const,
    });
    // Two TaskManagers scraped twice a minute (k = 2).
    const series = [
      s('jb', [500, 900]),
      s('ja', [300, 600]),
      s('jt', [1600, 2000]),
      s('jh', [4, 4]),
      s('bs', [2000, 2468]),
      s('bc', [8, 8]),
    ];
    expect(aggregateMinutes(resolved, series, [task('a'), task('b')], NOW)).toEqual([
      { at: t0, avgBusy: 0.3, maxBusy: 0.5, processedRate: 800, reporting: 2, backlog: 1000 },
      { at: t1, avgBusy: 0.6, maxBusy: 0.9, processedRate: 1000, reporting: 2, backlog: 1234 },
    ]);
  });

  it('leaves out a minute not every TaskManager’s scrapes of which are visible', () => {
    const t1 = NOW - 2 * MIN;
    const s = (id: string, v: number) => ({ id, timestamps: [t1], values: [v], status: 'Complete' as const });
    const series = [s('jb', 900), s('ja', 600), s('jt', 1000), s('jh', 3), s('bs', 1200), s('bc', 6)];
    expect(aggregateMinutes(resolved, series, [task('a'), task('b')], NOW)).toEqual([]);
  });
});

describe('Constant: POLICY_NAMES', () => {
  it('lists the scaler policies first, then every baseline', () => {
    expect(POLICY_NAMES).toEqual([
      'rate',
      'threshold',
      'aas-target-tracking',
      'aas-target-tracking-tuned',
      'msf-builtin',
      'msf-sample-stepscaling',
      'msf-sample-stepscaling-tuned',
      'fko',
      'fko-tuned',
      'ds2',
      'ds2-tuned',
      'lag-target',
      'lag-target-tuned',
      'static-peak',
    ]);
  });

  it.each([
    { name: 'fko', expected: true },
    { name: 'threshold', expected: true },
    { name: 'all', expected: false },
    { name: 'magic', expected: false },
  ])('isPolicyName($name) → $expected', ({ name, expected }) => {
    expect(isPolicyName(name)).toBe(expected);
  });
});
