/**
 * The scaler's decision, pure: from what an invocation read (the SCALER item, the ECS service,
 * its tasks, the metric series) and what triggered it, to the decision record, the SCALER item
 * to commit and the desired count to apply. lib/scaler.ts reads, commits, applies and logs;
 * everything it decides is here, one small function per question, each with a table of cases
 * (test/unit/core/decide.test.ts).
 *
 * The commit protocol (correct at any concurrency, no reserved concurrency needed):
 * - Every change of the SCALER item raises its version (a conditional write on the version
 *   read): two invocations never both commit on the same state.
 * - A change of the desired count is committed as `change` (pending) before its UpdateService,
 *   then confirmed (`appliedAt`). Ticks and alarms stand down while another invocation's
 *   change is in flight, and re-apply it once it is older than PENDING_GRACE_SECONDS; an
 *   operator's command supersedes it.
 * - After its UpdateService, an invocation reads the SCALER item and the service again
 *   (`afterApply`): its own change still the latest → confirm it; a newer one committed
 *   meanwhile while ECS holds the value this invocation just wrote (its UpdateService landed
 *   late, e.g. after the SDK retried it) → set the newer one's count again; ECS holds something
 *   else → someone wrote after it, nothing to undo. So the last UpdateService to land is always
 *   checked against the latest committed change.
 */
import { chainRise, deadTimeSeconds, keepCurve, keepRises, observeRise } from './absorb.js';
import { isAuditWorthy } from './audit.js';
import type { AppConfig } from './config.js';
import type {
  MetricSeries,
  ReasonCode,
  RecommendationSample,
  ScalerChange,
  ScalerState,
  ServiceState,
  TaskInfo,
} from './domain.js';
import { applyGuards, windowSamples } from './guards.js';
import { type MetricsSnapshot, type ResolvedMetrics, summarizeMetrics } from './metrics.js';
import { recommend } from './policy.js';
import { isStale, type ManualCommand, type Trigger, triggerId } from './triggers.js';

/**
 * A pending change younger than this may still be in flight in the invocation that committed
 * it (between its commit and its UpdateService): automatic evaluations stand down. Older than
 * this, its UpdateService failed and the next evaluation re-applies it.
 */
export const PENDING_GRACE_SECONDS = 30;

export type AutomaticTrigger = Exclude<Trigger, { kind: 'manual' }>;
export type ChangeCommand = Exclude<ManualCommand, { action: 'status' }>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The SCALER item to commit: the store writes it at the read version + 1. */
export type NextScalerState = Omit<ScalerState, 'version'>;

/** The fields of a decision record that the decision sets (the use case stamps id, time and trigger). */
export interface DecisionFields {
  readonly current: number;
  readonly running: number;
  readonly recommended: number;
  readonly desired: number;
  readonly reason: ReasonCode;
  readonly message?: string;
  readonly policy?: 'rate' | 'threshold' | 'manual';
  readonly dryRun?: boolean;
  readonly inputs?: Readonly<Record<string, number | string | boolean | readonly string[]>>;
}

export interface Decision {
  readonly fields: DecisionFields;
  /** The SCALER item to commit, conditional on the version read; absent: nothing is written. */
  readonly next?: NextScalerState;
  /** After the commit: the change whose count UpdateService sets (absolute). */
  readonly apply?: ScalerChange;
  /** Keep a DECISION# item of it (lib/core/audit). */
  readonly audit: boolean;
}

const nothing = (fields: DecisionFields, audit = false): Decision => ({ fields, audit });

// ---------------------------------------------------------------- before anything is read

/**
 * Events that are decided before anything is read: a stale event (older than two schedule
 * periods, or from the future beyond the clock skew) and an alarm the config does not name.
 */
export function screenTrigger(
  trigger: AutomaticTrigger,
  nowMs: number,
  config: Pick<AppConfig, 'scheduleSeconds' | 'alarms'>,
): DecisionFields | undefined {
  const none = { current: 0, running: 0, recommended: 0, desired: 0 };
  if (isStale(trigger, nowMs, config.scheduleSeconds)) {
    const ageS = Math.round((nowMs - trigger.eventTime.getTime()) / 1000);
    return {
      ...none,
      reason: 'StaleEvent',
      message:
        ageS >= 0
          ? `event time ${trigger.eventTime.toISOString()} is ${ageS}s old, more than two schedule periods`
          : `event time ${trigger.eventTime.toISOString()} is ${-ageS}s in the future, beyond the clock skew allowed`,
    };
  }
  if (trigger.kind === 'alarm' && !config.alarms.includes(trigger.alarmName)) {
    return {
      ...none,
      reason: 'UnknownAlarm',
      message: `alarm ${trigger.alarmName} is not one of the alarms this autoscaler evaluates on (config.alarms)`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- a pending change

export type PendingVerdict =
  /** No change pending. */
  | { readonly kind: 'none' }
  /** ECS holds the pending change's count: only its confirmation is missing. */
  | { readonly kind: 'landed'; readonly change: ScalerChange }
  /** Committed less than PENDING_GRACE_SECONDS ago: the invocation that committed it is applying it. */
  | { readonly kind: 'inFlight'; readonly change: ScalerChange }
  /** Older: its UpdateService failed or its invocation died; re-apply it. */
  | { readonly kind: 'failed'; readonly change: ScalerChange };

export function pendingVerdict(state: ScalerState, service: ServiceState, nowMs: number): PendingVerdict {
  const change = state.change;
  if (change === undefined || change.appliedAt !== undefined) return { kind: 'none' };
  if (change.desired === service.desiredCount) return { kind: 'landed', change };
  if (nowMs - change.committedAt < PENDING_GRACE_SECONDS * 1000) return { kind: 'inFlight', change };
  return { kind: 'failed', change };
}

function withoutVersion(state: ScalerState): Mutable<NextScalerState> {
  const { version: _version, ...rest } = state;
  return { ...rest };
}

/** The state after a change to `to` (from `from`) is committed. */
function withChange(
  next: Mutable<NextScalerState>,
  decisionId: string,
  from: number,
  to: number,
  nowMs: number,
): ScalerChange {
  const change: ScalerChange = { decisionId, desired: to, committedAt: nowMs };
  next.desired = to;
  next.change = change;
  if (to > from) next.lastScaleOutAt = nowMs;
  if (to < from) next.lastScaleInAt = nowMs;
  return change;
}

/** A landed change, confirmed (the clean-up after an UpdateService whose confirmation was lost). */
function confirmLanded(next: Mutable<NextScalerState>, verdict: PendingVerdict, nowMs: number): void {
  if (verdict.kind === 'landed') next.change = { ...verdict.change, appliedAt: nowMs };
}

// ---------------------------------------------------------------- automatic evaluation

/** What an automatic evaluation read besides the SCALER item and the service. */
export interface ClusterReading {
  /** ListTasks + DescribeTasks of the service. */
  readonly tasks: readonly TaskInfo[];
  /** The series of `scalerQueries(resolved, config.policy.mode, expectedTaskManagers(tasks))`. */
  readonly series: readonly MetricSeries[];
  /** Set when GetMetricData failed (the series are then empty). */
  readonly metricsProblem?: string;
}

export interface AutomaticInput {
  readonly config: AppConfig;
  readonly resolved: ResolvedMetrics;
  readonly trigger: AutomaticTrigger;
  readonly nowMs: number;
  readonly decisionId: string;
  readonly state: ScalerState;
  readonly service: ServiceState;
  readonly cluster: ClusterReading;
}

/** The TaskManagers whose metrics an evaluation needs: every RUNNING task, sorted by id. */
export function expectedTaskManagers(tasks: readonly TaskInfo[]): string[] {
  return tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .map((t) => t.taskId)
    .sort();
}

/**
 * How old the last measured input may be to stand in for it while no period is complete
 * (policy.ts backlogFloorScaleOut): a storm of restarts lasts minutes; an input older than
 * this may have moved too far to size from.
 */
export const LAST_INPUT_MAX_AGE_SECONDS = 900;

/**
 * The metrics snapshot of an evaluation (lib/core/metrics.ts summarizeMetrics). It is complete
 * only when it covers every running TaskManager — young ones too (a TaskManager that has not
 * published yet is load nobody measured) — and at least as many as ECS counts running
 * (ListTasks is eventually consistent and may not list them all yet), every job-level period
 * that should be visible is complete, and the metrics read succeeded.
 */
export function evaluationSnapshot(
  input: Pick<AutomaticInput, 'resolved' | 'nowMs' | 'state' | 'service' | 'cluster' | 'config'>,
): { snapshot: MetricsSnapshot; complete: boolean; expected: number; notBeforeMs: number } {
  const { resolved, nowMs, state, service, cluster, config } = input;
  const lastChange = Math.max(state.lastScaleOutAt ?? 0, state.lastScaleInAt ?? 0);
  const notBeforeMs = lastChange + config.policy.settleSeconds * 1000;
  const snapshot = summarizeMetrics({
    resolved,
    mode: config.policy.mode,
    taskIds: expectedTaskManagers(cluster.tasks),
    series: cluster.series,
    fleet: { tasks: cluster.tasks, runningCount: service.runningCount },
    nowMs,
    notBeforeMs,
  });
  const expected = snapshot.coverage.expected;
  const complete =
    snapshot.complete &&
    cluster.metricsProblem === undefined &&
    snapshot.coverage.covered >= expected &&
    expected > 0;
  return { snapshot, complete, expected, notBeforeMs };
}

/** The window's readings measured on complete metrics, with their times. */
function readings(samples: readonly RecommendationSample[]): { at: number; input: number }[] {
  return samples.flatMap((s) => (s.input !== undefined ? [{ at: s.at, input: s.input }] : []));
}

/**
 * The inputs the window's evaluations measured on complete metrics (oldest first), when at
 * least half of them had complete metrics; undefined otherwise. Readings from partial metrics
 * are left out, never counted: a partial reading is low, and a low reading could lower the
 * count the window asks for.
 */
export function completeInputs(samples: readonly RecommendationSample[]): number[] | undefined {
  const inputs = readings(samples).map((r) => r.input);
  return inputs.length > 0 && inputs.length * 2 >= samples.length ? inputs : undefined;
}

export function decideAutomatic(input: AutomaticInput): Decision {
  const { config, resolved, trigger, nowMs, decisionId, state, service, cluster } = input;
  const base = { current: service.desiredCount, running: service.runningCount };
  const id = triggerId(trigger);
  if (state.lastTriggerId === id) {
    return nothing({
      ...base,
      recommended: service.desiredCount,
      desired: service.desiredCount,
      reason: 'LostRace',
      message: `event ${id} was already decided (duplicate delivery)`,
    });
  }
  const pending = pendingVerdict(state, service, nowMs);
  if (pending.kind === 'inFlight') {
    return nothing({
      ...base,
      recommended: pending.change.desired,
      desired: service.desiredCount,
      reason: 'LostRace',
      message: `decision ${pending.change.decisionId} is being applied by another invocation`,
    });
  }
  if (pending.kind === 'failed') return reapply(state, service, pending.change, nowMs);

  const { snapshot, complete, expected, notBeforeMs } = evaluationSnapshot(input);
  const runningTasks = expectedTaskManagers(cluster.tasks).length;
  const lastInput = state.inputRate;
  const inWindow = windowSamples(state.recommendations, nowMs, config.policy.scaleInStabilizationSeconds);
  const windowInputs = completeInputs(inWindow);
  const lookbackS = config.policy.scaleInLookbackSeconds;
  const rec = recommend({
    config,
    current: service.desiredCount,
    running: Math.max(runningTasks, service.runningCount),
    metrics: snapshot,
    ...(state.perSlotRate !== undefined ? { perSlotRate: state.perSlotRate } : {}),
    ...(lastInput && nowMs - lastInput.at <= LAST_INPUT_MAX_AGE_SECONDS * 1000
      ? { lastInputRate: lastInput.rate, ...(lastInput.backlog ? { lastBacklog: lastInput.backlog } : {}) }
      : {}),
    ...(windowInputs ? { windowInputs } : {}),
    ...(lookbackS > 0 && state.rises ? { rises: state.rises } : {}),
    ...(lookbackS > 0 && state.capacityCurve ? { capacityCurve: state.capacityCurve } : {}),
  });
  const settling = nowMs < notBeforeMs + resolved.periodSeconds * 1000;
  const guarded = applyGuards({
    nowMs,
    trigger: trigger.kind,
    config,
    state,
    service,
    recommendation: rec,
    metricsComplete: complete,
    dryRun: config.dryRun,
    settling,
  });
  const samples = rec.hasData
    ? [
        ...state.recommendations,
        {
          at: nowMs,
          desired: guarded.boundedRecommendation,
          ...(complete && rec.inputRate !== undefined ? { input: rec.inputRate } : {}),
        },
      ]
    : state.recommendations;
  const deadS = deadTimeSeconds(config);
  const observed =
    lookbackS > 0 && complete && rec.inputRate !== undefined
      ? observeRise([...readings(inWindow), { at: nowMs, input: rec.inputRate }], nowMs, deadS)
      : undefined;
  // A rise that continues the one remembered before it is one ramp (absorb.ts chainRise).
  const rise = observed ? chainRise(state.rises?.at(-1), observed, deadS) : undefined;
  const rises =
    lookbackS > 0 ? keepRises([...(state.rises ?? []), ...(rise ? [rise] : [])], nowMs, lookbackS) : [];
  // A steady count's measured per-slot rate: every task running, none settling, complete metrics.
  const steady =
    complete &&
    !settling &&
    service.runningCount === service.desiredCount &&
    runningTasks === service.desiredCount;
  const measured =
    lookbackS > 0 && steady && rec.perSlotRate !== undefined
      ? [{ count: service.runningCount, perSlotRate: rec.perSlotRate, at: nowMs }]
      : [];
  const capacityCurve = keepCurve(
    [...(state.capacityCurve ?? []), ...measured],
    nowMs,
    lookbackS,
    config.policy.scaleInStabilizationSeconds,
  );
  const next: Mutable<NextScalerState> = {
    ...withoutVersion(state),
    recommendations: windowSamples(samples, nowMs, config.policy.scaleInStabilizationSeconds),
    lastDecisionAt: nowMs,
    lastTriggerId: id,
    lastReason: guarded.reason,
    ...(rec.perSlotRate !== undefined ? { perSlotRate: rec.perSlotRate } : {}),
    ...(rec.inputRate !== undefined
      ? { inputRate: { rate: rec.inputRate, at: nowMs, ...(rec.backlog ? { backlog: rec.backlog } : {}) } }
      : {}),
    ...(rises.length > 0 ? { rises } : { rises: undefined }),
    ...(capacityCurve.length > 0 ? { capacityCurve } : { capacityCurve: undefined }),
  };
  confirmLanded(next, pending, nowMs);
  const change =
    guarded.reason === 'Applied'
      ? withChange(next, decisionId, service.desiredCount, guarded.desired, nowMs)
      : undefined;
  const problems = [...snapshot.problems, ...(cluster.metricsProblem ? [cluster.metricsProblem] : [])];
  return {
    fields: {
      ...base,
      policy: rec.policy,
      recommended: rec.desired,
      desired: guarded.desired,
      reason: guarded.reason,
      ...(guarded.message ? { message: guarded.message } : {}),
      inputs: {
        ...rec.inputs,
        coverage: `${snapshot.coverage.covered}/${expected}`,
        ...(problems.length > 0 ? { problems: problems.slice(0, 10) } : {}),
      },
    },
    next,
    ...(change ? { apply: change } : {}),
    audit: isAuditWorthy(trigger.kind, guarded.reason, state.lastReason),
  };
}

/** A committed change whose UpdateService failed: commit it anew (a takeover) and apply it again. */
function reapply(state: ScalerState, service: ServiceState, change: ScalerChange, nowMs: number): Decision {
  const renewed: ScalerChange = {
    decisionId: change.decisionId,
    desired: change.desired,
    committedAt: nowMs,
  };
  return {
    fields: {
      current: service.desiredCount,
      running: service.runningCount,
      recommended: change.desired,
      desired: change.desired,
      reason: 'Applied',
      message: `re-applying committed decision ${change.decisionId}`,
    },
    next: { ...withoutVersion(state), lastDecisionAt: nowMs, change: renewed },
    apply: renewed,
    audit: true,
  };
}

// ---------------------------------------------------------------- manual commands

export interface ManualInput {
  readonly config: AppConfig;
  readonly command: ChangeCommand;
  readonly nowMs: number;
  readonly decisionId: string;
  readonly state: ScalerState;
  readonly service: ServiceState;
}

/**
 * An operator's command. A rescale supersedes a change another invocation has committed but
 * not confirmed yet (the operator's intent wins; that invocation re-asserts this one if its
 * own UpdateService lands later), so it commits and applies even when ECS already holds the
 * count while such a change is pending.
 */
export function decideManual(input: ManualInput): Decision {
  const { config, command, nowMs, decisionId, state, service } = input;
  const cur = service.desiredCount;
  const next = { ...withoutVersion(state), lastDecisionAt: nowMs };
  const pending = pendingVerdict(state, service, nowMs);
  confirmLanded(next, pending, nowMs);
  const common = { current: cur, running: service.runningCount, recommended: cur, desired: cur };
  switch (command.action) {
    case 'rescale': {
      const to = command.desiredCount;
      const asked = { ...common, recommended: to, desired: to };
      if (command.dryRun || config.dryRun) {
        return nothing(
          {
            ...asked,
            desired: cur,
            reason: 'DryRun',
            dryRun: true,
            message: `dry run: would set desired count ${cur} → ${to} and hold ${command.holdMinutes} min`,
          },
          false, // a dry run writes nothing, not even its audit item
        );
      }
      if (command.holdMinutes > 0) {
        next.hold = { until: nowMs + command.holdMinutes * 60_000, reason: command.reason, by: 'manual' };
      } else {
        delete next.hold;
      }
      const supersedes = pending.kind === 'inFlight' || pending.kind === 'failed';
      if (to === cur && !supersedes) {
        return { fields: { ...asked, reason: 'NoChange', message: command.reason }, next, audit: true };
      }
      const change = withChange(next, decisionId, cur, to, nowMs);
      const message = supersedes
        ? `${command.reason} (supersedes pending decision ${pending.change.decisionId}, desired ${pending.change.desired})`
        : command.reason;
      return {
        fields: { ...asked, reason: to === cur ? 'NoChange' : 'Applied', message },
        next,
        apply: change,
        audit: true,
      };
    }
    case 'pause':
      next.pause = { until: nowMs + command.minutes * 60_000, reason: command.reason, by: 'manual' };
      return {
        fields: {
          ...common,
          reason: 'Paused',
          message: `paused for ${command.minutes} min: ${command.reason}`,
        },
        next,
        audit: true,
      };
    case 'resume':
      delete next.pause;
      delete next.hold;
      return {
        fields: { ...common, reason: 'Resumed', message: command.reason ?? 'resumed' },
        next,
        audit: true,
      };
  }
}

// ---------------------------------------------------------------- after an UpdateService

export type AfterApply =
  /** This change is still the latest and ECS holds its count: confirm it (commit `appliedAt` on the version read). */
  | { readonly kind: 'confirm'; readonly next: NextScalerState }
  /** Confirmed already (by a racing invocation of the same decision, while ECS held its count). */
  | { readonly kind: 'confirmed' }
  /**
   * This change is still the latest and unconfirmed, but ECS holds another count: a late
   * UpdateService of an older decision (or an outside write) landed after this one. Set the
   * count again: the latest change is only confirmed while ECS holds it.
   */
  | { readonly kind: 'resend' }
  /**
   * A newer change was committed meanwhile, and ECS holds the count this invocation just set:
   * its UpdateService landed after the newer one's. Set the newer one's count again.
   */
  | { readonly kind: 'correct'; readonly to: ScalerChange }
  /** A newer change was committed meanwhile and ECS holds something else: nothing to undo. */
  | { readonly kind: 'superseded'; readonly by: ScalerChange | undefined };

/**
 * What to do after an UpdateService that set `sent.desired`, from the SCALER item and the
 * service's desired count read after it returned.
 */
export function afterApply(
  sent: ScalerChange,
  state: ScalerState,
  ecsDesired: number,
  nowMs: number,
): AfterApply {
  const latest = state.change;
  // The same decision, possibly re-committed by an invocation that re-applied it.
  if (latest?.decisionId === sent.decisionId) {
    // Confirmed while ECS held its count: a different count since is someone else's write
    // (an operator's, or a late one whose own invocation corrects it), not ours to undo.
    if (latest.appliedAt !== undefined) return { kind: 'confirmed' };
    if (ecsDesired !== latest.desired) return { kind: 'resend' };
    return { kind: 'confirm', next: { ...withoutVersion(state), change: { ...latest, appliedAt: nowMs } } };
  }
  if (latest !== undefined && ecsDesired === sent.desired && latest.desired !== sent.desired) {
    return { kind: 'correct', to: latest };
  }
  return { kind: 'superseded', by: latest };
}

/**
 * A correction failed: ECS may still hold the count of a late UpdateService. Mark the latest
 * change pending again, so the next evaluation checks it against ECS (confirms it if ECS holds
 * its count, re-applies it otherwise, once the grace has passed). The write raises the
 * version even when the change is pending already: a confirmation that its owner is about to
 * commit on an ECS read made before the late UpdateService landed then loses, and its owner
 * looks again.
 */
export function reopen(state: ScalerState): NextScalerState | undefined {
  if (state.change === undefined) return undefined;
  const { appliedAt: _appliedAt, ...pending } = state.change;
  return { ...withoutVersion(state), change: pending };
}
