/**
 * From the config's metric mapping to GetMetricData queries, and from the returned series to
 * the metrics snapshot the policies read. Pure.
 *
 * Two shapes of reading:
 * - Job level (the flink-prometheus preset, from the definition in lib/core/flink-metrics.ts):
 *   a handful of series that cover the whole fleet (the bottleneck's busy time, the source's
 *   throughput and backlog, the heartbeat count), one query each whatever the number of
 *   TaskManagers. A period is used only once it is complete: every TaskManager that ran
 *   through it was scraped `k` times (the heartbeat's SampleCount says so) and the source's
 *   backlog was reported by as many subtasks as before (no job restart inside it). A newer
 *   period that is not complete yet is left out, never read as a smaller value.
 * - Per TaskManager (the seed's threshold rule, the seed and Container Insights presets, the
 *   failover's hot-TaskManager balance): one query per TaskManager and metric.
 */

import type {
  AppConfig,
  BacklogPreset,
  InputRatePreset,
  MetricPreset,
  MetricRef,
  PolicyMode,
} from './config.js';
import type { BacklogReading, MetricQuery, MetricSeries, TaskInfo } from './domain.js';
import {
  FLINK_DIMENSIONS,
  FLINK_METRICS,
  FLINK_METRICS_NAMESPACE,
  flinkJobDimensions,
} from './flink-metrics.js';
import { METRIC_DIMENSIONS, METRIC_NAMES } from './metric-names.js';

/** Per-TaskManager load: load = numerator / denominator × scale (busy fraction 0..1). */
export interface PerTaskMetrics {
  readonly namespace: string;
  readonly taskDimension: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly load: {
    readonly numerator: string;
    readonly denominator?: string;
    readonly scale: number;
    readonly stat: string;
  };
  /** Records/s per TaskManager (only when the config names one, for the presets without job-level series). */
  readonly processedRate?: string;
}

/** The job-level series of the flink-prometheus preset. */
export interface JobSeriesNames {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Maximum: the bottleneck's busyTimeMsPerSecond. */
  readonly busy: string;
  /** Sum: the source's numRecordsOutPerSecond, k datapoints per subtask and period. */
  readonly throughput: string;
  /** SampleCount: k per TaskManager scraped in the period. */
  readonly heartbeat: string;
  /** Datapoints each series gives per period (periodSeconds / scrapeIntervalSeconds). */
  readonly scrapesPerPeriod: number;
  readonly scrapeIntervalSeconds: number;
}

/**
 * Where the failover sees that a TaskManager is alive:
 * - `fleet`: the heartbeat's SampleCount over the fleet (one query), and per TaskManager only
 *   when the count cannot vouch for everyone (lib/core/heartbeat.ts);
 * - `per-task`: the per-TaskManager load numerator (the seed's custom metrics stop with the TaskManager);
 * - `none`: no metric that stops when a TaskManager freezes (Container Insights CPU keeps
 *   reporting, at 0): only ECS's container health check finds a hung one.
 */
export type HeartbeatSource =
  | {
      readonly kind: 'fleet';
      readonly namespace: string;
      readonly metricName: string;
      readonly fleetDimensions: Readonly<Record<string, string>>;
      readonly taskDimensions: Readonly<Record<string, string>>;
      readonly taskDimension: string;
      readonly scrapesPerPeriod: number;
      readonly scrapeIntervalSeconds: number;
    }
  | { readonly kind: 'per-task' }
  | { readonly kind: 'none'; readonly reason: string };

export type ResolvedBacklog =
  /** Σ pendingRecords of the source subtasks: Sum / k per period, complete when SampleCount does not drop. */
  | {
      readonly kind: 'flink';
      readonly sum: MetricRef;
      readonly count: MetricRef;
      readonly unit: 'records';
      readonly scale: number;
    }
  | {
      readonly kind: 'series';
      readonly ref: MetricRef;
      readonly unit: 'records' | 'seconds';
      readonly scale: number;
    };

export interface ResolvedMetrics {
  readonly preset: MetricPreset;
  readonly periodSeconds: number;
  readonly windowSeconds: number;
  readonly maxDataAgeSeconds: number;
  readonly ingestionDelaySeconds: number;
  /** As configured; undefined: the fleet-size-bounded default (lib/core/heartbeat.ts loadsIntervalSeconds). */
  readonly taskManagerLoadEverySeconds: number | undefined;
  readonly perTask: PerTaskMetrics;
  /** Job-level series (flink-prometheus); absent for the presets that publish per TaskManager only. */
  readonly job?: JobSeriesNames;
  readonly heartbeat: HeartbeatSource;
  readonly backlog?: ResolvedBacklog;
  readonly inputRate?: ResolvedInputRate;
}

export type ResolvedInputRate =
  /** The sum of these series; `perPeriod` values are counts per period (divide by the period). */
  | { readonly kind: 'series'; readonly refs: readonly MetricRef[]; readonly perPeriod: boolean }
  /** The growth of the topic's log end as the Kafka source sees it: Σ currentOffset (this Sum) + Σ pendingRecords. */
  | { readonly kind: 'flink-offsets'; readonly sum: MetricRef };

interface PresetDefaults {
  readonly namespace: string;
  readonly taskDimension: string;
  readonly loadMetric: string;
  readonly loadDenominatorMetric?: string;
  readonly loadScale: number;
  readonly loadStat: string;
}

const PRESETS: Readonly<Record<MetricPreset, PresetDefaults>> = {
  // The seed's custom metrics: load = task_duration / task_interval.
  seed: {
    namespace: METRIC_NAMES.seed.namespace,
    taskDimension: METRIC_DIMENSIONS.taskId,
    loadMetric: METRIC_NAMES.seed.taskDuration,
    loadDenominatorMetric: METRIC_NAMES.seed.taskInterval,
    loadScale: 1,
    loadStat: 'Average',
  },
  // Flink's busy time per TaskManager: the Maximum over its subtasks is its busiest task thread.
  'flink-prometheus': {
    namespace: FLINK_METRICS_NAMESPACE,
    taskDimension: FLINK_DIMENSIONS.taskId,
    loadMetric: FLINK_METRICS.busyTime,
    loadScale: 1 / 1000,
    loadStat: 'Maximum',
  },
  // Container Insights (enhanced observability) per task: CpuUtilized / CpuReserved.
  'container-insights-cpu': {
    namespace: METRIC_NAMES.containerInsights.namespace,
    taskDimension: METRIC_DIMENSIONS.taskId,
    loadMetric: METRIC_NAMES.containerInsights.cpuUtilized,
    loadDenominatorMetric: METRIC_NAMES.containerInsights.cpuReserved,
    loadScale: 1,
    loadStat: 'Average',
  },
};

const SERIES_BACKLOG_PRESETS: Readonly<
  Record<
    Exclude<BacklogPreset, 'flink-pending-records'>,
    { namespace: string; metricName: string; stat: string; unit: 'records' | 'seconds'; scale: number }
  >
> = {
  'msk-consumer-lag': {
    namespace: METRIC_NAMES.msk.namespace,
    metricName: METRIC_NAMES.msk.sumOffsetLag,
    stat: 'Maximum',
    unit: 'records',
    scale: 1,
  },
  'kinesis-iterator-age': {
    namespace: METRIC_NAMES.kinesis.namespace,
    metricName: METRIC_NAMES.kinesis.iteratorAgeMilliseconds,
    stat: 'Maximum',
    unit: 'seconds',
    scale: 1 / 1000,
  },
};

const INPUT_RATE_PRESETS: Readonly<
  Record<
    Exclude<InputRatePreset, 'flink-kafka-offsets'>,
    { namespace: string; metricName: string; stat: string; perPeriod: boolean }
  >
> = {
  // Records put to the stream, summed per period.
  'kinesis-incoming-records': {
    namespace: METRIC_NAMES.kinesis.namespace,
    metricName: METRIC_NAMES.kinesis.incomingRecords,
    stat: 'Sum',
    perPeriod: true,
  },
  // Messages/s into a broker (per topic at the PER_TOPIC_PER_BROKER level): summed over brokerIds.
  'msk-messages-in': {
    namespace: METRIC_NAMES.msk.namespace,
    metricName: METRIC_NAMES.msk.messagesInPerSec,
    stat: 'Average',
    perPeriod: false,
  },
};

/** A job-level metric: the preset's names unless the config overrides them. */
function metricRef(
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

function resolveBacklog(
  config: AppConfig,
  jobDimensions: Record<string, string>,
): ResolvedBacklog | undefined {
  const backlog = config.metrics.backlog;
  if (!backlog) return undefined;
  if (backlog.preset === 'flink-pending-records') {
    const dims = Object.keys(backlog.dimensions).length > 0 ? backlog.dimensions : jobDimensions;
    const ref = (stat: string): MetricRef => ({
      namespace: backlog.namespace ?? FLINK_METRICS_NAMESPACE,
      metricName: backlog.metricName ?? FLINK_METRICS.sourcePendingRecords,
      dimensions: dims,
      stat,
    });
    return { kind: 'flink', sum: ref('Sum'), count: ref('SampleCount'), unit: 'records', scale: 1 };
  }
  const preset = SERIES_BACKLOG_PRESETS[backlog.preset];
  return { kind: 'series', ref: metricRef(backlog, preset), unit: preset.unit, scale: preset.scale };
}

function resolveInputRate(
  config: AppConfig,
  jobDimensions: Record<string, string>,
): ResolvedInputRate | undefined {
  const input = config.metrics.inputRate;
  if (!input) return undefined;
  if (input.preset === 'flink-kafka-offsets') {
    return {
      kind: 'flink-offsets',
      sum: {
        namespace: input.namespace ?? FLINK_METRICS_NAMESPACE,
        metricName: input.metricName ?? FLINK_METRICS.sourceCurrentOffset,
        dimensions: Object.keys(input.dimensions).length > 0 ? input.dimensions : jobDimensions,
        stat: 'Sum',
      },
    };
  }
  const preset = INPUT_RATE_PRESETS[input.preset];
  const base = metricRef(input, preset);
  const refs = input.brokerIds
    ? input.brokerIds.map((id) => ({
        ...base,
        dimensions: { ...base.dimensions, [METRIC_DIMENSIONS.mskBrokerId]: id },
      }))
    : [base];
  return { kind: 'series', refs, perPeriod: preset.perPeriod };
}

/** Applies the preset and the definition, then the config's overrides. */
export function resolveMetrics(config: AppConfig): ResolvedMetrics {
  const metrics = config.metrics;
  const preset = PRESETS[metrics.preset];
  const denominator =
    metrics.loadDenominatorMetric ?? (metrics.loadMetric ? undefined : preset.loadDenominatorMetric);
  const flink = metrics.preset === 'flink-prometheus';
  const clusterName = metrics.dimensions[FLINK_DIMENSIONS.clusterName] ?? config.ecs.cluster;
  const jobDimensions = flinkJobDimensions(clusterName, config.ecs.service);
  const scrapesPerPeriod = metrics.periodSeconds / metrics.scrapeIntervalSeconds;
  const perTask: PerTaskMetrics = {
    namespace: metrics.namespace ?? preset.namespace,
    taskDimension: metrics.taskDimension ?? preset.taskDimension,
    dimensions: flink
      ? { [FLINK_DIMENSIONS.clusterName]: clusterName, ...metrics.dimensions }
      : metrics.dimensions,
    load: {
      numerator: metrics.loadMetric ?? preset.loadMetric,
      ...(denominator ? { denominator } : {}),
      scale: metrics.loadScale ?? preset.loadScale,
      stat: preset.loadStat,
    },
    ...(metrics.processedRateMetric ? { processedRate: metrics.processedRateMetric } : {}),
  };
  const heartbeat: HeartbeatSource = flink
    ? {
        kind: 'fleet',
        namespace: FLINK_METRICS_NAMESPACE,
        metricName: FLINK_METRICS.heartbeat,
        fleetDimensions: jobDimensions,
        taskDimensions: { [FLINK_DIMENSIONS.clusterName]: clusterName },
        taskDimension: FLINK_DIMENSIONS.taskId,
        scrapesPerPeriod,
        scrapeIntervalSeconds: metrics.scrapeIntervalSeconds,
      }
    : metrics.preset === 'seed'
      ? { kind: 'per-task' }
      : {
          kind: 'none',
          reason:
            'Container Insights CPU keeps reporting (at 0) for a frozen TaskManager: no metric heartbeat',
        };
  const backlog = resolveBacklog(config, jobDimensions);
  const inputRate = resolveInputRate(config, jobDimensions);
  return {
    preset: metrics.preset,
    periodSeconds: metrics.periodSeconds,
    windowSeconds: metrics.windowSeconds,
    maxDataAgeSeconds: metrics.maxDataAgeSeconds,
    ingestionDelaySeconds: metrics.ingestionDelaySeconds,
    taskManagerLoadEverySeconds: metrics.taskManagerLoadEverySeconds,
    perTask,
    ...(flink
      ? {
          job: {
            namespace: FLINK_METRICS_NAMESPACE,
            dimensions: jobDimensions,
            busy: FLINK_METRICS.busyTime,
            throughput: FLINK_METRICS.sourceRecordsOut,
            heartbeat: FLINK_METRICS.heartbeat,
            scrapesPerPeriod,
            scrapeIntervalSeconds: metrics.scrapeIntervalSeconds,
          },
        }
      : {}),
    heartbeat,
    ...(backlog ? { backlog } : {}),
    ...(inputRate ? { inputRate } : {}),
  };
}

// ---------------------------------------------------------------- queries

/** The span of Flink's MeterView rates (numRecordsOutPerSecond …): a 60 s window. */
export const METER_SPAN_SECONDS = 60;

/**
 * Where an evaluation's GetMetricData starts: the window and one period before it (the first
 * period's offsets growth is measured from it). A metric costs the same whatever its datapoints.
 */
export function queryStartMs(resolved: ResolvedMetrics, nowMs: number): number {
  return nowMs - (resolved.windowSeconds + resolved.periodSeconds) * 1000;
}

/** Query ids of the job-level series. */
export const JOB_QUERY_IDS = {
  busy: 'jb',
  busyAverage: 'ja',
  throughput: 'jt',
  heartbeat: 'jh',
  backlogSum: 'bs',
  backlogCount: 'bc',
  backlog: 'backlog',
  offsets: 'jo',
} as const;

/** `n<i>`, `d<i>`, `r<i>` for the i-th TaskManager: its load numerator, denominator and processed rate. */
export function perTaskQueries(
  resolved: ResolvedMetrics,
  taskIds: readonly string[],
  options: { readonly processedRate?: boolean } = {},
): MetricQuery[] {
  const p = resolved.perTask;
  const q = (id: string, metricName: string, taskId: string, stat: string): MetricQuery => ({
    id,
    namespace: p.namespace,
    metricName,
    dimensions: { ...p.dimensions, [p.taskDimension]: taskId },
    stat,
    periodSeconds: resolved.periodSeconds,
  });
  return taskIds.flatMap((taskId, i) => [
    q(`n${i}`, p.load.numerator, taskId, p.load.stat),
    ...(p.load.denominator ? [q(`d${i}`, p.load.denominator, taskId, 'Average')] : []),
    ...(options.processedRate && p.processedRate ? [q(`r${i}`, p.processedRate, taskId, 'Average')] : []),
  ]);
}

function refQuery(id: string, ref: MetricRef, periodSeconds: number): MetricQuery {
  return {
    id,
    namespace: ref.namespace,
    metricName: ref.metricName,
    dimensions: ref.dimensions,
    stat: ref.stat,
    periodSeconds,
  };
}

/** The job-level queries: busy (Maximum, and Average when asked), throughput, heartbeat count, backlog, input. */
export function jobQueries(
  resolved: ResolvedMetrics,
  options: { readonly average?: boolean } = {},
): MetricQuery[] {
  const out: MetricQuery[] = [];
  const P = resolved.periodSeconds;
  const job = resolved.job;
  if (job) {
    const ref = (metricName: string, stat: string): MetricRef => ({
      namespace: job.namespace,
      metricName,
      dimensions: job.dimensions,
      stat,
    });
    out.push(
      refQuery(JOB_QUERY_IDS.busy, ref(job.busy, 'Maximum'), P),
      ...(options.average ? [refQuery(JOB_QUERY_IDS.busyAverage, ref(job.busy, 'Average'), P)] : []),
      ...(throughputFromOffsets(resolved)
        ? []
        : [refQuery(JOB_QUERY_IDS.throughput, ref(job.throughput, 'Sum'), P)]),
      refQuery(JOB_QUERY_IDS.heartbeat, ref(job.heartbeat, 'SampleCount'), P),
    );
  }
  const backlog = resolved.backlog;
  if (backlog?.kind === 'flink') {
    out.push(
      refQuery(JOB_QUERY_IDS.backlogSum, backlog.sum, P),
      refQuery(JOB_QUERY_IDS.backlogCount, backlog.count, P),
    );
  } else if (backlog) {
    out.push(refQuery(JOB_QUERY_IDS.backlog, backlog.ref, P));
  }
  const input = resolved.inputRate;
  if (input?.kind === 'flink-offsets') out.push(refQuery(JOB_QUERY_IDS.offsets, input.sum, P));
  else
    input?.refs.forEach((ref, i) => {
      out.push(refQuery(`in${i}`, ref, P));
    });
  return out;
}

/** True when the job's throughput comes from the Kafka source's offsets (no throughput meter read). */
function throughputFromOffsets(resolved: ResolvedMetrics): boolean {
  return resolved.inputRate?.kind === 'flink-offsets';
}

/**
 * What the scaler asks for on a tick. The rate policy with job-level series: the job queries
 * only (a fixed handful, whatever the fleet size). The threshold policy (the seed's rule,
 * per TaskManager by definition) and the presets without job-level series: one query per
 * TaskManager and metric, plus the job's backlog and input.
 */
export function scalerQueries(
  resolved: ResolvedMetrics,
  mode: PolicyMode,
  taskIds: readonly string[],
): MetricQuery[] {
  if (mode === 'threshold') return perTaskQueries(resolved, taskIds);
  if (resolved.job) return jobQueries(resolved);
  return [...perTaskQueries(resolved, taskIds, { processedRate: true }), ...jobQueries(resolved)];
}

// ---------------------------------------------------------------- summaries

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

/** One complete period of the whole job. */
export interface JobSample {
  /** Start of the period (epoch ms). */
  readonly at: number;
  /** Records/s the job processed (the source's throughput). */
  readonly processed: number;
  /** The bottleneck's busy fraction. */
  readonly maxBusy: number;
  /** TaskManagers scraped in the period. */
  readonly reporting: number;
  /** Σ pendingRecords of the source subtasks (records), when the Flink backlog is configured. */
  readonly backlog?: number;
}

export interface BacklogMetrics {
  /** Latest backlog, in the metric's unit (records, or seconds of lag). */
  readonly latest: number;
  /** The start of the period `latest` was read in (epoch ms), for the Flink backlog. */
  readonly at?: number;
  readonly unit: 'records' | 'seconds';
  /** Change per second over the window (records/s or s/s). */
  readonly slopePerSecond: number;
}

export interface InputRateMetrics {
  /** Records/s, mean over the window. */
  readonly mean: number;
  /** Records/s in the newest period. */
  readonly latest: number;
  /**
   * Records/s in the period before the newest, when the window has it. A newest reading well
   * above it may be a step still under way (lib/core/policy.ts, risingInput).
   */
  readonly previous?: number;
}

/**
 * A backlog the job has at least (Flink backlog): Σ pendingRecords / k of a period that may be
 * partial (sources restarting, a TaskManager's scrapes missing or not visible yet). Each
 * reported series gave at most k samples, so the records of the sources that did not report
 * can only be missing from it. Only a scale-out may act on it.
 */
export type BacklogFloor = BacklogReading;

export interface MetricsSnapshot {
  /** TaskManagers with complete, fresh per-TaskManager data (when per-TaskManager series were read). */
  readonly taskManagers: readonly TaskManagerMetrics[];
  /** Expected TaskManagers whose per-TaskManager data is missing, partial or stale. */
  readonly missing: readonly string[];
  /** The job's complete periods, oldest first (job-level series). */
  readonly job?: readonly JobSample[];
  readonly backlog?: BacklogMetrics;
  /** The source's input rate, when configured and fresh. */
  readonly inputRate?: InputRateMetrics;
  /** A fresh period newer than the newest complete one, with the backlog it has at least (job-level Flink backlog). */
  readonly backlogFloor?: BacklogFloor;
  /** True when every expected series is complete and fresh (the only data a scale-in may use). */
  readonly complete: boolean;
  /** TaskManagers the data covers, of those expected (for the decision record). */
  readonly coverage: { readonly covered: number; readonly expected: number };
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

export interface SummarizeOptions {
  /** TaskManagers too young to have published yet: no data from them is not "missing". */
  readonly optional?: ReadonlySet<string>;
  /** Ignore datapoints before this (the settling period after a rescale). */
  readonly notBeforeMs?: number;
}

export interface PerTaskSummary {
  readonly taskManagers: readonly TaskManagerMetrics[];
  readonly missing: readonly string[];
  readonly problems: readonly string[];
}

/**
 * Per-TaskManager samples from the series of `perTaskQueries(resolved, taskIds)`. A
 * TaskManager is missing when any of its series is not Complete, or when its newest usable
 * sample is older than maxDataAgeSeconds. Never throws on odd data: odd data is missing data.
 */
export function summarizePerTask(
  resolved: ResolvedMetrics,
  taskIds: readonly string[],
  series: readonly MetricSeries[],
  nowMs: number,
  options: SummarizeOptions & { readonly processedRate?: boolean } = {},
): PerTaskSummary {
  const byId = seriesById(series);
  const fromMs = Math.max(nowMs - resolved.windowSeconds * 1000, options.notBeforeMs ?? 0);
  const optional = options.optional ?? new Set<string>();
  const freshAfter = nowMs - resolved.maxDataAgeSeconds * 1000;
  const withRate = (options.processedRate ?? false) && resolved.perTask.processedRate !== undefined;
  const load = resolved.perTask.load;
  const taskManagers: TaskManagerMetrics[] = [];
  const missing: string[] = [];
  const problems: string[] = [];

  taskIds.forEach((taskId, i) => {
    const ids = [`n${i}`, load.denominator ? `d${i}` : undefined, withRate ? `r${i}` : undefined];
    const bad = ids.filter((id): id is string => id !== undefined && byId.get(id)?.status !== 'Complete');
    if (bad.length > 0 && !optional.has(taskId)) {
      missing.push(taskId);
      problems.push(`${taskId}: ${bad.map((id) => `${id}=${byId.get(id)?.status ?? 'Missing'}`).join(',')}`);
      return;
    }
    const num = valuesByTime(byId.get(`n${i}`), fromMs);
    const den = load.denominator ? valuesByTime(byId.get(`d${i}`), fromMs) : undefined;
    const rate = withRate ? valuesByTime(byId.get(`r${i}`), fromMs) : undefined;
    const samples: TaskManagerSample[] = [];
    for (const t of [...num.keys()].sort((a, b) => a - b)) {
      const n = num.get(t) as number;
      let value = n * load.scale;
      if (den) {
        const d = den.get(t);
        if (d === undefined || d <= 0) continue;
        value = (n / d) * load.scale;
      }
      const r = rate?.get(t);
      if (rate && r === undefined) continue;
      samples.push({
        at: t,
        load: Math.max(0, value),
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
  return { taskManagers, missing, problems };
}

/** What ECS said about the TaskManagers when the series were read. */
export interface FleetView {
  /** The service's tasks (ListTasks + DescribeTasks). */
  readonly tasks: readonly TaskInfo[];
  /** The service's runningCount (ListTasks is eventually consistent and may list fewer). */
  readonly runningCount: number;
}

export interface JobSummary {
  /** Complete periods, oldest first. */
  readonly samples: readonly JobSample[];
  /**
   * The topic's log end, Σ (currentOffset + pendingRecords), of every period of the window in
   * which every source subtask reported (flink-kafka-offsets), oldest first.
   */
  readonly logEnds: readonly { readonly at: number; readonly logEnd: number }[];
  /** The log end of the period before the window, when every source subtask reported in it (the input's `previous` reading). */
  readonly logEndBefore?: { readonly at: number; readonly logEnd: number };
  /** The newest period's backlog as a floor, complete or not (see BacklogFloor). */
  readonly backlogFloor?: BacklogFloor;
  /** Every period that should be visible by now is complete, and the newest covers every running TaskManager. */
  readonly complete: boolean;
  readonly coverage: { readonly covered: number; readonly expected: number };
  readonly problems: readonly string[];
}

/** RUNNING tasks, each with when it started (epoch ms; unknown: long ago). */
function runningTasks(tasks: readonly TaskInfo[]): { taskId: string; startedAtMs: number }[] {
  return tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => ({ taskId: t.taskId, startedAtMs: t.startedAt?.getTime() ?? Number.NEGATIVE_INFINITY }));
}

/**
 * True when a period's source samples are fewer than its TaskManager scrapes carry at the
 * window's most sources per scrape: some source subtasks did not report while their
 * TaskManagers answered (a restart; with region failover, even one subtask's). A TaskManager
 * less lowers both counts and is not short (the heartbeat check judges that). Judged only on
 * periods whose scrape count is exact, so no slack is given: any shortfall is partial data.
 */
export function sourcesShort(sourceSamples: number, scrapes: number | undefined, perScrape: number): boolean {
  return sourceSamples < perScrape * Math.max(0, scrapes ?? 0) - 1e-9 || (scrapes ?? 0) <= 0;
}

/** True when the listed task had started (RUNNING at some point) before endMs: it may have answered a scrape before then. */
export function startedBefore(task: TaskInfo, endMs: number): boolean {
  const started =
    task.startedAt?.getTime() ?? (task.lastStatus === 'RUNNING' ? Number.NEGATIVE_INFINITY : undefined);
  return started !== undefined && started < endMs;
}

/** Period starts in [fromMs, toMs) on the period grid (CloudWatch aligns periods to multiples of the period). */
function periodStarts(fromMs: number, toMs: number, periodMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(fromMs / periodMs) * periodMs; t < toMs; t += periodMs) out.push(t);
  return out;
}

/**
 * The job's periods from the series of `jobQueries(resolved)`. A period is complete when:
 * every job-level series came back Complete; it has the bottleneck's busy time, the throughput
 * and the heartbeat count; the count is at least k for every TaskManager that ran through all
 * of it (RUNNING and started a scrape interval before it began) and at most k for every one that
 * may have answered in it (the sums then hold k samples of each); and, with the Flink backlog,
 * its backlog datapoint exists and its SampleCount is not below its heartbeat count times the
 * window's most sources per scrape (sourcesShort: source subtasks were missing while their
 * TaskManagers answered, a restart). The summary
 * is complete when every period that should be visible by now (ingestionDelaySeconds after
 * its end) is complete, the newest complete one is fresh, and its count covers every
 * TaskManager running now.
 */
export function summarizeJob(
  resolved: ResolvedMetrics,
  series: readonly MetricSeries[],
  fleet: FleetView,
  nowMs: number,
  options: { readonly notBeforeMs?: number } = {},
): JobSummary {
  const job = resolved.job;
  const problems: string[] = [];
  const running = runningTasks(fleet.tasks);
  const expectedNow = Math.max(running.length, fleet.runningCount);
  if (!job) {
    return {
      samples: [],
      logEnds: [],
      complete: false,
      coverage: { covered: 0, expected: expectedNow },
      problems: ['no job-level series'],
    };
  }
  const ids = JOB_QUERY_IDS;
  const byId = seriesById(series);
  const flinkBacklog = resolved.backlog?.kind === 'flink';
  // With the Kafka source's offsets, the throughput is their growth (records read), not a meter.
  const fromOffsets = resolved.inputRate?.kind === 'flink-offsets';
  const needed: string[] = [
    ids.busy,
    ids.heartbeat,
    fromOffsets ? ids.offsets : ids.throughput,
    ...(flinkBacklog ? [ids.backlogSum, ids.backlogCount] : []),
  ];
  const notComplete = needed.filter((id) => byId.get(id)?.status !== 'Complete');
  for (const id of notComplete) problems.push(`${id}: ${byId.get(id)?.status ?? 'Missing'}`);

  const periodMs = resolved.periodSeconds * 1000;
  // Every period of the window is judged (a restart before the settling ends still marks the
  // periods after it); only those from notBeforeMs on are used. The period before the window
  // (queryStartMs asks for it) only gives the offsets the first period's growth starts from.
  const windowFrom = nowMs - resolved.windowSeconds * 1000;
  const lookbackFrom = windowFrom - periodMs;
  const fromMs = Math.max(windowFrom, options.notBeforeMs ?? 0);
  const k = job.scrapesPerPeriod;
  const busy = valuesByTime(byId.get(ids.busy), lookbackFrom);
  const throughput = valuesByTime(byId.get(ids.throughput), lookbackFrom);
  const heartbeat = valuesByTime(byId.get(ids.heartbeat), lookbackFrom);
  const backlogSum = valuesByTime(byId.get(ids.backlogSum), lookbackFrom);
  const backlogCount = valuesByTime(byId.get(ids.backlogCount), lookbackFrom);
  const offsets = valuesByTime(byId.get(ids.offsets), lookbackFrom);

  const dueBefore = nowMs - resolved.ingestionDelaySeconds * 1000 - periodMs + 1;
  const due = new Set(periodStarts(fromMs, dueBefore, periodMs));
  const starts = [...new Set([...periodStarts(windowFrom, dueBefore, periodMs), ...heartbeat.keys()])]
    .filter((t) => t >= lookbackFrom && t < nowMs)
    .sort((a, b) => a - b);
  const samples: JobSample[] = [];
  const logEnds: { at: number; logEnd: number }[] = [];
  let logEndBefore: { at: number; logEnd: number } | undefined;
  const incompleteDue: string[] = [];
  let backlogFloor: BacklogFloor | undefined;
  // A period's sums are k samples of every TaskManager's series only when its heartbeat count is
  // k for each TaskManager that ran through it and at most k for each that may have answered in
  // it (listed, started before it ended): a shorter count lacks someone's scrapes, a longer one
  // holds someone's scrape twice (a late scrape of the period before, or one that left). Only
  // such periods set the sources per scrape (in one not fully visible yet the two counts need
  // not have caught up alike).
  const through = (t: number): number =>
    running.filter((r) => r.startedAtMs <= t - job.scrapeIntervalSeconds * 1000).length;
  const mayAnswer = (t: number): number => fleet.tasks.filter((x) => startedBefore(x, t + periodMs)).length;
  const surplus = (t: number): boolean => (heartbeat.get(t) ?? 0) > k * mayAnswer(t);
  const heartbeatExact = (t: number): boolean => {
    const hb = heartbeat.get(t);
    return hb !== undefined && hb > 0 && hb >= k * through(t) && !surplus(t);
  };
  // Source samples per TaskManager scrape: the most any period of the window had. Every scrape of
  // a TaskManager carries one sample per source subtask it runs, so a restart (sources gone while
  // the TaskManagers still answer) lowers the ratio, while a change of the fleet (a kill, a
  // scale-in or -out: reactive mode runs a source subtask per slot) moves both counts together.
  // A period with fewer is partial (sourcesShort).
  // Where the sources do not fill the slots (fewer partitions than slots), a scale-out lowers the
  // ratio and the older periods keep the newer ones partial until they leave the window.
  const sourcesPerScrape = Math.max(
    0,
    ...[...backlogCount.entries()]
      .filter(([t]) => t < nowMs && heartbeatExact(t))
      .map(([t, v]) => v / (heartbeat.get(t) as number)),
  );
  // Flink's per-second meters average the last 60 s (MeterView): for that long after the job's
  // tasks (re)start they read low. A period in which the source was missing or short (a restart)
  // makes the periods of the next 60 s partial too (the meters only: offsets are exact).
  const meterPeriods = Math.ceil(METER_SPAN_SECONDS / resolved.periodSeconds);
  let restartedAt = Number.NEGATIVE_INFINITY;
  /** The newest earlier period every source subtask reported in, since the last restart (its Σ currentOffset). */
  let lastSource: { at: number; offsets: number } | undefined;
  for (const t of starts) {
    const reasons: string[] = [];
    if (notComplete.length > 0) reasons.push('series not complete');
    if (!fromOffsets && t > restartedAt && t <= restartedAt + meterPeriods * periodMs) {
      reasons.push('the rate meters are still filling after a restart');
    }
    const hb = heartbeat.get(t);
    const heartbeatOk = hb !== undefined && heartbeatExact(t);
    if (hb === undefined) reasons.push('no heartbeat count');
    else if (hb < k * through(t)) reasons.push(`heartbeat ${hb} < ${k}×${through(t)}`);
    const b = busy.get(t);
    const offset = offsets.get(t);
    let restart = false;
    if (b === undefined || (fromOffsets ? offset === undefined : throughput.get(t) === undefined)) {
      reasons.push(fromOffsets ? 'no busy time or source offsets' : 'no busy time or throughput');
      restart = hb !== undefined;
    }
    let backlog: number | undefined;
    if (flinkBacklog) {
      const sum = backlogSum.get(t);
      const count = backlogCount.get(t);
      if (sum === undefined || count === undefined) {
        reasons.push('no backlog');
        restart ||= hb !== undefined;
      } else if (sourcesShort(count, hb, sourcesPerScrape)) {
        reasons.push(
          `backlog from ${count} source samples in ${hb ?? 0} TaskManager scrapes (up to ${+sourcesPerScrape.toFixed(2)} a scrape in the window)`,
        );
        restart = true;
      } else backlog = sum / k;
    }
    if (restart) {
      restartedAt = t;
      lastSource = undefined;
    }
    // The log end counts whatever the meters and the settling say: a restart's rewind leaves it unchanged.
    const sourcesComplete =
      notComplete.length === 0 && heartbeatOk && backlog !== undefined && offset !== undefined;
    if (t < windowFrom) {
      lastSource = sourcesComplete ? { at: t, offsets: offset as number } : undefined;
      logEndBefore = sourcesComplete
        ? { at: t, logEnd: (offset as number) / k + (backlog as number) }
        : undefined;
      continue;
    }
    if (sourcesComplete) logEnds.push({ at: t, logEnd: (offset as number) / k + (backlog as number) });
    let processed: number | undefined;
    if (!fromOffsets) processed = (throughput.get(t) ?? 0) / k;
    else if (sourcesComplete && lastSource) {
      processed = ((offset as number) - lastSource.offsets) / k / ((t - lastSource.at) / 1000);
    } else if (sourcesComplete) reasons.push('no earlier period to measure the offsets’ growth from');
    if (sourcesComplete) lastSource = { at: t, offsets: offset as number };
    if (t < fromMs) continue;
    const pending = backlogSum.get(t);
    if (flinkBacklog && pending !== undefined && !surplus(t)) {
      backlogFloor = { at: t, records: Math.max(0, pending / k) };
    }
    // More scrapes than the listed TaskManagers give: a TaskManager that left since (ListTasks no
    // longer lists it), or one scrape counted twice. Not usable, but nothing is missing from it.
    if (reasons.length === 0 && surplus(t)) continue;
    if (reasons.length > 0 || processed === undefined) {
      if (due.has(t)) incompleteDue.push(`${new Date(t).toISOString()}: ${reasons.join(', ')}`);
      continue;
    }
    samples.push({
      at: t,
      processed: Math.max(0, processed),
      maxBusy: Math.max(0, (b as number) / 1000),
      reporting: Math.round((hb as number) / k),
      ...(backlog !== undefined ? { backlog: Math.max(0, backlog) } : {}),
    });
  }
  problems.push(...incompleteDue.map((p) => `period ${p}`));
  const newest = samples.at(-1);
  const freshAfter = nowMs - resolved.maxDataAgeSeconds * 1000;
  const covered = newest?.reporting ?? 0;
  if (newest && newest.at < freshAfter)
    problems.push(`no complete period since ${new Date(freshAfter).toISOString()}`);
  if (newest && covered < expectedNow)
    problems.push(`newest complete period covers ${covered} of ${expectedNow} running TaskManagers`);
  const complete =
    newest !== undefined &&
    incompleteDue.length === 0 &&
    notComplete.length === 0 &&
    newest.at >= freshAfter &&
    covered >= expectedNow &&
    expectedNow > 0;
  return {
    samples,
    logEnds,
    ...(logEndBefore ? { logEndBefore } : {}),
    ...(backlogFloor ? { backlogFloor } : {}),
    complete,
    coverage: { covered, expected: expectedNow },
    problems,
  };
}

/** Backlog and input rate from their series (the presets that publish one series each). */
function seriesBacklog(
  resolved: ResolvedMetrics,
  byId: Map<string, MetricSeries>,
  fromMs: number,
  freshAfter: number,
  problems: string[],
): { backlog?: BacklogMetrics; complete: boolean } {
  const b = resolved.backlog;
  if (b?.kind !== 'series') return { complete: true };
  const s = byId.get(JOB_QUERY_IDS.backlog);
  const points = [...valuesByTime(s, fromMs).entries()].sort((a, c) => a[0] - c[0]);
  const last = points.at(-1);
  const first = points[0];
  if (s?.status !== 'Complete' || !last || !first || last[0] < freshAfter) {
    problems.push(`backlog: ${s?.status ?? 'Missing'}${last ? '' : ', no datapoint'}`);
    return { complete: false };
  }
  const dt = (last[0] - first[0]) / 1000;
  return {
    backlog: {
      latest: Math.max(0, last[1] * b.scale),
      unit: b.unit,
      slopePerSecond: dt > 0 ? ((last[1] - first[1]) * b.scale) / dt : 0,
    },
    complete: true,
  };
}

/** The Flink backlog from the job's complete periods. */
function flinkBacklog(samples: readonly JobSample[]): BacklogMetrics | undefined {
  const points = samples.filter((s) => s.backlog !== undefined);
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return undefined;
  const dt = (last.at - first.at) / 1000;
  return {
    latest: last.backlog as number,
    at: last.at,
    unit: 'records',
    slopePerSecond: dt > 0 ? ((last.backlog as number) - (first.backlog as number)) / dt : 0,
  };
}

/** The input from the growth of the log end (flink-kafka-offsets): over the window, and between its newest two periods. */
function offsetsInputRate(
  points: JobSummary['logEnds'],
  freshAfter: number,
  problems: string[],
  logEndBefore?: JobSummary['logEndBefore'],
): InputRateMetrics | undefined {
  const first = points[0];
  const before = points.at(-3) ?? (points.length === 2 ? logEndBefore : undefined);
  const previous = points.at(-2);
  const last = points.at(-1);
  if (!first || !previous || !last || last.at < freshAfter) {
    problems.push('input rate: fewer than two fresh periods with every source subtask’s offsets');
    return undefined;
  }
  const rate = (a: typeof first, b: typeof first): number =>
    Math.max(0, (b.logEnd - a.logEnd) / ((b.at - a.at) / 1000));
  return {
    mean: rate(first, last),
    latest: rate(previous, last),
    ...(before ? { previous: rate(before, previous) } : {}),
  };
}

function inputRateOf(
  resolved: ResolvedMetrics,
  byId: Map<string, MetricSeries>,
  fromMs: number,
  freshAfter: number,
  problems: string[],
): InputRateMetrics | undefined {
  const input = resolved.inputRate;
  if (input?.kind !== 'series') return undefined;
  const divisor = input.perPeriod ? resolved.periodSeconds : 1;
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  for (let i = 0; i < input.refs.length; i++) {
    const s = byId.get(`in${i}`);
    if (s?.status !== 'Complete') {
      // Not fatal: the policy falls back to processed rate + backlog growth.
      problems.push(`input rate: in${i} ${s?.status ?? 'Missing'}`);
      return undefined;
    }
    for (const [t, v] of valuesByTime(s, fromMs)) {
      sums.set(t, (sums.get(t) ?? 0) + v);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  // A period counts only when every series (every broker) has it.
  const points = [...sums.entries()]
    .filter(([t]) => counts.get(t) === input.refs.length)
    .sort((a, b) => a[0] - b[0]);
  const last = points.at(-1);
  if (!last || last[0] < freshAfter) {
    problems.push('input rate: no fresh datapoint');
    return undefined;
  }
  const previous = points.at(-2);
  return {
    mean: points.reduce((a, p) => a + p[1], 0) / points.length / divisor,
    latest: last[1] / divisor,
    ...(previous ? { previous: previous[1] / divisor } : {}),
  };
}

export interface SnapshotInput {
  readonly resolved: ResolvedMetrics;
  readonly mode: PolicyMode;
  /** The TaskManagers the per-TaskManager queries were built for (scalerQueries), sorted. */
  readonly taskIds: readonly string[];
  readonly series: readonly MetricSeries[];
  readonly fleet: FleetView;
  readonly nowMs: number;
  readonly notBeforeMs?: number;
}

/** The snapshot of what `scalerQueries(resolved, mode, taskIds)` returned. */
export function summarizeMetrics(input: SnapshotInput): MetricsSnapshot {
  const { resolved, mode, taskIds, series, fleet, nowMs } = input;
  const notBeforeMs = input.notBeforeMs ?? 0;
  const byId = seriesById(series);
  const fromMs = Math.max(nowMs - resolved.windowSeconds * 1000, notBeforeMs);
  const freshAfter = nowMs - resolved.maxDataAgeSeconds * 1000;
  const expected = Math.max(runningTasks(fleet.tasks).length, fleet.runningCount);
  if (mode === 'threshold' || !resolved.job) {
    const per = summarizePerTask(resolved, taskIds, series, nowMs, {
      notBeforeMs,
      processedRate: mode !== 'threshold',
    });
    const problems = [...per.problems];
    const backlog =
      mode === 'threshold' ? { complete: true } : seriesBacklog(resolved, byId, fromMs, freshAfter, problems);
    const inputRate =
      mode === 'threshold' ? undefined : inputRateOf(resolved, byId, fromMs, freshAfter, problems);
    return {
      taskManagers: per.taskManagers,
      missing: per.missing,
      ...(backlog.backlog ? { backlog: backlog.backlog } : {}),
      ...(inputRate ? { inputRate } : {}),
      complete:
        per.missing.length === 0 &&
        backlog.complete &&
        per.taskManagers.length > 0 &&
        per.taskManagers.length >= expected,
      coverage: { covered: per.taskManagers.length, expected },
      problems,
    };
  }
  const job = summarizeJob(resolved, series, fleet, nowMs, { notBeforeMs });
  const problems = [...job.problems];
  const other = seriesBacklog(resolved, byId, fromMs, freshAfter, problems);
  const backlog = resolved.backlog?.kind === 'flink' ? flinkBacklog(job.samples) : other.backlog;
  const inputRate =
    resolved.inputRate?.kind === 'flink-offsets'
      ? offsetsInputRate(job.logEnds, freshAfter, problems, job.logEndBefore)
      : inputRateOf(resolved, byId, fromMs, freshAfter, problems);
  const floor = job.backlogFloor;
  const newestComplete = job.samples.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
  return {
    taskManagers: [],
    missing: [],
    job: job.samples,
    ...(backlog ? { backlog } : {}),
    ...(inputRate ? { inputRate } : {}),
    ...(floor && floor.at > newestComplete && floor.at >= freshAfter ? { backlogFloor: floor } : {}),
    complete: job.complete && other.complete,
    coverage: job.coverage,
    problems,
  };
}
