/**
 * Baseline: AWS Application Auto Scaling target tracking on the ECS service's average CPU.
 *
 * The public rule (Application Auto Scaling User Guide, "How target tracking scaling for
 * Application Auto Scaling works", https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html;
 * Amazon ECS Developer Guide, "Use a target metric to scale Amazon ECS services",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html;
 * TargetTrackingScalingPolicyConfiguration ScaleInCooldown / ScaleOutCooldown, API reference):
 * - metric ECSServiceAverageCPUUtilization (here: the mean busy fraction of the
 *   TaskManagers), target 70%;
 * - the scale-out alarm it creates fires on 3 consecutive 1-minute datapoints above the
 *   target, the scale-in alarm on 15 consecutive datapoints below 90% of the target;
 * - the new capacity is proportional: ceil(running × metric / target);
 * - cooldowns of 300 s; a scale-out during the scale-in cooldown is not held back (it ends
 *   the scale-in cooldown);
 * - insufficient data never scales (in particular never in).
 */
import {
  type BaselineRule,
  type BaselineSetup,
  ceilCount,
  clamp,
  type Decision,
  isFresh,
  type Observation,
  trailingRun,
} from './types';

export interface AasParams {
  readonly targetValue: number;
  readonly scaleOutDatapoints: number;
  readonly scaleInDatapoints: number;
  /** The scale-in alarm's threshold as a fraction of the target. */
  readonly scaleInRatio: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

export const AAS_DEFAULTS = {
  targetValue: 0.7,
  scaleOutDatapoints: 3,
  scaleInDatapoints: 15,
  scaleInRatio: 0.9,
  scaleOutCooldownSeconds: 300,
  scaleInCooldownSeconds: 300,
} as const;

export interface AasState {
  readonly lastScaleOutAt?: number;
  readonly lastScaleInAt?: number;
}

export function decideAas(state: AasState, obs: Observation, p: AasParams): Decision<AasState> {
  const current = obs.desired;
  const hold = (reason: string): Decision<AasState> => ({ desired: current, reason, state });
  const latest = obs.minutes.at(-1);
  if (!latest || !isFresh(obs.minutes, obs.nowMs)) return hold('InsufficientData');
  const proportional = clamp(
    ceilCount((obs.running * latest.avgBusy) / p.targetValue),
    p.minCapacity,
    p.maxCapacity,
  );
  const since = (at: number | undefined) => (at === undefined ? Number.POSITIVE_INFINITY : obs.nowMs - at);

  if (trailingRun(obs.minutes, (m) => m.avgBusy > p.targetValue) >= p.scaleOutDatapoints) {
    if (proportional <= current) return hold(current >= p.maxCapacity ? 'AtMax' : 'NoChange');
    if (since(state.lastScaleOutAt) < p.scaleOutCooldownSeconds * 1000) return hold('Cooldown');
    return { desired: proportional, reason: 'Applied', state: { ...state, lastScaleOutAt: obs.nowMs } };
  }
  const low = p.targetValue * p.scaleInRatio;
  if (trailingRun(obs.minutes, (m) => m.avgBusy < low) >= p.scaleInDatapoints) {
    if (proportional >= current) return hold(current <= p.minCapacity ? 'AtMin' : 'NoChange');
    const scaledOutSince = (state.lastScaleOutAt ?? Number.NEGATIVE_INFINITY) > (state.lastScaleInAt ?? 0);
    if (!scaledOutSince && since(state.lastScaleInAt) < p.scaleInCooldownSeconds * 1000) {
      return hold('Cooldown');
    }
    return { desired: proportional, reason: 'Applied', state: { ...state, lastScaleInAt: obs.nowMs } };
  }
  return hold('NoChange');
}

export function aasTargetTrackingRule(setup: BaselineSetup): BaselineRule<AasState> {
  const params: AasParams = {
    ...AAS_DEFAULTS,
    minCapacity: setup.minTaskManagers,
    maxCapacity: setup.maxTaskManagers,
  };
  return {
    lookbackSeconds: (AAS_DEFAULTS.scaleInDatapoints + 5) * 60,
    initialState: {},
    decide: (state, obs) => decideAas(state, obs, params),
  };
}
