/**
 * What a failover reconcile reads of CloudWatch, and what it makes of what came back. Two
 * reads: the first, alongside ECS's listing, is the fleet's heartbeat count (and on the loads
 * cadence the fleet's busy time); the second, once the listing and the table are in, is the
 * heartbeat series of the TaskManagers the count does not vouch for, and the per-TaskManager
 * loads when the balance needs them. Pure: lib/failover.ts makes the reads; the heartbeat and
 * load rules these combine are in lib/core/heartbeat.ts.
 */
import type { AppConfig } from './config.js';
import type { MetricQuery, MetricSeries, TaskHealthItem } from './domain.js';
import type { Outcome } from './errors.js';
import {
  FLEET_HEARTBEAT_ID,
  type FleetVerdict,
  fleetBusyQueries,
  fleetHeartbeatQuery,
  loadsCadence,
  loadsVerdict,
  readLoads,
  readTaskHeartbeats,
  taskHeartbeatQueries,
  vouchForFleet,
} from './heartbeat.js';
import { perTaskQueries, type ResolvedMetrics } from './metrics.js';
import type { ClusterView } from './reconcile-rules.js';
import { compareIds } from './values.js';

/** What a metrics read returned; undefined when it was not made (there was nothing to ask). */
export type MetricsRead = Outcome<readonly MetricSeries[]> | undefined;

/** The reconcile's first metrics read: the fleet's heartbeat count, and on the load cadence its busy time. */
export type FleetRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'read'; readonly series: readonly MetricSeries[] }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * The queries of the first read: the fleet's heartbeat count, and on the loads cadence (the
 * table not read yet: its unstretched interval) the fleet's busy time; none when the
 * heartbeat source has no fleet count.
 */
export function fleetQueries(
  resolved: ResolvedMetrics,
  nowMs: number,
  scheduleSeconds: number,
): MetricQuery[] {
  const heartbeat = fleetHeartbeatQuery(resolved);
  if (heartbeat === undefined) return [];
  const cadence = loadsCadence({ resolved, nowMs, scheduleSeconds });
  return [heartbeat, ...(cadence ? fleetBusyQueries(resolved) : [])];
}

export function fleetReadOf(read: MetricsRead): FleetRead {
  if (read === undefined) return { kind: 'none' };
  return read.ok ? { kind: 'read', series: read.value } : { kind: 'failed', message: read.error.message };
}

export interface TaskMetricsInput {
  readonly config: AppConfig;
  /** lib/core/heartbeat.ts heartbeatMetrics(config). */
  readonly resolved: ResolvedMetrics;
  /** ECS's listing (its heartbeats and loads not filled in yet). */
  readonly view: ClusterView;
  readonly fleet: FleetRead;
  /** The TASK items. */
  readonly known: readonly TaskHealthItem[];
  readonly nowMs: number;
}

/** The second read, and how its answer is read (taskMetricsOf). */
export interface TaskMetricsPlan {
  /** The RUNNING TaskManagers, sorted. */
  readonly running: readonly string[];
  /** What the fleet's count says of them, when it was read. */
  readonly verdict: FleetVerdict | undefined;
  /** The TaskManagers whose own heartbeat series is read. */
  readonly perTask: readonly string[];
  /** Whether the heartbeats are judged at all (no fleet count to vouch, no series of their own: not). */
  readonly judged: boolean;
  /** Whether the per-TaskManager loads are read (lib/core/heartbeat.ts loadsVerdict). */
  readonly loads: boolean;
  /** The second read's queries; none: it is not made. */
  readonly queries: readonly MetricQuery[];
  readonly problems: readonly string[];
}

/**
 * Whose heartbeats and loads the second read asks for: the RUNNING TaskManagers the fleet's
 * count vouches for need no series of their own (those that joined after its period do);
 * when no period vouches, or the source is the seed's per-TaskManager metrics, every RUNNING
 * one is read one by one; when the fleet read failed, none is judged.
 */
export function planTaskMetrics(input: TaskMetricsInput): TaskMetricsPlan {
  const { config, resolved, view, fleet, known, nowMs } = input;
  const running = view.tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => t.taskId)
    .sort(compareIds);
  if (running.length === 0) {
    return {
      running,
      verdict: undefined,
      perTask: [],
      judged: true,
      loads: false,
      queries: [],
      problems: [],
    };
  }
  const source = resolved.heartbeat;
  const problems =
    fleet.kind === 'failed' ? [`metrics read failed, heartbeats not judged: ${fleet.message}`] : [];
  const fleetSeries = fleet.kind === 'read' ? fleet.series : undefined;
  const verdict = fleetSeries
    ? vouchForFleet({
        resolved,
        series: fleetSeries.find((s) => s.id === FLEET_HEARTBEAT_ID),
        tasks: view.tasks,
        runningCount: view.service.runningCount,
        known,
        timeoutSeconds: config.health.heartbeatTimeoutSeconds,
        nowMs,
      })
    : undefined;
  const perTask =
    source.kind === 'per-task' || verdict?.kind === 'per-task'
      ? running
      : verdict?.kind === 'vouched'
        ? verdict.unvouched
        : [];
  const live = known.filter((t) => t.status === 'HEALTHY').length;
  const loads = loadsVerdict({
    resolved,
    cadence: loadsCadence({ resolved, nowMs, scheduleSeconds: config.scheduleSeconds, live }),
    partitions: config.partitions,
    live,
    loadFactor: config.policy.loadFactor,
    fleetBusy: fleetSeries,
    nowMs,
  }).read;
  const queries = [
    ...taskHeartbeatQueries(resolved, source.kind === 'per-task' ? running : perTask),
    ...(loads && source.kind !== 'per-task' ? perTaskQueries(resolved, running) : []),
  ];
  const judged = verdict !== undefined || source.kind === 'per-task';
  return { running, verdict, perTask, judged, loads, queries, problems };
}

/** What the reconcile knows of the RUNNING TaskManagers' metrics (ClusterView's heartbeat and loads). */
export interface TaskMetricsView {
  readonly heartbeat: ReadonlyMap<string, number | null> | undefined;
  readonly loads: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/**
 * The heartbeats and loads from the plan and what its read returned: the vouched ones at the
 * fleet period's end, the others from their own series. A failed read leaves the vouched ones
 * as they are; when it was to judge every RUNNING TaskManager, no heartbeat is judged.
 */
export function taskMetricsOf(
  resolved: ResolvedMetrics,
  plan: TaskMetricsPlan,
  read: MetricsRead,
  nowMs: number,
): TaskMetricsView {
  const problems: string[] = [];
  let series: readonly MetricSeries[] = [];
  if (read?.ok) series = read.value;
  else if (read !== undefined) {
    problems.push(`per-TaskManager metrics read failed: ${read.error.message}`);
    if (plan.perTask.length === plan.running.length) return { heartbeat: undefined, loads: {}, problems };
  }
  const heartbeat = new Map<string, number | null>();
  const { verdict } = plan;
  if (verdict?.kind === 'vouched') for (const id of verdict.taskIds) heartbeat.set(id, verdict.heartbeatAt);
  if (plan.perTask.length > 0) {
    const own = readTaskHeartbeats(resolved, plan.perTask, series);
    problems.push(...own.problems);
    for (const [id, at] of own.heartbeat) heartbeat.set(id, at);
  }
  return {
    heartbeat: plan.judged ? heartbeat : undefined,
    loads: plan.loads ? readLoads(resolved, plan.running, series, nowMs) : {},
    problems,
  };
}
