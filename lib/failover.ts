/**
 * The failover use case (DESIGN §3): TaskManager health, fenced partition ownership, hung
 * TaskManager replacement and graceful scale-in, on the ports only. It reads, executes the
 * plan of the pure reconcile planner (lib/core/reconcile.ts, which decides everything), and
 * reports; it decides nothing itself.
 *
 * Triggers:
 * - an ECS Task State Change of the TaskManager service (the fast path): only that task's
 *   health is evaluated; if it is DEAD its partitions move in the same invocation;
 * - the schedule (reconcile): ECS ListTasks/DescribeTasks/DescribeServices and the
 *   TaskManagers' metric freshness decide every task's health (container health comes from
 *   DescribeTasks only: AWS's task state change events carry none). The metrics read is one
 *   query for the whole fleet while its heartbeat count vouches for every TaskManager, one
 *   per TaskManager otherwise (lib/core/heartbeat.ts), plus the per-TaskManager loads when
 *   the partition balance needs them.
 *
 * Every write is a single-item conditional write on what was read (TASK items on their
 * version, PARTITION items on owner and epoch). The plan's steps run in order; the writes of
 * one step are independent and run in parallel, at most MAX_WRITES_IN_FLIGHT at once. A lost
 * write means another invocation changed the state: the invocation re-reads and re-plans, at
 * most MAX_ATTEMPTS times. Plans are deterministic, so concurrent invocations converge and
 * each partition's epoch is bumped once per owner change.
 *
 * Scale-in protection lives here, not in the scaler: which TaskManagers leave is an ownership
 * decision (fewest partitions), and their partitions must move before ECS may stop them.
 */
import type { MoveReason } from './core/assignment.js';
import { mapLimit } from './core/concurrency.js';
import type { AppConfig } from './core/config.js';
import type { AppItems, MetricQuery, MetricSeries, TaskHealthItem, TaskInfo } from './core/domain.js';
import { type DependencyError, outcomeOf } from './core/errors.js';
import type { EcsObservation } from './core/health.js';
import {
  FLEET_HEARTBEAT_ID,
  fleetBusyQueries,
  fleetHeartbeatQuery,
  heartbeatMetrics,
  loadsCadence,
  loadsVerdict,
  readLoads,
  readTaskHeartbeats,
  taskHeartbeatQueries,
  vouchForFleet,
} from './core/heartbeat.js';
import { perTaskQueries, type ResolvedMetrics } from './core/metrics.js';
import {
  type ClusterView,
  type HealthChange,
  type MoveOrder,
  planReconcile,
  type ReconcilePlan,
  type StopOrder,
  type TaskWrite,
} from './core/reconcile.js';
import { eventDescribeTargets, unlistedTasks } from './core/reconcile-rules.js';
import { compareIds } from './core/values.js';
import type { Clock, MetricsSource, ServiceController, StateStore } from './ports.js';

export type { HealthChange } from './core/reconcile.js';
export { PROTECTION_MINUTES, PROTECTION_RENEW_MINUTES, PRUNE_AFTER_SECONDS } from './core/reconcile-rules.js';

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
      /** The name of the event's cluster (the handler resolves it from the event's clusterArn). */
      readonly cluster: string;
      /** The name of the event's service (its group `service:<name>`); absent for a standalone task. */
      readonly service?: string;
      readonly ecs: EcsObservation;
    }
  | { readonly kind: 'schedule'; readonly eventTime: Date; readonly id?: string };

/**
 * Converged: the state this invocation planned is written (possibly by racing invocations).
 * Unconverged: writes kept losing races after every attempt; the next trigger carries on.
 * Failed: the state table could not be read or written (after the SDK's retries); the next
 * trigger carries on.
 * Ignored: an event of another cluster or service; nothing was read or written.
 */
export type FailoverOutcome = 'Converged' | 'Unconverged' | 'Failed' | 'Ignored';

export interface FailoverResult {
  readonly at: string;
  readonly trigger: FailoverTrigger['kind'];
  /** The task id of an event, the schedule event id of a reconcile. */
  readonly triggerDetail?: string;
  readonly outcome: FailoverOutcome;
  /** Read-plan-write rounds (1 unless a race was lost or a StopTask failed). */
  readonly attempts: number;
  /** Health changes this invocation wrote. */
  readonly healthChanges: readonly HealthChange[];
  /** DEAD TaskManagers whose partitions this invocation moved. */
  readonly failedOver: readonly string[];
  /** TaskManagers this invocation stopped with StopTask (hung, unhealthy, fenced, drained). */
  readonly stopped: readonly string[];
  /** DEAD TaskManagers ECS still runs, left running by the rate limit (or a failed StopTask); they keep their partitions. */
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
/** Conditional writes (and StopTask calls) in flight at once. */
export const MAX_WRITES_IN_FLIGHT = 16;

interface Tally {
  attempts: number;
  conflicts: number;
  partitionsMoved: number;
  readonly healthChanges: HealthChange[];
  readonly failedOver: Set<string>;
  readonly stopped: Set<string>;
  stopsDeferred: readonly string[];
  readonly scaleInVictims: Set<string>;
  readonly protectionSet: Set<string>;
  readonly protectionDropped: Set<string>;
  readonly movesByReason: Partial<Record<MoveReason, number>>;
  unassignable: number;
  readonly pruned: Set<string>;
  readonly problems: string[];
}

/** How a step of the plan ended: all written, a race lost or a stop failed (re-read, re-plan), or the table failed. */
type StepResult = 'done' | 'replan' | 'failed';

/** The reconcile's first metrics read: the fleet's heartbeat count, and on the load cadence its busy time. */
type FleetRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'read'; readonly series: readonly MetricSeries[] }
  | { readonly kind: 'failed'; readonly message: string };

const sorted = (ids: Iterable<string>): string[] => [...ids].sort(compareIds);

export class Failover {
  private readonly heartbeatMetrics: ResolvedMetrics;

  constructor(private readonly deps: FailoverDeps) {
    this.heartbeatMetrics = heartbeatMetrics(deps.config);
  }

  async handle(trigger: FailoverTrigger): Promise<FailoverResult> {
    const { config, store } = this.deps;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
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
      failedOver: sorted(tally.failedOver),
      stopped: sorted(tally.stopped),
      stopsDeferred: tally.stopsDeferred,
      scaleInVictims: sorted(tally.scaleInVictims),
      protectionSet: sorted(tally.protectionSet),
      protectionDropped: sorted(tally.protectionDropped),
      partitionsMoved: tally.partitionsMoved,
      movesByReason: tally.movesByReason,
      conflicts: tally.conflicts,
      unassignable: tally.unassignable,
      pruned: sorted(tally.pruned),
      problems: [...new Set(tally.problems)],
    });

    if (trigger.kind === 'task-event' && !this.isOurService(trigger)) {
      tally.problems.push(
        `event of ${trigger.service === undefined ? 'no service' : `service ${trigger.service}`} in cluster ${trigger.cluster}: not this service`,
      );
      return finish('Ignored');
    }
    // A reconcile reads ECS and CloudWatch once, alongside the first read of the table.
    const read = () => this.dependency(() => store.readApp(config.appId), 'DynamoDB read', tally);
    const [observed, firstRead] =
      trigger.kind === 'schedule'
        ? await Promise.all([this.observe(nowMs, tally.problems), read()])
        : [undefined, await read()];
    if (firstRead === undefined) return finish('Failed');
    const confirmed =
      observed && (await this.confirmUnlisted(observed.view, firstRead.tasks, tally.problems));
    const cluster =
      confirmed &&
      observed &&
      (await this.observeTaskMetrics(nowMs, confirmed, observed.fleet, firstRead, tally.problems));
    const event = trigger.kind === 'task-event' ? { taskId: trigger.taskId, ecs: trigger.ecs } : undefined;
    const described = event && (await this.describeForEvent(firstRead.tasks, event, tally.problems));
    const stopFailed = new Set<string>();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      tally.attempts = attempt;
      const items: AppItems | undefined = attempt === 1 ? firstRead : await read();
      if (items === undefined) return finish('Failed');
      const plan = planReconcile({
        config,
        nowMs,
        tasks: items.tasks,
        partitions: items.partitions,
        ...(event ? { event } : {}),
        ...(cluster ? { cluster } : {}),
        ...(described ? { described } : {}),
        stopFailed,
      });
      tally.problems.push(...plan.problems);
      const result = await this.execute(plan, tally, stopFailed);
      if (result === 'done') return finish('Converged');
      if (result === 'failed') return finish('Failed');
    }
    tally.problems.push(
      `not converged after ${MAX_ATTEMPTS} attempts (lost races or failed stops); the next trigger continues`,
    );
    return finish('Unconverged');
  }

  private isOurService(trigger: Extract<FailoverTrigger, { kind: 'task-event' }>): boolean {
    const { ecs } = this.deps;
    return trigger.cluster === ecs.clusterName && trigger.service === ecs.serviceName;
  }

  /** A call to the state table; its failure is reported and ends the invocation (undefined). */
  private async dependency<T>(call: () => Promise<T>, what: string, tally: Tally): Promise<T | undefined> {
    const r = await outcomeOf(call);
    if (r.ok) return r.value;
    tally.problems.push(`${what} failed, the next trigger continues: ${r.error.message}`);
    return undefined;
  }

  // ------------------------------------------------------------ reading ECS and CloudWatch

  /**
   * Reads the service, its tasks and the fleet's heartbeat count (one query; on the load
   * cadence also the fleet's busy time, two more). Undefined when ECS cannot be read (the
   * invocation then only completes what the table says, like an event would); the problem is
   * reported. A metrics failure only means no heartbeat is judged.
   */
  private async observe(
    nowMs: number,
    problems: string[],
  ): Promise<{ view: ClusterView; fleet: FleetRead } | undefined> {
    const { ecs, config } = this.deps;
    const resolved = this.heartbeatMetrics;
    const heartbeat = fleetHeartbeatQuery(resolved);
    const cadence = loadsCadence({ resolved, nowMs, scheduleSeconds: config.scheduleSeconds });
    const queries = heartbeat ? [heartbeat, ...(cadence ? fleetBusyQueries(resolved) : [])] : [];
    const [read, fleet] = await Promise.all([
      outcomeOf(() => Promise.all([ecs.listTasks(), ecs.describeService()])),
      queries.length > 0 ? this.metricsRead(queries, nowMs) : Promise.resolve(undefined),
    ]);
    if (!read.ok) {
      problems.push(`ECS read failed, reconciled from the table only: ${read.error.message}`);
      return undefined;
    }
    const [tasks, service] = read.value;
    return {
      view: { atMs: nowMs, tasks, service, heartbeat: undefined, loads: {} },
      fleet:
        fleet === undefined
          ? { kind: 'none' }
          : fleet.ok
            ? { kind: 'read', series: fleet.value }
            : { kind: 'failed', message: fleet.error.message },
    };
  }

  private metricsRead(queries: readonly MetricQuery[], nowMs: number) {
    const resolved = this.heartbeatMetrics;
    return outcomeOf(() =>
      this.deps.metrics.getMetricData(
        queries,
        new Date(nowMs - resolved.windowSeconds * 1000),
        new Date(nowMs),
      ),
    );
  }

  /**
   * Known tasks that ListTasks did not return are described (one DescribeTasks, only when
   * there are any): ListTasks is eventually consistent and may not list a task that just
   * started. A task ECS cannot describe now is left as it is this round.
   */
  private async confirmUnlisted(
    view: ClusterView,
    known: readonly TaskHealthItem[],
    problems: string[],
  ): Promise<ClusterView> {
    const ids = unlistedTasks(known, new Set(view.tasks.map((t) => t.taskId)), view.atMs);
    if (ids.length === 0) return view;
    const described = await outcomeOf(() => this.deps.ecs.describeTasks(ids));
    if (described.ok) return { ...view, unlisted: new Map(described.value.tasks.map((t) => [t.taskId, t])) };
    problems.push(`ECS DescribeTasks of unlisted tasks failed, left as they are: ${described.error.message}`);
    return { ...view, unconfirmed: new Set(ids) };
  }

  /**
   * A task starting is how ECS answers a failed container health check (it starts the
   * replacement before it stops the unhealthy task), and AWS's events carry no health: the
   * known TaskManagers are described then (one DescribeTasks, lib/core eventDescribeTargets),
   * so a hung one is caught at its replacement's first event rather than at the next reconcile.
   */
  private async describeForEvent(
    known: readonly TaskHealthItem[],
    event: { readonly taskId: string; readonly ecs: EcsObservation },
    problems: string[],
  ): Promise<TaskInfo[] | undefined> {
    const ids = eventDescribeTargets(known, event);
    if (ids.length === 0) return undefined;
    const described = await outcomeOf(() => this.deps.ecs.describeTasks(ids));
    if (described.ok) return described.value.tasks;
    problems.push(
      `ECS DescribeTasks of the known TaskManagers failed, their health is judged later: ${described.error.message}`,
    );
    return undefined;
  }

  /**
   * The heartbeats and loads of the RUNNING TaskManagers: from the fleet's heartbeat count
   * when a fresh period of it vouches for them (those that joined after it one by one), else
   * from one query per TaskManager; the loads only when the balance needs them
   * (lib/core/heartbeat.ts).
   */
  private async observeTaskMetrics(
    nowMs: number,
    view: ClusterView,
    fleet: FleetRead,
    items: AppItems,
    problems: string[],
  ): Promise<ClusterView> {
    const { config } = this.deps;
    const resolved = this.heartbeatMetrics;
    const running = view.tasks
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.taskId)
      .sort(compareIds);
    if (running.length === 0) return { ...view, heartbeat: new Map(), loads: {} };
    const source = resolved.heartbeat;
    if (fleet.kind === 'failed')
      problems.push(`metrics read failed, heartbeats not judged: ${fleet.message}`);
    const fleetSeries = fleet.kind === 'read' ? fleet.series : undefined;
    const verdict = fleetSeries
      ? vouchForFleet({
          resolved,
          series: fleetSeries.find((s) => s.id === FLEET_HEARTBEAT_ID),
          tasks: view.tasks,
          runningCount: view.service.runningCount,
          known: items.tasks,
          timeoutSeconds: config.health.heartbeatTimeoutSeconds,
          nowMs,
        })
      : undefined;
    // The TaskManagers whose own heartbeat series is read.
    const perTask =
      source.kind === 'per-task' || verdict?.kind === 'per-task'
        ? running
        : verdict?.kind === 'vouched'
          ? verdict.unvouched
          : [];
    const live = items.tasks.filter((t) => t.status === 'HEALTHY').length;
    const loads = loadsVerdict({
      resolved,
      cadence: loadsCadence({ resolved, nowMs, scheduleSeconds: config.scheduleSeconds, live }),
      partitions: config.partitions,
      live,
      loadFactor: config.policy.loadFactor,
      fleetBusy: fleetSeries,
      nowMs,
    }).read;
    const queries: MetricQuery[] = [
      ...taskHeartbeatQueries(resolved, source.kind === 'per-task' ? running : perTask),
      ...(loads && source.kind !== 'per-task' ? perTaskQueries(resolved, running) : []),
    ];
    let series: MetricSeries[] = [];
    if (queries.length > 0) {
      const read = await this.metricsRead(queries, nowMs);
      if (read.ok) series = read.value;
      else problems.push(`per-TaskManager metrics read failed: ${read.error.message}`);
      if (!read.ok && perTask.length === running.length) return { ...view, heartbeat: undefined, loads: {} };
    }
    const heartbeat = new Map<string, number | null>();
    if (verdict?.kind === 'vouched') for (const id of verdict.taskIds) heartbeat.set(id, verdict.heartbeatAt);
    if (perTask.length > 0) {
      const own = readTaskHeartbeats(resolved, perTask, series);
      problems.push(...own.problems);
      for (const [id, at] of own.heartbeat) heartbeat.set(id, at);
    }
    const judged = verdict !== undefined || source.kind === 'per-task';
    return {
      ...view,
      heartbeat: judged ? heartbeat : undefined,
      loads: loads ? readLoads(resolved, running, series, nowMs) : {},
    };
  }

  // ------------------------------------------------------------ executing a plan

  /** Executes the plan's steps in order; stops at the first step that lost a race, failed a stop or failed. */
  private async execute(plan: ReconcilePlan, tally: Tally, stopFailed: Set<string>): Promise<StepResult> {
    // 1. Health.
    let step = await this.writeTasks(plan.health, tally);
    if (step !== 'done') return step;
    tally.healthChanges.push(...plan.healthChanges);

    // 2. DEAD TaskManagers ECS still runs, stopped before their partitions move. A failed
    //    StopTask is re-planned: that TaskManager keeps its partitions until it is stopped.
    step = await this.stop(plan.stops, tally, stopFailed);
    if (step !== 'done') return step;
    tally.stopsDeferred = plan.stopsDeferred;

    // 3. Scale-in victims drain.
    step = await this.writeTasks(plan.victims, tally);
    if (step !== 'done') return step;
    for (const v of plan.victims) tally.scaleInVictims.add(v.taskId);
    tally.healthChanges.push(...plan.victimChanges);

    // 4. Partition moves.
    tally.unassignable = plan.unassignable;
    step = await this.move(plan.moves, tally);
    if (step !== 'done') return step;

    // 5. Protection: dropped (victims, fenced TaskManagers, deployments), then set.
    const dropped = new Set<string>();
    for (const order of plan.protection) {
      const call = await outcomeOf(() =>
        this.deps.ecs.setTaskProtection(order.taskIds, order.enabled, order.expiresInMinutes),
      );
      if (!call.ok) {
        tally.problems.push(
          `UpdateTaskProtection (enabled=${order.enabled}) failed, retried next tick: ${call.error.message}`,
        );
        continue;
      }
      for (const taskId of order.taskIds) {
        (order.enabled ? tally.protectionSet : tally.protectionDropped).add(taskId);
        if (!order.enabled) dropped.add(taskId);
      }
      step = await this.writeTasks(order.records, tally);
      if (step !== 'done') return step;
    }

    // 6. Released victims ECS will not stop (no surplus any more): stopped and replaced.
    const drained = plan.drainedStops.filter((s) => !s.afterProtectionDrop || dropped.has(s.taskId));
    step = await this.stop(drained, tally);
    if (step !== 'done') return step;

    // 7. Clean-up of TaskManagers long gone; a lost delete is left for a later tick.
    const deleted = await this.writeAll(plan.prunes, tally, (p) =>
      this.deps.store.deleteTask(this.deps.config.appId, p.taskId, p.expectedVersion),
    );
    if (deleted === undefined) return 'failed';
    plan.prunes.forEach((p, i) => {
      if (deleted[i]) tally.pruned.add(p.taskId);
    });
    return 'done';
  }

  /**
   * Runs independent conditional writes, at most MAX_WRITES_IN_FLIGHT at once: each result
   * (false: its condition failed), or undefined when the table failed (reported).
   */
  private async writeAll<T>(
    items: readonly T[],
    tally: Tally,
    write: (item: T) => Promise<boolean>,
  ): Promise<boolean[] | undefined> {
    const results = await mapLimit(items, MAX_WRITES_IN_FLIGHT, (item) => outcomeOf(() => write(item)));
    const failed = results.find((r): r is { ok: false; error: DependencyError } => !r.ok);
    if (failed) {
      tally.problems.push(`DynamoDB write failed, the next trigger continues: ${failed.error.message}`);
      return undefined;
    }
    return results.map((r) => r.ok && r.value);
  }

  /** Counts the lost races of a step's results. */
  private settle(results: readonly boolean[] | undefined, tally: Tally): StepResult {
    if (results === undefined) return 'failed';
    const lost = results.filter((ok) => !ok).length;
    tally.conflicts += lost;
    return lost === 0 ? 'done' : 'replan';
  }

  private async writeTasks(writes: readonly TaskWrite[], tally: Tally): Promise<StepResult> {
    const { store, config } = this.deps;
    const results = await this.writeAll(writes, tally, (w) =>
      store.commitTask(config.appId, w.expectedVersion, w.item),
    );
    return this.settle(results, tally);
  }

  /**
   * StopTask for each order, then the TASK write that records it. With `stopFailed`, a failed
   * StopTask is re-planned (the TaskManager is added to it); without, it is only reported.
   */
  private async stop(
    orders: readonly StopOrder[],
    tally: Tally,
    stopFailed?: Set<string>,
  ): Promise<StepResult> {
    let failedStop = false;
    const results = await this.writeAll(orders, tally, async (order) => {
      const call = await outcomeOf(() => this.deps.ecs.stopTask(order.taskId, order.reason));
      if (!call.ok) {
        tally.problems.push(
          order.why === 'drained'
            ? `StopTask ${order.taskId} (drained) failed: ${call.error.message}`
            : `StopTask ${order.taskId} failed, its partitions stay until it is stopped: ${call.error.message}`,
        );
        if (stopFailed) {
          stopFailed.add(order.taskId);
          failedStop = true;
        }
        return true;
      }
      tally.stopped.add(order.taskId);
      return this.deps.store.commitTask(
        this.deps.config.appId,
        order.record.expectedVersion,
        order.record.item,
      );
    });
    const step = this.settle(results, tally);
    return step === 'done' && failedStop ? 'replan' : step;
  }

  /** The moves of a plan: each partition's writes in order, partitions in parallel. */
  private async move(moves: readonly MoveOrder[], tally: Tally): Promise<StepResult> {
    const { store, config } = this.deps;
    const results = await this.writeAll(moves, tally, async (m) => {
      for (const change of m.writes) if (!(await store.writePartition(config.appId, change))) return false;
      return true;
    });
    moves.forEach((m, i) => {
      if (!results?.[i]) return;
      tally.partitionsMoved++;
      tally.movesByReason[m.move.reason] = (tally.movesByReason[m.move.reason] ?? 0) + 1;
      if (m.failover && m.move.from !== null) tally.failedOver.add(m.move.from);
    });
    return this.settle(results, tally);
  }
}
