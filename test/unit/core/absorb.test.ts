import { describe, expect, it } from 'vitest';
import {
  absorbs,
  chainRise,
  deadTimeSeconds,
  keepCurve,
  keepRises,
  meanRate,
  median,
  observeRise,
  projectTrend,
  replayLagSeconds,
  riseFloor,
  trendPerSecond,
} from '../../../lib/core/absorb';
import type { Rise } from '../../../lib/core/domain';
import { config, T0 } from '../../support/fixtures';

describe('Function: replayLagSeconds (the window replayed through a capacity as a fluid queue)', () => {
  it.each([
    // capacity 1000, 60 s a reading.
    { name: 'never above capacity: no backlog', rates: [800, 1000, 900], capacity: 1000, expected: 0 },
    // one minute at 1500: 500 × 60 = 30,000 records = 30 s of capacity, drained by the next 500s.
    { name: 'one peak minute', rates: [800, 1500, 500], capacity: 1000, expected: 30 },
    // two peak minutes in a row add up: 2 × 500 × 60 = 60,000 → 60 s.
    { name: 'consecutive peaks add up', rates: [1500, 1500, 0], capacity: 1000, expected: 60 },
    // a trough between two peaks drains the first: 30 s, then 0, then 30 s again: the largest is 30.
    { name: 'a trough drains between peaks', rates: [1500, 500, 1500], capacity: 1000, expected: 30 },
    // a trough only partly drains: 30,000 - 10,000 = 20,000, + 30,000 = 50,000 → 50 s.
    {
      name: 'a shallow trough drains part',
      rates: [1500, 833.3333333333334, 1500],
      capacity: 1000,
      expected: 50,
    },
    {
      name: 'no capacity, some input: unbounded',
      rates: [1],
      capacity: 0,
      expected: Number.POSITIVE_INFINITY,
    },
    { name: 'no capacity, no input', rates: [0, 0], capacity: 0, expected: 0 },
    { name: 'no readings', rates: [], capacity: 1000, expected: 0 },
  ])('$name', ({ rates, capacity, expected }) => {
    expect(replayLagSeconds(rates, capacity, 60)).toBeCloseTo(expected, 6);
  });
});

describe('Function: absorbs', () => {
  it.each([
    // capacity 1000, lag bound 30 s, 60 s a reading.
    { name: 'mean covered, peak within the bound', rates: [800, 1500, 500], steady: 933, expected: true },
    { name: 'mean covered, peaks beyond the bound', rates: [1500, 1500, 0], steady: 1000, expected: false },
    { name: 'peaks fine, steady rate above capacity', rates: [900, 900], steady: 1001, expected: false },
    { name: 'exactly at both bounds', rates: [1500, 500], steady: 1000, expected: true },
  ])('$name → $expected', ({ rates, steady, expected }) => {
    expect(absorbs(rates, 1000, steady, 60, 30)).toBe(expected);
  });

  it('meanRate: the mean, 0 for none', () => {
    expect(meanRate([1, 2, 6])).toBe(3);
    expect(meanRate([])).toBe(0);
  });
});

describe('Function: trendPerSecond (Theil–Sen: the median of the pairwise slopes)', () => {
  it.each([
    // 60 s a reading.
    { name: 'a ramp of 60 a minute', rates: [100, 160, 220, 280], expected: 1 },
    { name: 'a flat level', rates: [500, 500, 500], expected: 0 },
    // slopes per minute: +300, 0 (the first to the last), −300: median 0.
    { name: 'one high reading between two equal ones', rates: [500, 800, 500], expected: 0 },
    // a ramp of 60 a minute with one outlier (6220 for 220): the 6 pairs without it rise 60 a
    // minute, the outlier's 4 split 2 up, 2 down; the median of the 10 is 60 a minute.
    { name: 'a ramp with one outlier', rates: [100, 160, 6220, 280, 340], expected: 1 },
    // every pair falls 60 a minute: −1/s.
    { name: 'a falling ramp', rates: [300, 240, 180, 120], expected: -1 },
    // six slopes, per minute: 0, 0, 200, 300, 300, 600; median (200 + 300) / 2 = 250 a minute.
    {
      name: 'an even count of slopes: the mean of the two middle ones',
      rates: [0, 0, 600, 600],
      expected: 250 / 60,
    },
    { name: 'one reading', rates: [100], expected: 0 },
    { name: 'none', rates: [], expected: 0 },
  ])('$name → $expected', ({ rates, expected }) => {
    expect(trendPerSecond(rates, 60)).toBeCloseTo(expected, 9);
  });
});

describe('Function: projectTrend (the readings, then the trend over a horizon from the newest)', () => {
  it.each([
    {
      name: 'a ramp continues',
      rates: [100, 160, 220],
      horizon: 180,
      expected: [100, 160, 220, 280, 340, 400],
    },
    { name: 'a level holds', rates: [500, 500], horizon: 120, expected: [500, 500, 500, 500] },
    // falling: −60 a minute, not projected: the newest reading held.
    {
      name: 'a falling trend holds the newest',
      rates: [300, 240],
      horizon: 120,
      expected: [300, 240, 240, 240],
    },
    { name: 'no horizon: the readings', rates: [100, 160], horizon: 0, expected: [100, 160] },
    { name: 'no readings: none', rates: [], horizon: 300, expected: [] },
  ])('$name', ({ rates, horizon, expected }) => {
    expect(projectTrend(rates, 60, horizon)).toEqual(expected);
  });
});

describe('Function: deadTimeSeconds (from a rise to the capacity that answers it)', () => {
  it('is the schedule + the ingestion delay + one period + the settle time', () => {
    // 60 + 60 + 60 + 120 at the defaults.
    expect(deadTimeSeconds(config())).toBe(300);
    expect(deadTimeSeconds(config({ scheduleSeconds: 30, policy: { settleSeconds: 200 } }))).toBe(
      30 + 60 + 60 + 200,
    );
  });
});

describe('Function: median', () => {
  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [7], expected: 7 },
    { values: [1, 1, 100], expected: 1 },
  ])('$values → $expected', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });
  it('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('Function: observeRise', () => {
  const at = (minutesAgo: number) => T0 - minutesAgo * 60_000;
  const r = (minutesAgo: number, input: number) => ({ at: at(minutesAgo), input });
  it.each([
    // dead time 180 s: the last reading at least 3 minutes old is the level before.
    {
      name: 'a step: from the level before to the median since (the mean would be 1600)',
      readings: [r(5, 60), r(3, 60), r(2, 1500), r(1, 1500), r(0, 1800)],
      expected: { at: T0, from: 60, to: 1500 },
    },
    {
      name: "one minute's burst is not the level risen to (the mean would be 1400)",
      readings: [r(3, 500), r(2, 600), r(1, 3000), r(0, 600)],
      expected: { at: T0, from: 500, to: 600 },
    },
    {
      name: 'an even count since: the mean of the middle two',
      readings: [r(4, 100), r(3, 100), r(2, 400), r(1, 600), r(0, 900), r(0, 1000)],
      expected: { at: T0, from: 100, to: 750 },
    },
    { name: 'a fall is no rise', readings: [r(3, 1500), r(2, 100), r(0, 50)], expected: undefined },
    { name: 'flat is no rise', readings: [r(3, 500), r(0, 500)], expected: undefined },
    {
      name: 'the window does not reach back a dead time',
      readings: [r(2, 60), r(0, 1500)],
      expected: undefined,
    },
    { name: 'nothing since the level before', readings: [r(4, 60), r(3, 60)], expected: undefined },
  ])('$name', ({ readings, expected }) => {
    expect(observeRise(readings, T0, 180)).toEqual(expected);
  });
});

describe('Function: keepRises (the lookback, and no rise another one covers)', () => {
  const rise = (hoursAgo: number, from: number, to: number) => ({ at: T0 - hoursAgo * 3_600_000, from, to });
  it.each([
    {
      name: 'older than the lookback: dropped',
      rises: [rise(7, 60, 1500), rise(1, 500, 900)],
      expected: [rise(1, 500, 900)],
    },
    {
      name: 'covered (from as low, to as high): dropped',
      rises: [rise(3, 60, 1500), rise(1, 100, 1200)],
      expected: [rise(3, 60, 1500)],
    },
    {
      name: 'neither covers the other: both kept',
      rises: [rise(3, 60, 1000), rise(1, 500, 2000)],
      expected: [rise(3, 60, 1000), rise(1, 500, 2000)],
    },
    {
      name: 'two equal: the newer kept',
      rises: [rise(3, 60, 1500), rise(1, 60, 1500)],
      expected: [rise(1, 60, 1500)],
    },
    {
      name: 'a slower ramp does not cover a faster rise within it: both kept',
      rises: [rise(3, 100, 900), { ...rise(1, 60, 1500), seconds: 3000 }],
      expected: [rise(3, 100, 900), { ...rise(1, 60, 1500), seconds: 3000 }],
    },
    { name: 'none', rises: [], expected: [] },
  ])('$name', ({ rises, expected }) => {
    expect(keepRises(rises, T0, 6 * 3600)).toEqual(expected);
  });
});

describe('Function: riseFloor', () => {
  // Capacity 1000 per TaskManager; target 0.8; dead time 300 s; lag bound 30 s of capacity.
  const limits = { maxCount: 10, target: 0.8, deadSeconds: 300, lagSeconds: 30 };
  const rise = (from: number, to: number) => ({ at: T0, from, to });
  it.each([
    { name: 'no rises: no floor', rises: [], expected: 1 },
    // 1: (1500 - 1000) × 300 = 150,000 > 30,000 → fails; 2: 1500 < 2000 → survives.
    { name: 'a night-to-day step over one TaskManager', rises: [rise(60, 1500)], expected: 2 },
    // 1: (1100 - 1000) × 300 = 30,000 = the bound → survives.
    { name: 'a rise whose backlog is exactly the bound', rises: [rise(60, 1100)], expected: 1 },
    // from 900 > 0.8 × 1000: one TaskManager would not be chosen at that level, so the rise does not judge it.
    {
      name: 'a rise from a level a count does not hold does not judge that count',
      rises: [rise(900, 2500)],
      expected: 1,
    },
    // from 500: 1 fails (1500 × 300); 2: (2500 - 2000) × 300 = 150,000 > 60,000 fails; 3: 2500 < 3000 survives.
    {
      name: 'a large rise needs more than one TaskManager of headroom',
      rises: [rise(500, 2500)],
      expected: 3,
    },
    // Two rises: the larger floor wins.
    { name: 'the steepest rise sets the floor', rises: [rise(60, 1500), rise(100, 3500)], expected: 4 },
    { name: 'no count survives: the maximum', rises: [rise(0, 1e9)], expected: 10 },
    // A ramp 100 → 1500 over 600 s (2.33/s): 1 crosses 800 and reaches 800 + 700 = 1500 one dead
    // time later: (1500 - 1000) × 300 > 30,000 fails; 2: 1500 < 2000 survives.
    { name: 'a ramp over two dead times', rises: [{ ...rise(100, 1500), seconds: 600 }], expected: 2 },
    // 100 → 1500 over 3000 s (0.47/s): 1 reaches 800 + 140 = 940 < 1000 → survives.
    { name: 'a slow ramp: the loop keeps up', rises: [{ ...rise(100, 1500), seconds: 3000 }], expected: 1 },
    // A duration shorter than the dead time counts as one dead time (the step case above).
    { name: 'a rise shorter than the dead time', rises: [{ ...rise(60, 1500), seconds: 60 }], expected: 2 },
  ])('$name → $expected', ({ rises, expected }) => {
    expect(riseFloor(rises, (n) => 1000 * n, limits)).toBe(expected);
  });
});

describe('Function: chainRise (a ramp seen as overlapping rises is one rise)', () => {
  const at = (s: number) => T0 + s * 1000;
  const prev: Rise = { at: at(0), from: 100, to: 900 };
  // Cases where next stands alone (chainRise returns it unchanged).
  const alone = (name: string, next: Rise) => ({ name, prev, next, expected: next });
  it.each([
    {
      name: 'continues the previous one: from its start, over both spans',
      prev,
      next: { at: at(120), from: 850, to: 1400 },
      expected: { at: at(120), from: 100, to: 1400, seconds: 420 },
    },
    {
      name: 'a chained one chains on: its duration adds the gap',
      prev: { at: at(0), from: 100, to: 1400, seconds: 420 },
      next: { at: at(60), from: 1200, to: 1600 },
      expected: { at: at(60), from: 100, to: 1600, seconds: 480 },
    },
    { ...alone('no previous rise', { at: at(60), from: 850, to: 1400 }), prev: undefined },
    alone('more than a dead time later', { at: at(301), from: 850, to: 1400 }),
    alone('starts above the previous top', { at: at(60), from: 950, to: 1400 }),
    alone('starts below the previous start', { at: at(60), from: 50, to: 1400 }),
    alone('goes no higher', { at: at(60), from: 500, to: 900 }),
  ])('$name', ({ prev, next, expected }) => {
    expect(chainRise(prev, next, 300)).toEqual(expected);
  });
});

describe('Function: keepCurve (the highest per-slot rate of each count lately, within the lookback)', () => {
  const m = (count: number, perSlotRate: number, hoursAgo: number) => ({
    count,
    perSlotRate,
    at: T0 - hoursAgo * 3_600_000,
  });
  it.each([
    {
      name: 'the higher of two within the horizon wins (the estimate errs low only)',
      rates: [m(6, 450, 1.4), m(6, 430, 1)],
      expected: [m(6, 450, 1.4)],
    },
    {
      name: 'a newer, higher one replaces it',
      rates: [m(6, 430, 1.4), m(6, 450, 1)],
      expected: [m(6, 450, 1)],
    },
    {
      name: 'the kept one more than the horizon (30 min) older than the newest: the newest, though lower',
      rates: [m(6, 450, 3), m(6, 430, 1)],
      expected: [m(6, 430, 1)],
    },
    {
      name: 'exactly the horizon older: the newest',
      rates: [m(6, 450, 1.5), m(6, 430, 1)],
      expected: [m(6, 430, 1)],
    },
    {
      name: 'the horizon restarts at the kept one: 450, then 440 within 30 min, then 400 more than 30 min after 450',
      rates: [m(6, 450, 1.5), m(6, 440, 1.25), m(6, 400, 0.9)],
      expected: [m(6, 400, 0.9)],
    },
    {
      name: 'older than the lookback: dropped',
      rates: [m(6, 450, 7), m(12, 414, 1)],
      expected: [m(12, 414, 1)],
    },
    {
      name: 'sorted by count',
      rates: [m(12, 414, 1), m(6, 450, 2)],
      expected: [m(6, 450, 2), m(12, 414, 1)],
    },
    { name: 'none', rates: [], expected: [] },
  ])('$name', ({ rates, expected }) => {
    expect(keepCurve(rates, T0, 6 * 3600, 1800)).toEqual(expected);
  });
});
