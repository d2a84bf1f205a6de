/**
 * The failover use case (DESIGN §3): TaskManager health, fenced partition ownership, hung
 * TaskManager replacement and graceful scale-in, on the ports only. It reads, has the plan of
 * the pure reconcile planner (lib/core/reconcile.ts, which decides everything) executed
 * (lib/failover-execute.ts), and reports; it decides nothing itself: what the reconcile reads
 * of CloudWatch and makes of it is lib/core/reconcile-read.ts's, which events it acts on,
 * when it re-plans and how it ends lib/core/failover-outcome.ts's.
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
import type { AppConfig } from './core/config.js';
import type { AppItems, MetricQuery, TaskHealthItem, TaskInfo } from './core/domain.js';
import { outcomeOf } from './core/errors.js';
import {
  afterRound,
  type FailoverOutcome,
  type FailoverResult,
  type FailoverTrigger,
  failoverResult,
  newTally,
  notOurEvent,
  type StepResult,
  type Tally,
} from './core/failover-outcome.js';
import type { EcsObservation } from './core/health.js';
import { heartbeatMetrics } from './core/heartbeat.js';
import type { ResolvedMetrics } from './core/metrics.js';
import { type ClusterView, planReconcile } from './core/reconcile.js';
import {
  type FleetRead,
  fleetQueries,
  fleetReadOf,
  type MetricsRead,
  planTaskMetrics,
  taskMetricsOf,
} from './core/reconcile-read.js';
import { eventDescribeTargets, unlistedTasks } from './core/reconcile-rules.js';
import { PlanExecutor } from './failover-execute.js';
import type { Clock, MetricsSource, ServiceController, StateStore } from './ports.js';

export type { FailoverOutcome, FailoverResult, FailoverTrigger } from './core/failover-outcome.js';
export { MAX_ATTEMPTS } from './core/failover-outcome.js';
export type { HealthChange } from './core/reconcile.js';
export { PROTECTION_MINUTES, PROTECTION_RENEW_MINUTES, PRUNE_AFTER_SECONDS } from './core/reconcile-rules.js';
export { MAX_WRITES_IN_FLIGHT } from './failover-execute.js';

export interface FailoverDeps {
  readonly config: AppConfig;
  readonly store: StateStore;
  readonly ecs: ServiceController;
  readonly metrics: MetricsSource;
  readonly clock: Clock;
}

export class Failover {
  private readonly heartbeatMetrics: ResolvedMetrics;
  private readonly executor: PlanExecutor;

  constructor(private readonly deps: FailoverDeps) {
    this.heartbeatMetrics = heartbeatMetrics(deps.config);
    this.executor = new PlanExecutor(deps);
  }

  async handle(trigger: FailoverTrigger): Promise<FailoverResult> {
    const { config, store, ecs } = this.deps;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const tally = newTally();
    const finish = (outcome: FailoverOutcome) => failoverResult(trigger, now, outcome, tally);

    const ignored = notOurEvent(trigger, ecs.clusterName, ecs.serviceName);
    if (ignored !== undefined) {
      tally.problems.push(ignored);
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
    for (let attempt = 1; ; attempt++) {
      tally.attempts = attempt;
      const items: AppItems | undefined = attempt === 1 ? firstRead : await read();
      let step: StepResult = 'failed';
      if (items !== undefined) {
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
        step = await this.executor.execute(plan, tally, stopFailed);
      }
      const next = afterRound(step, attempt);
      if (next.kind === 'finish') {
        if (next.problem !== undefined) tally.problems.push(next.problem);
        return finish(next.outcome);
      }
    }
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
   * cadence also the fleet's busy time, two more: lib/core fleetQueries). Undefined when ECS
   * cannot be read (the invocation then only completes what the table says, like an event
   * would); the problem is reported. A metrics failure only means no heartbeat is judged.
   */
  private async observe(
    nowMs: number,
    problems: string[],
  ): Promise<{ view: ClusterView; fleet: FleetRead } | undefined> {
    const { ecs, config } = this.deps;
    const queries = fleetQueries(this.heartbeatMetrics, nowMs, config.scheduleSeconds);
    const [read, fleet] = await Promise.all([
      outcomeOf(() => Promise.all([ecs.listTasks(), ecs.describeService()])),
      this.metricsRead(queries, nowMs),
    ]);
    if (!read.ok) {
      problems.push(`ECS read failed, reconciled from the table only: ${read.error.message}`);
      return undefined;
    }
    const [tasks, service] = read.value;
    return {
      view: { atMs: nowMs, tasks, service, heartbeat: undefined, loads: {} },
      fleet: fleetReadOf(fleet),
    };
  }

  /** One GetMetricData over the heartbeat window; not made (undefined) when there is nothing to ask. */
  private async metricsRead(queries: readonly MetricQuery[], nowMs: number): Promise<MetricsRead> {
    if (queries.length === 0) return undefined;
    const from = new Date(nowMs - this.heartbeatMetrics.windowSeconds * 1000);
    return outcomeOf(() => this.deps.metrics.getMetricData(queries, from, new Date(nowMs)));
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
   * when a fresh period of it vouches for them, else from one query per TaskManager; the loads
   * only when the balance needs them (lib/core/reconcile-read.ts decides the read and reads it).
   */
  private async observeTaskMetrics(
    nowMs: number,
    view: ClusterView,
    fleet: FleetRead,
    items: AppItems,
    problems: string[],
  ): Promise<ClusterView> {
    const resolved = this.heartbeatMetrics;
    const plan = planTaskMetrics({
      config: this.deps.config,
      resolved,
      view,
      fleet,
      known: items.tasks,
      nowMs,
    });
    problems.push(...plan.problems);
    const seen = taskMetricsOf(resolved, plan, await this.metricsRead(plan.queries, nowMs), nowMs);
    problems.push(...seen.problems);
    return { ...view, heartbeat: seen.heartbeat, loads: seen.loads };
  }
}
