/**
 * Guards between a policy's recommendation and the desired count that is applied.
 * Each guard is a small pure function: it passes a (possibly adjusted) proposal on, or
 * stops the decision with exactly one reason code. `decide` runs them in order.
 */

import type { AppConfig } from './config.js';
import type { ReasonCode, RecommendationSample, ScalerState, ServiceState, TriggerKind } from './domain.js';
import type { Recommendation } from './policy.js';

export interface GuardContext {
  readonly nowMs: number;
  readonly trigger: TriggerKind;
  readonly config: AppConfig;
  readonly state: ScalerState;
  readonly service: ServiceState;
  readonly recommendation: Recommendation;
  /** Metrics for every expected TaskManager (and the backlog, when configured) were complete and fresh. */
  readonly metricsComplete: boolean;
  readonly dryRun: boolean;
  /** Within settleSeconds of the last rescale: its metrics are not used yet. */
  readonly settling?: boolean;
}

export type GuardOutcome =
  | { readonly kind: 'pass'; readonly desired: number; readonly hold?: ReasonCode }
  | { readonly kind: 'stop'; readonly reason: ReasonCode; readonly message: string };

/** `proposed` is the count the previous guards settled on; `hold` a no-change reason to report if it ends at current. */
export type Guard = (ctx: GuardContext, proposed: number) => GuardOutcome;

const pass = (desired: number, hold?: ReasonCode): GuardOutcome => ({
  kind: 'pass',
  desired,
  ...(hold ? { hold } : {}),
});
const stop = (reason: ReasonCode, message: string): GuardOutcome => ({ kind: 'stop', reason, message });
const current = (ctx: GuardContext): number => ctx.service.desiredCount;
const secondsSince = (ctx: GuardContext, at: number | undefined): number =>
  at === undefined ? Number.POSITIVE_INFINITY : (ctx.nowMs - at) / 1000;

export const pausedGuard: Guard = (ctx, proposed) => {
  const p = ctx.state.pause;
  return p && p.until > ctx.nowMs
    ? stop('Paused', `paused until ${new Date(p.until).toISOString()}: ${p.reason}`)
    : pass(proposed);
};

export const heldGuard: Guard = (ctx, proposed) => {
  const h = ctx.state.hold;
  return h && h.until > ctx.nowMs
    ? stop('Held', `held by a manual rescale until ${new Date(h.until).toISOString()}: ${h.reason}`)
    : pass(proposed);
};

export const deploymentGuard: Guard = (ctx, proposed) => {
  const s = ctx.service;
  if (s.deploymentInProgress) return stop('DeploymentInProgress', 'an ECS deployment is in progress');
  if (s.pendingCount > 0) return stop('DeploymentInProgress', `${s.pendingCount} task(s) pending`);
  return pass(proposed);
};

/** No data → nothing; partial or stale data → scale-out only, never a scale-in. */
export const dataGuard: Guard = (ctx, proposed) => {
  if (!ctx.recommendation.hasData) {
    return ctx.settling
      ? stop('Settling', 'waiting for metrics from after the last rescale')
      : stop('InsufficientData', 'no usable TaskManager metrics');
  }
  if (!ctx.metricsComplete && proposed < current(ctx)) {
    return stop('InsufficientData', 'metrics are missing or partial: no scale-in on them');
  }
  return pass(proposed);
};

/** An alarm means "look now": it may scale out at once, never in. */
export const alarmGuard: Guard = (ctx, proposed) =>
  ctx.trigger === 'alarm' && proposed < current(ctx)
    ? stop('AlarmNoScaleIn', 'alarm-triggered evaluations never scale in')
    : pass(proposed);

/** Small deviations from the target utilization are not worth a restart. */
export const toleranceGuard: Guard = (ctx, proposed) =>
  ctx.recommendation.withinTolerance && proposed !== current(ctx)
    ? pass(current(ctx), 'WithinTolerance')
    : pass(proposed);

/**
 * One step after a step up: a scale-out recommended on a rising edge of the measured input
 * (policy.ts, isRising) waits one schedule period for the reading that holds all of the new
 * rate, unless the previous evaluation already recommended a scale-out (it waits once, so a
 * steep ramp is not held off). Alarms, which mean "look now", do not wait.
 */
export const risingInputGuard: Guard = (ctx, proposed) => {
  const cur = current(ctx);
  if (proposed <= cur || !ctx.recommendation.risingInput || ctx.trigger === 'alarm') return pass(proposed);
  const since = ctx.nowMs - 2 * ctx.config.scheduleSeconds * 1000;
  const waited = ctx.state.recommendations.some((s) => s.at >= since && s.at < ctx.nowMs && s.desired > cur);
  return waited ? pass(proposed) : pass(cur, 'RisingInput');
};

/**
 * Bursts shorter than the loop's dead time (metrics delay + TaskManager startup + restart) are
 * over before a scale-out for them takes effect, and its restart adds a backlog of its own: a
 * scale-out goes through only once the evaluations of the last policy.scaleOutConfirmSeconds
 * all wanted one (the window remembers each one's count, decide.ts), or at once when the
 * backlog is already policy.urgentBacklogSeconds of input, or on an alarm. 0 disables.
 */
export const confirmGuard: Guard = (ctx, proposed) => {
  const cur = current(ctx);
  const { scaleOutConfirmSeconds: confirmS, urgentBacklogSeconds: urgentS } = ctx.config.policy;
  if (proposed <= cur || confirmS <= 0 || ctx.trigger === 'alarm') return pass(proposed);
  if ((ctx.recommendation.backlogSeconds ?? 0) >= urgentS) return pass(proposed);
  const from = ctx.nowMs - (confirmS + ctx.config.scheduleSeconds / 2) * 1000;
  const recent = ctx.state.recommendations.filter((s) => s.at >= from && s.at < ctx.nowMs);
  const needed = Math.round(confirmS / ctx.config.scheduleSeconds);
  const confirmed = recent.length >= needed && recent.every((s) => s.desired > cur);
  return confirmed ? pass(proposed) : pass(cur, 'Confirming');
};

/** Clamp to [min, max]; a current count outside the bounds is brought back inside. */
export const boundsGuard: Guard = (ctx, proposed) => {
  const { minTaskManagers: min, maxTaskManagers: max } = ctx.config.policy;
  const clamped = Math.min(max, Math.max(min, proposed));
  if (clamped === current(ctx) && clamped !== proposed)
    return pass(clamped, proposed > max ? 'AtMax' : 'AtMin');
  return pass(clamped);
};

/** A scale-out adds at most maxScaleOutStep TaskManagers, when one is set. */
export const scaleOutStepGuard: Guard = (ctx, proposed) => {
  const step = ctx.config.policy.maxScaleOutStep;
  return pass(step === undefined ? proposed : Math.min(proposed, current(ctx) + step));
};

/** Samples of the stabilization window that remain after adding one at `nowMs`. */
export function windowSamples(
  samples: readonly RecommendationSample[],
  nowMs: number,
  windowSeconds: number,
): RecommendationSample[] {
  return samples.filter((s) => s.at > nowMs - windowSeconds * 1000 && s.at <= nowMs);
}

/**
 * Scale-in takes the highest recommendation over the stabilization window (this one
 * included), and only once the window is covered by history (no scale-in right after a
 * cold start). It lowers by at most maxScaleInStep.
 */
export const stabilizationGuard: Guard = (ctx, proposed) => {
  const cur = current(ctx);
  if (proposed >= cur) return pass(proposed);
  const { scaleInStabilizationSeconds: windowS, maxScaleInStep } = ctx.config.policy;
  const inWindow = windowSamples(ctx.state.recommendations, ctx.nowMs, windowS);
  const highest = Math.max(proposed, ...inWindow.map((s) => s.desired));
  const oldest = inWindow[0]?.at ?? ctx.nowMs;
  const covered = windowS === 0 || ctx.nowMs - oldest >= (windowS - ctx.config.scheduleSeconds) * 1000;
  if (!covered || highest >= cur) {
    return stop('Stabilizing', `highest recommendation in the last ${windowS}s is ${highest}`);
  }
  return pass(Math.max(highest, cur - maxScaleInStep));
};

export const backlogGuard: Guard = (ctx, proposed) =>
  proposed < current(ctx) && ctx.recommendation.backlogPresent
    ? stop('BacklogPresent', 'no scale-in while a backlog is being caught up')
    : pass(proposed);

export const cooldownGuard: Guard = (ctx, proposed) => {
  const cur = current(ctx);
  const { scaleOutCooldownSeconds: outS, scaleInCooldownSeconds: inS } = ctx.config.policy;
  const sinceOut = secondsSince(ctx, ctx.state.lastScaleOutAt);
  const sinceAny = Math.min(sinceOut, secondsSince(ctx, ctx.state.lastScaleInAt));
  if (proposed > cur && sinceAny < outS) {
    return stop('Cooldown', `scale-out cooldown: last rescale ${Math.round(sinceAny)}s ago (< ${outS}s)`);
  }
  if (proposed < cur && sinceAny < inS) {
    return stop('Cooldown', `scale-in cooldown: last rescale ${Math.round(sinceAny)}s ago (< ${inS}s)`);
  }
  return pass(proposed);
};

export const dryRunGuard: Guard = (ctx, proposed) =>
  ctx.dryRun && proposed !== current(ctx)
    ? stop('DryRun', `dry run: would set desired count ${current(ctx)} → ${proposed}`)
    : pass(proposed);

/** The order matters: cheap "do nothing" states first, then data, then shaping, then timing. */
export const GUARDS: readonly (readonly [string, Guard])[] = [
  ['paused', pausedGuard],
  ['held', heldGuard],
  ['deployment', deploymentGuard],
  ['data', dataGuard],
  ['alarm', alarmGuard],
  ['tolerance', toleranceGuard],
  ['risingInput', risingInputGuard],
  ['confirm', confirmGuard],
  ['bounds', boundsGuard],
  ['scaleOutStep', scaleOutStepGuard],
  ['stabilization', stabilizationGuard],
  ['backlog', backlogGuard],
  ['cooldown', cooldownGuard],
  ['dryRun', dryRunGuard],
];

export interface GuardedDecision {
  readonly desired: number;
  readonly reason: ReasonCode;
  readonly message?: string;
  /**
   * What the stabilization window remembers, clamped to the bounds: the count that holds the
   * input (Recommendation.sustained) where the policy gives one, else the recommendation.
   */
  readonly boundedRecommendation: number;
}

export function applyGuards(
  ctx: GuardContext,
  guards: readonly (readonly [string, Guard])[] = GUARDS,
): GuardedDecision {
  const cur = current(ctx);
  const { minTaskManagers: min, maxTaskManagers: max } = ctx.config.policy;
  const remembered = ctx.recommendation.sustained ?? ctx.recommendation.desired;
  const boundedRecommendation = Math.min(max, Math.max(min, remembered));
  let proposed = ctx.recommendation.desired;
  let hold: ReasonCode | undefined;
  for (const [, guard] of guards) {
    const outcome = guard(ctx, proposed);
    if (outcome.kind === 'stop') {
      return { desired: cur, reason: outcome.reason, message: outcome.message, boundedRecommendation };
    }
    proposed = outcome.desired;
    if (outcome.hold) hold = outcome.hold;
  }
  if (proposed !== cur) return { desired: proposed, reason: 'Applied', boundedRecommendation };
  return { desired: cur, reason: hold ?? 'NoChange', boundedRecommendation };
}
