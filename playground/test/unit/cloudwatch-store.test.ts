import { describe, expect, it } from 'vitest';
import {
  alignedStartMs,
  CloudWatchStore,
  granularitySeconds,
  isSupportedStatistic,
  lowerBound,
  type MetricQueryInput,
  seriesKey,
  weightedPercentile,
} from '../../src/cloud/cloudwatch-store';
import { SimulationUsageError } from '../../src/cloud/errors';

const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;
const NS = 'FlinkAutoscaler/Seed';
const DIMS = { ClusterName: 'flink', TaskId: 'abc' };

function query(overrides: Partial<MetricQueryInput> = {}): MetricQueryInput {
  return {
    namespace: NS,
    metricName: 'task_duration',
    dimensions: DIMS,
    stat: 'Average',
    periodSeconds: 300,
    startMs: T0,
    endMs: T0 + 10 * MIN,
    ...overrides,
  };
}

/** One point a minute for ten minutes, values 1..10. */
function filledStore(): CloudWatchStore {
  const store = new CloudWatchStore();
  for (let i = 0; i < 10; i++) {
    store.put({
      namespace: NS,
      metricName: 'task_duration',
      dimensions: DIMS,
      timestampMs: T0 + i * MIN,
      value: i + 1,
    });
  }
  return store;
}

describe('Class: CloudWatchStore', () => {
  it.each([
    ['Average', [3, 8]],
    ['Sum', [15, 40]],
    ['Minimum', [1, 6]],
    ['Maximum', [5, 10]],
    ['SampleCount', [5, 5]],
    ['p50', [3, 8]],
    ['p100', [5, 10]],
    ['p0', [1, 6]],
  ])('aggregates %s per 5-minute period', (stat, expected) => {
    // Prepare
    const store = filledStore();

    // Act
    const result = store.query(query({ stat }));

    // Assess
    expect(result).toEqual({ timestamps: [T0, T0 + 5 * MIN], values: expected });
  });

  it('matches the full dimension set only, as CloudWatch does', () => {
    // Prepare
    const store = filledStore();

    // Act
    const subset = store.query(query({ dimensions: { TaskId: 'abc' } }));
    const superset = store.query(query({ dimensions: { ...DIMS, Extra: 'x' } }));
    const reordered = store.query(query({ dimensions: { TaskId: 'abc', ClusterName: 'flink' } }));

    // Assess
    expect(subset.values).toEqual([]);
    expect(superset.values).toEqual([]);
    expect(reordered.values).toEqual([3, 8]);
  });

  it('hides points before their visibleAtMs (ingestion delay)', () => {
    // Prepare
    const store = new CloudWatchStore();
    for (let i = 0; i < 5; i++) {
      const t = T0 + i * MIN;
      store.put({
        namespace: NS,
        metricName: 'm',
        dimensions: {},
        timestampMs: t,
        value: i,
        visibleAtMs: t + 2 * MIN,
      });
    }
    const q = query({ metricName: 'm', dimensions: {}, periodSeconds: 60 });

    // Act
    const early = store.query({ ...q, nowMs: T0 + 4 * MIN });
    const later = store.query({ ...q, nowMs: T0 + 6 * MIN });
    const unbounded = store.query(q);

    // Assess
    expect(early.timestamps).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(later.values).toEqual([0, 1, 2, 3, 4]);
    expect(unbounded.values).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps points sorted when they arrive out of order and counts every point', () => {
    // Prepare
    const store = new CloudWatchStore();
    const put = (minute: number, value: number) =>
      store.put({ namespace: NS, metricName: 'm', dimensions: {}, timestampMs: T0 + minute * MIN, value });

    // Act
    put(3, 30);
    put(1, 10);
    put(2, 20);
    put(1, 12);
    put(0, 0);

    // Assess
    const result = store.query(
      query({ metricName: 'm', dimensions: {}, periodSeconds: 60, stat: 'Average' }),
    );
    expect(result).toEqual({
      timestamps: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN],
      values: [0, 11, 20, 30],
    });
    expect(store.size).toBe(5);
  });

  it('counts [start, end): a point at the end time is outside the window', () => {
    // Prepare
    const store = filledStore();

    // Act
    const result = store.query(query({ periodSeconds: 60, startMs: T0 + 2 * MIN, endMs: T0 + 4 * MIN }));

    // Assess
    expect(result.values).toEqual([3, 4]);
  });

  it('aggregates value distributions and statistic sets, weighting by count', () => {
    // Prepare
    const store = new CloudWatchStore();
    const base = { namespace: NS, metricName: 'm', dimensions: {} };
    store.put({ ...base, timestampMs: T0, values: [1, 10], counts: [3, 1] });
    store.put({
      ...base,
      timestampMs: T0 + MIN,
      statistics: { sampleCount: 4, sum: 20, minimum: 2, maximum: 8 },
    });
    const q = (stat: string, startMs: number) =>
      store.query(
        query({ metricName: 'm', dimensions: {}, periodSeconds: 60, stat, startMs, endMs: startMs + MIN }),
      );

    // Act & Assess
    expect(q('Average', T0).values).toEqual([13 / 4]);
    expect(q('SampleCount', T0).values).toEqual([4]);
    expect(q('p75', T0).values).toEqual([1]);
    expect(q('p90', T0).values).toEqual([10]);
    expect(q('Average', T0 + MIN).values).toEqual([5]);
    expect(q('Maximum', T0 + MIN).values).toEqual([8]);
    expect(q('p50', T0 + MIN).values).toEqual([]);
  });

  it('filters by unit when a query names one', () => {
    // Prepare
    const store = new CloudWatchStore();
    store.put({ namespace: NS, metricName: 'm', dimensions: {}, timestampMs: T0, value: 1, unit: 'Seconds' });
    store.put({ namespace: NS, metricName: 'm', dimensions: {}, timestampMs: T0, value: 100 });
    const q = query({ metricName: 'm', dimensions: {}, periodSeconds: 60, stat: 'Sum' });

    // Act & Assess
    expect(store.query({ ...q, unit: 'Seconds' }).values).toEqual([1]);
    expect(store.query({ ...q, unit: 'None' }).values).toEqual([100]);
    expect(store.query(q).values).toEqual([101]);
  });

  it('rejects non-finite values and unknown statistics', () => {
    // Prepare
    const store = new CloudWatchStore();
    const base = { namespace: NS, metricName: 'm', dimensions: {}, timestampMs: T0 };

    // Act & Assess
    expect(() => store.put({ ...base, value: Number.NaN })).toThrow(SimulationUsageError);
    expect(() => store.put({ ...base, values: [1], counts: [1, 2] })).toThrow(SimulationUsageError);
    expect(() => store.query(query({ stat: 'Median' }))).toThrow(SimulationUsageError);
    expect(store.size).toBe(0);
  });

  it('lists the dimension sets stored for a metric', () => {
    // Prepare
    const store = filledStore();
    store.put({ namespace: NS, metricName: 'task_duration', dimensions: {}, timestampMs: T0, value: 1 });

    // Act & Assess
    expect(store.dimensionSets(NS, 'task_duration')).toEqual([DIMS, {}]);
  });

  it('names the hours each series of a namespace has datapoints in, within the range', () => {
    // Prepare: a series in hours 0 and 2 (twice in 0), another from hour 1 on, one of another namespace.
    const HOUR = 60 * MIN;
    const store = new CloudWatchStore();
    const at = (metricName: string, t: number, namespace = NS) =>
      store.put({ namespace, metricName, dimensions: DIMS, timestampMs: T0 + t, value: 1 });
    at('a', 0);
    at('a', 30 * MIN);
    at('a', 2 * HOUR + MIN);
    at('b', HOUR);
    at('c', 0, 'Other');
    const hour = (h: number) => Math.floor(T0 / HOUR) + h;
    // Act
    const active = store.activeHours(NS, T0 + 30 * MIN, T0 + 3 * HOUR);
    // Assess: from the range's start, not its end; the other namespace not at all.
    expect(
      Object.fromEntries(
        [...active.entries()].map(([k, hours]) => [k.split('\u0000')[1], [...hours].sort()]),
      ),
    ).toEqual({ a: [hour(0), hour(2)], b: [hour(1)] });
    expect([...store.activeHours(NS, T0 + 3 * HOUR, T0 + 4 * HOUR).keys()]).toEqual([]);
  });

  it('stores and queries a simulated day of 30 TaskManagers × 6 metrics quickly', () => {
    // Prepare
    const store = new CloudWatchStore();
    const tasks = Array.from({ length: 30 }, (_, i) => `task${i}`);
    const metrics = Array.from({ length: 6 }, (_, i) => `metric${i}`);
    const started = performance.now();

    // Act: every minute publish, then query the last 5 minutes of every series
    let datapoints = 0;
    for (let minute = 0; minute < 1440; minute++) {
      const t = T0 + minute * MIN;
      for (const task of tasks) {
        for (const metric of metrics) {
          store.put({
            namespace: NS,
            metricName: metric,
            dimensions: { TaskId: task },
            timestampMs: t,
            value: minute,
          });
        }
      }
      for (const task of tasks) {
        for (const metric of metrics) {
          const r = store.query(
            query({
              metricName: metric,
              dimensions: { TaskId: task },
              periodSeconds: 60,
              startMs: t - 4 * MIN,
              endMs: t + MIN,
            }),
          );
          datapoints += r.values.length;
        }
      }
    }
    const elapsed = performance.now() - started;

    // Assess
    expect(store.size).toBe(30 * 6 * 1440);
    expect(datapoints).toBe(30 * 6 * (1440 * 5 - 10));
    // Generous for a loaded 2-core machine; a linear scan per query would take minutes.
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe('Function: alignedStartMs', () => {
  it.each([
    ['to the minute for recent data', T0 + 37_000, 60, T0 + MIN, T0],
    ['to the period for high resolution', T0 + 37_000, 10, T0 + MIN, T0 + 30_000],
    ['to 5 minutes beyond 15 days', T0 + 7 * MIN, 60, T0 + 16 * 86_400_000, T0 + 5 * MIN],
    ['to the hour beyond 63 days', T0 + 59 * MIN, 300, T0 + 64 * 86_400_000, T0],
  ])('rounds %s', (_name, start, period, now, expected) => {
    expect(alignedStartMs(start, period, now)).toBe(expected);
  });
});

describe('Function helpers', () => {
  it('finds the first index not below the target', () => {
    expect([0, 1, 2, 3, 4].map((t) => lowerBound([1, 2, 2, 3], t))).toEqual([0, 0, 1, 3, 4]);
  });

  it('computes nearest-rank percentiles over weighted samples', () => {
    expect(
      weightedPercentile(
        [
          [5, 1],
          [1, 1],
          [3, 2],
        ],
        50,
      ),
    ).toBe(3);
    expect(weightedPercentile([], 50)).toBeUndefined();
  });

  it('keys series by sorted dimensions', () => {
    expect(seriesKey('n', 'm', { b: '1', a: '2' })).toBe(seriesKey('n', 'm', { a: '2', b: '1' }));
    expect(seriesKey('n', 'm', { a: '1' })).not.toBe(seriesKey('n', 'm', { a: '2' }));
  });

  it.each([
    ['Average', true],
    ['p99', true],
    ['p99.9', true],
    ['p100', true],
    ['p101', false],
    ['tm99', false],
    ['Median', false],
  ])('supports statistic %s: %s', (stat, supported) => {
    expect(isSupportedStatistic(stat)).toBe(supported);
  });
});

describe('Class: CloudWatchStore — resolution and retention by age', () => {
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  const put = (store: CloudWatchStore, at: number, value: number, storageResolution: 1 | 60) =>
    store.put({
      namespace: NS,
      metricName: 'load',
      dimensions: DIMS,
      timestampMs: at,
      value,
      storageResolution,
    });
  const get = (store: CloudWatchStore, periodSeconds: number, startMs: number, nowMs: number) =>
    store.query({
      namespace: NS,
      metricName: 'load',
      dimensions: DIMS,
      stat: 'Sum',
      periodSeconds,
      startMs,
      endMs: startMs + 10 * MIN,
      nowMs,
    });

  it.each([
    [1, HOUR, 1],
    [60, HOUR, 60],
    [1, 3 * HOUR + 1, 60],
    [1, 15 * DAY + 1, 300],
    [60, 63 * DAY + 1, 3600],
    [60, 456 * DAY, undefined],
  ])('keeps a point of storage resolution %i s at %i ms of age at %s s', (resolution, age, expected) => {
    expect(granularitySeconds(resolution, age)).toBe(expected);
  });

  it('answers 10 s periods for high-resolution points only, and only for 3 hours', () => {
    const store = new CloudWatchStore();
    put(store, T0 + 5_000, 1, 1);
    put(store, T0 + 15_000, 2, 1);
    put(store, T0 + 25_000, 4, 60);
    expect(get(store, 10, T0, T0 + HOUR)).toEqual({ timestamps: [T0, T0 + 10_000], values: [1, 2] });
    expect(get(store, 60, T0, T0 + HOUR)).toEqual({ timestamps: [T0], values: [7] });
    expect(get(store, 10, T0, T0 + 4 * HOUR)).toEqual({ timestamps: [], values: [] });
    expect(get(store, 60, T0, T0 + 4 * HOUR)).toEqual({ timestamps: [T0], values: [7] });
  });

  it('needs multiples of 5 minutes past 15 days and of an hour past 63 days; forgets after 455 days', () => {
    const store = new CloudWatchStore();
    put(store, T0 + 30_000, 3, 60);
    expect(get(store, 60, T0, T0 + 16 * DAY).values).toEqual([]);
    expect(get(store, 300, T0, T0 + 16 * DAY).values).toEqual([3]);
    expect(get(store, 300, T0, T0 + 64 * DAY).values).toEqual([]);
    expect(get(store, 3600, T0, T0 + 64 * DAY).values).toEqual([3]);
    expect(get(store, 3600, T0, T0 + 456 * DAY).values).toEqual([]);
  });

  it('refuses a storage resolution other than 1 or 60', () => {
    const store = new CloudWatchStore();
    expect(() =>
      store.put({
        namespace: NS,
        metricName: 'm',
        dimensions: {},
        timestampMs: T0,
        value: 1,
        storageResolution: 5 as 1,
      }),
    ).toThrow(SimulationUsageError);
  });
});
