/**
 * Baseline: the aws-samples custom autoscaler for Amazon Managed Service for Apache Flink
 * (GitHub aws-samples/amazon-managed-service-for-apache-flink-examples, infrastructure/AutoScaling:
 * README.md, cdk/lib/kda-autoscaling-stack.ts, cdk/resources/scaling/scaling.py; read in
 * docs/research/baselines.md §5).
 *
 * Two CloudWatch alarms on one metric: scale out when it is > ScaleOutThreshold, scale in when
 * it is ≤ ScaleInThreshold, for DataPointsToTriggerAlarm of ScalingEvaluationPeriod datapoints
 * of MetricPeriod (60 s). On ALARM a Step Functions workflow multiplies (out) or divides (in,
 * floor) the KPUs by the factor, within [MinKPU, MaxKPU], calls UpdateApplication, waits while
 * the application is UPDATING, then waits ScalingCoolingDownPeriod and scales again if the alarm
 * is still in ALARM. Every UpdateApplication snapshots and restarts the application: the same
 * outage as Managed Flink's own scaling (./msf-builtin.ts, msfScalingOutageSeconds).
 *
 * Defaults (the stack's CfnParameters): 5 of 5 datapoints, ×2 / ÷2 (Multiply/Divide, the
 * "doubling" mode), cooling down 300 s, MinKPU 1, MaxKPU 10, statistic Maximum; thresholds 80 /
 * 20, which are the metric's percent for `containerCPUUtilization` (the README's first example;
 * here the busiest TaskManager's busy fraction). Tuned (§5): the consumer time lag (MSK
 * EstimatedMaxTimeLag, Maximum: here the backlog over the processed rate), out above 30 s (half
 * the SLO), in at ≤ 1 s ("caught up"), 2 of 2 datapoints, ×2 / ÷2, 300 s, the scenario's
 * bounds. One KPU is one TaskManager here.
 */
import {
  type BaselineRule,
  type BaselineSetup,
  clamp,
  type Decision,
  isFresh,
  type JobMinute,
  lagSeconds,
  MINUTE_MS,
  type Observation,
} from './types';

export type StepMetric = 'cpu' | 'lag';

export interface MsfSampleParams {
  readonly metric: StepMetric;
  /** For `cpu` a fraction (0.8 = 80 %), for `lag` seconds. */
  readonly scaleOutThreshold: number;
  readonly scaleInThreshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly scaleOutFactor: number;
  readonly scaleInFactor: number;
  readonly coolDownSeconds: number;
  /** How long the application stays UPDATING after UpdateApplication (the scaling outage). */
  readonly updatingSeconds: number;
  readonly minCount: number;
  readonly maxCount: number;
}

export interface MsfSampleState {
  /** No alarm action before this (UPDATING plus the cooling-down period). */
  readonly busyUntil?: number;
}

/** The metric's value in a minute: busy fraction, or lag seconds (undefined without a backlog). */
export function stepMetricValue(m: JobMinute, metric: StepMetric): number | undefined {
  return metric === 'cpu' ? m.maxBusy : lagSeconds(m);
}

/**
 * A CloudWatch alarm's "M out of N": of the newest N one-minute datapoints (they must all be
 * there, consecutive), at least M breach.
 */
export function alarmFires(
  minutes: readonly JobMinute[],
  breaches: (m: JobMinute) => boolean,
  n: number,
  m: number,
): boolean {
  const newest = minutes.slice(-n);
  if (newest.length < n) return false;
  for (let i = 1; i < newest.length; i++) {
    if ((newest[i] as JobMinute).at - (newest[i - 1] as JobMinute).at !== MINUTE_MS) return false;
  }
  return newest.filter(breaches).length >= m;
}

export function decideMsfSample(
  state: MsfSampleState,
  obs: Observation,
  p: MsfSampleParams,
): Decision<MsfSampleState> {
  const current = obs.desired;
  const hold = (reason: string): Decision<MsfSampleState> => ({ desired: current, reason, state });
  if (state.busyUntil !== undefined && obs.nowMs < state.busyUntil) return hold('Cooldown');
  if (!isFresh(obs.minutes, obs.nowMs)) return hold('InsufficientData');
  const value = (m: JobMinute) => stepMetricValue(m, p.metric);
  const scaled = (desired: number): Decision<MsfSampleState> => ({
    desired,
    reason: 'Applied',
    state: { busyUntil: obs.nowMs + (p.updatingSeconds + p.coolDownSeconds) * 1000 },
  });
  const high = (m: JobMinute) => (value(m) ?? Number.NEGATIVE_INFINITY) > p.scaleOutThreshold;
  const low = (m: JobMinute) => (value(m) ?? Number.POSITIVE_INFINITY) <= p.scaleInThreshold;
  if (alarmFires(obs.minutes, high, p.evaluationPeriods, p.datapointsToAlarm)) {
    const out = clamp(current * p.scaleOutFactor, p.minCount, p.maxCount);
    return out > current ? scaled(out) : hold('AtMax');
  }
  if (alarmFires(obs.minutes, low, p.evaluationPeriods, p.datapointsToAlarm)) {
    const down = clamp(Math.floor(current / p.scaleInFactor), p.minCount, p.maxCount);
    return down < current ? scaled(down) : hold('AtMin');
  }
  return hold('NoChange');
}

export function msfSampleParams(
  setup: BaselineSetup,
  variant: 'default' | 'tuned',
  updatingSeconds: number,
): MsfSampleParams {
  const common = { scaleOutFactor: 2, scaleInFactor: 2, coolDownSeconds: 300, updatingSeconds };
  if (variant === 'default') {
    return {
      ...common,
      metric: 'cpu',
      scaleOutThreshold: 0.8,
      scaleInThreshold: 0.2,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      minCount: Math.max(1, setup.minTaskManagers),
      maxCount: Math.min(10, setup.maxTaskManagers),
    };
  }
  return {
    ...common,
    metric: 'lag',
    scaleOutThreshold: setup.sloLagSeconds / 2,
    scaleInThreshold: 1,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    minCount: setup.minTaskManagers,
    maxCount: setup.maxTaskManagers,
  };
}

export function msfSampleRule(params: MsfSampleParams): BaselineRule<MsfSampleState> {
  return {
    lookbackSeconds: (params.evaluationPeriods + 5) * 60,
    initialState: {},
    scalingOutageSeconds: params.updatingSeconds,
    decide: (state, obs) => decideMsfSample(state, obs, params),
  };
}
