/**
 * The TaskManagers' metric heartbeat, as the failover reconcile reads it: the per-TaskManager
 * load metric the scaler reads, and nothing else. Its newest datapoint is the heartbeat, its
 * mean the seed rule's load. Pure.
 */
import type { AppConfig } from './config.js';
import type { MetricSeries } from './domain.js';
import { type ResolvedMetrics, resolveMetrics, summarizeMetrics } from './metrics.js';

/**
 * The per-TaskManager load metric, with a window that covers the heartbeat timeout and one
 * period more, so that "no datapoint in the window" always means stale.
 */
export function heartbeatMetrics(config: AppConfig): ResolvedMetrics {
  const { processedRate: _r, backlog: _b, inputRate: _i, ...perTask } = resolveMetrics(config.metrics);
  const period = perTask.periodSeconds;
  const covering = (Math.ceil(config.health.heartbeatTimeoutSeconds / period) + 2) * period;
  return {
    ...perTask,
    windowSeconds: Math.max(perTask.windowSeconds, covering),
    maxDataAgeSeconds: Math.max(perTask.maxDataAgeSeconds, covering),
  };
}

export interface HeartbeatView {
  /**
   * Per RUNNING task whose load series came back complete: the end of the newest datapoint's
   * period (null: no datapoint in the window). A task whose series is not complete is absent:
   * its heartbeat is not judged.
   */
  readonly heartbeat: ReadonlyMap<string, number | null>;
  /** Seed-rule load per TaskManager with fresh data. */
  readonly loads: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/**
 * Reads the heartbeats out of the series GetMetricData returned for `running` (queried with
 * buildMetricQueries(resolved, running): the load numerator of task i has the id `n<i>`).
 */
export function readHeartbeats(
  resolved: ResolvedMetrics,
  running: readonly string[],
  series: readonly MetricSeries[],
  nowMs: number,
): HeartbeatView {
  const byId = new Map(series.map((s) => [s.id, s]));
  const heartbeat = new Map<string, number | null>();
  const problems: string[] = [];
  running.forEach((taskId, i) => {
    const s = byId.get(`n${i}`);
    if (s?.status !== 'Complete') {
      problems.push(`${taskId}: load metric ${s?.status ?? 'Missing'}, heartbeat not judged`);
      return;
    }
    const newest = Math.max(...s.timestamps);
    heartbeat.set(taskId, Number.isFinite(newest) ? newest + resolved.periodSeconds * 1000 : null);
  });
  const snapshot = summarizeMetrics(resolved, running, series, nowMs);
  const loads = Object.fromEntries(snapshot.taskManagers.map((t) => [t.taskId, t.load]));
  return { heartbeat, loads, problems };
}
