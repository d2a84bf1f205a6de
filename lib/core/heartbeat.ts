/**
 * What the failover reconcile reads from CloudWatch, and what it concludes from it. Pure.
 *
 * Heartbeats (lib/core/metrics.ts HeartbeatSource):
 * - `fleet` (flink-prometheus): every reconcile asks for one series, the SampleCount of the
 *   TaskManager heartbeat over the whole service. In a period in which the set of TaskManagers
 *   did not change (no RUNNING one younger than a scrape interval before it, no known one that
 *   left after it began or is leaving), that count is k per TaskManager that answered every
 *   scrape; k × the RUNNING ones means every one of them was alive through the period, and
 *   each gets the end of the period as its heartbeat. Otherwise (the count is short, or the
 *   set changed, or the count is not complete) the reconcile reads each RUNNING TaskManager's
 *   own heartbeat series (one query each): exactly what every reconcile read before, so the
 *   verdicts and the bound on finding a hung TaskManager are those of per-TaskManager
 *   heartbeats (lib/core/health.ts), at one query per reconcile while nothing changes.
 * - `per-task` (seed): the per-TaskManager load numerator, every reconcile.
 * - `none` (Container Insights CPU keeps reporting when the TaskManager freezes): no heartbeat
 *   is judged; only ECS's container health check finds a hung TaskManager.
 *
 * Loads (the seed's hot-TaskManager rule in the partition balance): per TaskManager, only
 * when the balance has a choice to make (the partitions do not divide evenly over the live
 * TaskManagers) and at most once per taskManagerLoadEverySeconds.
 */
import type { AppConfig } from './config.js';
import type { MetricQuery, MetricSeries, TaskHealthItem, TaskInfo } from './domain.js';
import { ECS_GONE_STATUSES } from './health.js';
import { perTaskQueries, type ResolvedMetrics, resolveMetrics, summarizePerTask } from './metrics.js';
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
  /** Every RUNNING TaskManager was alive through the period ending `heartbeatAt`. */
  | { readonly kind: 'vouched'; readonly heartbeatAt: number; readonly taskIds: readonly string[] }
  /** The count cannot vouch for everyone: read each TaskManager's heartbeat. */
  | { readonly kind: 'per-task'; readonly reason: string };

export interface FleetInput {
  readonly resolved: ResolvedMetrics;
  /** The series of fleetHeartbeatQuery; undefined when the read failed. */
  readonly series: MetricSeries | undefined;
  /** ListTasks (desiredStatus RUNNING) + DescribeTasks. */
  readonly tasks: readonly TaskInfo[];
  /** The TASK items. */
  readonly known: readonly TaskHealthItem[];
  readonly nowMs: number;
}

/**
 * Why the set of TaskManagers may have changed during the period starting `startMs` (a task
 * that may have answered some scrapes of it but not all), or undefined when it did not.
 */
export function membershipChange(
  tasks: readonly TaskInfo[],
  known: readonly TaskHealthItem[],
  startMs: number,
  scrapeIntervalSeconds: number,
): string | undefined {
  const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
  const young = running.filter(
    (t) => (t.startedAt?.getTime() ?? Number.NEGATIVE_INFINITY) > startMs - scrapeIntervalSeconds * 1000,
  );
  if (young.length > 0) return `${young.length} TaskManager(s) started during the period`;
  const listed = new Set(running.map((t) => t.taskId));
  const others = known.filter((t) => !listed.has(t.taskId));
  const left = others.filter((t) => {
    if (ECS_GONE_STATUSES.includes(t.ecsStatus)) return t.goneAt === undefined || t.goneAt > startMs;
    // Listed but not RUNNING, or not listed and not gone: it may still answer scrapes unless it never ran.
    return t.startedAt !== undefined || t.ecsStatus === 'RUNNING';
  });
  return left.length > 0 ? `${left.length} TaskManager(s) left or are leaving` : undefined;
}

/** Can the fleet's heartbeat count vouch for every RUNNING TaskManager? */
export function vouchForFleet(input: FleetInput): FleetVerdict {
  const { resolved, series, tasks, known, nowMs } = input;
  const hb = resolved.heartbeat;
  if (hb.kind !== 'fleet') return { kind: 'per-task', reason: 'no fleet heartbeat' };
  if (series === undefined) return { kind: 'per-task', reason: 'fleet heartbeat not read' };
  if (series.status !== 'Complete') return { kind: 'per-task', reason: `fleet heartbeat ${series.status}` };
  const periodMs = resolved.periodSeconds * 1000;
  // The newest period whose every datapoint is visible by now, or a newer one that is complete already.
  const due = Math.floor((nowMs - resolved.ingestionDelaySeconds * 1000 - periodMs) / periodMs) * periodMs;
  const running = tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => t.taskId)
    .sort(compareIds);
  const expected = hb.scrapesPerPeriod * running.length;
  const starts = [
    ...new Set([due, ...series.timestamps.filter((t) => t > due && t + periodMs <= nowMs)]),
  ].sort((a, b) => b - a);
  let reason = '';
  for (const start of starts) {
    const changed = membershipChange(tasks, known, start, hb.scrapeIntervalSeconds);
    const i = series.timestamps.indexOf(start);
    const count = i >= 0 ? (series.values[i] ?? 0) : 0;
    if (!changed && count >= expected)
      return { kind: 'vouched', heartbeatAt: start + periodMs, taskIds: running };
    if (start === due)
      reason = changed ?? `fleet heartbeat ${count} < ${hb.scrapesPerPeriod}×${running.length}`;
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
   * Per RUNNING task whose heartbeat series came back complete: the end of the newest
   * datapoint's period (null: no datapoint in the window). A task whose series is not
   * complete is absent: its heartbeat is not judged.
   */
  readonly heartbeat: ReadonlyMap<string, number | null>;
  readonly problems: readonly string[];
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
    const newest = Math.max(...s.timestamps);
    heartbeat.set(taskId, Number.isFinite(newest) ? newest + resolved.periodSeconds * 1000 : null);
  });
  return { heartbeat, problems };
}

/**
 * Are the per-TaskManager loads read on this reconcile? Only when the balance has a choice
 * (partitions % live ≠ 0: someone gets one more, and the seed rule says who should not) and
 * on the reconcile of each taskManagerLoadEverySeconds interval. The seed preset reads them
 * with its heartbeats anyway.
 */
export function loadsDue(input: {
  readonly resolved: ResolvedMetrics;
  readonly nowMs: number;
  readonly scheduleSeconds: number;
  readonly partitions: number;
  readonly live: number;
}): boolean {
  const { resolved, nowMs, scheduleSeconds, partitions, live } = input;
  if (resolved.heartbeat.kind === 'per-task') return true;
  if (live <= 0 || partitions % live === 0) return false;
  const everyMs = resolved.taskManagerLoadEverySeconds * 1000;
  return nowMs % everyMs < scheduleSeconds * 1000;
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
