import { describe, expect, it } from 'vitest';
import { absorbs, meanRate, replayLagSeconds } from '../../../lib/core/absorb';

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
