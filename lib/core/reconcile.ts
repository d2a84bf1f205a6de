/**
 * The failover reconcile planner (DESIGN §3, Failover): from what one invocation read (the
 * TASK and PARTITION items, ECS's tasks and service, the metric heartbeats, or one ECS task
 * state change event) to a plan of conditional writes and ECS calls. Pure: no I/O, time passed
 * in. lib/failover.ts has the plan executed step by step (lib/failover-execute.ts), re-reads
 * and re-plans when a write loses a race (lib/core/failover-outcome.ts says when); this file
 * decides the plan: who is dead, who is stopped, who leaves on a scale-in, which partitions
 * move where, whose scale-in protection changes, what is cleaned up.
 *
 * The plan's steps run in order, each step's writes independent of each other (the executor
 * runs them in parallel, bounded): health; stops of DEAD TaskManagers ECS still runs (before
 * their partitions move); scale-in victims (DRAINING); partition moves (a revoke first on a
 * graceful handover); protection (drop, then set); stops of released victims; prunes. Each
 * TASK write is conditional on the item's version as the earlier steps leave it, each
 * PARTITION write on the owner and epoch as read; the rules are in lib/core/reconcile-rules.ts,
 * health in lib/core/health.ts, the assignment in lib/core/assignment.ts.
 */
import { completePartitions, type PartitionMove, planAssignment } from './assignment.js';
import type { AppConfig } from './config.js';
import type { HealthStatus, PartitionChange, PartitionItem, TaskHealthItem, TaskInfo } from './domain.js';
import { type EcsObservation, type HealthReason, newTaskHealth, nextHealth } from './health.js';
import { heartbeatMetrics } from './heartbeat.js';
import {
  type ClusterView,
  chooseStops,
  drainedToStop,
  type Evaluated,
  hotForBalance,
  metricsOutage,
  observationsOf,
  ownedCounts,
  PROTECTION_MINUTES,
  protectionChanges,
  prunable,
  rolesOf,
  type StopWhy,
  scaleInVictims,
  stopReason,
} from './reconcile-rules.js';

export type { ClusterView, StopWhy } from './reconcile-rules.js';

export interface ReconcileInput {
  readonly config: AppConfig;
  readonly nowMs: number;
  /** The TASK items as read. */
  readonly tasks: readonly TaskHealthItem[];
  /** The PARTITION items as read (partitions without an item are unowned at epoch 0). */
  readonly partitions: readonly PartitionItem[];
  /** The ECS task state change event of the fast path (its task only; no metrics). */
  readonly event?: { readonly taskId: string; readonly ecs: EcsObservation };
  /** What a reconcile read of ECS and CloudWatch; absent on the event path or when ECS could not be read. */
  readonly cluster?: ClusterView;
  /**
   * On the event path: the known TaskManagers as DescribeTasks describes them now (their
   * container health, which AWS's events do not carry; see eventDescribeTargets).
   */
  readonly described?: readonly TaskInfo[];
  /** TaskManagers whose StopTask failed earlier in this invocation: not stopped again, they keep their partitions. */
  readonly stopFailed?: ReadonlySet<string>;
}

export interface HealthChange {
  readonly taskId: string;
  /** NEW: the task had no item yet. */
  readonly from: HealthStatus | 'NEW';
  readonly to: HealthStatus;
  readonly reason: HealthReason;
}

/** One conditional write of a TASK item. */
export interface TaskWrite {
  readonly taskId: string;
  /** The stored version the write is conditional on (0: the item must not exist); it becomes + 1. */
  readonly expectedVersion: number;
  readonly item: Omit<TaskHealthItem, 'version'>;
}

/** One StopTask, and the TASK write that records it once ECS accepted it. */
export interface StopOrder {
  readonly taskId: string;
  readonly why: StopWhy;
  /** The StopTask reason. */
  readonly reason: string;
  /** stopRequestedAt (and the protection as the plan leaves it), written after the stop. */
  readonly record: TaskWrite;
  /** Only after this plan's protection drop of the task succeeded (a released victim). */
  readonly afterProtectionDrop: boolean;
}

/** One owner change of one partition, as the conditional writes that make it. */
export interface MoveOrder {
  readonly move: PartitionMove;
  /** In order: a revoke (REVOKING, same owner and epoch) on a graceful handover, then the owner change. */
  readonly writes: readonly PartitionChange[];
  /** The previous owner is DEAD: the move is a failover. */
  readonly failover: boolean;
}

/** One UpdateTaskProtection of a group of tasks, and the TASK writes that record it once ECS accepted it. */
export interface ProtectionOrder {
  readonly enabled: boolean;
  readonly taskIds: readonly string[];
  readonly expiresInMinutes?: number;
  readonly records: readonly TaskWrite[];
}

export interface ReconcilePlan {
  /** Step 1: health (new tasks, status, ECS status and version, misses). */
  readonly health: readonly TaskWrite[];
  readonly healthChanges: readonly HealthChange[];
  /** Step 2: DEAD TaskManagers ECS still runs, stopped before their partitions move. */
  readonly stops: readonly StopOrder[];
  /** DEAD TaskManagers ECS still runs that are not stopped now (rate limit, failed stop): they keep their partitions. */
  readonly stopsDeferred: readonly string[];
  /** Step 3: scale-in victims, marked DRAINING. */
  readonly victims: readonly TaskWrite[];
  readonly victimChanges: readonly HealthChange[];
  /** Step 4: partition moves, sorted by partition id. */
  readonly moves: readonly MoveOrder[];
  /** Partitions that need an owner while no TaskManager is HEALTHY; they stay as they are. */
  readonly unassignable: number;
  /** Step 5: protection dropped (first), then set. */
  readonly protection: readonly ProtectionOrder[];
  /** Step 6: released victims ECS no longer needs to stop. */
  readonly drainedStops: readonly StopOrder[];
  /** Step 7: TASK items of long-gone TaskManagers, deleted on their version. */
  readonly prunes: readonly { readonly taskId: string; readonly expectedVersion: number }[];
  readonly problems: readonly string[];
}

/** The TASK items as the plan's earlier steps leave them (each planned write raises the version by one). */
class TaskLedger {
  private readonly items: Map<string, TaskHealthItem>;

  constructor(items: readonly TaskHealthItem[]) {
    this.items = new Map(items.map((t) => [t.taskId, t]));
  }

  get(taskId: string): TaskHealthItem | undefined {
    return this.items.get(taskId);
  }

  get view(): ReadonlyMap<string, TaskHealthItem> {
    return this.items;
  }

  /** Plans the write of `next`, conditional on its version (the version the item stands at). */
  write(next: TaskHealthItem): TaskWrite {
    const { version, ...item } = next;
    this.items.set(next.taskId, { ...next, version: version + 1 });
    return { taskId: next.taskId, expectedVersion: version, item };
  }

  /** Plans a change of some fields of the item as it stands; a field set to undefined is removed. */
  change(taskId: string, change: Partial<Omit<TaskHealthItem, 'taskId' | 'version'>>): TaskWrite {
    const next = { ...(this.items.get(taskId) as TaskHealthItem), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete next[k as keyof typeof change];
    return this.write(next);
  }
}

/** Health of every task this invocation knows something about, with the metrics-outage rule applied. */
function evaluateHealth(input: ReconcileInput, problems: string[]): Evaluated[] {
  const { config, nowMs, cluster } = input;
  const stored = new Map(input.tasks.map((t) => [t.taskId, t]));
  const observations = observationsOf(
    input.tasks,
    input.event,
    cluster,
    config.scheduleSeconds,
    input.described,
  );
  const evaluate = (judgeHeartbeat: boolean): Evaluated[] =>
    [...observations.entries()].map(([taskId, obs]) => {
      const prev = stored.get(taskId) ?? newTaskHealth(taskId, nowMs, obs.ecs?.startedAt);
      const o = judgeHeartbeat ? obs : { ...obs, reconcile: false };
      return { prev, reconcile: o.reconcile, transition: nextHealth(prev, o, config.health, nowMs) };
    });
  const evaluated = evaluate(true);
  const outage = cluster ? metricsOutage(evaluated) : undefined;
  if (outage === undefined) return evaluated;
  problems.push(outage);
  return evaluate(false);
}

/** One conditional write per partition write of a move; a draining owner's partition is revoked first. */
function moveWrites(
  move: PartitionMove,
  read: PartitionItem | undefined,
  draining: ReadonlySet<string>,
  nowMs: number,
): PartitionChange[] {
  const assign: PartitionChange = {
    partitionId: move.partitionId,
    from: move.from,
    expectedEpoch: move.expectedEpoch,
    to: move.to,
    newEpoch: move.newEpoch,
    state: 'ASSIGNED',
    updatedAt: nowMs,
  };
  if (move.from === null || !draining.has(move.from) || read?.state !== 'ASSIGNED') return [assign];
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
  return [revoke, assign];
}

/** The plan of one read-plan-write round. */
export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const { config, nowMs, cluster } = input;
  const problems: string[] = [];
  const ledger = new TaskLedger(input.tasks);

  // 1. Health.
  const evaluated = evaluateHealth(input, problems);
  const health: TaskWrite[] = [];
  const healthChanges: HealthChange[] = [];
  for (const { prev, transition } of evaluated) {
    if (!transition.mustWrite && prev.version !== 0) continue;
    health.push(ledger.write(transition.next));
    if (transition.next.status !== prev.status || prev.version === 0) {
      healthChanges.push({
        taskId: prev.taskId,
        from: prev.version === 0 ? 'NEW' : prev.status,
        to: transition.next.status,
        reason: transition.verdict.reason,
      });
    }
  }

  // 2. DEAD TaskManagers ECS still runs: stopped before their partitions move (rate-limited).
  const unhealthy = new Set(
    evaluated
      .filter((e) => e.transition.statusChanged && e.transition.verdict.reason === 'ContainerUnhealthy')
      .map((e) => e.prev.taskId),
  );
  const choice = chooseStops(
    [...ledger.view.values()],
    unhealthy,
    input.stopFailed ?? new Set(),
    config.health,
    nowMs,
  );
  const stops: StopOrder[] = choice.stop.map(({ taskId, why }) => ({
    taskId,
    why,
    reason: stopReason(why, ledger.get(taskId) as TaskHealthItem, nowMs),
    record: ledger.change(taskId, { stopRequestedAt: nowMs }),
    afterProtectionDrop: false,
  }));
  const held = new Set(choice.held);

  // 3. Scale-in: the victims the surplus needs drain (their partitions move first).
  const partitions = completePartitions(input.partitions, config.partitions, nowMs);
  const victimIds = cluster ? scaleInVictims(cluster, ledger.view, ownedCounts(partitions)) : [];
  const victimChanges: HealthChange[] = victimIds.map((taskId) => ({
    taskId,
    from: (ledger.get(taskId) as TaskHealthItem).status,
    to: 'DRAINING',
    reason: 'StopRequested',
  }));
  const victims = victimIds.map((taskId) => ledger.change(taskId, { status: 'DRAINING' }));

  // 4. Partition moves: balanced, sticky, hot TaskManagers taking the smaller share.
  const roles = rolesOf(ledger.view.values(), held);
  const windowSeconds = heartbeatMetrics(config).windowSeconds;
  const hot = cluster
    ? hotForBalance(cluster.loads, partitions, roles.live, config.policy.loadFactor, windowSeconds, nowMs)
    : [];
  const assignment = planAssignment({ partitions, ...roles, hot });
  const byId = new Map(partitions.map((p) => [p.partitionId, p]));
  const draining = new Set(roles.draining);
  const moves: MoveOrder[] = assignment.moves.map((move) => ({
    move,
    writes: moveWrites(move, byId.get(move.partitionId), draining, nowMs),
    failover: move.from !== null && ledger.get(move.from)?.status === 'DEAD',
  }));
  const finalOwner = new Map(partitions.map((p) => [p.partitionId, p.owner]));
  for (const m of assignment.moves) finalOwner.set(m.partitionId, m.to);
  const stillOwns = new Set([...finalOwner.values()].filter((o): o is string => o !== null));

  // 5-7. Protection, released victims, clean-up: a reconcile only (they need ECS's listing).
  const protection: ProtectionOrder[] = [];
  const drainedStops: StopOrder[] = [];
  const prunes: { taskId: string; expectedVersion: number }[] = [];
  if (cluster) {
    const { drop, set } = protectionChanges(cluster, ledger.view, stillOwns, nowMs);
    if (drop.length > 0) {
      protection.push({
        enabled: false,
        taskIds: drop,
        records: drop.map((taskId) => ledger.change(taskId, { protectedUntil: undefined })),
      });
    }
    if (set.length > 0) {
      const protectedUntil = nowMs + PROTECTION_MINUTES * 60_000;
      protection.push({
        enabled: true,
        taskIds: set,
        expiresInMinutes: PROTECTION_MINUTES,
        records: set.map((taskId) => ledger.change(taskId, { protectedUntil })),
      });
    }
    const dropped = new Set(drop);
    for (const taskId of drainedToStop(cluster, ledger.view, stillOwns)) {
      drainedStops.push({
        taskId,
        why: 'drained',
        reason: stopReason('drained', ledger.get(taskId) as TaskHealthItem, nowMs),
        record: ledger.change(taskId, { stopRequestedAt: nowMs }),
        afterProtectionDrop: dropped.has(taskId),
      });
    }
    for (const t of prunable(cluster, ledger.view.values(), stillOwns, nowMs)) {
      prunes.push({ taskId: t.taskId, expectedVersion: t.version });
    }
  }

  return {
    health,
    healthChanges,
    stops,
    stopsDeferred: choice.held,
    victims,
    victimChanges,
    moves,
    unassignable: assignment.unassignable.length,
    protection,
    drainedStops,
    prunes,
    problems,
  };
}

/** Every write and ECS call of a plan: 0 means there is nothing to do (the state has converged). */
export function planSize(plan: ReconcilePlan): number {
  return (
    plan.health.length +
    plan.stops.length +
    plan.victims.length +
    plan.moves.reduce((n, m) => n + m.writes.length, 0) +
    plan.protection.reduce((n, p) => n + 1 + p.records.length, 0) +
    plan.drainedStops.length +
    plan.prunes.length
  );
}
