/**
 * From the config's metric mapping to GetMetricData queries, and from the returned
 * series to a metrics snapshot the policies read. Pure.
 */

import type {
  AppConfig,
  BacklogPreset,
  InputRatePreset,
  MetricPreset,
  MetricRef,
  MetricsConfig,
} from './config.js';
import type { MetricQuery, MetricSeries } from './domain.js';
import { METRIC_NAMES } from './metric-names.js';

export interface ResolvedMetrics {
  readonly namespace: string;
  readonly taskDimension: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly periodSeconds: number;
  readonly windowSeconds: number;
  readonly maxDataAgeSeconds: number;
  /** load = numerator / denominator * scale (busy fraction 0..1). */
  readonly load: { readonly numerator: string; readonly denominator?: string; readonly scale: number };
  readonly processedRate?: string;
  readonly backlog?: {
    readonly ref: MetricRef;
    readonly unit: 'records' | 'seconds';
    readonly scale: number;
  };
  /** Source input rate; `perPeriod` values are counts per period (divide by the period). */
  readonly inputRate?: { readonly ref: MetricRef; readonly perPeriod: boolean };
}

interface PresetDefaults {
  readonly namespace: string;
  readonly taskDimension: string;
  readonly loadMetric: string;
  readonly loadDenominatorMetric?: string;
  readonly loadScale: number;
  readonly processedRateMetric?: string;
}

const PRESETS: Readonly<Record<MetricPreset, PresetDefaults>> = {
  // The seed's custom metrics: load = task_duration / task_interval.
  seed: {
    namespace: METRIC_NAMES.seed.namespace,
    taskDimension: 'TaskId',
    loadMetric: METRIC_NAMES.seed.taskDuration,
    loadDenominatorMetric: METRIC_NAMES.seed.taskInterval,
    loadScale: 1,
  },
  // Flink's Prometheus reporter scraped by the CloudWatch agent: busyTimeMsPerSecond / 1000.
  'flink-prometheus': {
    namespace: METRIC_NAMES.flink.namespace,
    taskDimension: 'TaskId',
    loadMetric: METRIC_NAMES.flink.busyTimeMsPerSecond,
    loadScale: 1 / 1000,
    processedRateMetric: METRIC_NAMES.flink.numRecordsInPerSecond,
  },
  // Container Insights (enhanced observability) per task: CpuUtilized / CpuReserved.
  'container-insights-cpu': {
    namespace: METRIC_NAMES.containerInsights.namespace,
    taskDimension: 'TaskId',
    loadMetric: METRIC_NAMES.containerInsights.cpuUtilized,
    loadDenominatorMetric: METRIC_NAMES.containerInsights.cpuReserved,
    loadScale: 1,
  },
};

const BACKLOG_PRESETS: Readonly<
  Record<
    BacklogPreset,
    { namespace: string; metricName: string; stat: string; unit: 'records' | 'seconds'; scale: number }
  >
> = {
  'msk-consumer-lag': {
    namespace: 'AWS/Kafka',
    metricName: 'SumOffsetLag',
    stat: 'Maximum',
    unit: 'records',
    scale: 1,
  },
  'kinesis-iterator-age': {
    namespace: 'AWS/Kinesis',
    metricName: 'GetRecords.IteratorAgeMilliseconds',
    stat: 'Maximum',
    unit: 'seconds',
    scale: 1 / 1000,
  },
  'flink-pending-records': {
    namespace: METRIC_NAMES.flink.namespace,
    metricName: METRIC_NAMES.flink.pendingRecords,
    stat: 'Average',
    unit: 'records',
    scale: 1,
  },
};

const INPUT_RATE_PRESETS: Readonly<
  Record<InputRatePreset, { namespace: string; metricName: string; stat: string; perPeriod: boolean }>
> = {
  // Records put to the stream, summed per period.
  'kinesis-incoming-records': {
    namespace: 'AWS/Kinesis',
    metricName: 'IncomingRecords',
    stat: 'Sum',
    perPeriod: true,
  },
  // Messages/s into a topic (per broker unless the dimensions select an aggregate).
  'msk-messages-in': {
    namespace: 'AWS/Kafka',
    metricName: 'MessagesInPerSec',
    stat: 'Average',
    perPeriod: false,
  },
};

/** A job-level metric: the preset's names unless the config overrides them. */
function jobMetricRef(
  configured: { namespace?: string; metricName?: string; stat?: string; dimensions: Record<string, string> },
  preset: { namespace: string; metricName: string; stat: string },
): MetricRef {
  return {
    namespace: configured.namespace ?? preset.namespace,
    metricName: configured.metricName ?? preset.metricName,
    dimensions: configured.dimensions,
    stat: configured.stat ?? preset.stat,
  };
}

/** Applies the preset, then the config's overrides. */
export function resolveMetrics(metrics: MetricsConfig): ResolvedMetrics {
  const preset = PRESETS[metrics.preset];
  const denominator =
    metrics.loadDenominatorMetric ?? (metrics.loadMetric ? undefined : preset.loadDenominatorMetric);
  const processedRate = metrics.processedRateMetric ?? preset.processedRateMetric;
  const backlog = metrics.backlog;
  const backlogPreset = backlog ? BACKLOG_PRESETS[backlog.preset] : undefined;
  const input = metrics.inputRate;
  const inputPreset = input ? INPUT_RATE_PRESETS[input.preset] : undefined;
  return {
    namespace: metrics.namespace ?? preset.namespace,
    taskDimension: metrics.taskDimension ?? preset.taskDimension,
    dimensions: metrics.dimensions,
    periodSeconds: metrics.periodSeconds,
    windowSeconds: metrics.windowSeconds,
    maxDataAgeSeconds: metrics.maxDataAgeSeconds,
    load: {
      numerator: metrics.loadMetric ?? preset.loadMetric,
      ...(denominator ? { denominator } : {}),
      scale: metrics.loadScale ?? preset.loadScale,
    },
    ...(processedRate ? { processedRate } : {}),
    ...(backlog && backlogPreset
      ? {
          backlog: {
            ref: jobMetricRef(backlog, backlogPreset),
            unit: backlogPreset.unit,
            scale: backlogPreset.scale,
          },
        }
      : {}),
    ...(input && inputPreset
      ? {
          inputRate: {
            ref: jobMetricRef(input, inputPreset),
            perPeriod: inputPreset.perPeriod,
          },
        }
      : {}),
  };
}

/** Query ids: `n<i>`, `d<i>`, `r<i>` for the i-th TaskManager, `backlog` for the job. */
export function buildMetricQueries(resolved: ResolvedMetrics, taskIds: readonly string[]): MetricQuery[] {
  const queries: MetricQuery[] = [];
  const perTask = (id: string, metricName: string, taskId: string): MetricQuery => ({
    id,
    namespace: resolved.namespace,
    metricName,
    dimensions: { ...resolved.dimensions, [resolved.taskDimension]: taskId },
    stat: 'Average',
    periodSeconds: resolved.periodSeconds,
  });
  taskIds.forEach((taskId, i) => {
    queries.push(perTask(`n${i}`, resolved.load.numerator, taskId));
    if (resolved.load.denominator) queries.push(perTask(`d${i}`, resolved.load.denominator, taskId));
    if (resolved.processedRate) queries.push(perTask(`r${i}`, resolved.processedRate, taskId));
  });
  const jobQuery = (id: string, ref: MetricRef): MetricQuery => ({
    id,
    namespace: ref.namespace,
    metricName: ref.metricName,
    dimensions: ref.dimensions,
    stat: ref.stat,
    periodSeconds: resolved.periodSeconds,
  });
  if (resolved.backlog) queries.push(jobQuery('backlog', resolved.backlog.ref));
  if (resolved.inputRate) queries.push(jobQuery('input', resolved.inputRate.ref));
  return queries;
}

export interface TaskManagerSample {
  readonly at: number; // epoch ms of the datapoint
  readonly load: number; // busy fraction
  readonly processedRate?: number; // records/s
}

export interface TaskManagerMetrics {
  readonly taskId: string;
  /** Samples inside the window, oldest first (only timestamps where every needed metric has a value). */
  readonly samples: readonly TaskManagerSample[];
  /** Mean load over the window. */
  readonly load: number;
}

export interface BacklogMetrics {
  /** Latest backlog, in the metric's unit (records, or seconds of lag). */
  readonly latest: number;
  readonly unit: 'records' | 'seconds';
  /** Change per second over the window (records/s or s/s). */
  readonly slopePerSecond: number;
}

export interface InputRateMetrics {
  /** Records/s, mean over the window. */
  readonly mean: number;
  /** Records/s in the newest period. */
  readonly latest: number;
}

export interface MetricsSnapshot {
  /** TaskManagers with complete, fresh data. */
  readonly taskManagers: readonly TaskManagerMetrics[];
  /** Expected TaskManagers whose data is missing, partial or stale (young optional ones excluded). */
  readonly missing: readonly string[];
  readonly backlog?: BacklogMetrics;
  /** The source's input rate, when configured and fresh. */
  readonly inputRate?: InputRateMetrics;
  /** True when every expected TaskManager has fresh complete data, and the backlog too when configured. */
  readonly complete: boolean;
  readonly problems: readonly string[];
}

function seriesById(series: readonly MetricSeries[]): Map<string, MetricSeries> {
  return new Map(series.map((s) => [s.id, s]));
}

function valuesByTime(series: MetricSeries | undefined, fromMs: number): Map<number, number> {
  const out = new Map<number, number>();
  if (!series) return out;
  series.timestamps.forEach((t, i) => {
    const v = series.values[i];
    if (t >= fromMs && v !== undefined && Number.isFinite(v)) out.set(t, v);
  });
  return out;
}

/**
 * Turns GetMetricData results into per-TaskManager samples. A TaskManager is missing when
 * any of its series is not Complete, or when its newest usable sample is older than
 * maxDataAgeSeconds. Never throws on odd data: odd data is missing data.
 */
export interface SummarizeOptions {
  /** TaskManagers too young to have published yet: no data from them is not "missing". */
  readonly optional?: ReadonlySet<string>;
  /** Ignore datapoints before this (the settling period after a rescale). */
  readonly notBeforeMs?: number;
}

export function summarizeMetrics(
  resolved: ResolvedMetrics,
  taskIds: readonly string[],
  series: readonly MetricSeries[],
  nowMs: number,
  options: SummarizeOptions = {},
): MetricsSnapshot {
  const byId = seriesById(series);
  const fromMs = Math.max(nowMs - resolved.windowSeconds * 1000, options.notBeforeMs ?? 0);
  const optional = options.optional ?? new Set<string>();
  const freshAfter = nowMs - resolved.maxDataAgeSeconds * 1000;
  const taskManagers: TaskManagerMetrics[] = [];
  const missing: string[] = [];
  const problems: string[] = [];

  taskIds.forEach((taskId, i) => {
    const ids = [
      `n${i}`,
      resolved.load.denominator ? `d${i}` : undefined,
      resolved.processedRate ? `r${i}` : undefined,
    ];
    const bad = ids.filter((id): id is string => id !== undefined && byId.get(id)?.status !== 'Complete');
    if (bad.length > 0 && !optional.has(taskId)) {
      missing.push(taskId);
      problems.push(`${taskId}: ${bad.map((id) => `${id}=${byId.get(id)?.status ?? 'Missing'}`).join(',')}`);
      return;
    }
    const num = valuesByTime(byId.get(`n${i}`), fromMs);
    const den = resolved.load.denominator ? valuesByTime(byId.get(`d${i}`), fromMs) : undefined;
    const rate = resolved.processedRate ? valuesByTime(byId.get(`r${i}`), fromMs) : undefined;
    const samples: TaskManagerSample[] = [];
    for (const t of [...num.keys()].sort((a, b) => a - b)) {
      const n = num.get(t) as number;
      let load = n * resolved.load.scale;
      if (den) {
        const d = den.get(t);
        if (d === undefined || d <= 0) continue;
        load = (n / d) * resolved.load.scale;
      }
      const r = rate?.get(t);
      if (rate && r === undefined) continue;
      samples.push({
        at: t,
        load: Math.max(0, load),
        ...(r !== undefined ? { processedRate: Math.max(0, r) } : {}),
      });
    }
    const newest = samples.at(-1);
    if (bad.length > 0 || !newest || newest.at < freshAfter) {
      if (optional.has(taskId)) return;
      missing.push(taskId);
      problems.push(`${taskId}: no datapoint since ${new Date(freshAfter).toISOString()}`);
      return;
    }
    taskManagers.push({ taskId, samples, load: samples.reduce((a, s) => a + s.load, 0) / samples.length });
  });

  let backlog: BacklogMetrics | undefined;
  let backlogComplete = true;
  if (resolved.backlog) {
    const s = byId.get('backlog');
    const points = [...valuesByTime(s, fromMs).entries()].sort((a, b) => a[0] - b[0]);
    const last = points.at(-1);
    const first = points[0];
    if (s?.status !== 'Complete' || !last || !first || last[0] < freshAfter) {
      backlogComplete = false;
      problems.push(`backlog: ${s?.status ?? 'Missing'}${last ? '' : ', no datapoint'}`);
    } else {
      const scale = resolved.backlog.scale;
      const dt = (last[0] - first[0]) / 1000;
      backlog = {
        latest: Math.max(0, last[1] * scale),
        unit: resolved.backlog.unit,
        slopePerSecond: dt > 0 ? ((last[1] - first[1]) * scale) / dt : 0,
      };
    }
  }
  let inputRate: InputRateMetrics | undefined;
  if (resolved.inputRate) {
    const s = byId.get('input');
    const divisor = resolved.inputRate.perPeriod ? resolved.periodSeconds : 1;
    const points = [...valuesByTime(s, fromMs).entries()].sort((a, b) => a[0] - b[0]);
    const last = points.at(-1);
    if (s?.status === 'Complete' && last && last[0] >= freshAfter) {
      inputRate = {
        mean: points.reduce((a, p) => a + p[1], 0) / points.length / divisor,
        latest: last[1] / divisor,
      };
    } else {
      // Not fatal: the policy falls back to processed rate + backlog growth.
      problems.push(`input rate: ${s?.status ?? 'Missing'}${last ? '' : ', no datapoint'}`);
    }
  }
  return {
    taskManagers,
    missing,
    ...(backlog ? { backlog } : {}),
    ...(inputRate ? { inputRate } : {}),
    complete: missing.length === 0 && backlogComplete && taskManagers.length > 0,
    problems,
  };
}

/** Convenience for callers holding the whole config. */
export function resolveAppMetrics(config: AppConfig): ResolvedMetrics {
  return resolveMetrics(config.metrics);
}
