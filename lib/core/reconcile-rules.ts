/**
 * The failover reconcile's rules (DESIGN §3), each a small pure function over what one
 * invocation read: the TASK and PARTITION items, what ECS lists and describes, and the
 * metric heartbeats. lib/core/reconcile.ts composes them into a plan; lib/failover.ts
 * executes it. Every tie is broken by task id, so concurrent planners on the same state agree.
 */
import { chooseScaleInVictims, persistentlyHot } from './assignment.js';
import type { PartitionItem, ServiceState, TaskHealthItem, TaskInfo } from './domain.js';
import {
  ECS_STARTING_STATUSES,
  type EcsObservation,
  type HealthConfig,
  type HealthObservation,
  type HealthTransition,
  isMetricsOutage,
  selectHungToStop,
} from './health.js';
import { compareIds } from './values.js';

/** Scale-in protection set on TaskManagers (ECS allows at most 2,880 minutes). */
export const PROTECTION_MINUTES = 2880;
/** Protection is renewed once less than this is left. */
export const PROTECTION_RENEW_MINUTES = 1440;
/** TASK items of TaskManagers gone (and owning nothing) for this long are deleted. */
export const PRUNE_AFTER_SECONDS = 3600;

/** What one reconcile read of ECS and CloudWatch; read once per invocation, reused by every re-plan. */
export interface ClusterView {
  readonly atMs: number;
  /** ListTasks (desiredStatus RUNNING) + DescribeTasks. */
  readonly tasks: readonly TaskInfo[];
  readonly service: ServiceState;
  /**
   * Per RUNNING task whose metric series came back complete: the end of the newest datapoint's
   * period (null: no datapoint in the window). Undefined when the metrics could not be read.
   */
  readonly heartbeat: ReadonlyMap<string, number | null> | undefined;
  /** Seed-rule load per TaskManager with fresh data. */
  readonly loads: Readonly<Record<string, number>>;
  /**
   * Known tasks (TASK items) that ListTasks did not return, as DescribeTasks describes them:
   * ListTasks is eventually consistent, a task that just started may be missing from it.
   */
  readonly unlisted?: ReadonlyMap<string, TaskInfo>;
  /** Known tasks that ListTasks did not return and that could not be described: left as they are. */
  readonly unconfirmed?: ReadonlySet<string>;
}

// ---------------------------------------------------------------- what ECS says

/**
 * The known tasks a listing taken at `listedAtMs` should have returned but did not: not DEAD
 * (fenced for good), and started before the listing (a newer one may just be too new for it).
 * The reconcile describes these (one DescribeTasks) before concluding anything.
 */
export function unlistedTasks(
  known: readonly TaskHealthItem[],
  listed: ReadonlySet<string>,
  listedAtMs: number,
): string[] {
  return known
    .filter((t) => !listed.has(t.taskId) && t.status !== 'DEAD' && (t.startedAt ?? t.lastSeen) < listedAtMs)
    .map((t) => t.taskId)
    .sort(compareIds);
}

/** A task as DescribeTasks describes it: status, container health and version as of the read. */
export function describedObservation(t: TaskInfo): EcsObservation {
  return {
    source: 'describe',
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    ...(t.version === undefined ? {} : { version: t.version }),
    ...(t.startedAt === undefined ? {} : { startedAt: t.startedAt.getTime() }),
  };
}

/**
 * What this invocation knows of each task: the event's task (the fast path; no metrics), or on
 * a reconcile every listed task (with its heartbeat where the metrics answered for it) and the
 * known tasks ListTasks did not return, as DescribeTasks describes them; one DescribeTasks no
 * longer knows is taken as being stopped, one it could not describe is left out (as it is).
 */
export function observationsOf(
  known: readonly TaskHealthItem[],
  event: { readonly taskId: string; readonly ecs: EcsObservation } | undefined,
  cluster: ClusterView | undefined,
  reconcileSeconds: number,
  described: readonly TaskInfo[] = [],
): Map<string, HealthObservation> {
  const observations = new Map<string, HealthObservation>();
  if (event) observations.set(event.taskId, { ecs: event.ecs, reconcile: false });
  // The event path's DescribeTasks of the known TaskManagers: their container health, no heartbeat.
  for (const t of described) {
    if (!observations.has(t.taskId))
      observations.set(t.taskId, { ecs: describedObservation(t), reconcile: false });
  }
  if (cluster === undefined) return observations;
  for (const t of cluster.tasks) {
    const hb = cluster.heartbeat?.get(t.taskId);
    observations.set(t.taskId, {
      ecs: describedObservation(t),
      // Staleness is judged only where the metrics answered for this task.
      reconcile: cluster.heartbeat?.has(t.taskId) ?? false,
      reconcileSeconds,
      ...(hb === undefined || hb === null ? {} : { lastDatapointAt: hb }),
    });
  }
  const stored = new Map(known.map((t) => [t.taskId, t]));
  for (const taskId of unlistedTasks(known, new Set(observations.keys()), cluster.atMs)) {
    if (cluster.unconfirmed?.has(taskId)) continue;
    const described = cluster.unlisted?.get(taskId);
    const prev = stored.get(taskId) as TaskHealthItem;
    observations.set(taskId, {
      ecs: described
        ? describedObservation(described)
        : { source: 'describe', lastStatus: prev.ecsStatus, desiredStatus: 'STOPPED' },
      reconcile: false,
    });
  }
  return observations;
}

/**
 * The known TaskManagers an event's invocation describes (one DescribeTasks): when the event
 * is of a task starting, which is how ECS answers a container health check that failed (it
 * starts the replacement first and stops the unhealthy task once the replacement is healthy),
 * and AWS's events carry no health. The live ones only (not DEAD or DRAINING), the event's
 * own task excluded; none for other events.
 */
export function eventDescribeTargets(
  known: readonly TaskHealthItem[],
  event: { readonly taskId: string; readonly ecs: EcsObservation },
): string[] {
  if (!ECS_STARTING_STATUSES.includes(event.ecs.lastStatus)) return [];
  return known
    .filter((t) => t.taskId !== event.taskId && (t.status === 'HEALTHY' || t.status === 'SUSPECT'))
    .map((t) => t.taskId)
    .sort(compareIds);
}

// ---------------------------------------------------------------- metrics outage

export interface Evaluated {
  readonly prev: TaskHealthItem;
  /** The evaluation judged the heartbeat (a reconcile whose metrics answered for the task). */
  readonly reconcile: boolean;
  readonly transition: HealthTransition;
}

/**
 * The TaskManagers an outage is judged on: those ECS runs whose heartbeat this evaluation
 * judges. Only observations decide membership (the listing's lastStatus as in force, whether
 * the metrics answered), never a stored health status, so planning again on what a plan wrote
 * finds the same population.
 */
export function outagePopulation(evaluated: readonly Evaluated[]): readonly Evaluated[] {
  return evaluated.filter((e) => e.reconcile && e.transition.next.ecsStatus === 'RUNNING');
}

/**
 * More than half of the running TaskManagers whose heartbeat is judged (and at least two) look
 * stale at once: a metrics outage, not hung TaskManagers (isMetricsOutage). Returns the problem
 * to report, or undefined. Stale means the heartbeat is older than the timeout, whatever the
 * verdict, so the answer does not change with the statuses the plan writes (a TaskManager
 * already DEAD or DRAINING that ECS still runs counts as stale when silent: the conservative
 * direction, it can only make an outage more likely, never a declaration of death).
 */
export function metricsOutage(evaluated: readonly Evaluated[]): string | undefined {
  const population = outagePopulation(evaluated);
  const stale = population.filter((e) => e.transition.heartbeatStale).length;
  return isMetricsOutage(stale, population.length)
    ? `${stale} of ${population.length} running TaskManagers look stale at once: treated as a metrics outage, heartbeats not judged`
    : undefined;
}

// ---------------------------------------------------------------- stopping TaskManagers

/**
 * Why a TaskManager is stopped: its container health check failed (`unhealthy`), its metrics
 * went silent (`hung`), it was declared DEAD while ECS still runs it and it still publishes
 * (`fenced`: e.g. by a stale event), or it is a drained scale-in victim ECS no longer needs
 * to stop (`drained`).
 */
export type StopWhy = 'unhealthy' | 'hung' | 'fenced' | 'drained';

/** The StopTask reason (ECS keeps it as the task's stoppedReason). */
export function stopReason(why: StopWhy, task: TaskHealthItem, nowMs: number): string {
  switch (why) {
    case 'unhealthy':
      return 'flink-ecs-autoscaler: TaskManager container unhealthy';
    case 'hung':
      return `flink-ecs-autoscaler: TaskManager hung (no metric datapoint for ${Math.round((nowMs - task.lastSeen) / 1000)}s)`;
    case 'fenced':
      return 'flink-ecs-autoscaler: TaskManager fenced (declared dead) but still running';
    case 'drained':
      return 'flink-ecs-autoscaler: drained TaskManager no longer needed';
  }
}

export interface StopChoice {
  /** To stop now: container-unhealthy ones first (never rate-limited), then longest silent first. */
  readonly stop: readonly { readonly taskId: string; readonly why: Exclude<StopWhy, 'drained'> }[];
  /**
   * DEAD TaskManagers ECS still runs that are not stopped now (the rate limit, or StopTask
   * already failed in this invocation): they keep what they own, fenced only by time, until
   * their turn.
   */
  readonly held: readonly string[];
}

/**
 * A TaskManager that is DEAD by health while ECS still reports it RUNNING, and that was not
 * stopped yet, is stopped before its partitions move: one whose container health check just
 * failed at once (ECS replaces it anyway), the others at most health.maxStopsPerMinute in any
 * 60 s (a metrics outage cannot stop the fleet). `unhealthy`: the TaskManagers this evaluation
 * found UNHEALTHY; `stopFailed`: StopTask failed for them earlier in this invocation.
 */
export function chooseStops(
  tasks: readonly TaskHealthItem[],
  unhealthy: ReadonlySet<string>,
  stopFailed: ReadonlySet<string>,
  health: HealthConfig,
  nowMs: number,
): StopChoice {
  const alive = tasks.filter(
    (t) => t.status === 'DEAD' && t.ecsStatus === 'RUNNING' && t.stopRequestedAt === undefined,
  );
  const failed = alive.filter((t) => stopFailed.has(t.taskId)).map((t) => t.taskId);
  const candidates = alive.filter((t) => !stopFailed.has(t.taskId));
  const recentStops = tasks.flatMap((t) => (t.stopRequestedAt === undefined ? [] : [t.stopRequestedAt]));
  const selection = selectHungToStop(
    candidates.filter((t) => !unhealthy.has(t.taskId)),
    health.maxStopsPerMinute,
    recentStops,
    nowMs,
  );
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const silentFor = (taskId: string): number => nowMs - (byId.get(taskId)?.lastSeen ?? 0);
  const stop = [
    ...candidates
      .filter((t) => unhealthy.has(t.taskId))
      .map((t) => ({ taskId: t.taskId, why: 'unhealthy' as const }))
      .sort((a, b) => compareIds(a.taskId, b.taskId)),
    ...selection.stop.map((taskId) => ({
      taskId,
      why:
        silentFor(taskId) > health.heartbeatTimeoutSeconds * 1000 ? ('hung' as const) : ('fenced' as const),
    })),
  ];
  return { stop, held: [...selection.deferred, ...failed].sort(compareIds) };
}

// ---------------------------------------------------------------- scale-in

/** Partitions each owner holds (ASSIGNED or REVOKING). */
export function ownedCounts(partitions: readonly PartitionItem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of partitions) if (p.owner !== null) out[p.owner] = (out[p.owner] ?? 0) + 1;
  return out;
}

/**
 * The scale-in victims to choose now: the listed tasks beyond the ECS desired count, less
 * those already leaving (DRAINING or DEAD), chosen among the RUNNING HEALTHY ones (fewest
 * partitions, then youngest: chooseScaleInVictims). None during a deployment.
 */
export function scaleInVictims(
  cluster: ClusterView,
  tasks: ReadonlyMap<string, TaskHealthItem>,
  owned: Readonly<Record<string, number>>,
): string[] {
  if (cluster.service.deploymentInProgress) return [];
  const surplus = cluster.tasks.length - cluster.service.desiredCount;
  const leaving = cluster.tasks.filter((t) => {
    const s = tasks.get(t.taskId)?.status;
    return s === 'DRAINING' || s === 'DEAD';
  }).length;
  const need = surplus - leaving;
  if (need <= 0) return [];
  const candidates = cluster.tasks
    .filter((t) => t.lastStatus === 'RUNNING' && tasks.get(t.taskId)?.status === 'HEALTHY')
    .map((t) => ({
      taskId: t.taskId,
      ownedPartitions: owned[t.taskId] ?? 0,
      ...(t.startedAt === undefined ? {} : { startedAt: t.startedAt.getTime() }),
    }));
  return chooseScaleInVictims(candidates, need);
}

// ---------------------------------------------------------------- the assignment's inputs

/** The planner's roles: HEALTHY live; SUSPECT and held DEAD TaskManagers frozen; DRAINING draining. */
export function rolesOf(
  tasks: Iterable<TaskHealthItem>,
  held: ReadonlySet<string>,
): { live: string[]; suspect: string[]; draining: string[] } {
  const live: string[] = [];
  const suspect: string[] = [];
  const draining: string[] = [];
  for (const t of tasks) {
    if (t.status === 'HEALTHY') live.push(t.taskId);
    else if (t.status === 'SUSPECT' || held.has(t.taskId)) suspect.push(t.taskId);
    else if (t.status === 'DRAINING') draining.push(t.taskId);
  }
  return {
    live: live.sort(compareIds),
    suspect: suspect.sort(compareIds),
    draining: draining.sort(compareIds),
  };
}

/**
 * The hot TaskManagers the balance should give the smaller share (persistentlyHot over the
 * live ones' loads). Loads are means over the metric window: until a whole window has passed
 * since the last owner change they still describe the old assignment, and acting on them
 * would chase it; so none until then.
 */
export function hotForBalance(
  loads: Readonly<Record<string, number>>,
  partitions: readonly PartitionItem[],
  live: readonly string[],
  loadFactor: number,
  windowSeconds: number,
  nowMs: number,
): string[] {
  const lastChange = partitions.reduce((m, p) => Math.max(m, p.updatedAt), 0);
  if (nowMs - lastChange < windowSeconds * 1000) return [];
  const liveLoads: Record<string, number> = {};
  for (const id of live) {
    const v = loads[id];
    if (v !== undefined) liveLoads[id] = v;
  }
  return persistentlyHot(liveLoads, ownedCounts(partitions), loadFactor);
}

// ---------------------------------------------------------------- protection, clean-up

export interface ProtectionChanges {
  /** Tasks whose scale-in protection is dropped. */
  readonly drop: readonly string[];
  /** Tasks protected (set, or renewed) for PROTECTION_MINUTES. */
  readonly set: readonly string[];
}

/**
 * Scale-in protection of the listed tasks: HEALTHY RUNNING TaskManagers carry it (set when
 * they join, renewed once less than PROTECTION_RENEW_MINUTES are left); it is dropped from
 * drained victims and from DEAD TaskManagers ECS still runs (fenced, not stopped yet) once
 * they own nothing, so that ECS may stop exactly those; during a deployment all of it is
 * dropped (ECS deployments wait for protected tasks) and none is set.
 */
export function protectionChanges(
  cluster: ClusterView,
  tasks: ReadonlyMap<string, TaskHealthItem>,
  stillOwns: ReadonlySet<string>,
  nowMs: number,
): ProtectionChanges {
  const deploying = cluster.service.deploymentInProgress;
  const listed = cluster.tasks.flatMap((info) => {
    const item = tasks.get(info.taskId);
    return item === undefined ? [] : [{ info, item }];
  });
  const leaving = (t: TaskHealthItem): boolean =>
    (t.status === 'DRAINING' || (t.status === 'DEAD' && t.stopRequestedAt === undefined)) &&
    !stillOwns.has(t.taskId);
  const drop = listed.filter(({ item }) => item.protectedUntil !== undefined && (deploying || leaving(item)));
  const renewBefore = nowMs + PROTECTION_RENEW_MINUTES * 60_000;
  const set = deploying
    ? []
    : listed.filter(
        ({ info, item }) =>
          item.status === 'HEALTHY' &&
          info.lastStatus === 'RUNNING' &&
          (item.protectedUntil === undefined || item.protectedUntil < renewBefore),
      );
  const ids = (group: readonly { item: TaskHealthItem }[]): string[] =>
    group.map((g) => g.item.taskId).sort(compareIds);
  return { drop: ids(drop), set: ids(set) };
}

/**
 * Drained victims ECS will not stop (the desired count went back up, no surplus any more) and
 * that are released (no protection, own nothing): stopped, so that ECS replaces them.
 */
export function drainedToStop(
  cluster: ClusterView,
  tasks: ReadonlyMap<string, TaskHealthItem>,
  stillOwns: ReadonlySet<string>,
): string[] {
  const surplus = cluster.tasks.length - cluster.service.desiredCount;
  if (surplus > 0 || cluster.service.deploymentInProgress) return [];
  return cluster.tasks
    .filter((info) => {
      const t = tasks.get(info.taskId);
      return (
        t !== undefined &&
        t.status === 'DRAINING' &&
        t.protectedUntil === undefined &&
        t.stopRequestedAt === undefined &&
        info.lastStatus === 'RUNNING' &&
        !stillOwns.has(t.taskId)
      );
    })
    .map((info) => info.taskId)
    .sort(compareIds);
}

/** TASK items of TaskManagers ECS no longer lists, that own nothing, DEAD or DRAINING and gone for PRUNE_AFTER_SECONDS. */
export function prunable(
  cluster: ClusterView,
  tasks: Iterable<TaskHealthItem>,
  stillOwns: ReadonlySet<string>,
  nowMs: number,
): TaskHealthItem[] {
  const listed = new Set(cluster.tasks.map((t) => t.taskId));
  return [...tasks]
    .filter(
      (t) =>
        (t.status === 'DEAD' || t.status === 'DRAINING') &&
        !listed.has(t.taskId) &&
        !stillOwns.has(t.taskId) &&
        nowMs - Math.max(t.lastSeen, t.stopRequestedAt ?? 0) > PRUNE_AFTER_SECONDS * 1000,
    )
    .sort((a, b) => compareIds(a.taskId, b.taskId));
}
