import { describe, expect, it } from 'vitest';
import { benchTable, checkGoals, dominates, paretoFront, score } from '../../../bench/summary';
import type { PolicyResult, SimulationOutput } from '../../../src/results';

function result(policy: string, r: Partial<PolicyResult> = {}): PolicyResult {
  return {
    policy,
    taskManagerHours: 10,
    costRatio: 1.2,
    sloViolationSeconds: 100,
    maxLagSeconds: 60,
    backlogAtEnd: 0,
    rescales: 2,
    flaps: 0,
    jobDowntimeSeconds: 60,
    firstScaleOutDelaySeconds: null,
    decisions: {},
    manual: [],
    failover: { events: [], maxUnownedSeconds: 0, partitionsMoved: 0, doubleOwnedPartitionSeconds: 0 },
    ...r,
  };
}

function output(results: PolicyResult[]): SimulationOutput {
  return {
    scenario: 's',
    durationSeconds: 3600,
    sloLagSeconds: 60,
    physicalMinimumTaskManagerHours: 8,
    results,
  };
}

describe('Function: score, dominates, paretoFront', () => {
  it.each([
    // 10 TM-hours + 1 × 100/60 minutes = 11.67
    { r: {}, expected: 11.67 },
    { r: { taskManagerHours: 20, sloViolationSeconds: 0 }, expected: 20 },
    { r: { taskManagerHours: 5, sloViolationSeconds: 600 }, expected: 15 },
  ])('score($r) = $expected', ({ r, expected }) => {
    expect(score(result('p', r))).toBeCloseTo(expected, 2);
  });

  it.each([
    { a: { costRatio: 1.1, sloViolationSeconds: 90 }, b: {}, expected: true },
    { a: { costRatio: 1.2, sloViolationSeconds: 90 }, b: {}, expected: true }, // equal cost, shorter
    { a: { costRatio: 1.2, sloViolationSeconds: 100 }, b: {}, expected: false }, // equal: not dominating
    { a: { costRatio: 1.1, sloViolationSeconds: 110 }, b: {}, expected: false }, // a trade-off
  ])('dominates($a, $b) = $expected', ({ a, b, expected }) => {
    expect(dominates(result('a', a), result('b', b))).toBe(expected);
  });

  it('the front: every policy no other dominates', () => {
    const front = paretoFront([
      result('cheap', { costRatio: 1, sloViolationSeconds: 500 }),
      result('fast', { costRatio: 3, sloViolationSeconds: 0 }),
      result('middle', { costRatio: 1.5, sloViolationSeconds: 100 }),
      result('worse', { costRatio: 1.6, sloViolationSeconds: 100 }),
    ]);
    expect([...front].sort()).toEqual(['cheap', 'fast', 'middle']);
  });
});

describe('Function: checkGoals (issue 16 item 5)', () => {
  it.each([
    {
      name: 'all hold',
      rate: { rescales: 0 },
      other: { costRatio: 1.3, taskManagerHours: 11, sloViolationSeconds: 100 },
      holds: [true, true, true, true],
    },
    {
      // other: 10 + 1.5 = 11.5 dominates; rate's 11.67 ≤ 1.05 × 11.5 = 12.08
      name: 'dominated, yet within 5% of the score',
      rate: { rescales: 0 },
      other: { costRatio: 1.1, sloViolationSeconds: 90 },
      holds: [false, true, true, true],
    },
    {
      // rate 11.67 > 1.05 × 10 = 10.5
      name: 'more than 5% above the best score',
      rate: { rescales: 0 },
      other: { costRatio: 1.3, taskManagerHours: 10, sloViolationSeconds: 0 },
      holds: [true, false, true, true],
    },
    {
      // a 1 h scenario is part of one day: 7 rescales are more than its 6; a flap
      name: 'rescales per day and flaps',
      rate: { rescales: 7, flaps: 1 },
      other: { costRatio: 1.3, taskManagerHours: 11, sloViolationSeconds: 100 },
      holds: [true, true, false, false],
    },
  ])('$name', ({ rate, other, holds }) => {
    const out = output([result('rate', rate), result('fko', other)]);
    expect(checkGoals(out).map((c) => c.holds)).toEqual(holds);
  });
});

describe('Function: benchTable', () => {
  it('one row per policy, the scenario named on its first row, the best score in bold, rates per day', () => {
    const table = benchTable([
      {
        file: 'f',
        output: output([result('rate'), result('fko', { taskManagerHours: 12, costRatio: 1.4 })]),
        runs: [],
        wallSeconds: 1,
      },
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| **s** | `rate` | 10.0 | 1.20 | 1.67 | **11.7** | yes | 48.0 | 0.0 | 60 | 60 |',
      '|  | `fko` | 12.0 | 1.40 | 1.67 | 13.7 |  | 48.0 | 0.0 | 60 | 60 |',
    ]);
  });
});
