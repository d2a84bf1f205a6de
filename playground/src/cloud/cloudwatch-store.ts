/**
 * An in-memory CloudWatch metric store. Series are keyed by namespace, metric name and the
 * full (sorted) dimension set, so a query matches a series only when every dimension
 * matches, as CloudWatch does. Each series keeps its points sorted by timestamp; queries
 * binary-search the window. A point may carry `visibleAtMs` (ingestion delay): queries made
 * before that instant do not see it.
 *
 * Resolution and retention as CloudWatch documents them (GetMetricStatistics, MetricStat):
 * a point put with StorageResolution 60 (standard, the default) has one-minute granularity;
 * StorageResolution 1 (high resolution) keeps its second for 3 hours. Older data is rolled
 * up: 1 minute up to 15 days, 5 minutes up to 63 days, 1 hour up to 455 days, then it is
 * gone. A query's period must be a multiple of a point's granularity at its age, otherwise
 * "no data points in that time range is returned" for that point.
 */
import { AlarmRegistry } from './cloudwatch-alarms';
import { SimulationUsageError } from './errors';

export interface StatisticSet {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
}

interface DatumBase {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampMs: number;
  /** CloudWatch unit of the point; a query naming a unit sees only points with it. @default 'None' */
  readonly unit?: string;
  /** The point is invisible to queries whose `nowMs` is before this. @default visible at once */
  readonly visibleAtMs?: number;
  /** PutMetricData's StorageResolution: 1 (high resolution) or 60 (standard). @default 60 */
  readonly storageResolution?: 1 | 60;
}

/** One point: a single value, a value distribution (Values/Counts), or a statistic set. */
export type MetricDatum = DatumBase &
  (
    | { readonly value: number }
    | { readonly values: readonly number[]; readonly counts?: readonly number[] }
    | { readonly statistics: StatisticSet }
  );

export type Statistic = 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'SampleCount' | `p${string}`;

export interface MetricQueryInput {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly periodSeconds: number;
  /** Only points published with this unit. @default every unit */
  readonly unit?: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Points with visibleAtMs after this are not seen. @default every point is seen */
  readonly nowMs?: number;
}

/** Aggregated datapoints, one per non-empty period, ascending by period start. */
export interface MetricQueryResult {
  readonly timestamps: number[];
  readonly values: number[];
}

interface Distribution {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** Columnar storage of one series, sorted by time. */
interface Series {
  readonly times: number[];
  /** The storage resolution of each point (1 or 60 seconds). */
  readonly resolution: number[];
  readonly visibleAt: number[];
  readonly unit: string[];
  readonly count: number[];
  readonly sum: number[];
  readonly min: number[];
  readonly max: number[];
  /** undefined: a single value (count 1, value = min); null: a statistic set (no percentiles). */
  readonly dist: (Distribution | null | undefined)[];
}

interface PointColumns {
  readonly visibleAt: number;
  readonly resolution: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly dist: Distribution | null | undefined;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The granularity (seconds) CloudWatch keeps a point at, by its storage resolution and its
 * age; undefined once it is past the 455-day retention.
 */
export function granularitySeconds(storageResolution: number, ageMs: number): number | undefined {
  if (ageMs <= 3 * HOUR_MS) return storageResolution;
  if (ageMs <= 15 * DAY_MS) return 60;
  if (ageMs <= 63 * DAY_MS) return 300;
  if (ageMs <= 455 * DAY_MS) return 3600;
  return undefined;
}
/** Separators inside a series key that cannot occur in CloudWatch names or values. */
const NAME_VALUE = '\u0002';
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100)$/;

/** The canonical key of a series: namespace, name and the dimensions sorted by name. */
export function seriesKey(
  namespace: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}${NAME_VALUE}${dimensions[k] ?? ''}`)
    .join('\u0001');
  return `${namespace}\u0000${metricName}\u0000${dims}`;
}

/** True for the statistics this store computes: the five basic ones and percentiles p0..p100. */
export function isSupportedStatistic(stat: string): stat is Statistic {
  if (
    stat === 'Average' ||
    stat === 'Sum' ||
    stat === 'Minimum' ||
    stat === 'Maximum' ||
    stat === 'SampleCount'
  ) {
    return true;
  }
  const m = PERCENTILE.exec(stat);
  return m !== null && Number(stat.slice(1)) <= 100;
}

/**
 * Where the first period begins: CloudWatch rounds StartTime down by its age (to the minute
 * within 15 days, 5 minutes within 63 days, else the hour), and high-resolution periods
 * (< 60 s) down to a multiple of the period.
 */
export function alignedStartMs(startMs: number, periodSeconds: number, nowMs: number): number {
  const age = nowMs - startMs;
  const unit =
    periodSeconds < 60
      ? periodSeconds * 1000
      : age > 63 * DAY_MS
        ? 60 * MINUTE_MS
        : age > 15 * DAY_MS
          ? 5 * MINUTE_MS
          : MINUTE_MS;
  return Math.floor(startMs / unit) * unit;
}

/** The first index whose value is >= target (sorted ascending). */
export function lowerBound(sorted: readonly number[], target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? Number.POSITIVE_INFINITY) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Nearest-rank percentile over weighted samples; undefined when there are none. */
export function weightedPercentile(
  samples: readonly (readonly [number, number])[],
  p: number,
): number | undefined {
  const sorted = [...samples].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, c] of sorted) {
    seen += c;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]?.[0];
}

function columnsOf(datum: MetricDatum): PointColumns & { resolution: number } {
  const visibleAt = datum.visibleAtMs ?? Number.NEGATIVE_INFINITY;
  const resolution = datum.storageResolution ?? 60;
  if (resolution !== 1 && resolution !== 60) {
    throw new SimulationUsageError(`storageResolution must be 1 or 60, got ${resolution}`);
  }
  return { resolution, ...valueColumns(datum, visibleAt) };
}

function valueColumns(datum: MetricDatum, visibleAt: number): Omit<PointColumns, 'resolution'> {
  if ('value' in datum) {
    assertFinite(datum.value, 'value');
    return { visibleAt, count: 1, sum: datum.value, min: datum.value, max: datum.value, dist: undefined };
  }
  if ('statistics' in datum) {
    const s = datum.statistics;
    for (const [k, v] of Object.entries(s)) assertFinite(v, k);
    if (s.sampleCount <= 0 || s.minimum > s.maximum) {
      throw new SimulationUsageError('statistics need sampleCount > 0 and minimum <= maximum');
    }
    return { visibleAt, count: s.sampleCount, sum: s.sum, min: s.minimum, max: s.maximum, dist: null };
  }
  const counts = datum.counts ?? datum.values.map(() => 1);
  if (datum.values.length === 0 || counts.length !== datum.values.length) {
    throw new SimulationUsageError('values must be non-empty and counts (if given) as long as values');
  }
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  datum.values.forEach((v, i) => {
    const c = counts[i] ?? 1;
    assertFinite(v, 'values');
    assertFinite(c, 'counts');
    count += c;
    sum += v * c;
    if (c > 0) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  });
  if (count <= 0) throw new SimulationUsageError('counts must add up to more than 0');
  return { visibleAt, count, sum, min, max, dist: { values: [...datum.values], counts: [...counts] } };
}

function assertFinite(value: number, field: string): void {
  if (!Number.isFinite(value))
    throw new SimulationUsageError(`${field} must be a finite number, got ${value}`);
}

interface Bucket {
  count: number;
  sum: number;
  min: number;
  max: number;
  samples: [number, number][] | null;
}

function statisticOf(bucket: Bucket, stat: Statistic): number | undefined {
  switch (stat) {
    case 'Average':
      return bucket.sum / bucket.count;
    case 'Sum':
      return bucket.sum;
    case 'Minimum':
      return bucket.min;
    case 'Maximum':
      return bucket.max;
    case 'SampleCount':
      return bucket.count;
    default:
      return bucket.samples === null ? undefined : weightedPercentile(bucket.samples, Number(stat.slice(1)));
  }
}

export class CloudWatchStore {
  /** The metric alarms DescribeAlarms answers with. */
  readonly alarms = new AlarmRegistry();
  private readonly series = new Map<string, Series>();
  private points = 0;

  /** Number of points stored (all series). */
  get size(): number {
    return this.points;
  }

  /** Stores one point. Throws SimulationUsageError for non-finite values or bad shapes. */
  put(datum: MetricDatum): void {
    assertFinite(datum.timestampMs, 'timestampMs');
    const columns = columnsOf(datum);
    const key = seriesKey(datum.namespace, datum.metricName, datum.dimensions);
    let series = this.series.get(key);
    if (!series) {
      series = {
        times: [],
        resolution: [],
        visibleAt: [],
        unit: [],
        count: [],
        sum: [],
        min: [],
        max: [],
        dist: [],
      };
      this.series.set(key, series);
    }
    const t = datum.timestampMs;
    const unit = datum.unit ?? 'None';
    const last = series.times[series.times.length - 1];
    if (last === undefined || t >= last) {
      series.times.push(t);
      series.resolution.push(columns.resolution);
      series.visibleAt.push(columns.visibleAt);
      series.unit.push(unit);
      series.count.push(columns.count);
      series.sum.push(columns.sum);
      series.min.push(columns.min);
      series.max.push(columns.max);
      series.dist.push(columns.dist);
    } else {
      const at = lowerBound(series.times, t + 1);
      series.times.splice(at, 0, t);
      series.resolution.splice(at, 0, columns.resolution);
      series.visibleAt.splice(at, 0, columns.visibleAt);
      series.unit.splice(at, 0, unit);
      series.count.splice(at, 0, columns.count);
      series.sum.splice(at, 0, columns.sum);
      series.min.splice(at, 0, columns.min);
      series.max.splice(at, 0, columns.max);
      series.dist.splice(at, 0, columns.dist);
    }
    this.points++;
  }

  /**
   * Aggregates the series whose dimensions equal `dimensions` exactly into periods from the
   * aligned start up to `endMs` (exclusive). Periods without visible points are omitted.
   * With `nowMs`, each point counts at its granularity for its age (granularitySeconds):
   * its timestamp is rounded down to it, and a period that is not a multiple of it skips it.
   */
  query(q: MetricQueryInput): MetricQueryResult {
    if (!isSupportedStatistic(q.stat)) throw new SimulationUsageError(`unsupported statistic ${q.stat}`);
    if (!(q.periodSeconds > 0)) throw new SimulationUsageError(`period must be > 0, got ${q.periodSeconds}`);
    const stat: Statistic = q.stat;
    const series = this.series.get(seriesKey(q.namespace, q.metricName, q.dimensions));
    const result: MetricQueryResult = { timestamps: [], values: [] };
    if (!series) return result;
    const nowMs = q.nowMs ?? Number.POSITIVE_INFINITY;
    const aged = Number.isFinite(nowMs);
    const start = alignedStartMs(q.startMs, q.periodSeconds, aged ? nowMs : q.startMs);
    const periodMs = q.periodSeconds * 1000;
    const wantSamples = stat.startsWith('p');
    const buckets = new Map<number, Bucket>();
    // A point rounded down by up to an hour may still fall before endMs.
    for (let i = lowerBound(series.times, start); i < series.times.length; i++) {
      const raw = series.times[i] ?? Number.POSITIVE_INFINITY;
      if (raw >= q.endMs + HOUR_MS) break;
      if ((series.visibleAt[i] ?? 0) > nowMs) continue;
      if (q.unit !== undefined && series.unit[i] !== q.unit) continue;
      const granularity = aged
        ? granularitySeconds(series.resolution[i] ?? 60, nowMs - raw)
        : (series.resolution[i] ?? 60);
      if (granularity === undefined || q.periodSeconds % granularity !== 0) continue;
      const t = Math.floor(raw / (granularity * 1000)) * granularity * 1000;
      if (t < start || t >= q.endMs) continue;
      const index = Math.floor((t - start) / periodMs);
      let bucket = buckets.get(index);
      if (!bucket) {
        bucket = {
          count: 0,
          sum: 0,
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
          samples: wantSamples ? [] : null,
        };
        buckets.set(index, bucket);
      }
      bucket.count += series.count[i] ?? 0;
      bucket.sum += series.sum[i] ?? 0;
      bucket.min = Math.min(bucket.min, series.min[i] ?? Number.POSITIVE_INFINITY);
      bucket.max = Math.max(bucket.max, series.max[i] ?? Number.NEGATIVE_INFINITY);
      if (bucket.samples !== null) {
        const dist = series.dist[i];
        if (dist === null) bucket.samples = null;
        else if (dist === undefined) bucket.samples.push([series.min[i] ?? 0, 1]);
        else
          for (let j = 0; j < dist.values.length; j++)
            bucket.samples.push([dist.values[j] ?? 0, dist.counts[j] ?? 1]);
      }
    }
    for (const index of [...buckets.keys()].sort((x, y) => x - y)) {
      const value = statisticOf(buckets.get(index) as Bucket, stat);
      if (value !== undefined) {
        result.timestamps.push(start + index * periodMs);
        result.values.push(value);
      }
    }
    return result;
  }

  /**
   * ListMetrics: the metrics (namespace, name, dimensions) with a visible point within the
   * last two weeks (with `recentlyActive`, the last 3 hours), filtered as ListMetrics filters:
   * a dimension filter without a value matches any value of that dimension.
   */
  listMetrics(filter: {
    readonly namespace?: string;
    readonly metricName?: string;
    readonly dimensions?: readonly { readonly name: string; readonly value?: string }[];
    readonly recentlyActive?: boolean;
    readonly nowMs: number;
  }): { namespace: string; metricName: string; dimensions: Record<string, string> }[] {
    const since = filter.nowMs - (filter.recentlyActive ? 3 * HOUR_MS : 14 * DAY_MS);
    const out: { namespace: string; metricName: string; dimensions: Record<string, string> }[] = [];
    for (const [key, series] of this.series) {
      const [namespace = '', metricName = '', dims = ''] = key.split('\u0000');
      if (filter.namespace !== undefined && namespace !== filter.namespace) continue;
      if (filter.metricName !== undefined && metricName !== filter.metricName) continue;
      const dimensions = parseDimensions(dims);
      const wanted = filter.dimensions ?? [];
      if (
        !wanted.every(
          (d) =>
            Object.hasOwn(dimensions, d.name) && (d.value === undefined || dimensions[d.name] === d.value),
        )
      ) {
        continue;
      }
      let active = false;
      for (let i = series.times.length - 1; i >= 0 && !active; i--) {
        const t = series.times[i] ?? 0;
        if (t < since) break;
        active = (series.visibleAt[i] ?? 0) <= filter.nowMs;
      }
      if (active) out.push({ namespace, metricName, dimensions });
    }
    return out;
  }

  /**
   * Per series of `namespace` (namespace, metric name, dimensions: one custom metric), the
   * hours (epoch hour numbers) in [fromMs, toMs) in which it has a datapoint: CloudWatch bills
   * a custom metric by the hours it is sent in.
   */
  activeHours(namespace: string, fromMs: number, toMs: number): Map<string, Set<number>> {
    const prefix = `${namespace}\u0000`;
    const out = new Map<string, Set<number>>();
    for (const [key, series] of this.series) {
      if (!key.startsWith(prefix)) continue;
      const hours = new Set<number>();
      for (const t of series.times) if (t >= fromMs && t < toMs) hours.add(Math.floor(t / HOUR_MS));
      if (hours.size > 0) out.set(key, hours);
    }
    return out;
  }

  /** The dimension sets stored for a metric (what ListMetrics would list). */
  dimensionSets(namespace: string, metricName: string): Record<string, string>[] {
    const prefix = `${namespace}\u0000${metricName}\u0000`;
    const out: Record<string, string>[] = [];
    for (const key of this.series.keys()) {
      if (!key.startsWith(prefix)) continue;
      out.push(parseDimensions(key.slice(prefix.length)));
    }
    return out;
  }
}

/** The dimensions part of a series key, back as a record. */
function parseDimensions(dims: string): Record<string, string> {
  return Object.fromEntries(
    dims === ''
      ? []
      : dims.split('\u0001').map((pair) => {
          const at = pair.indexOf(NAME_VALUE);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
  );
}
