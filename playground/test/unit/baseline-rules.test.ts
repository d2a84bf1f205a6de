/**
 * Hand-computed cases for the baselines added for issue 16 (one table per rule) and the
 * settings a scenario's `baselines` block may override.
 */
import { describe, expect, it } from 'vitest';
import { type Ds2Params, decideDs2, ds2OptimalInstances } from '../../src/baselines/ds2';
import {
  decideLagTarget,
  LAG_TARGET_DEFAULTS,
  type LagTargetParams,
  lagRecommendation,
  scaleUpLimit,
} from '../../src/baselines/lag-target';
import { msfScalingOutageSeconds } from '../../src/baselines/msf-builtin';
import { alarmFires, decideMsfSample, msfSampleParams } from '../../src/baselines/msf-sample-stepscaling';
import { baselineParams } from '../../src/baselines/registry';
import type { BaselineSetup, JobMinute } from '../../src/baselines/types';
import { parseScenario, ScenarioError } from '../../src/scenario';
import { minutes, NOW, obs, repeat } from '../support/baseline-minutes';

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

describe('Baseline: ds2', () => {
  it.each([
    // per instance 2000 / 1.0 / 8 = 250 records/s; 3000 / 250 = 12
    { target: 3000, processed: 2000, busy: 1, instances: 8, f: 0, expected: 12 },
    // per instance 2000 / 0.5 / 8 = 500; 2000 / 500 = 4
    { target: 2000, processed: 2000, busy: 0.5, instances: 8, f: 0, expected: 4 },
    // the tuned over-provisioning: 4 × 1.2 = 4.8 → 5
    { target: 2000, processed: 2000, busy: 0.5, instances: 8, f: 0.2, expected: 5 },
    { target: 2000, processed: 2000, busy: 0, instances: 8, f: 0, expected: undefined },
  ])(
    'optimal instances: target $target, processed $processed at busy $busy on $instances, f $f → $expected',
    (c) => {
      expect(ds2OptimalInstances(c.target, c.processed, c.busy, c.instances, c.f)).toBe(c.expected);
    },
  );

  const p: Ds2Params = {
    policyIntervalSeconds: 60,
    warmUpIntervals: 2,
    activationTime: 1,
    scalingFactor: 0,
    slotsPerTaskManager: 2,
    minTaskManagers: 1,
    maxTaskManagers: 16,
  };
  it.each([
    {
      // 4 TMs = 8 slots process 2000 at 100% busy while the backlog grows 60,000 a minute
      // (+1000/s): target 3000 → 12 instances → 6 TaskManagers.
      name: 'sizes for the processed rate plus the backlog growth',
      o: obs(
        minutes([
          { maxBusy: 1, processedRate: 2000, backlog: 0 },
          { maxBusy: 1, processedRate: 2000, backlog: 60_000 },
        ]),
      ),
      expected: { desired: 6, reason: 'Applied' },
    },
    {
      // 8 slots at 25% busy process 1000: per instance 500; 1000 / 500 = 2 instances → 1 TM.
      name: 'and down, with no band',
      o: obs(minutes([{ maxBusy: 0.25, processedRate: 1000 }])),
      expected: { desired: 1, reason: 'Applied' },
    },
    {
      // restart 150 s ago: minutes from before restart + 2 × 60 s are ignored; the newest started 120 s ago.
      name: 'warm-up: two intervals after a restart are ignored',
      o: obs(minutes([{ maxBusy: 1, processedRate: 2000 }]), { lastRestartMs: NOW - 150_000 }),
      expected: { desired: 4, reason: 'Stabilizing' },
    },
  ])('$name', ({ o, expected }) => {
    const d = decideDs2({}, o, p);
    expect({ desired: d.desired, reason: d.reason }).toEqual(expected);
  });
});

describe('Baseline: lag-target (KEDA + HPA)', () => {
  const p: LagTargetParams = {
    ...LAG_TARGET_DEFAULTS,
    lagThreshold: 60_000,
    maxReplicasByPartitions: 16,
    minReplicas: 1,
    maxReplicas: 16,
  };
  it.each([
    // 300,000 / (4 × 60,000) = 1.25, outside the tolerance: ceil(300000 / 60000) = 5
    { lag: 300_000, current: 4, expected: 5 },
    // 250,000 / 240,000 = 1.042: within 0.1 of 1, no change
    { lag: 250_000, current: 4, expected: 4 },
    // KEDA's cap: at most 16 replicas' worth of lag
    { lag: 10_000_000, current: 4, expected: 16 },
    // 0 lag: ceil(0) = 0 (the bounds and the stabilization window keep it up)
    { lag: 0, current: 4, expected: 0 },
  ])('raw recommendation: lag $lag on $current → $expected', ({ lag, current, expected }) => {
    expect(lagRecommendation(lag, current, p)).toBe(expected);
  });

  it('scale-up limit over a 60 s tick: four 15 s periods of max(+100 %, +4)', () => {
    // 1 → max(2, 5) = 5 → max(10, 9) = 10 → max(20, 14) = 20 → max(40, 24) = 40
    expect(scaleUpLimit(1, p)).toBe(40);
  });

  it.each([
    {
      name: 'scale-down waits for the highest recommendation of the last 300 s',
      prior: [{ at: NOW - 200_000, replicas: 4 }],
      expected: 4,
    },
    {
      name: 'one older than 300 s no longer counts',
      prior: [{ at: NOW - 301_000, replicas: 4 }],
      expected: 1,
    },
  ])('$name', ({ prior, expected }) => {
    const d = decideLagTarget({ recommendations: prior }, obs(minutes([{ backlog: 0 }])), p);
    expect(d.desired).toBe(expected);
  });

  it('without a lag datapoint it never scales', () => {
    expect(decideLagTarget({ recommendations: [] }, obs(minutes([{}])), p)).toMatchObject({
      desired: 4,
      reason: 'InsufficientData',
    });
  });
});

describe('Baseline: msf-sample-stepscaling', () => {
  const outage = msfScalingOutageSeconds(setup);
  const cpu = msfSampleParams(setup, 'default', outage);
  const lag = msfSampleParams(setup, 'tuned', outage);

  it('a Managed Flink scaling keeps the job down for the snapshot plus a new instance: 11 + 60 s', () => {
    expect(outage).toBe(71);
  });

  it.each([
    { name: '5 of 5 minutes above 80 %: ×2', busy: repeat(5, 0.9), desired: 4, expected: 8 },
    { name: '4 of 5: nothing', busy: [0.5, ...repeat(4, 0.9)], desired: 4, expected: 4 },
    { name: 'MaxKPU 10 by default', busy: repeat(5, 0.9), desired: 8, expected: 10 },
    { name: '5 of 5 at or below 20 %: ÷2, floor', busy: repeat(5, 0.2), desired: 5, expected: 2 },
    { name: 'MinKPU 1', busy: repeat(5, 0.1), desired: 1, expected: 1 },
  ])('default (CPU): $name', ({ busy, desired, expected }) => {
    const d = decideMsfSample({}, obs(minutes(busy.map((b) => ({ maxBusy: b }))), { desired }), cpu);
    expect(d.desired).toBe(expected);
  });

  it('after a scaling it waits UPDATING (the outage) plus the 300 s cooling-down period', () => {
    const d = decideMsfSample({}, obs(minutes(repeat(5, { maxBusy: 0.9 }))), cpu);
    expect(d.state.busyUntil).toBe(NOW + (71 + 300) * 1000);
    const again = decideMsfSample(
      d.state,
      { ...obs(minutes(repeat(5, { maxBusy: 0.9 }))), nowMs: NOW + 370_000 },
      cpu,
    );
    expect(again.reason).toBe('Cooldown');
  });

  it.each([
    // lag = backlog / processed: 40,000 / 1,000 = 40 s > 30 s on 2 of 2 minutes: ×2
    { name: 'lag above half the SLO on 2 of 2: ×2', backlog: [40_000, 40_000], expected: 8 },
    { name: 'on 1 of 2: nothing', backlog: [10_000, 40_000], expected: 4 },
    // ≤ 1 s: 500 / 1000 = 0.5 s: ÷2
    { name: 'caught up (≤ 1 s) on 2 of 2: ÷2', backlog: [500, 0], expected: 2 },
  ])('tuned (lag): $name', ({ backlog, expected }) => {
    const d = decideMsfSample({}, obs(minutes(backlog.map((b) => ({ backlog: b })))), lag);
    expect(d.desired).toBe(expected);
  });

  it('an alarm needs all N datapoints, consecutive', () => {
    const m = minutes(repeat(3, { maxBusy: 0.9 }));
    expect(alarmFires(m, (x) => x.maxBusy > 0.8, 3, 3)).toBe(true);
    expect(alarmFires([m[0], m[2]] as JobMinute[], (x) => x.maxBusy > 0.8, 2, 2)).toBe(false);
    expect(alarmFires(m.slice(0, 2), (x) => x.maxBusy > 0.8, 3, 2)).toBe(false);
  });
});

describe("Baseline settings: defaults, tuned, and a scenario's overrides", () => {
  it.each([
    // [A5]: 60 s SLO × 1000 records/s per TaskManager (2 slots × 500)
    { name: 'lag-target-tuned', key: 'lagThreshold', expected: 60_000 },
    { name: 'lag-target', key: 'lagThreshold', expected: 10 },
    { name: 'fko-tuned', key: 'metricsWindowSeconds', expected: 300 },
    { name: 'fko-tuned', key: 'restartSeconds', expected: 41 }, // 30 s restart + 11 s restore
    { name: 'fko', key: 'restartSeconds', expected: 300 },
    { name: 'ds2-tuned', key: 'scalingFactor', expected: 0.2 },
    { name: 'msf-sample-stepscaling-tuned', key: 'scaleOutThreshold', expected: 30 },
  ] as const)('$name: $key = $expected', ({ name, key, expected }) => {
    expect((baselineParams(name, setup) as unknown as Record<string, unknown>)[key]).toBe(expected);
  });

  it('a scenario override replaces one setting and keeps the others', () => {
    const p = baselineParams('fko-tuned', setup, { 'fko-tuned': { catchUpSeconds: 120 } }) as {
      catchUpSeconds: number;
      metricsWindowSeconds: number;
    };
    expect({ catchUp: p.catchUpSeconds, window: p.metricsWindowSeconds }).toEqual({
      catchUp: 120,
      window: 300,
    });
  });

  const scenario = (baselines: unknown) => ({
    name: 's',
    seed: 1,
    durationSeconds: 600,
    trace: { shape: 'constant', rate: 100 },
    cluster: { partitions: 4, recordsPerSecondPerSlot: 100, initialTaskManagers: 1, maxTaskManagers: 4 },
    baselines,
  });
  const problems = (raw: unknown): readonly string[] => {
    try {
      parseScenario(raw);
      return [];
    } catch (error) {
      if (error instanceof ScenarioError) return error.problems;
      throw error;
    }
  };
  it.each([
    {
      baselines: { 'fko-tuned': { catchUpSeconds: -1 } },
      expected: ['baselines.fko-tuned.catchUpSeconds: must be > 0'],
    },
    { baselines: { nope: {} }, expected: ['baselines.nope: is not a known field'] },
    { baselines: { ds2: { speed: 1 } }, expected: ['baselines.ds2.speed: is not a known field'] },
    { baselines: { ds2: { scalingFactor: 0.5 } }, expected: [] },
  ])('the baselines block $baselines → $expected', ({ baselines, expected }) => {
    expect(problems(scenario(baselines))).toEqual(expected);
  });
});
