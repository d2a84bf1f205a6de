import { describe, expect, it } from 'vitest';
import { benchTable, checkGoals } from '../../../bench/summary';
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

describe('Function: checkGoals', () => {
  it.each([
    {
      name: 'a baseline cheaper and shorter over the SLO dominates',
      fko: { costRatio: 1.1, sloViolationSeconds: 90 },
      holds: [false, true],
    },
    {
      name: 'cheaper but longer over the SLO does not',
      fko: { costRatio: 1.1, sloViolationSeconds: 110 },
      holds: [true, true],
    },
    {
      name: 'an equal SLO violation does not',
      fko: { costRatio: 1.1, sloViolationSeconds: 100 },
      holds: [true, true],
    },
    {
      name: 'rate more than 60 s behind the best adaptive baseline fails the second goal',
      fko: { costRatio: 1.3, sloViolationSeconds: 39 },
      holds: [true, false],
    },
    {
      name: 'exactly 60 s behind holds',
      fko: { costRatio: 1.3, sloViolationSeconds: 40 },
      holds: [true, true],
    },
  ])('$name', ({ fko, holds }) => {
    // static-peak is not adaptive: its 0 s never counts.
    const out = output([
      result('rate'),
      result('fko', fko),
      result('static-peak', { costRatio: 1, sloViolationSeconds: 0 }),
    ]);
    expect(checkGoals(out, false).map((c) => c.holds)).toEqual(holds);
  });

  it('the diurnal goals: cost ratio, rescales, flaps, first scale-out delay', () => {
    const out = output([
      result('rate', { costRatio: 1.6, rescales: 7, flaps: 1, firstScaleOutDelaySeconds: 130 }),
    ]);
    expect(checkGoals(out, true).map((c) => [c.goal, c.holds])).toEqual([
      ['no adaptive baseline is both cheaper and shorter over the SLO', true],
      ['cost ratio ≤ 1.5', false],
      ['at most 6 rescales', false],
      ['no flap', false],
      ['first scale-out within 120 s of a sustained overload', false],
    ]);
  });
});

describe('Function: benchTable', () => {
  it('one row per policy, the scenario named on its first row, SLO violation in minutes', () => {
    const table = benchTable([
      { file: 'f', output: output([result('rate'), result('fko')]), runs: [], wallSeconds: 1 },
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| **s** | `rate` | 10.0 | 1.20 | 1.67 | 60 | 2 | 0 | 60 | — |',
      '|  | `fko` | 10.0 | 1.20 | 1.67 | 60 | 2 | 0 | 60 | — |',
    ]);
  });
});
