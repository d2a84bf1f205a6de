/**
 * Executes a failover reconcile plan (lib/core/reconcile.ts) for lib/failover.ts: its steps
 * in order, each step's conditional writes and ECS calls in parallel, at most
 * MAX_WRITES_IN_FLIGHT at once, recording what they did in the invocation's Tally. What a
 * step's results come to (done, re-plan, failed) is lib/core/failover-outcome.ts's to say.
 */
import { mapLimit } from './core/concurrency.js';
import type { AppConfig } from './core/config.js';
import { type DependencyError, outcomeOf } from './core/errors.js';
import {
  drainedStopsToRun,
  type StepResult,
  settleStep,
  stopFailure,
  type Tally,
} from './core/failover-outcome.js';
import type { MoveOrder, ReconcilePlan, StopOrder, TaskWrite } from './core/reconcile.js';
import type { ServiceController, StateStore } from './ports.js';

/** Conditional writes (and StopTask calls) in flight at once. */
export const MAX_WRITES_IN_FLIGHT = 16;

export interface PlanExecutorDeps {
  readonly config: AppConfig;
  readonly store: StateStore;
  readonly ecs: ServiceController;
}

export class PlanExecutor {
  constructor(private readonly deps: PlanExecutorDeps) {}

  /** Executes the plan's steps in order; stops at the first step that lost a race, failed a stop or failed. */
  async execute(plan: ReconcilePlan, tally: Tally, stopFailed: Set<string>): Promise<StepResult> {
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
    step = await this.stop(drainedStopsToRun(plan.drainedStops, dropped), tally, stopFailed);
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

  /** A step's writes as they returned, settled (lib/core settleStep); its lost races counted. */
  private settle(results: readonly boolean[] | undefined, tally: Tally, stopFailed = false): StepResult {
    const settled = settleStep(results, stopFailed);
    tally.conflicts += settled.conflicts;
    return settled.step;
  }

  private async writeTasks(writes: readonly TaskWrite[], tally: Tally): Promise<StepResult> {
    const { store, config } = this.deps;
    const results = await this.writeAll(writes, tally, (w) =>
      store.commitTask(config.appId, w.expectedVersion, w.item),
    );
    return this.settle(results, tally);
  }

  /**
   * StopTask for each order, then the TASK write that records it. A failed StopTask is
   * reported, and re-planned when lib/core stopFailure says so (the TaskManager joins
   * `stopFailed`: it is not stopped again in this invocation).
   */
  private async stop(
    orders: readonly StopOrder[],
    tally: Tally,
    stopFailed: Set<string>,
  ): Promise<StepResult> {
    let replan = false;
    const results = await this.writeAll(orders, tally, async (order) => {
      const call = await outcomeOf(() => this.deps.ecs.stopTask(order.taskId, order.reason));
      if (!call.ok) {
        const failure = stopFailure(order, call.error.message);
        tally.problems.push(failure.problem);
        if (failure.replan) {
          stopFailed.add(order.taskId);
          replan = true;
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
    return this.settle(results, tally, replan);
  }

  /** The moves of a plan: each partition's writes in order, partitions in parallel. */
  private async move(moves: readonly MoveOrder[], tally: Tally): Promise<StepResult> {
    const { store, config } = this.deps;
    const results = await this.writeAll(moves, tally, async (m) => {
      for (const change of m.writes) if (!(await store.writePartition(config.appId, change))) return false;
      return true;
    });
    moves.forEach((m, i) => {
      if (results?.[i]) tally.moved.push(m);
    });
    return this.settle(results, tally);
  }
}
