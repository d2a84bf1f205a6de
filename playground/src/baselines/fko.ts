/**
 * Baseline: the Apache Flink Kubernetes operator's job autoscaler (DS2-based), in two variants:
 * its defaults, and tuned as its docs advise for the scenario's SLO and restart time
 * (docs/research/baselines.md §1.3–1.4: the docs' "Basic configuration example", Flink
 * Kubernetes Operator 1.15 docs, custom-resource/autoscaler.md,
 * https://nightlies.apache.org/flink/flink-kubernetes-operator-docs-release-1.15/docs/custom-resource/autoscaler/:
 * metrics.window 5 min, stabilization.interval 1 min, utilization.target 0.6 with
 * utilization.max 0.8 / utilization.min 0.4, catch-up.duration 5 min ("set this based on your
 * actual objective"), restart.time = the job's own restart time; scale-down.interval left at 1 h).
 *
 * Defaults:
 *
 * The public rule (Flink Kubernetes Operator docs, "Autoscaler" and the configuration
 * reference, https://nightlies.apache.org/flink/flink-kubernetes-operator-docs-main/docs/custom-resource/autoscaler/;
 * the defaults as listed by Amazon EMR, https://docs.aws.amazon.com/emr/latest/EMR-on-EKS-DevelopmentGuide/jobruns-flink-autoscaler.html;
 * flink-autoscaler's JobVertexScaler.computeScaleTargetParallelism / scale /
 * applyScaleDownInterval and AutoScalerUtils.getTargetProcessingCapacity):
 * - job.autoscaler.metrics.window 15 min: decisions need a full window of metrics;
 * - job.autoscaler.stabilization.interval 5 min: metrics from the first 5 minutes after a
 *   (re)start are not collected;
 * - true processing rate = records processed / busy fraction, busy time aggregated by MAX
 *   (job.autoscaler.metrics.busy-time.aggregator);
 * - target capacity = lag / catch-up + input × restart / catch-up + input / target
 *   utilization, with job.autoscaler.target.utilization 0.7, catch-up.duration 30 min,
 *   restart.time 5 min;
 * - utilization.max / utilization.min (default target ± boundary 0.3 = 1.0 / 0.4): only a
 *   true processing rate outside [capacity at utilization.max without the restart term,
 *   capacity at utilization.min with it] rescales (ScalingMetricEvaluator
 *   .computeProcessingRateThresholds); while the job processes a backlog (lag / input rate
 *   above backlog-processing.lag-threshold, 5 min) the band is [1.0, 0.0];
 * - true processing rate = the window's input rate over its mean busy fraction;
 * - new parallelism = ceil(current × target capacity / true processing rate), the scale
 *   factor at least 1 − scale-down.max-factor (0.6: at most −60% per step), then aligned
 *   to the source's partition count (the next parallelism that divides it);
 * - job.autoscaler.scale-down.interval 1 h: a scale-down waits an hour from its first
 *   trigger and then takes the highest recommendation of the last hour; any scale-up or
 *   no-change recommendation cancels the pending scale-down.
 * The job's parallelism is the TaskManagers' slots (reactive mode), so the TaskManager
 * count is ceil(parallelism / slots per TaskManager).
 */
import {
  type BaselineRule,
  type BaselineSetup,
  clamp,
  type Decision,
  isFresh,
  type Observation,
  STATE_TRANSFER_SECONDS,
} from './types';

export interface FkoParams {
  readonly metricsWindowSeconds: number;
  readonly stabilizationSeconds: number;
  readonly targetUtilization: number;
  readonly utilizationMax: number;
  readonly utilizationMin: number;
  readonly backlogLagThresholdSeconds: number;
  readonly catchUpSeconds: number;
  readonly restartSeconds: number;
  readonly scaleDownIntervalSeconds: number;
  readonly maxScaleDownFactor: number;
  readonly maxScaleUpFactor: number;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
}

export const FKO_DEFAULTS = {
  metricsWindowSeconds: 900,
  stabilizationSeconds: 300,
  targetUtilization: 0.7,
  utilizationMax: 1.0,
  utilizationMin: 0.4,
  backlogLagThresholdSeconds: 300,
  catchUpSeconds: 1800,
  restartSeconds: 300,
  scaleDownIntervalSeconds: 3600,
  maxScaleDownFactor: 0.6,
  maxScaleUpFactor: 100_000,
} as const;

export interface DelayedScaleDown {
  readonly firstTriggerAt: number;
  /** Recommended parallelisms within the scale-down interval, oldest first. */
  readonly recommendations: readonly { readonly at: number; readonly parallelism: number }[];
}

export interface FkoState {
  readonly lastRescaleAt?: number;
  readonly delayed?: DelayedScaleDown;
}

export interface FkoMetrics {
  /** Records/s the job would process at 100% busy (window average). */
  readonly trueProcessingRate: number;
  /** Records/s arriving: processed + lag growth (window average). */
  readonly inputRate: number;
  /** Pending records now. */
  readonly lag: number;
}

/** The window's scaling metrics; undefined when nothing was processed while busy. */
export function fkoMetrics(window: Observation['minutes']): FkoMetrics | undefined {
  if (window.length === 0) return undefined;
  const processed = window.reduce((a, m) => a + m.processedRate, 0) / window.length;
  const busy = window.reduce((a, m) => a + m.maxBusy, 0) / window.length;
  if (!(busy > 0) || !(processed > 0)) return undefined;
  // The window's rate over its mean busy fraction (ScalingMetricEvaluator.computeTprFromBusyTime).
  const trueProcessingRate = processed / busy;
  const lags = window.filter((m): m is typeof m & { backlog: number } => m.backlog !== undefined);
  const first = lags[0];
  const last = lags.at(-1);
  const growth =
    first && last && last.at > first.at ? (last.backlog - first.backlog) / ((last.at - first.at) / 1000) : 0;
  return { trueProcessingRate, inputRate: Math.max(0, processed + growth), lag: last?.backlog ?? 0 };
}

/** AutoScalerUtils.getTargetProcessingCapacity: lag catch-up + restart catch-up + input at the utilization. */
export function fkoTargetCapacity(
  m: FkoMetrics,
  utilization: number,
  withRestart: boolean,
  p: Pick<FkoParams, 'catchUpSeconds' | 'restartSeconds'>,
): number {
  const lagCatchUp = m.lag / p.catchUpSeconds;
  const restartCatchUp = withRestart ? (m.inputRate * p.restartSeconds) / p.catchUpSeconds : 0;
  return Math.round(lagCatchUp + restartCatchUp + m.inputRate / clamp(utilization, 0, 1));
}

/**
 * JobVertexScaler.scale for a source vertex (mode EVENLY_SPREAD): ceil(factor × current),
 * clamped, then the next parallelism that divides the partitions (never crossing back over
 * the current one); beyond the partitions, the partitions.
 */
export function fkoScale(
  current: number,
  partitions: number,
  scaleFactor: number,
  lower: number,
  upper: number,
): number {
  let next = Math.min(Math.ceil(scaleFactor * current), Number.MAX_SAFE_INTEGER);
  next = Math.min(Math.max(lower, next), upper);
  if (next === current) return next;
  const up = next > current;
  const alignUpper = Math.min(partitions, upper);
  const phase1Upper = up ? alignUpper : Math.min(current, alignUpper);
  for (let p = next; p <= phase1Upper; p++) if (partitions % p === 0) return p;
  let p = next;
  for (; p > 0; p--) {
    if (Math.floor(partitions / p) > Math.floor(partitions / next)) {
      if (partitions % p !== 0) p++;
      break;
    }
  }
  p = Math.max(p, lower);
  if ((up && p <= current) || (!up && p >= current)) return current;
  return p;
}

export function decideFko(state: FkoState, obs: Observation, p: FkoParams): Decision<FkoState> {
  const current = obs.desired;
  const hold = (reason: string, next: FkoState = state): Decision<FkoState> => ({
    desired: current,
    reason,
    state: next,
  });
  const jobStart = Math.max(obs.lastRestartMs, state.lastRescaleAt ?? Number.NEGATIVE_INFINITY);
  const stableFrom = jobStart + p.stabilizationSeconds * 1000;
  if (obs.nowMs < stableFrom) return hold('Stabilizing');
  const newest = obs.minutes.at(-1);
  if (!newest || !isFresh(obs.minutes, obs.nowMs) || obs.running <= 0) return hold('InsufficientData');
  const windowMs = p.metricsWindowSeconds * 1000;
  const window = obs.minutes.filter((m) => m.at >= stableFrom && m.at > newest.at - windowMs);
  if (window.length < p.metricsWindowSeconds / 60) return hold('CollectingMetrics');
  const m = fkoMetrics(window);
  if (!m) return hold('InsufficientData');

  const S = p.slotsPerTaskManager;
  const target = fkoTargetCapacity(m, p.targetUtilization, true, p);
  const backlog = m.inputRate > 0 && m.lag / m.inputRate > p.backlogLagThresholdSeconds;
  const upThreshold = fkoTargetCapacity(m, backlog ? 1 : p.utilizationMax, false, p);
  const downThreshold = backlog ? Number.POSITIVE_INFINITY : fkoTargetCapacity(m, p.utilizationMin, true, p);
  const outside = m.trueProcessingRate < upThreshold || m.trueProcessingRate > downThreshold;
  const factor = clamp(target / m.trueProcessingRate, 1 - p.maxScaleDownFactor, 1 + p.maxScaleUpFactor);
  const currentP = obs.running * S;
  const maxP = p.maxTaskManagers * S;
  const nextP = fkoScale(currentP, p.partitions, factor, 1, maxP);
  const toCount = (parallelism: number) =>
    clamp(Math.ceil(parallelism / S), p.minTaskManagers, p.maxTaskManagers);
  const { delayed: _cleared, ...withoutDelayed } = state;
  const next = toCount(nextP);
  const applied = (desired: number): Decision<FkoState> => ({
    desired,
    reason: 'Applied',
    state: { lastRescaleAt: obs.nowMs },
  });

  if (next === current) return hold('NoChange', withoutDelayed);
  if (next > current) return outside ? applied(next) : hold('WithinTolerance', withoutDelayed);

  // Scale-down: delayed by the interval, then the highest recommendation within it.
  const intervalMs = p.scaleDownIntervalSeconds * 1000;
  const windowStart = obs.nowMs - intervalMs;
  const delayed: DelayedScaleDown = {
    firstTriggerAt: state.delayed?.firstTriggerAt ?? obs.nowMs,
    recommendations: [
      ...(state.delayed?.recommendations ?? []).filter((r) => r.at >= windowStart),
      { at: obs.nowMs, parallelism: nextP },
    ],
  };
  const kept: FkoState = { ...state, delayed };
  if (windowStart < delayed.firstTriggerAt) return hold('ScaleDownDelayed', kept);
  const highest = toCount(Math.max(...delayed.recommendations.map((r) => r.parallelism)));
  if (highest >= current) return hold('NoChange', kept);
  return outside ? applied(highest) : hold('WithinTolerance', kept);
}

/** The docs' basic configuration example, with restart.time = the job's own restart (§1.4). */
export const FKO_TUNED = {
  metricsWindowSeconds: 300,
  stabilizationSeconds: 60,
  targetUtilization: 0.6,
  utilizationMax: 0.8,
  utilizationMin: 0.4,
  catchUpSeconds: 300,
} as const;

export function fkoParams(setup: BaselineSetup, variant: 'default' | 'tuned'): FkoParams {
  const cluster = {
    partitions: setup.partitions,
    slotsPerTaskManager: setup.slotsPerTaskManager,
    minTaskManagers: setup.minTaskManagers,
    maxTaskManagers: setup.maxTaskManagers,
  };
  if (variant === 'default') return { ...FKO_DEFAULTS, ...cluster };
  // restart.time: what restart.time-tracking would observe, the restart plus the state restore.
  return {
    ...FKO_DEFAULTS,
    ...FKO_TUNED,
    restartSeconds: setup.restartSeconds + STATE_TRANSFER_SECONDS,
    ...cluster,
  };
}

export function fkoRule(params: FkoParams): BaselineRule<FkoState> {
  return {
    lookbackSeconds: params.metricsWindowSeconds + 600,
    initialState: {},
    decide: (state, obs) => decideFko(state, obs, params),
  };
}
