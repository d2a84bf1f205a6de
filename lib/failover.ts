/**
 * The failover use case (DESIGN §3): TaskManager health, fenced partition ownership, hung
 * TaskManager replacement and graceful scale-in, on the ports only.
 *
 * Triggers:
 * - an ECS Task State Change of the TaskManager service (the fast path): only that task's
 *   health is evaluated; if it is DEAD its partitions move in the same invocation;
 * - the schedule (reconcile): ECS ListTasks/DescribeServices and the TaskManagers' metric
 *   freshness decide every task's health; hung TaskManagers are stopped (rate-limited) before
 *   their partitions are handed over; new RUNNING TaskManagers join and get scale-in
 *   protection; surplus TaskManagers after a scale-in are drained and released; partitions
 *   are rebalanced, with the seed's hot TaskManagers taking the smaller share.
 *
 * Every write is a single-item conditional write on what was read (TASK items on their
 * version, PARTITION items on owner and epoch). A lost write means another invocation changed
 * the state: the invocation re-reads and re-plans, a bounded number of times. Plans are
 * deterministic, so concurrent invocations converge and each partition's epoch is bumped once
 * per owner change.
 *
 * Scale-in protection lives here, not in the scaler: which TaskManagers leave is an ownership
 * decision (fewest partitions), and their partitions must move before ECS may stop them. The
 * scaler only sets the desired count; ECS cannot stop protected TaskManagers, so the surplus
 * waits for this function to drain and release exactly the chosen victims.
 */
import {
  chooseScaleInVictims,
  completePartitions,
  type MoveReason,
  type PartitionMove,
  persistentlyHot,
  planAssignment,
} from './core/assignment';
import type { AppConfig } from './core/config';
import type {
  AppItems,
  HealthStatus,
  PartitionChange,
  PartitionItem,
  ServiceState,
  TaskHealthItem,
  TaskInfo,
} from './core/domain';
import { DependencyError } from './core/errors';
import {
  type EcsObservation,
  type HealthObservation,
  type HealthReason,
  type HealthTransition,
  isMetricsOutage,
  newTaskHealth,
  nextHealth,
  selectHungToStop,
} from './core/health';
import { buildMetricQueries, type ResolvedMetrics, resolveMetrics, summarizeMetrics } from './core/metrics';
import { compareIds } from './core/values';
import type { Clock, MetricsSource, ServiceController, StateStore } from './ports';

export interface FailoverDeps {
  readonly config: AppConfig;
  readonly store: StateStore;
  readonly ecs: ServiceController;
  readonly metrics: MetricsSource;
  readonly clock: Clock;
}

export type FailoverTrigger =
  | {
      readonly kind: 'task-event';
      readonly eventId: string;
      readonly eventTime: Date;
      readonly taskId: string;
      /** The event's clusterArn and group (`service:<name>`): events of other services are ignored. */
      readonly clusterArn: string;
      readonly group?: string;
      readonly ecs: EcsObservation;
    }
  | { readonly kind: 'schedule'; readonly eventTime: Date; readonly id?: string };

/**
 * Converged: the state this invocation planned is written (possibly by racing invocations).
 * Unconverged: writes kept losing races after every attempt; the next trigger carries on.
 * Ignored: an event of another cluster or service; nothing was read or written.
 */
export type FailoverOutcome = 'Converged' | 'Unconverged' | 'Ignored';

export interface HealthChange {
  readonly taskId: string;
  /** NEW: the task had no item yet. */
  readonly from: HealthStatus | 'NEW';
  readonly to: HealthStatus;
  readonly reason: HealthReason;
}

export interface FailoverResult {
  readonly at: string;
  readonly trigger: FailoverTrigger['kind'];
  /** The task id of an event, the schedule event id of a reconcile. */
  readonly triggerDetail?: string;
  readonly outcome: FailoverOutcome;
  /** Read-plan-write rounds (1 unless a race was lost). */
  readonly attempts: number;
  /** Health changes this invocation wrote. */
  readonly healthChanges: readonly HealthChange[];
  /** DEAD TaskManagers whose partitions this invocation moved. */
  readonly failedOver: readonly string[];
  /** Hung TaskManagers this invocation stopped with StopTask. */
  readonly stopped: readonly string[];
  /** Hung TaskManagers left running by the rate limit (or a failed StopTask); they keep their partitions. */
  readonly stopsDeferred: readonly string[];
  /** TaskManagers this invocation chose to leave on a scale-in (now DRAINING). */
  readonly scaleInVictims: readonly string[];
  readonly protectionSet: readonly string[];
  readonly protectionDropped: readonly string[];
  /** Owner changes written by this invocation (a revoke before a handover is not counted). */
  readonly partitionsMoved: number;
  readonly movesByReason: Readonly<Partial<Record<MoveReason, number>>>;
  /** Conditional writes that lost a race (each led to a re-read). */
  readonly conflicts: number;
  /** Partitions that need an owner while no TaskManager is HEALTHY. */
  readonly unassignable: number;
  /** TASK items of long-gone TaskManagers deleted. */
  readonly pruned: readonly string[];
  readonly problems: readonly string[];
}

/** Read-plan-write rounds before an invocation gives up to the next trigger. */
export const MAX_ATTEMPTS = 4;
/** Conditional writes in flight at once. */
export const MAX_WRITES_IN_FLIGHT = 16;
/** Scale-in protection set on TaskManagers (ECS allows at most 2,880 minutes). */
export const PROTECTION_MINUTES = 2880;
/** Protection is renewed once less than this is left. */
export const PROTECTION_RENEW_MINUTES = 1440;
/** TASK items of TaskManagers gone (and owning nothing) for this long are deleted. */
export const PRUNE_AFTER_SECONDS = 3600;

/** What one reconcile saw of ECS and CloudWatch; read once per invocation, reused by every attempt. */
interface ClusterView {
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
  readonly problems: readonly string[];
  /**
   * Known tasks (TASK items) that ListTasks did not return, as DescribeTasks describes them:
   * ListTasks is eventually consistent, a task that just started may be missing from it.
   */
  readonly unlisted?: ReadonlyMap<string, TaskInfo>;
  /** Known tasks that ListTasks did not return and that could not be described: left as they are. */
  readonly unconfirmed?: ReadonlySet<string>;
}

interface Tally {
  attempts: number;
  conflicts: number;
  partitionsMoved: number;
  readonly healthChanges: HealthChange[];
  readonly failedOver: Set<string>;
  readonly stopped: Set<string>;
  stopsDeferred: string[];
  readonly scaleInVictims: Set<string>;
  readonly protectionSet: Set<string>;
  readonly protectionDropped: Set<string>;
  readonly movesByReason: Partial<Record<MoveReason, number>>;
  unassignable: number;
  readonly pruned: Set<string>;
  readonly problems: string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The last `/`-separated segment of an ARN (a cluster or task name), or the reference itself. */
export function resourceName(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return slash === -1 ? ref : ref.slice(slash + 1);
}

function withoutVersion(task: TaskHealthItem): Omit<TaskHealthItem, 'version'> {
  const { version: _version, ...rest } = task;
  return rest;
}

/** What DescribeTasks says of a task, as a (versionless) health observation. */
function ecsSnapshot(t: TaskInfo): NonNullable<HealthObservation['ecs']> {
  return {
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    ...(t.startedAt === undefined ? {} : { startedAt: t.startedAt.getTime() }),
  };
}

/**
 * The known tasks a listing taken at `listedAtMs` should have returned but did not: not DEAD
 * (fenced for good), and started before the listing (a newer one may just be too new for it).
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

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class Failover {
  private readonly heartbeatMetrics: ResolvedMetrics;

  constructor(private readonly deps: FailoverDeps) {
    // The per-TaskManager load metric the scaler reads, and nothing else: its newest datapoint
    // is the heartbeat, its mean the seed rule's load. The window covers the heartbeat timeout
    // and one period more, so "no datapoint in the window" always means stale.
    const { processedRate: _r, backlog: _b, inputRate: _i, ...perTask } = resolveMetrics(deps.config.metrics);
    const period = perTask.periodSeconds;
    const covering = (Math.ceil(deps.config.health.heartbeatTimeoutSeconds / period) + 2) * period;
    this.heartbeatMetrics = {
      ...perTask,
      windowSeconds: Math.max(perTask.windowSeconds, covering),
      maxDataAgeSeconds: Math.max(perTask.maxDataAgeSeconds, covering),
    };
  }

  async handle(trigger: FailoverTrigger): Promise<FailoverResult> {
    const now = this.deps.clock.now();
    const tally: Tally = {
      attempts: 0,
      conflicts: 0,
      partitionsMoved: 0,
      healthChanges: [],
      failedOver: new Set(),
      stopped: new Set(),
      stopsDeferred: [],
      scaleInVictims: new Set(),
      protectionSet: new Set(),
      protectionDropped: new Set(),
      movesByReason: {},
      unassignable: 0,
      pruned: new Set(),
      problems: [],
    };
    const detail = trigger.kind === 'task-event' ? trigger.taskId : trigger.id;
    const finish = (outcome: FailoverOutcome): FailoverResult => ({
      at: now.toISOString(),
      trigger: trigger.kind,
      ...(detail === undefined ? {} : { triggerDetail: detail }),
      outcome,
      attempts: tally.attempts,
      healthChanges: tally.healthChanges,
      failedOver: [...tally.failedOver].sort(compareIds),
      stopped: [...tally.stopped].sort(compareIds),
      stopsDeferred: tally.stopsDeferred,
      scaleInVictims: [...tally.scaleInVictims].sort(compareIds),
      protectionSet: [...tally.protectionSet].sort(compareIds),
      protectionDropped: [...tally.protectionDropped].sort(compareIds),
      partitionsMoved: tally.partitionsMoved,
      movesByReason: tally.movesByReason,
      conflicts: tally.conflicts,
      unassignable: tally.unassignable,
      pruned: [...tally.pruned].sort(compareIds),
      problems: tally.problems,
    });

    if (trigger.kind === 'task-event' && !this.isOurService(trigger)) {
      tally.problems.push(
        `event of ${trigger.group ?? 'no group'} in ${trigger.clusterArn}: not this service`,
      );
      return finish('Ignored');
    }
    // A reconcile reads ECS and CloudWatch once, alongside the first read of the table.
    const appId = this.deps.config.appId;
    const [observed, firstRead] =
      trigger.kind === 'schedule'
        ? await Promise.all([this.observe(now.getTime(), tally.problems), this.deps.store.readApp(appId)])
        : [undefined, await this.deps.store.readApp(appId)];
    const view = observed && (await this.confirmUnlisted(observed, firstRead.tasks, tally.problems));
    if (view) tally.problems.push(...view.problems);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      tally.attempts = attempt;
      const items = attempt === 1 ? firstRead : await this.deps.store.readApp(appId);
      if (await this.attempt(items, trigger, view, now.getTime(), tally)) return finish('Converged');
    }
    tally.problems.push(`still losing races after ${MAX_ATTEMPTS} attempts; the next trigger continues`);
    return finish('Unconverged');
  }

  private isOurService(trigger: Extract<FailoverTrigger, { kind: 'task-event' }>): boolean {
    const { cluster, service } = this.deps.config.ecs;
    return (
      resourceName(trigger.clusterArn) === resourceName(cluster) &&
      trigger.group === `service:${resourceName(service)}`
    );
  }

  // ------------------------------------------------------------ reading ECS and CloudWatch

  /**
   * Reads the service, its tasks and their metrics. Undefined when ECS cannot be read (the
   * invocation then only completes what the table says, like an event would); the problem
   * is reported. A metrics failure only means no heartbeat is judged.
   */
  private async observe(nowMs: number, problems: string[]): Promise<ClusterView | undefined> {
    const { ecs } = this.deps;
    let tasks: TaskInfo[];
    let service: ServiceState;
    try {
      [tasks, service] = await Promise.all([ecs.listTasks(), ecs.describeService()]);
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error;
      problems.push(`ECS read failed, reconciled from the table only: ${error.message}`);
      return undefined;
    }
    return this.observeMetrics(nowMs, tasks, service);
  }

  /**
   * Known tasks that ListTasks did not return are described (one DescribeTasks, only when
   * there are any): they are usually being stopped, but ListTasks is eventually consistent
   * and may not list a task that just started. A task ECS cannot describe now is left as it
   * is this round rather than taken for stopped.
   */
  private async confirmUnlisted(
    view: ClusterView,
    known: readonly TaskHealthItem[],
    problems: string[],
  ): Promise<ClusterView> {
    const listed = new Set(view.tasks.map((t) => t.taskId));
    const ids = unlistedTasks(known, listed, view.atMs);
    if (ids.length === 0) return view;
    try {
      const { tasks } = await this.deps.ecs.describeTasks(ids);
      return { ...view, unlisted: new Map(tasks.map((t) => [t.taskId, t])) };
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error;
      problems.push(`ECS DescribeTasks of unlisted tasks failed, left as they are: ${error.message}`);
      return { ...view, unconfirmed: new Set(ids) };
    }
  }

  private async observeMetrics(
    nowMs: number,
    tasks: TaskInfo[],
    service: ServiceState,
  ): Promise<ClusterView> {
    const { metrics } = this.deps;
    const running = tasks
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.taskId)
      .sort(compareIds);
    const problems: string[] = [];
    if (running.length === 0)
      return { atMs: nowMs, tasks, service, heartbeat: new Map(), loads: {}, problems };
    const resolved = this.heartbeatMetrics;
    try {
      const series = await metrics.getMetricData(
        buildMetricQueries(resolved, running),
        new Date(nowMs - resolved.windowSeconds * 1000),
        new Date(nowMs),
      );
      const byId = new Map(series.map((s) => [s.id, s]));
      const heartbeat = new Map<string, number | null>();
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
      return { atMs: nowMs, tasks, service, heartbeat, loads, problems };
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error;
      problems.push(`metrics read failed, heartbeats not judged: ${error.message}`);
      return { atMs: nowMs, tasks, service, heartbeat: undefined, loads: {}, problems };
    }
  }

  // ------------------------------------------------------------ one read-plan-write round

  /** Returns true when everything planned was written (by this or a racing invocation). */
  private async attempt(
    items: AppItems,
    trigger: FailoverTrigger,
    view: ClusterView | undefined,
    nowMs: number,
    tally: Tally,
  ): Promise<boolean> {
    const { config, store } = this.deps;
    const appId = config.appId;

    // 1. Health.
    const transitions = this.evaluateHealth(items, trigger, view, nowMs, tally);
    const tasks = new Map(items.tasks.map((t) => [t.taskId, t]));
    const toWrite = transitions.filter((t) => t.transition.mustWrite || t.prev.version === 0);
    const written = await Promise.all(
      toWrite.map(({ transition }) =>
        store.commitTask(appId, transition.next.version, withoutVersion(transition.next)),
      ),
    );
    if (!this.settle(written, tally)) return false;
    for (const { prev, transition } of toWrite) {
      const next = { ...transition.next, version: transition.next.version + 1 };
      tasks.set(next.taskId, next);
      if (next.status !== prev.status || prev.version === 0) {
        tally.healthChanges.push({
          taskId: next.taskId,
          from: prev.version === 0 ? 'NEW' : prev.status,
          to: next.status,
          reason: transition.verdict.reason,
        });
      }
    }
    const update = async (task: TaskHealthItem, change: Partial<TaskHealthItem>): Promise<boolean> => {
      const next: TaskHealthItem = { ...task, ...change };
      const ok = await store.commitTask(appId, task.version, withoutVersion(next));
      if (ok) tasks.set(task.taskId, { ...next, version: task.version + 1 });
      return ok;
    };

    // 2. Hung TaskManagers (RUNNING, DEAD by health): stopped before their partitions move.
    const held = await this.stopHung(tasks, transitions, update, nowMs, tally);
    if (held === undefined) return false;

    // 3. Scale-in: choose the victims the surplus needs; they drain (their partitions move first).
    const partitions = completePartitions(items.partitions, config.partitions, nowMs);
    if (view && !view.service.deploymentInProgress) {
      const victimsWritten = await this.chooseVictims(view, tasks, partitions, update, tally);
      if (!victimsWritten) return false;
    }

    // 4. Plan and write the moves.
    const roles = rolesOf(tasks, held);
    const owned = ownedCounts(partitions);
    // Loads are means over the metric window: until a whole window has passed since the last
    // owner change they still describe the old assignment, and acting on them would chase it.
    const lastChange = partitions.reduce((m, p) => Math.max(m, p.updatedAt), 0);
    const settled = nowMs - lastChange >= this.heartbeatMetrics.windowSeconds * 1000;
    const hot =
      view && settled ? persistentlyHot(pick(view.loads, roles.live), owned, config.policy.loadFactor) : [];
    const plan = planAssignment({ partitions, ...roles, hot });
    tally.unassignable = plan.unassignable.length;
    const byId = new Map(partitions.map((p) => [p.partitionId, p]));
    const results = await mapLimit(plan.moves, MAX_WRITES_IN_FLIGHT, (move) =>
      this.writeMove(move, byId.get(move.partitionId), new Set(roles.draining), nowMs),
    );
    const finalOwner = new Map(partitions.map((p) => [p.partitionId, p.owner]));
    plan.moves.forEach((move, i) => {
      if (!results[i]) return;
      finalOwner.set(move.partitionId, move.to);
      tally.partitionsMoved++;
      tally.movesByReason[move.reason] = (tally.movesByReason[move.reason] ?? 0) + 1;
      const from = move.from === null ? undefined : tasks.get(move.from);
      if (from?.status === 'DEAD') tally.failedOver.add(from.taskId);
    });
    if (!this.settle(results, tally)) return false;
    const stillOwns = new Set([...finalOwner.values()].filter((o): o is string => o !== null));

    // 5. Scale-in protection and the clean-up of TaskManagers that are gone.
    if (view && !(await this.protection(view, tasks, stillOwns, update, nowMs, tally))) return false;
    if (view) await this.prune(view, tasks, stillOwns, nowMs, tally);
    return true;
  }

  /** Counts lost races; true when every write went through. */
  private settle(results: readonly boolean[], tally: Tally): boolean {
    const lost = results.filter((ok) => !ok).length;
    tally.conflicts += lost;
    return lost === 0;
  }

  private evaluateHealth(
    items: AppItems,
    trigger: FailoverTrigger,
    view: ClusterView | undefined,
    nowMs: number,
    tally: Tally,
  ): { prev: TaskHealthItem; transition: HealthTransition }[] {
    const health = this.deps.config.health;
    const stored = new Map(items.tasks.map((t) => [t.taskId, t]));
    const observations = new Map<string, HealthObservation>();
    const firstSight = (taskId: string, startedAt: number | undefined): TaskHealthItem =>
      stored.get(taskId) ?? newTaskHealth(taskId, nowMs, startedAt);
    if (trigger.kind === 'task-event') {
      observations.set(trigger.taskId, { ecs: trigger.ecs, reconcile: false });
    }
    if (view) {
      const reconcileSeconds = this.deps.config.scheduleSeconds;
      for (const t of view.tasks) {
        const hb = view.heartbeat?.get(t.taskId);
        observations.set(t.taskId, {
          ecs: ecsSnapshot(t),
          // Staleness is judged only where the metrics answered for this task.
          reconcile: view.heartbeat?.has(t.taskId) ?? false,
          reconcileSeconds,
          ...(hb === undefined || hb === null ? {} : { lastDatapointAt: hb }),
        });
      }
      // Known tasks ECS does not list as wanting to run (unlistedTasks): as DescribeTasks
      // describes them (confirmUnlisted); those it no longer knows are being stopped or gone.
      for (const taskId of unlistedTasks(items.tasks, new Set(observations.keys()), view.atMs)) {
        if (view.unconfirmed?.has(taskId)) continue;
        const prev = stored.get(taskId) as TaskHealthItem;
        const described = view.unlisted?.get(taskId);
        observations.set(taskId, {
          ecs: described
            ? ecsSnapshot(described)
            : { lastStatus: prev.ecsStatus, desiredStatus: 'STOPPED', healthStatus: 'UNKNOWN' },
          reconcile: false,
        });
      }
    }
    const evaluate = (judgeHeartbeat: boolean) =>
      [...observations.entries()].map(([taskId, obs]) => {
        const prev = firstSight(taskId, obs.ecs?.startedAt);
        const o = judgeHeartbeat ? obs : { ...obs, reconcile: false };
        return { prev, reconcile: o.reconcile, transition: nextHealth(prev, o, health, nowMs) };
      });
    let evaluated = evaluate(true);
    if (view) {
      const stale = evaluated.filter(
        (e) =>
          e.reconcile &&
          e.prev.status !== 'DEAD' &&
          (e.transition.verdict.reason === 'MissesExceeded' ||
            e.transition.verdict.reason === 'HeartbeatMissing'),
      ).length;
      const running = view.tasks.filter((t) => t.lastStatus === 'RUNNING').length;
      if (isMetricsOutage(stale, running)) {
        tally.problems.push(
          `${stale} of ${running} running TaskManagers look stale at once: treated as a metrics outage, heartbeats not judged`,
        );
        evaluated = evaluate(false);
      }
    }
    return evaluated.map(({ prev, transition }) => ({ prev, transition }));
  }

  /**
   * Stops hung TaskManagers: those the container health check failed at once (ECS replaces
   * them anyway), the rest within health.maxStopsPerMinute. Each stop is recorded on the task
   * item (stopRequestedAt). Returns the hung TaskManagers that keep their partitions for now
   * (deferred by the rate limit, or StopTask failed), or undefined after a lost race.
   */
  private async stopHung(
    tasks: Map<string, TaskHealthItem>,
    transitions: readonly { transition: HealthTransition }[],
    update: (task: TaskHealthItem, change: Partial<TaskHealthItem>) => Promise<boolean>,
    nowMs: number,
    tally: Tally,
  ): Promise<Set<string> | undefined> {
    const { config, ecs } = this.deps;
    const hung = [...tasks.values()].filter(
      (t) => t.status === 'DEAD' && t.ecsStatus === 'RUNNING' && t.stopRequestedAt === undefined,
    );
    const unhealthy = new Set(
      transitions
        .filter((t) => t.transition.statusChanged && t.transition.verdict.reason === 'ContainerUnhealthy')
        .map((t) => t.transition.next.taskId),
    );
    const recentStops = [...tasks.values()].flatMap((t) =>
      t.stopRequestedAt === undefined ? [] : [t.stopRequestedAt],
    );
    const selection = selectHungToStop(
      hung.filter((t) => !unhealthy.has(t.taskId)),
      config.health.maxStopsPerMinute,
      recentStops,
      nowMs,
    );
    const held = new Set(selection.deferred);
    const toStop = [...hung.filter((t) => unhealthy.has(t.taskId)).map((t) => t.taskId), ...selection.stop];
    for (const taskId of toStop) {
      const task = tasks.get(taskId) as TaskHealthItem;
      const silent = Math.round((nowMs - task.lastSeen) / 1000);
      try {
        await ecs.stopTask(
          taskId,
          unhealthy.has(taskId)
            ? 'flink-ecs-autoscaler: TaskManager container unhealthy'
            : `flink-ecs-autoscaler: TaskManager hung (no metric datapoint for ${silent}s)`,
        );
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error;
        tally.problems.push(
          `StopTask ${taskId} failed, its partitions stay until it is stopped: ${error.message}`,
        );
        held.add(taskId);
        continue;
      }
      tally.stopped.add(taskId);
      if (!(await update(task, { stopRequestedAt: nowMs }))) {
        tally.conflicts++;
        return undefined;
      }
    }
    tally.stopsDeferred = [...held].sort(compareIds);
    return held;
  }

  /** Marks the scale-in victims DRAINING; false after a lost race. */
  private async chooseVictims(
    view: ClusterView,
    tasks: Map<string, TaskHealthItem>,
    partitions: readonly PartitionItem[],
    update: (task: TaskHealthItem, change: Partial<TaskHealthItem>) => Promise<boolean>,
    tally: Tally,
  ): Promise<boolean> {
    const surplus = view.tasks.length - view.service.desiredCount;
    if (surplus <= 0) return true;
    const leaving = view.tasks.filter((t) => {
      const s = tasks.get(t.taskId)?.status;
      return s === 'DRAINING' || s === 'DEAD';
    }).length;
    const need = surplus - leaving;
    if (need <= 0) return true;
    const owned = ownedCounts(partitions);
    const candidates = view.tasks
      .filter((t) => t.lastStatus === 'RUNNING' && tasks.get(t.taskId)?.status === 'HEALTHY')
      .map((t) => ({
        taskId: t.taskId,
        ownedPartitions: owned[t.taskId] ?? 0,
        ...(t.startedAt === undefined ? {} : { startedAt: t.startedAt.getTime() }),
      }));
    for (const taskId of chooseScaleInVictims(candidates, need)) {
      const task = tasks.get(taskId) as TaskHealthItem;
      if (!(await update(task, { status: 'DRAINING' }))) {
        tally.conflicts++;
        return false;
      }
      tally.scaleInVictims.add(taskId);
      tally.healthChanges.push({ taskId, from: task.status, to: 'DRAINING', reason: 'StopRequested' });
    }
    return true;
  }

  /**
   * One move as conditional writes: a victim's partition is first revoked (REVOKING, same
   * owner and epoch), then assigned to its new owner at epoch + 1. False when a race was lost.
   */
  private async writeMove(
    move: PartitionMove,
    read: PartitionItem | undefined,
    draining: ReadonlySet<string>,
    nowMs: number,
  ): Promise<boolean> {
    const { store, config } = this.deps;
    const appId = config.appId;
    if (move.from !== null && draining.has(move.from) && read?.state === 'ASSIGNED') {
      const revoke: PartitionChange = {
        partitionId: move.partitionId,
        from: move.from,
        expectedEpoch: move.expectedEpoch,
        to: move.from,
        newEpoch: move.expectedEpoch,
        state: 'REVOKING',
        ...(read.previousOwner === undefined ? {} : { previousOwner: read.previousOwner }),
        updatedAt: read.updatedAt,
      };
      if (!(await store.writePartition(appId, revoke))) return false;
    }
    return store.writePartition(appId, {
      partitionId: move.partitionId,
      from: move.from,
      expectedEpoch: move.expectedEpoch,
      to: move.to,
      newEpoch: move.newEpoch,
      state: 'ASSIGNED',
      updatedAt: nowMs,
    });
  }

  /**
   * Scale-in protection: HEALTHY TaskManagers carry it (set when they join, renewed daily);
   * drained victims that own nothing any more lose it, so ECS stops exactly those; a victim
   * ECS no longer needs to stop (the count went back up) is stopped and replaced. During a
   * deployment all protection is dropped: ECS deployments wait for protected tasks.
   * False after a lost race.
   */
  private async protection(
    view: ClusterView,
    tasks: Map<string, TaskHealthItem>,
    stillOwns: ReadonlySet<string>,
    update: (task: TaskHealthItem, change: Partial<TaskHealthItem>) => Promise<boolean>,
    nowMs: number,
    tally: Tally,
  ): Promise<boolean> {
    const { ecs } = this.deps;
    const listed = view.tasks
      .map((t) => ({ info: t, item: tasks.get(t.taskId) }))
      .filter((t): t is { info: TaskInfo; item: TaskHealthItem } => t.item !== undefined);
    const deploying = view.service.deploymentInProgress;
    const release = listed.filter(
      ({ item }) =>
        item.protectedUntil !== undefined &&
        (deploying || (item.status === 'DRAINING' && !stillOwns.has(item.taskId))),
    );
    const renewBefore = nowMs + PROTECTION_RENEW_MINUTES * 60_000;
    const protect = deploying
      ? []
      : listed.filter(
          ({ info, item }) =>
            item.status === 'HEALTHY' &&
            info.lastStatus === 'RUNNING' &&
            (item.protectedUntil === undefined || item.protectedUntil < renewBefore),
        );
    const record = async (
      group: readonly { item: TaskHealthItem }[],
      enabled: boolean,
      done: Set<string>,
    ): Promise<boolean> => {
      if (group.length === 0) return true;
      try {
        await ecs.setTaskProtection(
          group.map((g) => g.item.taskId),
          enabled,
          enabled ? PROTECTION_MINUTES : undefined,
        );
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error;
        tally.problems.push(
          `UpdateTaskProtection (enabled=${enabled}) failed, retried next tick: ${error.message}`,
        );
        return true;
      }
      const protectedUntil = enabled ? nowMs + PROTECTION_MINUTES * 60_000 : undefined;
      for (const { item } of group) {
        done.add(item.taskId);
        const current = tasks.get(item.taskId) as TaskHealthItem;
        const { protectedUntil: _old, ...rest } = current;
        const next: Mutable<TaskHealthItem> = { ...rest };
        if (protectedUntil !== undefined) next.protectedUntil = protectedUntil;
        const ok = await this.deps.store.commitTask(
          this.deps.config.appId,
          current.version,
          withoutVersion(next),
        );
        if (!ok) {
          tally.conflicts++;
          return false;
        }
        tasks.set(item.taskId, { ...next, version: current.version + 1 });
      }
      return true;
    };
    if (!(await record(release, false, tally.protectionDropped))) return false;
    if (!(await record(protect, true, tally.protectionSet))) return false;

    // A drained, released victim that ECS will not stop (no surplus any more) is replaced.
    const surplus = view.tasks.length - view.service.desiredCount;
    if (surplus <= 0 && !deploying) {
      for (const { info, item } of listed) {
        const current = tasks.get(item.taskId) as TaskHealthItem;
        if (
          current.status !== 'DRAINING' ||
          current.protectedUntil !== undefined ||
          current.stopRequestedAt !== undefined ||
          info.lastStatus !== 'RUNNING' ||
          stillOwns.has(current.taskId)
        ) {
          continue;
        }
        try {
          await ecs.stopTask(current.taskId, 'flink-ecs-autoscaler: drained TaskManager no longer needed');
        } catch (error) {
          if (!(error instanceof DependencyError)) throw error;
          tally.problems.push(`StopTask ${current.taskId} (drained) failed: ${error.message}`);
          continue;
        }
        tally.stopped.add(current.taskId);
        if (!(await update(current, { stopRequestedAt: nowMs }))) {
          tally.conflicts++;
          return false;
        }
      }
    }
    return true;
  }

  /** Deletes the TASK items of TaskManagers ECS no longer lists, that own nothing, gone for an hour. */
  private async prune(
    view: ClusterView,
    tasks: ReadonlyMap<string, TaskHealthItem>,
    stillOwns: ReadonlySet<string>,
    nowMs: number,
    tally: Tally,
  ): Promise<void> {
    const listed = new Set(view.tasks.map((t) => t.taskId));
    const gone = [...tasks.values()].filter(
      (t) =>
        (t.status === 'DEAD' || t.status === 'DRAINING') &&
        !listed.has(t.taskId) &&
        !stillOwns.has(t.taskId) &&
        nowMs - Math.max(t.lastSeen, t.stopRequestedAt ?? 0) > PRUNE_AFTER_SECONDS * 1000,
    );
    const results = await mapLimit(gone, MAX_WRITES_IN_FLIGHT, (t) =>
      this.deps.store.deleteTask(this.deps.config.appId, t.taskId, t.version),
    );
    gone.forEach((t, i) => {
      if (results[i]) tally.pruned.add(t.taskId);
    });
  }
}

/** The planner's roles: HEALTHY live; SUSPECT and held hung TaskManagers frozen; DRAINING draining. */
function rolesOf(
  tasks: ReadonlyMap<string, TaskHealthItem>,
  held: ReadonlySet<string>,
): { live: string[]; suspect: string[]; draining: string[] } {
  const live: string[] = [];
  const suspect: string[] = [];
  const draining: string[] = [];
  for (const t of tasks.values()) {
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

/** Partitions each owner holds (ASSIGNED or REVOKING). */
function ownedCounts(partitions: readonly PartitionItem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of partitions) if (p.owner !== null) out[p.owner] = (out[p.owner] ?? 0) + 1;
  return out;
}

function pick(values: Readonly<Record<string, number>>, keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const v = values[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
