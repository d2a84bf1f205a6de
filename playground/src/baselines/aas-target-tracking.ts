/**
 * Baseline: AWS Application Auto Scaling target tracking on the ECS service.
 *
 * The public rule, as docs/research/baselines.md §3 reads it:
 * [A1] Application Auto Scaling User Guide, "How target tracking scaling for Application Auto
 *      Scaling works", https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 * [A2] TargetTrackingScalingPolicyConfiguration (API reference): ScaleOutCooldown /
 *      ScaleInCooldown, 300 s for ECS services.
 * [A3] Amazon ECS Developer Guide, "Use a target metric to scale Amazon ECS services",
 *      https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
 * [A4] (observed) the alarms target tracking creates for ECS: 3 of 3 one-minute datapoints
 *      above the target to scale out, 15 of 15 below ~90% of it to scale in (aws/containers-roadmap
 *      #1208, aws/copilot-cli #4233).
 * [A5] EC2 Auto Scaling User Guide, "Scaling policy based on Amazon SQS" (backlog per instance),
 *      https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-using-sqs-queue.html
 *
 * - Policy 1: ECSServiceAverageCPUUtilization (here: the mean busy fraction), target 70%.
 * - The scale-out alarm fires on 3 consecutive 1-minute datapoints above the target; the
 *   scale-in alarm on exactly 15 consecutive datapoints below 90% of it [A4]; a gap (missing
 *   datapoint) breaks a run, and insufficient data never scales [A1].
 * - The new capacity is proportional: ceil(capacity × metric / target) [A1, A3], where the
 *   capacity is the one the metric was measured on.
 * - Scale-out cooldown [A1]: during it a scale-out happens only when it is larger than the
 *   one that started it ("the capacity added by the initiating scale-out activity is
 *   calculated as part of the desired capacity for the next scale-out"): the metric still
 *   reflects the capacity before that scale-out, and the result must exceed the current
 *   desired count. Scale-in cooldown: no scale-in until it ends; a scale-out is not held by it.
 * - Tuned (§3 "Defaults vs tuned"): a second policy, backlog per task = backlog / running
 *   TaskManagers with target SLO × μ_task records (μ_task: records/s one TaskManager
 *   processes, as its user believes it) [A5], DisableScaleIn on it [A1]; several policies
 *   scale out if any says so [A1].
 */
import {
  type BaselineRule,
  type BaselineSetup,
  believedTaskManagerRate,
  ceilCount,
  clamp,
  type Decision,
  isFresh,
  type JobMinute,
  type Observation,
  trailingRun,
} from './types';

export interface AasBacklogPolicy {
  /** Acceptable backlog per TaskManager (records): longest acceptable latency / time per record [A5]. */
  readonly targetBacklogPerTask: number;
  /** The policy never scales in (scale-in is left to the CPU policy) [A1]. */
  readonly disableScaleIn: boolean;
}

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
  /** The tuned variant's second policy; none by default. */
  readonly backlogPolicy?: AasBacklogPolicy;
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
  /** The capacity before the scale-out that started the current scale-out cooldown. */
  readonly capacityBeforeScaleOut?: number;
}

/** Backlog per running TaskManager of a minute (undefined without a backlog datapoint). */
function backlogPerTask(m: JobMinute, running: number): number | undefined {
  return m.backlog === undefined ? undefined : m.backlog / Math.max(1, running);
}

export function decideAas(state: AasState, obs: Observation, p: AasParams): Decision<AasState> {
  const current = obs.desired;
  const hold = (reason: string): Decision<AasState> => ({ desired: current, reason, state });
  const latest = obs.minutes.at(-1);
  if (!latest || !isFresh(obs.minutes, obs.nowMs)) return hold('InsufficientData');
  const since = (at: number | undefined) => (at === undefined ? Number.POSITIVE_INFINITY : obs.nowMs - at);
  const inScaleOutCooldown = since(state.lastScaleOutAt) < p.scaleOutCooldownSeconds * 1000;
  // The capacity the metric reflects: the one before the initiating scale-out while its cooldown runs.
  const measuredOn = inScaleOutCooldown ? (state.capacityBeforeScaleOut ?? obs.running) : obs.running;
  const bound = (n: number) => clamp(n, p.minCapacity, p.maxCapacity);

  // Scale-out: any policy whose high alarm is in ALARM.
  const outs: number[] = [];
  if (trailingRun(obs.minutes, (m) => m.avgBusy > p.targetValue) >= p.scaleOutDatapoints) {
    outs.push(bound(ceilCount((measuredOn * latest.avgBusy) / p.targetValue)));
  }
  const bp = p.backlogPolicy;
  const backlogHigh =
    bp !== undefined &&
    trailingRun(obs.minutes, (m) => (backlogPerTask(m, obs.running) ?? 0) > bp.targetBacklogPerTask) >=
      p.scaleOutDatapoints;
  if (bp && backlogHigh && latest.backlog !== undefined) {
    // ceil(capacity × (backlog / capacity) / target) = ceil(backlog / target).
    outs.push(bound(ceilCount(latest.backlog / bp.targetBacklogPerTask)));
  }
  if (outs.length > 0) {
    const out = Math.max(...outs);
    if (out <= current) return hold(current >= p.maxCapacity ? 'AtMax' : 'NoChange');
    return {
      desired: out,
      reason: 'Applied',
      state: {
        ...state,
        lastScaleOutAt: obs.nowMs,
        capacityBeforeScaleOut: inScaleOutCooldown ? measuredOn : obs.running,
      },
    };
  }

  // Scale-in: the CPU policy's low alarm (15 of 15), and no policy that may scale in objecting.
  const low = p.targetValue * p.scaleInRatio;
  if (trailingRun(obs.minutes, (m) => m.avgBusy < low) < p.scaleInDatapoints) return hold('NoChange');
  let proportional = bound(ceilCount((obs.running * latest.avgBusy) / p.targetValue));
  if (bp && !bp.disableScaleIn && latest.backlog !== undefined) {
    proportional = Math.max(proportional, bound(ceilCount(latest.backlog / bp.targetBacklogPerTask)));
  }
  if (proportional >= current) return hold(current <= p.minCapacity ? 'AtMin' : 'NoChange');
  const scaledOutSince = (state.lastScaleOutAt ?? Number.NEGATIVE_INFINITY) > (state.lastScaleInAt ?? 0);
  if (!scaledOutSince && since(state.lastScaleInAt) < p.scaleInCooldownSeconds * 1000)
    return hold('Cooldown');
  return { desired: proportional, reason: 'Applied', state: { ...state, lastScaleInAt: obs.nowMs } };
}

/** The two variants: AWS's defaults, and the settings docs/research/baselines.md §3 derives. */
export function aasParams(setup: BaselineSetup, variant: 'default' | 'tuned'): AasParams {
  const base: AasParams = {
    ...AAS_DEFAULTS,
    minCapacity: setup.minTaskManagers,
    maxCapacity: setup.maxTaskManagers,
  };
  if (variant === 'default') return base;
  return {
    ...base,
    backlogPolicy: {
      targetBacklogPerTask: setup.sloLagSeconds * believedTaskManagerRate(setup),
      disableScaleIn: true,
    },
  };
}

export function aasTargetTrackingRule(params: AasParams): BaselineRule<AasState> {
  return {
    lookbackSeconds: (Math.max(params.scaleInDatapoints, params.scaleOutDatapoints) + 5) * 60,
    initialState: {},
    decide: (state, obs) => decideAas(state, obs, params),
  };
}
