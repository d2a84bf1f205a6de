import { describe, expect, it } from 'vitest';
import { jobCapacity, smallestCountFor } from '../../../lib/core/capacity';
import {
  estimatePerSlotRate,
  jobSamples,
  ratePolicy,
  requiredRate,
  seedThreshold,
  thresholdPolicy,
} from '../../../lib/core/policy';
import { config, snapshot } from '../../support/fixtures';

// All cases: 32 partitions, 2 slots per TaskManager, a true per-slot rate of 500 records/s,
// target utilization 0.7, catch-up 300 s, restart 30 s + half a 60 s checkpoint interval.

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
    {
      // input 3400: max(3400/0.7 = 4857, 3400 + restart 3400*60/300 = 4080) = 4857 → 6 TMs (5333; 5 adds nothing).
      name: 'overload: one step to the skew-aligned count',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 0.85, rate: 850 })),
      backlog: undefined,
      desired: 6,
      withinTolerance: false,
      backlogPresent: false,
    },
    {
      // input 3000 on 4 TMs: utilization 3000/4000 = 0.75 ≤ 0.7 + 0.1 → tolerated.
      name: 'slightly above target is within tolerance',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 0.75, rate: 750 })),
      backlog: undefined,
      desired: 6,
      withinTolerance: true,
      backlogPresent: false,
    },
    {
      // processed 4000 at 100% busy, backlog 600,000 growing 1000/s → input 5000;
      // max(5000/0.7 = 7143, 5000 + (600000 + restart 5000*60)/300 = 8000) = 8000 → 8 TMs (8000).
      name: 'backlog: catch-up and restart sized in one step',
      current: 4,
      tms: Array.from({ length: 4 }, () => ({ load: 1, rate: 1000 })),
      backlog: { latest: 600_000, unit: 'records' as const, slopePerSecond: 1000 },
      desired: 8,
      withinTolerance: false,
      backlogPresent: true,
    },
    {
      // 8 TMs process 1000 rec/s, busiest slot has 2 partitions: busy 62.5/500 = 0.125.
      // max(1000/0.7 = 1429, 1000 + restart 1000*60/300 = 1200) = 1429 → 2 TMs (2000).
      name: 'idle: scale in to the smallest count that still holds the target',
      current: 8,
      tms: Array.from({ length: 8 }, () => ({ load: 0.125, rate: 125 })),
      backlog: undefined,
      desired: 2,
      withinTolerance: false,
      backlogPresent: false,
    },
  ])('$name', ({ current, tms, backlog, desired, withinTolerance, backlogPresent }) => {
    // Act
    const r = ratePolicy({
      config: cfg,
      current,
      running: current,
      metrics: snapshot(tms, backlog ? { backlog } : {}),
    });
    // Assess
    expect({
      desired: r.desired,
      withinTolerance: r.withinTolerance,
      backlogPresent: r.backlogPresent,
    }).toEqual({
      desired,
      withinTolerance,
      backlogPresent,
    });
    expect(r.perSlotRate).toBeCloseTo(500, 6);
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

describe('Function: requiredRate', () => {
  const policy = config().policy; // target 0.7, catch-up 300 s, restart 30 s, checkpoint 60 s
  it.each([
    { input: 700, backlog: 0, restart: false, expected: 1000 }, // headroom rules
    { input: 700, backlog: 300_000, restart: false, expected: 1700 }, // catch-up rules: 700 + 1000
    { input: 700, backlog: 0, restart: true, expected: 1000 }, // 700 + 700*60/300 = 840 < 1000
    { input: 3000, backlog: 150_000, restart: true, expected: 4286 }, // 3000 + (150000 + 180000)/300 = 4100 < 4286
    { input: 3000, backlog: 300_000, restart: true, expected: 4600 }, // 3000 + (300000 + 180000)/300
    { input: 0, backlog: 0, restart: true, expected: 0 },
  ])(
    'input $input, backlog $backlog, restart $restart → $expected',
    ({ input, backlog, restart, expected }) => {
      expect(requiredRate(input, backlog, policy, restart)).toBeCloseTo(expected, 0);
    },
  );
});
