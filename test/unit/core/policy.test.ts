import { describe, expect, it } from 'vitest';
import { deadTimeSeconds } from '../../../lib/core/absorb';
import { jobCapacity, smallestCountFor } from '../../../lib/core/capacity';
import {
  backlogFloorScaleOut,
  estimatePerSlotRate,
  isRising,
  jobSamples,
  minimumStep,
  ratePolicy,
  requiredRate,
  seedThreshold,
  thresholdPolicy,
} from '../../../lib/core/policy';
import { config, snapshot, T0 } from '../../support/fixtures';

// All cases: 32 partitions, 2 slots per TaskManager, a true per-slot rate of 500 records/s,
// target utilization 0.8 ± 0.1, catch-up 300 s, restart 30 s + half a 60 s checkpoint interval,
// minimum rescale step 0.4. Capacity by count (jobCapacity): 1 → 1000, 2 → 2000, 3 → 2667,
// 4 and 5 → 4000, 6 and 7 → 5333, 8 to 15 → 8000, 16 → 16000.

describe('Function: jobCapacity', () => {
  it.each([
    { n: 1, expected: 1000 }, //  2 slots: ceil(32/2)=16 partitions on the busiest slot → 500*32/16
    { n: 4, expected: 4000 }, //  8 slots: 4 per slot
    { n: 5, expected: 4000 }, // 10 slots: still 4 on the busiest slot (skew): the 5th TM adds nothing
    { n: 6, expected: 16000 / 3 }, // 12 slots: 3
    { n: 16, expected: 16000 }, // 32 slots: 1 each
    { n: 20, expected: 16000 }, // more slots than partitions: idle slots
    { n: 0, expected: 0 },
  ])('N=$n → $expected records/s', ({ n, expected }) => {
    expect(jobCapacity(n, 500, 32, 2)).toBeCloseTo(expected, 6);
  });

  it('smallestCountFor skips counts that add no capacity', () => {
    expect(smallestCountFor(4001, 500, 32, 2, 20)).toBe(6);
    expect(smallestCountFor(99_999, 500, 32, 2, 20)).toBe(20);
  });
});

describe('Function: seedThreshold (the seed rule, literally)', () => {
  it.each([
    { loads: [0.5, 0.5, 0.9], factor: 1.2, average: 0.6333, threshold: 0.76, hot: ['c'] },
    { loads: [0.95, 0.95, 0.95], factor: 1.2, average: 0.95, threshold: 1.14, hot: [] },
    { loads: [0.2, 0.4], factor: 1.0, average: 0.3, threshold: 0.3, hot: ['b'] },
    { loads: [], factor: 1.5, average: 0, threshold: 0, hot: [] },
  ])('loads $loads × $factor → hot $hot', ({ loads, factor, average, threshold, hot }) => {
    const ids = ['a', 'b', 'c'];
    const r = seedThreshold(
      loads.map((load, i) => ({ taskId: ids[i] as string, load })),
      factor,
    );
    expect(r.average).toBeCloseTo(average, 3);
    expect(r.threshold).toBeCloseTo(threshold, 3);
    expect(r.hot).toEqual(hot);
  });
});

describe('Policy: threshold', () => {
  const cfg = config({ policy: { mode: 'threshold', loadFactor: 1.2 } });
  it.each([
    { name: 'one TaskManager above the threshold adds one', loads: [0.5, 0.5, 0.9], desired: 4 },
    { name: 'evenly saturated: nobody is above average*factor', loads: [0.95, 0.95, 0.95], desired: 3 },
    { name: 'idle cluster never scales in', loads: [0.01, 0.01, 0.01], desired: 3 },
  ])('$name', ({ loads, desired }) => {
    const r = thresholdPolicy({
      config: cfg,
      current: 3,
      running: 3,
      metrics: snapshot(loads.map((load) => ({ load }))),
    });
    expect(r.desired).toBe(desired);
  });

  it('no data means no recommendation', () => {
    const r = thresholdPolicy({ config: cfg, current: 3, running: 3, metrics: snapshot([]) });
    expect(r).toMatchObject({ hasData: false, desired: 3 });
  });
});

describe('Policy: rate', () => {
  const cfg = config();

  it('estimates the per-slot rate from processed rate and the bottleneck busy fraction', () => {
    // 4 TMs × 750 rec/s = 3000 rec/s; the busiest slot has 4 partitions: 3000/32*4 = 375 rec/s = 75% of 500.
    const samples = jobSamples(
      snapshot(Array.from({ length: 4 }, () => ({ load: 0.75, rate: 750 }))).taskManagers,
    );
    expect(estimatePerSlotRate(samples, 32, 2)).toBeCloseTo(500, 6);
  });

  it.each([
    // 8 TMs at 500 records/s per slot: each TM processes 1000 × busy (2 partitions on the busiest slot).
    { name: 'at 20% busy: measured', busy: 0.2, estimate: 500 },
    { name: 'at 19% busy: too idle to measure', busy: 0.19, estimate: undefined },
    {
      name: 'at 5% busy (measured before MIN_BUSY_FOR_ESTIMATE went from 0.05 to 0.2)',
      busy: 0.05,
      estimate: undefined,
    },
  ])('the per-slot rate $name', ({ busy, estimate }) => {
    const tms = Array.from({ length: 8 }, () => ({ load: busy, rate: 1000 * busy }));
    const samples = jobSamples(snapshot(tms).taskManagers);
    const measured = estimatePerSlotRate(samples, 32, 2);
    if (estimate === undefined) expect(measured).toBeUndefined();
    else expect(measured).toBeCloseTo(estimate, 6);
    // Unmeasured, the rate measured before stands (and with none, the count stays).
    const remembered = ratePolicy({
      config: cfg,
      current: 8,
      running: 8,
      metrics: snapshot(tms),
      perSlotRate: 400,
    });
    expect(remembered.inputs.estimate).toBe(estimate === undefined ? 'remembered' : 'measured');
    const none = ratePolicy({ config: cfg, current: 8, running: 8, metrics: snapshot(tms) });
    if (estimate === undefined)
      expect({ estimate: none.inputs.estimate, desired: none.desired }).toEqual({
        estimate: 'none',
        desired: 8,
      });
  });

  it.each([
    {
      // input 3800 (4 × 950; per-slot estimate 3800*4/(32*0.95) = 500):
      // max(3800/0.8 = 4750, 3800 + restart 3800*60/300 = 4560) = 4750 → 6 TMs (5333; 5 adds nothing).
      // No backlog: the minimum step (≥ 1.4 × 4000 = 5600, 8 TMs) does not round it up.
      // Utilization 3800/4000 = 0.95 > 0.8 + 0.1: not tolerated.
      name: 'overload without a backlog: one step, skew-aligned, sized exactly',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 0.95, rate: 950 })),
      backlog: undefined,
      sized: 6,
      desired: 6,
      withinTolerance: false,
      backlogPresent: false,
    },
    {
      // input 3400 on 4 TMs: sized 6 (3400/0.8 = 4250 > 4000);
      // utilization 3400/4000 = 0.85 ≤ 0.8 + 0.1 → tolerated.
      name: 'slightly above target is within tolerance',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 0.85, rate: 850 })),
      backlog: undefined,
      sized: 6,
      desired: 6,
      withinTolerance: true,
      backlogPresent: false,
    },
    {
      // The same 3400 with a backlog of 150,000 records (44 s > 30 s): with the restart,
      // max(4250, 3400 + (150000 + 3400*60)/300 = 4580) → 6 TMs (5333). A backlog's catch-up
      // keeps the minimum step: ≥ 1.4 × 4000 = 5600 → 8 TMs (8000).
      name: 'a scale-out that catches up a backlog takes at least the minimum step',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 0.85, rate: 850 })),
      backlog: { latest: 150_000, unit: 'records' as const, slopePerSecond: 0 },
      sized: 6,
      desired: 8,
      withinTolerance: false,
      backlogPresent: true,
    },
    {
      // processed 4000 at 100% busy, backlog 600,000 growing 1000/s → input 5000;
      // no restart: max(5000/0.8 = 6250, 5000 + 600000/300 = 7000) → 8 TMs; with the restart
      // and the 1000/s shortfall of 4 TMs while the new ones start (120 - 30 s):
      // 5000 + (600000 + 5000*60 + 1000*90)/300 = 8300 > 8000 → 16 TMs (16000), in one step.
      name: 'backlog: catch-up, restart and startup shortfall sized in one step',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 1, rate: 1000 })),
      backlog: { latest: 600_000, unit: 'records' as const, slopePerSecond: 1000 },
      sized: 16,
      desired: 16,
      withinTolerance: false,
      backlogPresent: true,
    },
    {
      // 8 TMs process 2000 rec/s, busiest slot has 2 partitions: busy 125/500 = 0.25.
      // max(2000/0.8 = 2500, 2000 + restart 2000*60/300 = 2400) = 2500 → 3 TMs (2667);
      // it sheds 5333 of 8000 (≥ 40%).
      name: 'lightly loaded: scale in to the smallest count that still holds the target',
      current: 8,
      tms: Array.from({ length: 8 }, () => ({ load: 0.25, rate: 250 })),
      backlog: undefined,
      sized: 3,
      desired: 3,
      withinTolerance: false,
      backlogPresent: false,
    },
    {
      // 8 TMs process 4000 rec/s (busy 4000/32*2/500 = 0.5): max(4000/0.8 = 5000,
      // 4000 + restart 4000*60/300 = 4800) = 5000 → 6 TMs (5333). That sheds 2667 of 8000
      // (33%) and 2 of 8 TaskManagers (25%), both below 40%: not worth a restart, stay at 8.
      name: 'a scale-in smaller than the minimum step waits',
      current: 8,
      tms: Array.from({ length: 8 }, () => ({ load: 0.5, rate: 500 })),
      backlog: undefined,
      sized: 6,
      desired: 8,
      withinTolerance: false,
      backlogPresent: false,
    },
  ])('$name', ({ current, tms, backlog, sized, desired, withinTolerance, backlogPresent }) => {
    // Act
    const r = ratePolicy({
      config: cfg,
      current,
      running: current,
      metrics: snapshot(tms, backlog ? { backlog } : {}),
    });
    // Assess
    expect({
      sized: r.inputs.sizedCount,
      desired: r.desired,
      withinTolerance: r.withinTolerance,
      backlogPresent: r.backlogPresent,
    }).toEqual({
      sized,
      desired,
      withinTolerance,
      backlogPresent,
    });
    expect(r.perSlotRate).toBeCloseTo(500, 6);
  });

  it.each([
    // 4 TMs at 75% busy, 750 rec/s each (per-slot estimate 500). Rising: the newest minute
    // (3700) rules: 3700/0.8 = 4625 → 6; utilization 3700/4000 = 0.925 > 0.9.
    { name: 'a rising input: the newest minute wins', mean: 3000, latest: 3700, input: 3700, desired: 6 },
    // Falling: the window mean (3000) rules: 3000/0.8 = 3750 ≤ 4000 → stay at 4.
    { name: 'a falling input: the window mean wins', mean: 3000, latest: 2000, input: 3000, desired: 4 },
  ])('source input rate: $name', ({ mean, latest, input, desired }) => {
    // Prepare
    const metrics = {
      ...snapshot(Array.from({ length: 4 }, () => ({ load: 0.75, rate: 750 }))),
      inputRate: { mean, latest },
    };
    // Act
    const r = ratePolicy({ config: cfg, current: 4, running: 4, metrics });
    // Assess
    expect({ input: r.inputs.inputRate, source: r.inputs.inputSource, desired: r.desired }).toEqual({
      input,
      source: 'source',
      desired,
    });
  });

  it('names hot TaskManagers with the seed threshold in its inputs', () => {
    const r = ratePolicy({
      config: cfg,
      current: 3,
      running: 3,
      metrics: snapshot([
        { load: 0.3, rate: 300 },
        { load: 0.3, rate: 300 },
        { load: 0.9, rate: 300 },
      ]),
    });
    expect(r.hot).toEqual(['tm02']);
    expect(r.inputs.hot).toEqual(['tm02']);
  });

  it('uses the remembered per-slot rate while the job is restarting (nobody busy)', () => {
    // Restarting: nothing processed, backlog grows at the input rate (3000/s).
    const r = ratePolicy({
      config: cfg,
      current: 4,
      running: 4,
      perSlotRate: 500,
      metrics: snapshot(
        Array.from({ length: 4 }, () => ({ load: 0, rate: 0 })),
        {
          backlog: { latest: 0, unit: 'records', slopePerSecond: 3000 },
        },
      ),
    });
    expect(r.inputs.estimate).toBe('remembered');
    expect(r.inputs.inputRate).toBe(3000);
    expect(r.perSlotRate).toBeUndefined();
  });

  it('without any capacity estimate only a saturated bottleneck adds one', () => {
    const busy = ratePolicy({
      config: cfg,
      current: 3,
      running: 3,
      metrics: snapshot([{ load: 0.95 }, { load: 0.5 }]),
    });
    const calm = ratePolicy({
      config: cfg,
      current: 3,
      running: 3,
      metrics: snapshot([{ load: 0.5 }, { load: 0.5 }]),
    });
    expect(busy.desired).toBe(4);
    expect(calm.desired).toBe(3);
  });

  it('no samples → no data', () => {
    expect(ratePolicy({ config: cfg, current: 3, running: 3, metrics: snapshot([]) }).hasData).toBe(false);
  });
});

describe('Function: backlogFloorScaleOut (no complete period: a scale-out from the backlog floor and the last input)', () => {
  const cfg = config();
  // No complete period; the newest one's sources report a backlog of at least `floor`.
  const partial = (floor: number | undefined) => ({
    ...snapshot([]),
    complete: false,
    ...(floor !== undefined ? { backlogFloor: { at: T0 - 60_000, records: floor } } : {}),
  });
  it.each([
    {
      // restart: 3000 × (30 + 60/2) = 180,000 records; 4 TMs hold 4000 > 3000 (no shortfall);
      // required max(3000/0.8 = 3750, 3000 + (600,000 + 180,000)/300 = 5600) = 5600 → 8 TMs (8000),
      // the minimum step (≥ 1.4 × 4000 = 5600) → 8.
      name: 'a floor of 200 s of input on 4 TaskManagers → 8',
      floor: 600_000,
      lastInput: 3000,
      perSlot: 500,
      desired: 8,
    },
    {
      // required max(3750, 3000 + (30,000 + 180,000)/300 = 3700) = 3750 → 4 TMs: nothing to add.
      name: 'a floor the current count catches up on → no recommendation (no data)',
      floor: 30_000,
      lastInput: 3000,
      perSlot: 500,
      desired: undefined,
    },
    {
      // 6000 on 4 TMs (4000): shortfall 2000 × (120 - 30) = 180,000 more; restart 6000 × 60 = 360,000;
      // required max(7500, 6000 + (0 + 540,000)/300 = 7800) = 7800 → 8 TMs (8000).
      name: 'an empty floor still sizes for a last input above the capacity',
      floor: 0,
      lastInput: 6000,
      perSlot: 500,
      desired: 8,
    },
    {
      name: 'no last measured input → nothing',
      floor: 600_000,
      lastInput: undefined,
      perSlot: 500,
      desired: undefined,
    },
    {
      name: 'no per-slot rate → nothing',
      floor: 600_000,
      lastInput: 3000,
      perSlot: undefined,
      desired: undefined,
    },
    { name: 'no floor → nothing', floor: undefined, lastInput: 3000, perSlot: 500, desired: undefined },
    {
      // A spike during the restarts: the backlog was 0 at the period of the last input (T0 - 240 s)
      // and is at least 540,000 at T0 - 60 s, so the input was at least 540,000 / 180 = 3000 (not
      // 1000). Restart 3000 × 60 = 180,000; required max(3750, 3000 + 720,000 / 300 = 5400) → 8
      // TMs (6 and 7 give 5333). Sized on the 1000 measured before it: 1000 + 600,000 / 300 =
      // 3000 → 3, under the current 4, so nothing.
      name: 'the floor grew faster than the last input: sized for its growth → 8',
      floor: 540_000,
      lastInput: 1000,
      lastBacklog: { records: 0, at: T0 - 240_000 },
      perSlot: 500,
      desired: 8,
      source: 'backlog floor growth',
    },
    {
      // A floor under the backlog measured before (sources missing from it): no growth, the last
      // input stands (as in the first case).
      name: 'a floor below the backlog measured before: the last input stands → 8',
      floor: 600_000,
      lastInput: 3000,
      lastBacklog: { records: 900_000, at: T0 - 240_000 },
      perSlot: 500,
      desired: 8,
      source: 'last measured',
    },
  ])('$name', ({ floor, lastInput, perSlot, desired, ...rest }) => {
    const lastBacklog = 'lastBacklog' in rest ? rest.lastBacklog : undefined;
    const input = {
      config: cfg,
      current: 4,
      running: 4,
      metrics: partial(floor),
      ...(lastInput !== undefined ? { lastInputRate: lastInput } : {}),
      ...(lastBacklog ? { lastBacklog } : {}),
    };
    const out = backlogFloorScaleOut(input, perSlot);
    expect(out?.desired).toBe(desired);
    if ('source' in rest) expect(out?.inputs.inputSource).toBe(rest.source);
    if (desired !== undefined) {
      // The policy answers the same, as data a scale-out may use (never a scale-in: desired > current).
      const rec = ratePolicy({ ...input, ...(perSlot !== undefined ? { perSlotRate: perSlot } : {}) });
      expect(rec).toMatchObject({ desired, hasData: true, inputs: { estimate: 'backlog floor' } });
    } else {
      expect(
        ratePolicy({ ...input, ...(perSlot !== undefined ? { perSlotRate: perSlot } : {}) }).hasData,
      ).toBe(false);
    }
  });

  it('a complete period wins over the floor', () => {
    const metrics = {
      ...snapshot(Array.from({ length: 4 }, () => ({ load: 0.5, rate: 500 }))),
      backlogFloor: { at: T0, records: 10_000_000 },
    };
    const rec = ratePolicy({
      config: cfg,
      current: 4,
      running: 4,
      metrics,
      perSlotRate: 500,
      lastInputRate: 3000,
    });
    expect(rec.inputs.estimate).not.toBe('backlog floor');
  });
});

describe('Function: minimumStep', () => {
  // 32 partitions, 2 slots, 500 rec/s per slot (capacities in the header), step 0.4.
  const c = { perSlotRate: 500, partitions: 32, slots: 2, step: 0.4, maxCount: 16 };
  it.each([
    { desired: 6, current: 4, expected: 8, why: '5333 < 1.4 × 4000 = 5600 ≤ 8000' },
    { desired: 8, current: 4, expected: 8, why: '8000 ≥ 5600 already' },
    { desired: 3, current: 2, expected: 4, why: '2667 < 1.4 × 2000 = 2800 ≤ 4000' },
    { desired: 6, current: 4, maxCount: 7, expected: 6, why: 'no count up to 7 reaches 5600: as sized' },
    { desired: 6, current: 8, expected: 8, why: 'sheds 33% of capacity and 25% of TMs: wait' },
    { desired: 4, current: 8, expected: 4, why: 'sheds 50% of capacity' },
    { desired: 2, current: 3, expected: 3, why: 'sheds 25% of capacity and 33% of TMs: wait' },
    { desired: 1, current: 2, expected: 1, why: 'sheds 50%' },
    { desired: 8, current: 20, expected: 8, why: 'no capacity lost, but 60% of the TMs: idle slots go' },
    { desired: 3, current: 2, step: 0, expected: 3, why: 'step 0: as sized' },
    { desired: 4, current: 4, expected: 4, why: 'no change' },
  ])('$desired (from $current) → $expected: $why', ({ desired, current, expected, ...rest }) => {
    const { why: _why, ...overrides } = rest;
    expect(minimumStep(desired, current, { ...c, ...overrides })).toBe(expected);
  });
});

describe('Function: requiredRate', () => {
  const policy = config().policy; // target 0.8, catch-up 300 s, restart 30 s, checkpoint 60 s
  it.each([
    { input: 700, backlog: 0, restart: false, expected: 875 }, // headroom rules: 700/0.8
    { input: 700, backlog: 300_000, restart: false, expected: 1700 }, // catch-up rules: 700 + 1000
    { input: 700, backlog: 0, restart: true, expected: 875 }, // 700 + 700*60/300 = 840 < 875
    { input: 3000, backlog: 150_000, restart: true, expected: 4100 }, // 3000 + (150000 + 180000)/300 = 4100 > 3750
    { input: 3000, backlog: 30_000, restart: true, expected: 3750 }, // 3000 + (30000 + 180000)/300 = 3700 < 3000/0.8
    { input: 3000, backlog: 300_000, restart: true, expected: 4600 }, // 3000 + (300000 + 180000)/300
    { input: 0, backlog: 0, restart: true, expected: 0 },
  ])(
    'input $input, backlog $backlog, restart $restart → $expected',
    ({ input, backlog, restart, expected }) => {
      expect(requiredRate(input, backlog, policy, restart)).toBeCloseTo(expected, 0);
    },
  );
});

describe('Function: requiredRate with the shortfall while the new TaskManagers start', () => {
  const policy = config().policy; // restart 30 s, checkpoint 60 s, settle 120 s: 90 s of startup
  it.each([
    // 3000 + (3000*60 + 2000*90)/300 = 4200 > 3000/0.8
    { name: 'the shortfall adds 90 s of its backlog', shortfall: 2000, restart: true, expected: 4200 },
    { name: 'no restart, no startup', shortfall: 2000, restart: false, expected: 3750 },
    // 3000 + 180000/300 = 3600 < 3750
    { name: 'a surplus is not a shortfall', shortfall: -500, restart: true, expected: 3750 },
  ])('$name → $expected', ({ shortfall, restart, expected }) => {
    expect(requiredRate(3000, 0, policy, restart, shortfall)).toBeCloseTo(expected, 6);
  });
});

describe('Policy: rate, what the stabilization window remembers', () => {
  it('remembers the count that holds the input, not the one that also drains the backlog', () => {
    // 4 TMs at 100% busy process 4000 rec/s; a backlog of 1,500,000 that stays: input 4000.
    // Desired: 4000 + (1,500,000 + 4000*60)/300 = 9800 → 16 TMs (8 give 8000).
    // Sustained: max(4000/0.8 = 5000, 4000 + 4000*60/300 = 4800) → 6 (5333), stepped to ≥ 1.4 × 4000 → 8.
    const r = ratePolicy({
      config: config(),
      current: 4,
      running: 4,
      metrics: snapshot(
        Array.from({ length: 4 }, () => ({ load: 1, rate: 1000 })),
        { backlog: { latest: 1_500_000, unit: 'records', slopePerSecond: 0 } },
      ),
    });
    expect({ desired: r.desired, sustained: r.sustained, backlogSeconds: r.backlogSeconds }).toEqual({
      desired: 16,
      sustained: 8,
      backlogSeconds: 375,
    });
  });
});

describe('Function: isRising', () => {
  it.each([
    // A step from 1,500 to 9,000 records/s: the first reading holds about half of it.
    {
      name: 'first reading after a step',
      input: { mean: 3000, latest: 5250, previous: 1500 },
      tol: 0.25,
      expected: true,
    },
    {
      name: 'the next reading holds all of it',
      input: { mean: 5250, latest: 9000, previous: 5250 },
      tol: 0.25,
      expected: true,
    },
    { name: 'steady', input: { mean: 9000, latest: 9100, previous: 9000 }, tol: 0.25, expected: false },
    {
      name: 'exactly at the tolerance is not rising',
      input: { mean: 1000, latest: 1250, previous: 1000 },
      tol: 0.25,
      expected: false,
    },
    { name: 'falling', input: { mean: 1000, latest: 500, previous: 1000 }, tol: 0.25, expected: false },
    { name: 'no earlier reading', input: { mean: 1000, latest: 5000 }, tol: 0.25, expected: false },
    { name: 'disabled', input: { mean: 1000, latest: 5000, previous: 1000 }, tol: 0, expected: false },
    { name: 'no input measured', input: undefined, tol: 0.25, expected: false },
  ])('$name → $expected', ({ input, tol, expected }) => {
    expect(isRising(input, tol)).toBe(expected);
  });
});

describe('Policy: rate, a peak the window absorbed is not a scale-out', () => {
  // 4 TMs at 85% busy processing 850 rec/s each: input 3400, capacity 4000, sized 6 without a
  // window (no backlog: no minimum step); with a backlog, stepped to 8. The replay runs through the full capacity, 4000 records/s; a reading
  // lasts 60 s; the peaks may build backlogToleranceSeconds (30 s) of it: 120,000 records. The
  // dead time is 300 s (60 schedule + 60 ingestion + 60 period + 120 settle). With the default
  // stabilization window (1800 s: 30 evaluations) these windows are under half measured: no trend.
  const tms = Array.from({ length: 4 }, () => ({ load: 0.85, rate: 850 }));
  it.each([
    {
      name: 'no window (fewer than half its evaluations complete): sized as before',
      window: undefined,
      desired: 6,
    },
    {
      name: 'the window ran at 3000: the 3400 is a peak the count absorbs',
      window: [3000, 3000, 3000],
      desired: 4,
    },
    // mean (3 × 4300 + 3400) / 4 = 4075 > 4000.
    { name: 'the window ran above the capacity: a need', window: [4300, 4300, 4300], desired: 6 },
    // mean (3000 + 3 × 4700 + 1000 + 3400) / 6 = 3583 ≤ 4000, but the replay builds 3 × 700 × 60 = 126,000 (31.5 s).
    {
      name: 'mean covered, peaks beyond the lag bound: a need',
      window: [3000, 4700, 4700, 4700, 1000],
      desired: 6,
    },
    // 3000, 5000, 5000, 2000: 60,000 + 60,000 = 120,000 = 30 s: at the bound, absorbed.
    { name: 'peaks exactly at the lag bound: absorbed', window: [3000, 5000, 5000, 2000], desired: 4 },
    {
      name: 'a backlog present is never absorbed',
      window: [3000, 3000],
      backlog: { latest: 3400 * 31, unit: 'records' as const, slopePerSecond: 0 },
      desired: 8,
    },
    // Window 600 s (10 evaluations): 5 readings are half of it, so the trend is projected. A ramp
    // of 350 a minute: 3750, 4100, 4450, 4800, 5150 over the dead time build
    // (100 + 450 + 800 + 1150) × 60 = 150,000 records = 37.5 s: it crosses the capacity, a need.
    // Sized for where the ramp lands (5150): max(5150/0.8 = 6438, 5150 + (5150*60 + 1150*90)/300
    // = 6525) → 8 TMs (8000); the newest reading alone (3400) would size 6.
    {
      name: 'a ramp that crosses the capacity within the dead time: a need',
      window: [2000, 2350, 2700, 3050],
      stabilization: 600,
      desired: 8,
    },
    // The same ramp without the trend (window 1800 s: 5 of 30 readings) builds nothing: held.
    {
      name: 'the same ramp, under half the window measured: held',
      window: [2000, 2350, 2700, 3050],
      desired: 4,
    },
    // A noisy level: the median of the ten pairwise slopes is 25 a minute, so 3425 … 3525 over
    // the dead time, all under 4000: absorbed.
    {
      name: 'a noisy level around 3400, trend projected: absorbed',
      window: [3000, 3800, 2900, 3700],
      stabilization: 600,
      desired: 4,
    },
  ])('$name → $desired', ({ window, backlog, stabilization, desired }) => {
    const cfg = config(stabilization ? { policy: { scaleInStabilizationSeconds: stabilization } } : {});
    expect(deadTimeSeconds(cfg)).toBe(300);
    const r = ratePolicy({
      config: cfg,
      current: 4,
      running: 4,
      metrics: snapshot(tms, backlog ? { backlog } : {}),
      ...(window ? { windowInputs: window } : {}),
    });
    expect(r.desired).toBe(desired);
    expect(r.inputs.absorbedPeak === true).toBe(desired === 4);
  });
});

describe('Policy: rate, no scale-in below the count the recent rises need', () => {
  // 4 TMs nearly idle (4 × 100 rec/s at 10% busy: input 400, too idle to measure the per-slot
  // rate, so the 500 measured before stands): sized 1 without a floor.
  // Dead time 300 s, lag bound 30 s of the count's capacity (1 → 1000, 2 → 2000, 3 → 2667, 4 → 4000).
  const tms = Array.from({ length: 4 }, () => ({ load: 0.1, rate: 100 }));
  const rise = (from: number, to: number) => ({ at: T0 - 3_600_000, from, to });
  it.each([
    { name: 'no rise remembered: down to what the input needs', rises: [], desired: 1, sustained: 1 },
    // 1: (1500 - 1000) × 300 > 30,000; 2: 1500 < 2000 → floor 2 (sheds half the capacity: worth a restart).
    {
      name: 'a night-to-day step over one TaskManager: down to 2',
      rises: [rise(300, 1500)],
      desired: 2,
      sustained: 2,
    },
    // 2: (2400 - 2000) × 300 = 120,000 > 60,000; 3: 2400 < 2667 → floor 3. 4 → 3 sheds a third of
    // the capacity and a quarter of the TaskManagers, under the 0.4 step, but the step is taken
    // on what the input needs (1: three quarters unused): the scale-in goes, down to the floor.
    {
      name: 'the input needs 1 and a rise needs 3: down to 3, though 4 → 3 is under the step',
      rises: [rise(300, 2400)],
      desired: 3,
      sustained: 3,
    },
    // 3: (3000 - 2667) × 300 = 100,000 > 80,000; only 4 survives: no scale-in.
    {
      name: 'a rise only the current count survives: no scale-in',
      rises: [rise(300, 3000)],
      desired: 4,
      sustained: 4,
    },
  ])('$name', ({ rises, desired, sustained }) => {
    const r = ratePolicy({
      config: config(),
      current: 4,
      running: 4,
      metrics: snapshot(tms),
      perSlotRate: 500,
      rises,
    });
    expect({ desired: r.desired, sustained: r.sustained }).toEqual({ desired, sustained });
  });

  it('a floor never raises a scale-out or the count above the current one', () => {
    const r = ratePolicy({
      config: config(),
      current: 1,
      running: 1,
      metrics: snapshot([{ load: 0.1, rate: 100 }]),
      perSlotRate: 500,
      rises: [rise(50, 1e6)],
    });
    expect({ desired: r.desired, sustained: r.sustained }).toEqual({ desired: 1, sustained: 1 });
  });
});

describe('Policy: rate, a smaller count sized from the per-slot rate measured there (the capacity curve)', () => {
  // 12 TMs at 8,000 records/s of capacity (32 partitions, 24 slots: 2 partitions on the busiest slot,
  // 500 × 32 / 2 = 8000) each at 25% busy processing 2000 in all: per-slot rate 2000 × 2 / (32 × 0.25) = 500.
  // Input 2000 needs 2000 / 0.8 = 2500 → 3 TMs (2667) at 500; at 4 TMs (4000) the minimum step holds.
  const tms = Array.from({ length: 12 }, () => ({ load: 0.25, rate: 2000 / 12 }));
  const at = (count: number, perSlotRate: number) => ({ count, perSlotRate, at: T0 });
  it.each([
    { name: 'no curve: linear in the per-slot rate', curve: [], desired: 3 },
    // 2 TMs = 4 slots, 8 partitions on the busiest: 600 × 32 / 8 = 2400 < 2500: still 3.
    { name: 'a higher rate at a count that still falls short', curve: [at(2, 600)], desired: 3 },
    // 700 × 32 / 8 = 2800 ≥ 2500 → 2.
    { name: 'a higher rate measured at 2 TMs: 2 hold the input', curve: [at(2, 700)], desired: 2 },
    // A lower rate measured at 3 is not used (the current estimate stands).
    { name: 'a lower rate measured before is not used', curve: [at(3, 300)], desired: 3 },
  ])('$name → $desired', ({ curve, desired }) => {
    const r = ratePolicy({
      config: config(),
      current: 12,
      running: 12,
      metrics: snapshot(tms),
      capacityCurve: curve,
    });
    expect(r.desired).toBe(desired);
  });

  // 4 TMs at 95% busy processing 3,800 in all: this window's estimate 3800 × 4 / (32 × 0.95) = 500
  // per slot; 4 TMs (8 slots, 4 partitions on the busiest) give 500 × 32 / 4 = 4000 < 3800 / 0.8 =
  // 4750, so 6 (5 TMs still have 4 on the busiest; 6 give 5333). Had the count shown 620 lately,
  // 4 give 620 × 32 / 4 = 4960 ≥ 4750: no scale-out. The count's recent best stands when higher.
  const busy4 = Array.from({ length: 4 }, () => ({ load: 0.95, rate: 950 }));
  it.each([
    {
      name: 'the current count showed 620 per slot lately: it stands, and 4 hold the input',
      curve: [at(4, 620)],
      desired: 4,
      estimate: 'shown',
      perSlotRate: 620,
    },
    {
      name: 'the current count showed less than this window: this window stands',
      curve: [at(4, 400)],
      desired: 6,
      estimate: 'measured',
      perSlotRate: 500,
    },
  ])('the current count: $name', ({ curve, desired, estimate, perSlotRate }) => {
    const r = ratePolicy({
      config: config(),
      current: 4,
      running: 4,
      metrics: snapshot(busy4),
      capacityCurve: curve,
    });
    expect(r.desired).toBe(desired);
    expect(r.inputs).toMatchObject({ estimate, perSlotRate });
    if (estimate === 'shown') expect(r.inputs.estimatedPerSlotRate).toBe(500);
    // What is remembered for the next evaluation is this window's own estimate, not the curve's.
    expect(r.perSlotRate).toBe(500);
  });

  it('is not used above the current count (a scale-out is sized from the current estimate)', () => {
    // 4 TMs at 95%: input 3800 → sized 6 (as in the table above), whatever was measured at 6
    // (at 5000 per slot, 5 TaskManagers would carry it).
    const r = ratePolicy({
      config: config(),
      current: 4,
      running: 4,
      metrics: snapshot(Array.from({ length: 4 }, () => ({ load: 0.95, rate: 950 }))),
      capacityCurve: [at(6, 5000)],
    });
    expect(r.desired).toBe(6);
  });
});
