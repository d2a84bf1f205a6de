/**
 * What the failover reconcile reads from CloudWatch, and what it concludes from it. Pure.
 *
 * Heartbeats (lib/core/metrics.ts HeartbeatSource):
 * - `fleet` (flink-prometheus): every reconcile asks for one series, the SampleCount of the
 *   TaskManager heartbeat over the whole service. A TaskManager answers at most k scrapes of a
 *   period; a fresh period (ending within the heartbeat timeout) whose count is k × every task
 *   that may have answered in it (periodContributors: RUNNING through it, joined or left
 *   during it) proves that each of them answered every scrape, so the RUNNING ones get the
 *   period's end as their heartbeat (vouchForFleet). Those that started after that period are
 *   read one by one. When no fresh period vouches (a short count: someone hung or left early;
 *   the count not complete; ECS counting more RUNNING tasks than it listed), the reconcile
 *   reads each RUNNING TaskManager's own heartbeat series (one query each), as every
 *   reconcile did before: a hung TaskManager's evidence of life is at most one scrape interval
 *   after it hung either way (heartbeatEvidence), so the bound on finding it is that of
 *   per-TaskManager heartbeats (lib/core/health.ts), at one query per reconcile while nothing
 *   changes.
 * - `per-task` (seed): the per-TaskManager load numerator, every reconcile.
 * - `none` (Container Insights CPU keeps reporting when the TaskManager freezes): no heartbeat
 *   is judged; only ECS's container health check finds a hung TaskManager.
 *
 * Loads (the seed's hot-TaskManager rule in the partition balance): per TaskManager, at most
 * once per loads interval (loadsIntervalSeconds: by default at most one metric per reconcile
 * on average, whatever the fleet), only when the balance has a choice to
 * make (the partitions do not divide evenly over the live TaskManagers) and the fleet's busy
 * time (two queries) does not rule out a hot TaskManager (loadsVerdict).
 */
import type { AppConfig } from './config.js';
import type { MetricQuery, MetricSeries, TaskHealthItem, TaskInfo } from './domain.js';
import { ECS_GONE_STATUSES } from './health.js';
import {
  perTaskQueries,
  type ResolvedMetrics,
  resolveMetrics,
  startedBefore,
  summarizePerTask,
} from './metrics.js';
import { compareIds } from './values.js';

/**
 * The failover's view of the metrics: a window that covers the heartbeat timeout and one
 * period more, so that "no datapoint in the window" always means stale.
 */
export function heartbeatMetrics(config: AppConfig): ResolvedMetrics {
  const resolved = resolveMetrics(config);
  const period = resolved.periodSeconds;
  const covering = (Math.ceil(config.health.heartbeatTimeoutSeconds / period) + 2) * period;
  return {
    ...resolved,
    windowSeconds: Math.max(resolved.windowSeconds, covering),
    maxDataAgeSeconds: Math.max(resolved.maxDataAgeSeconds, covering),
  };
}

export const FLEET_HEARTBEAT_ID = 'fh';

/** The reconcile's first metrics query: the fleet's heartbeat count (fleet source only). */
export function fleetHeartbeatQuery(resolved: ResolvedMetrics): MetricQuery | undefined {
  const hb = resolved.heartbeat;
  if (hb.kind !== 'fleet') return undefined;
  return {
    id: FLEET_HEARTBEAT_ID,
    namespace: hb.namespace,
    metricName: hb.metricName,
    dimensions: hb.fleetDimensions,
    stat: 'SampleCount',
    periodSeconds: resolved.periodSeconds,
  };
}

export type FleetVerdict =
  /**
   * Every TaskManager in `taskIds` (RUNNING, and started before the period ended) was alive
   * through the period ending `heartbeatAt`; those in `unvouched` (RUNNING, started after it)
   * are read one by one.
   */
  | {
      readonly kind: 'vouched';
      readonly heartbeatAt: number;
      readonly taskIds: readonly string[];
      readonly unvouched: readonly string[];
    }
  /** No fresh period of the count vouches for the fleet: read each TaskManager's heartbeat. */
  | { readonly kind: 'per-task'; readonly reason: string };

export interface FleetInput {
  readonly resolved: ResolvedMetrics;
  /** The series of fleetHeartbeatQuery; undefined when the read failed. */
  readonly series: MetricSeries | undefined;
  /** ListTasks (desiredStatus RUNNING) + DescribeTasks. */
  readonly tasks: readonly TaskInfo[];
  /** The service's runningCount (ListTasks is eventually consistent and may list fewer). */
  readonly runningCount: number;
  /** The TASK items. */
  readonly known: readonly TaskHealthItem[];
  /** health.heartbeatTimeoutSeconds: a vouched heartbeat older than this would read as stale. */
  readonly timeoutSeconds: number;
  readonly nowMs: number;
}

/**
 * The tasks that may have answered a scrape in the period [startMs, endMs): those ListTasks
 * returned and the known ones it did not, that had started (RUNNING at some point) before the
 * period ended and were not seen gone before it began (goneAt is at or after the task
 * stopped). A task that never reached RUNNING answers no scrape.
 */
export function periodContributors(
  tasks: readonly TaskInfo[],
  known: readonly TaskHealthItem[],
  startMs: number,
  endMs: number,
): string[] {
  const out = new Set<string>();
  const listed = new Set<string>();
  for (const t of tasks) {
    listed.add(t.taskId);
    if (startedBefore(t, endMs)) out.add(t.taskId);
  }
  for (const t of known) {
    if (listed.has(t.taskId)) continue;
    const started = t.startedAt ?? (t.ecsStatus === 'RUNNING' ? Number.NEGATIVE_INFINITY : undefined);
    if (started === undefined || started >= endMs) continue;
    if (ECS_GONE_STATUSES.includes(t.ecsStatus) && t.goneAt !== undefined && t.goneAt <= startMs) continue;
    out.add(t.taskId);
  }
  return [...out].sort(compareIds);
}

/**
 * Can the fleet's heartbeat count vouch for the RUNNING TaskManagers? A TaskManager is scraped
 * every scrape interval, so it gives at most k datapoints to a period. For each period of the
 * series, newest first, whose end is no older than the heartbeat timeout: when its count is at
 * least k × every task that may have answered a scrape in it (periodContributors: the
 * TaskManagers of the whole period, and those that joined or left during it, each counted as
 * if it had answered every scrape), every one of them did answer every scrape: the RUNNING
 * ones among them were alive through the period, and get its end as their heartbeat. A
 * TaskManager that hung answers fewer, so no period it hung in vouches, whatever joined or
 * left. The RUNNING TaskManagers that started after the period are read one by one. None
 * when the count is not complete or ECS counts more RUNNING tasks than it listed (an unlisted
 * one could fill a hung one's gap).
 */
export function vouchForFleet(input: FleetInput): FleetVerdict {
  const { resolved, series, tasks, known, nowMs } = input;
  const hb = resolved.heartbeat;
  if (hb.kind !== 'fleet') return { kind: 'per-task', reason: 'no fleet heartbeat' };
  if (series === undefined) return { kind: 'per-task', reason: 'fleet heartbeat not read' };
  if (series.status !== 'Complete') return { kind: 'per-task', reason: `fleet heartbeat ${series.status}` };
  const running = tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => t.taskId)
    .sort(compareIds);
  if (input.runningCount > running.length) {
    return {
      kind: 'per-task',
      reason: `ECS counts ${input.runningCount} RUNNING tasks, listed ${running.length}`,
    };
  }
  const periodMs = resolved.periodSeconds * 1000;
  const k = hb.scrapesPerPeriod;
  const freshFrom = nowMs - input.timeoutSeconds * 1000;
  const periods = series.timestamps
    .map((t, i) => ({ start: t, count: series.values[i] ?? 0 }))
    .filter((p) => p.start + periodMs <= nowMs && p.start + periodMs >= freshFrom)
    .sort((a, b) => b.start - a.start);
  let reason = 'no period of the fleet heartbeat since the timeout';
  for (const [i, p] of periods.entries()) {
    const end = p.start + periodMs;
    const contributors = periodContributors(tasks, known, p.start, end);
    if (contributors.length > 0 && p.count >= k * contributors.length) {
      const through = new Set(contributors);
      return {
        kind: 'vouched',
        heartbeatAt: end,
        taskIds: running.filter((id) => through.has(id)),
        unvouched: running.filter((id) => !through.has(id)),
      };
    }
    if (i === 0) reason = `fleet heartbeat ${p.count} < ${k}×${contributors.length} in the newest period`;
  }
  return { kind: 'per-task', reason };
}

/** `h<i>`: the i-th TaskManager's heartbeat (fleet source: its own heartbeat series' SampleCount). */
export function taskHeartbeatQueries(resolved: ResolvedMetrics, taskIds: readonly string[]): MetricQuery[] {
  const hb = resolved.heartbeat;
  if (hb.kind === 'fleet') {
    return taskIds.map((taskId, i) => ({
      id: `h${i}`,
      namespace: hb.namespace,
      metricName: hb.metricName,
      dimensions: { ...hb.taskDimensions, [hb.taskDimension]: taskId },
      stat: 'SampleCount',
      periodSeconds: resolved.periodSeconds,
    }));
  }
  if (hb.kind === 'per-task') return perTaskQueries(resolved, taskIds);
  return [];
}

export interface HeartbeatView {
  /**
   * Per task whose heartbeat series came back complete: the evidence of life of its newest
   * datapoint's period (null: no datapoint in the window). A task whose series is not
   * complete is absent: its heartbeat is not judged.
   */
  readonly heartbeat: ReadonlyMap<string, number | null>;
  readonly problems: readonly string[];
}

/**
 * The evidence of life one period of a TaskManager's own heartbeat series gives. With the
 * fleet source the value is the SampleCount: c scrapes answered in a period of k, at one scrape
 * interval I apart, so the last one was before start + c × I (the next one, missed or not
 * there yet, would have been at most one interval later): that, capped at the period's end.
 * A TaskManager that hung answered its last scrape before it hung, so this is at most one
 * scrape interval after it hung, where the period's end can be a whole period after. The
 * seed's per-minute metrics: the period's end.
 */
export function heartbeatEvidence(resolved: ResolvedMetrics, periodStartMs: number, value: number): number {
  const periodMs = resolved.periodSeconds * 1000;
  const hb = resolved.heartbeat;
  if (hb.kind !== 'fleet' || !Number.isFinite(value) || value < 1) return periodStartMs + periodMs;
  return periodStartMs + Math.min(periodMs, Math.ceil(value) * hb.scrapeIntervalSeconds * 1000);
}

/** Reads the heartbeats out of the series of taskHeartbeatQueries(resolved, taskIds). */
export function readTaskHeartbeats(
  resolved: ResolvedMetrics,
  taskIds: readonly string[],
  series: readonly MetricSeries[],
): HeartbeatView {
  const byId = new Map(series.map((s) => [s.id, s]));
  const prefix = resolved.heartbeat.kind === 'fleet' ? 'h' : 'n';
  const heartbeat = new Map<string, number | null>();
  const problems: string[] = [];
  taskIds.forEach((taskId, i) => {
    const s = byId.get(`${prefix}${i}`);
    if (s?.status !== 'Complete') {
      problems.push(`${taskId}: heartbeat ${s?.status ?? 'Missing'}, not judged`);
      return;
    }
    let newest: number | null = null;
    s.timestamps.forEach((t, j) => {
      const evidence = heartbeatEvidence(resolved, t, s.values[j] ?? Number.NaN);
      if (newest === null || evidence > newest) newest = evidence;
    });
    heartbeat.set(taskId, newest);
  });
  return { heartbeat, problems };
}

// ---------------------------------------------------------------- loads for the balance

/** The loads interval when taskManagerLoadEverySeconds is not set, for a fleet of up to 15 TaskManagers. */
export const DEFAULT_LOAD_EVERY_SECONDS = 900;

/**
 * How often the per-TaskManager loads are read, in seconds. A read costs one metric per
 * TaskManager, so the default (taskManagerLoadEverySeconds unset) is DEFAULT_LOAD_EVERY_SECONDS
 * stretched to the whole multiple of it that covers `live` reconciles: on average at most one
 * load metric per reconcile, whatever the fleet (43,800 metrics, $0.44, a month on the minute
 * schedule), where a fixed interval would cost as much per TaskManager. Without `live` (the
 * reconcile's first read, before the table is read), the unstretched interval, of which every
 * stretched one is a multiple. A configured interval is kept as it is.
 */
export function loadsIntervalSeconds(input: {
  readonly resolved: ResolvedMetrics;
  readonly scheduleSeconds: number;
  readonly live?: number;
}): number {
  const configured = input.resolved.taskManagerLoadEverySeconds;
  if (configured !== undefined) return configured;
  const base = DEFAULT_LOAD_EVERY_SECONDS;
  const live = input.live ?? 0;
  return Math.max(1, Math.ceil((live * input.scheduleSeconds) / base)) * base;
}

/**
 * Is this reconcile the one of its loads interval (loadsIntervalSeconds)? The seed preset
 * reads its loads with its heartbeats anyway: every reconcile.
 */
export function loadsCadence(input: {
  readonly resolved: ResolvedMetrics;
  readonly nowMs: number;
  readonly scheduleSeconds: number;
  readonly live?: number;
}): boolean {
  const { resolved, nowMs, scheduleSeconds } = input;
  if (resolved.heartbeat.kind === 'per-task') return true;
  const everyMs = loadsIntervalSeconds(input) * 1000;
  return nowMs % everyMs < scheduleSeconds * 1000;
}

export const FLEET_BUSY_IDS = { maximum: 'fbmax', average: 'fbavg' } as const;

/**
 * The fleet's busy time over the service (flink-prometheus): its busiest subtask (Maximum) and
 * its mean subtask (Average) per period, two queries whatever the fleet; none for the presets
 * without job-level series.
 */
export function fleetBusyQueries(resolved: ResolvedMetrics): MetricQuery[] {
  const job = resolved.job;
  if (!job) return [];
  const q = (id: string, stat: string): MetricQuery => ({
    id,
    namespace: job.namespace,
    metricName: job.busy,
    dimensions: job.dimensions,
    stat,
    periodSeconds: resolved.periodSeconds,
  });
  return [q(FLEET_BUSY_IDS.maximum, 'Maximum'), q(FLEET_BUSY_IDS.average, 'Average')];
}

export type LoadsVerdict = { readonly read: boolean; readonly reason: string };

/**
 * Are the per-TaskManager loads read on this reconcile (one query per TaskManager)? Only on the
 * cadence (loadsCadence), only when the balance has a choice (partitions % live ≠ 0: someone
 * gets one more, and the seed rule says who should not), and only when some TaskManager can be
 * hot. A TaskManager's load is its busiest subtask's busy time, so no load is above the fleet's
 * Maximum and, when every TaskManager runs as many subtasks (Flink's reactive mode with every
 * slot used), their mean is at least the fleet's Average: a period in which the Maximum is
 * within loadFactor × the Average has no hot TaskManager (load > mean × loadFactor). Every
 * period of the window must say so; a missing or partial fleet series reads them. The seed
 * preset reads them with its heartbeats anyway.
 */
export function loadsVerdict(input: {
  readonly resolved: ResolvedMetrics;
  readonly cadence: boolean;
  readonly partitions: number;
  readonly live: number;
  readonly loadFactor: number;
  /** The series of fleetBusyQueries, when they were read. */
  readonly fleetBusy: readonly MetricSeries[] | undefined;
  readonly nowMs: number;
}): LoadsVerdict {
  const { resolved, partitions, live, loadFactor, nowMs } = input;
  if (resolved.heartbeat.kind === 'per-task') return { read: true, reason: 'read with the heartbeats' };
  if (!input.cadence) return { read: false, reason: 'not on the cadence' };
  if (live <= 0 || partitions % live === 0)
    return { read: false, reason: `${partitions} partitions divide over ${live}` };
  if (!resolved.job) return { read: true, reason: 'no fleet busy time' };
  const byId = new Map((input.fleetBusy ?? []).map((s) => [s.id, s]));
  const max = byId.get(FLEET_BUSY_IDS.maximum);
  const avg = byId.get(FLEET_BUSY_IDS.average);
  if (max?.status !== 'Complete' || avg?.status !== 'Complete') {
    return { read: true, reason: `fleet busy time ${max?.status ?? 'Missing'}/${avg?.status ?? 'Missing'}` };
  }
  const fromMs = nowMs - resolved.windowSeconds * 1000;
  const averages = new Map(avg.timestamps.map((t, i) => [t, avg.values[i]]));
  let periods = 0;
  for (const [i, t] of max.timestamps.entries()) {
    if (t < fromMs) continue;
    const m = max.values[i];
    const a = averages.get(t);
    if (m === undefined || a === undefined || !Number.isFinite(m) || !Number.isFinite(a)) {
      return { read: true, reason: `fleet busy time incomplete at ${new Date(t).toISOString()}` };
    }
    if (m > loadFactor * a) {
      return {
        read: true,
        reason: `busiest subtask ${m} > ${loadFactor} × mean ${a} at ${new Date(t).toISOString()}`,
      };
    }
    periods++;
  }
  if (periods === 0) return { read: true, reason: 'no fleet busy time in the window' };
  return { read: false, reason: `busiest subtask within ${loadFactor} × the mean in every period: none hot` };
}

/** The seed-rule load per TaskManager with fresh data, from the series of perTaskQueries(resolved, taskIds). */
export function readLoads(
  resolved: ResolvedMetrics,
  taskIds: readonly string[],
  series: readonly MetricSeries[],
  nowMs: number,
): Record<string, number> {
  const summary = summarizePerTask(resolved, taskIds, series, nowMs);
  return Object.fromEntries(summary.taskManagers.map((t) => [t.taskId, t.load]));
}
