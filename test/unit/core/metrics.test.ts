import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/core/config';
import type { MetricSeries } from '../../../lib/core/domain';
import { buildMetricQueries, resolveMetrics, summarizeMetrics } from '../../../lib/core/metrics';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
const base = { appId: 'a', ecs: { cluster: 'c', service: 's' }, partitions: 8 };
const flink = resolveMetrics(
  parseConfig({ ...base, metrics: { backlog: { preset: 'flink-pending-records' } } }).metrics,
);
const seed = resolveMetrics(parseConfig({ ...base, metrics: { preset: 'seed' } }).metrics);

function series(
  id: string,
  points: [number, number][],
  status: MetricSeries['status'] = 'Complete',
): MetricSeries {
  return { id, timestamps: points.map(([m]) => NOW - m * MIN), values: points.map(([, v]) => v), status };
}

describe('Function: buildMetricQueries', () => {
  it('asks for load and rate per TaskManager plus the backlog, with the task dimension', () => {
    const q = buildMetricQueries(flink, ['t1', 't2']);
    expect(q.map((x) => x.id)).toEqual(['n0', 'r0', 'n1', 'r1', 'backlog']);
    expect(q[2]?.dimensions).toEqual({ TaskId: 't2' });
  });

  it('asks for numerator and denominator with the seed preset', () => {
    const q = buildMetricQueries(seed, ['t1']);
    expect(q.map((x) => `${x.id}:${x.metricName}`)).toEqual(['n0:task_duration', 'd0:task_interval']);
  });
});

describe('Function: summarizeMetrics', () => {
  it('turns busyTimeMsPerSecond into a busy fraction and pairs it with the rate', () => {
    // Prepare
    const s = [
      series('n0', [
        [3, 500],
        [2, 700],
        [1, 900],
      ]),
      series('r0', [
        [3, 100],
        [2, 140],
        [1, 180],
      ]),
      series('backlog', [
        [3, 0],
        [1, 1200],
      ]),
    ];
    // Act
    const snap = summarizeMetrics(flink, ['t1'], s, NOW);
    // Assess
    expect(snap.complete).toBe(true);
    expect(snap.taskManagers[0]?.load).toBeCloseTo(0.7, 9);
    expect(snap.taskManagers[0]?.samples.at(-1)).toEqual({ at: NOW - MIN, load: 0.9, processedRate: 180 });
    expect(snap.backlog).toEqual({ latest: 1200, unit: 'records', slopePerSecond: 10 });
  });

  it('divides task_duration by task_interval (the seed load)', () => {
    const snap = summarizeMetrics(seed, ['t1'], [series('n0', [[1, 30]]), series('d0', [[1, 60]])], NOW);
    expect(snap.taskManagers[0]?.load).toBe(0.5);
  });

  it.each([
    { name: 'PartialData', s: [series('n0', [[1, 500]], 'PartialData'), series('r0', [[1, 10]])] },
    { name: 'InternalError', s: [series('n0', [[1, 500]]), series('r0', [[1, 10]], 'InternalError')] },
    { name: 'no result for a query', s: [series('n0', [[1, 500]])] },
    { name: 'stale datapoints only', s: [series('n0', [[5, 500]]), series('r0', [[5, 10]])] },
    { name: 'no datapoints', s: [series('n0', []), series('r0', [])] },
  ])('a TaskManager with $name is missing and the snapshot incomplete', ({ s }) => {
    const snap = summarizeMetrics(flink, ['t1'], [...s, series('backlog', [[1, 0]])], NOW);
    expect(snap.missing).toEqual(['t1']);
    expect(snap.taskManagers).toEqual([]);
    expect(snap.complete).toBe(false);
  });

  it('a missing backlog makes the snapshot incomplete but keeps the TaskManagers', () => {
    const snap = summarizeMetrics(flink, ['t1'], [series('n0', [[1, 500]]), series('r0', [[1, 10]])], NOW);
    expect(snap.taskManagers).toHaveLength(1);
    expect(snap.complete).toBe(false);
  });

  it('ignores non-finite values and zero denominators', () => {
    const snap = summarizeMetrics(
      seed,
      ['t1'],
      [
        series('n0', [
          [2, 30],
          [1, Number.NaN],
        ]),
        series('d0', [
          [2, 0],
          [1, 60],
        ]),
      ],
      NOW,
    );
    expect(snap.missing).toEqual(['t1']);
  });
});
