/**
 * How one failover invocation ends (DESIGN §3, Failover): which triggers it acts on, what a
 * step of the plan came to once its writes and calls returned (done, re-plan, failed), when
 * it stops re-planning, and what it reports. Pure: lib/failover.ts records what its writes and
 * calls returned in a Tally and asks these functions what follows; what the plan is, is
 * lib/core/reconcile.ts's.
 */
import type { MoveReason } from './assignment.js';
import type { EcsObservation } from './health.js';
import type { HealthChange, MoveOrder, StopOrder } from './reconcile.js';
import { compareIds } from './values.js';

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

// ---------------------------------------------------------------- the trigger

/**
 * Why an ECS task state change event is not this service's (the invocation then reads and
 * writes nothing: Ignored); undefined for an event of the service, and for the schedule.
 */
export function notOurEvent(
  trigger: FailoverTrigger,
  clusterName: string,
  serviceName: string,
): string | undefined {
  if (trigger.kind !== 'task-event') return undefined;
  if (trigger.cluster === clusterName && trigger.service === serviceName) return undefined;
  const service = trigger.service === undefined ? 'no service' : `service ${trigger.service}`;
  return `event of ${service} in cluster ${trigger.cluster}: not this service`;
}

// ---------------------------------------------------------------- a step of the plan

/** How a step of the plan ended: all written, a race lost or a stop failed (re-read, re-plan), or the table failed. */
export type StepResult = 'done' | 'replan' | 'failed';

/**
 * A step's conditional writes as they returned (false: its condition failed, a lost race;
 * undefined: the table failed), and whether a StopTask of the step failed: what the step came
 * to, and the races it lost.
 */
export function settleStep(
  results: readonly boolean[] | undefined,
  stopFailed = false,
): { readonly step: StepResult; readonly conflicts: number } {
  if (results === undefined) return { step: 'failed', conflicts: 0 };
  const conflicts = results.filter((ok) => !ok).length;
  return { step: conflicts > 0 || stopFailed ? 'replan' : 'done', conflicts };
}

/**
 * A StopTask ECS refused: what to report, and whether the invocation re-plans around it. A
 * DEAD TaskManager's stop is re-planned (it keeps its partitions until it is stopped, and is
 * not stopped again in this invocation); a drained victim's is only reported (the next
 * reconcile stops it).
 */
export function stopFailure(
  order: StopOrder,
  message: string,
): { readonly problem: string; readonly replan: boolean } {
  if (order.why === 'drained')
    return { problem: `StopTask ${order.taskId} (drained) failed: ${message}`, replan: false };
  return {
    problem: `StopTask ${order.taskId} failed, its partitions stay until it is stopped: ${message}`,
    replan: true,
  };
}

/** The released victims stopped in step 6: those whose stop waits on a protection drop only once it succeeded. */
export function drainedStopsToRun(stops: readonly StopOrder[], dropped: ReadonlySet<string>): StopOrder[] {
  return stops.filter((s) => !s.afterProtectionDrop || dropped.has(s.taskId));
}

// ---------------------------------------------------------------- a round, the invocation

export type RoundVerdict =
  | { readonly kind: 'replan' }
  | { readonly kind: 'finish'; readonly outcome: FailoverOutcome; readonly problem?: string };

/** After the `attempt`-th read-plan-write round ended in `step`: another round, or the outcome. */
export function afterRound(step: StepResult, attempt: number, maxAttempts = MAX_ATTEMPTS): RoundVerdict {
  if (step === 'done') return { kind: 'finish', outcome: 'Converged' };
  if (step === 'failed') return { kind: 'finish', outcome: 'Failed' };
  if (attempt < maxAttempts) return { kind: 'replan' };
  return {
    kind: 'finish',
    outcome: 'Unconverged',
    problem: `not converged after ${maxAttempts} attempts (lost races or failed stops); the next trigger continues`,
  };
}

/** What an invocation has done so far, as the executor records it from its writes and calls. */
export interface Tally {
  attempts: number;
  conflicts: number;
  readonly healthChanges: HealthChange[];
  readonly stopped: Set<string>;
  stopsDeferred: readonly string[];
  readonly scaleInVictims: Set<string>;
  readonly protectionSet: Set<string>;
  readonly protectionDropped: Set<string>;
  /** The moves whose writes all succeeded, in the order they were written. */
  readonly moved: MoveOrder[];
  unassignable: number;
  readonly pruned: Set<string>;
  readonly problems: string[];
}

export function newTally(): Tally {
  return {
    attempts: 0,
    conflicts: 0,
    healthChanges: [],
    stopped: new Set(),
    stopsDeferred: [],
    scaleInVictims: new Set(),
    protectionSet: new Set(),
    protectionDropped: new Set(),
    moved: [],
    unassignable: 0,
    pruned: new Set(),
    problems: [],
  };
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort(compareIds);

/** The report of an invocation: sets sorted, moves counted by reason, failovers named, problems once each. */
export function failoverResult(
  trigger: FailoverTrigger,
  at: Date,
  outcome: FailoverOutcome,
  tally: Tally,
): FailoverResult {
  const detail = trigger.kind === 'task-event' ? trigger.taskId : trigger.id;
  const movesByReason: Partial<Record<MoveReason, number>> = {};
  const failedOver = new Set<string>();
  for (const { move, failover } of tally.moved) {
    movesByReason[move.reason] = (movesByReason[move.reason] ?? 0) + 1;
    if (failover && move.from !== null) failedOver.add(move.from);
  }
  return {
    at: at.toISOString(),
    trigger: trigger.kind,
    ...(detail === undefined ? {} : { triggerDetail: detail }),
    outcome,
    attempts: tally.attempts,
    healthChanges: tally.healthChanges,
    failedOver: sorted(failedOver),
    stopped: sorted(tally.stopped),
    stopsDeferred: tally.stopsDeferred,
    scaleInVictims: sorted(tally.scaleInVictims),
    protectionSet: sorted(tally.protectionSet),
    protectionDropped: sorted(tally.protectionDropped),
    partitionsMoved: tally.moved.length,
    movesByReason,
    conflicts: tally.conflicts,
    unassignable: tally.unassignable,
    pruned: sorted(tally.pruned),
    problems: [...new Set(tally.problems)],
  };
}
