/**
 * Baseline: lag-based scaling as KEDA's Apache Kafka scaler with the Kubernetes Horizontal Pod
 * Autoscaler does it, which is also AWS's queue-worker rule (docs/research/baselines.md §6, §3):
 *     desired = ceil(total lag / lag per replica)
 * Sources: [K1] KEDA 2.21 docs, scalers/apache-kafka (https://keda.sh/docs/2.21/scalers/apache-kafka/):
 * lagThreshold default 10, with metricType AverageValue it is the lag per replica; [K3] KEDA
 * pkg/scalers/kafka_scaler.go: unless allowIdleConsumers, the lag is capped at partitions ×
 * lagThreshold (never more replicas than partitions); [H] Kubernetes docs, "Horizontal Pod
 * Autoscaling" (https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/):
 * desired = ceil(current × metric / target), skipped while |metric / target − 1| ≤ tolerance 0.1;
 * scale-down takes the highest recommendation of the last 300 s (stabilization window);
 * scale-up has no stabilization and at most max(+100 %, +4 pods) per 15 s period; [A5] EC2
 * Auto Scaling, "Scaling policy based on Amazon SQS": acceptable backlog per instance =
 * longest acceptable latency / processing time per message.
 *
 * Here a replica is a TaskManager; the lag is the job's backlog (the source's pending records);
 * the HPA syncs every 15 s, our tick is 60 s: the scale-up limit is applied for the four syncs
 * of a tick. Default: lagThreshold 10 records, at most `partitions` replicas. Tuned (§6):
 * lagThreshold = SLO × μ_TM records (the backlog one TaskManager works off within the SLO, by
 * [A5]'s formula), at most ceil(partitions / slots) TaskManagers (a TaskManager has several
 * consumers), the HPA's defaults otherwise.
 */
import {
  type BaselineRule,
  type BaselineSetup,
  believedTaskManagerRate,
  ceilCount,
  clamp,
  type Decision,
  isFresh,
  type Observation,
} from './types';

export interface LagTargetParams {
  /** Lag per replica (records). */
  readonly lagThreshold: number;
  /** The KEDA cap: total lag counted at most up to this many replicas' worth. */
  readonly maxReplicasByPartitions: number;
  readonly tolerance: number;
  readonly scaleDownStabilizationSeconds: number;
  /** Scale-up per HPA period: at most max(current × (1 + percent), current + pods). */
  readonly scaleUpPercent: number;
  readonly scaleUpPods: number;
  readonly syncsPerTick: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

export const LAG_TARGET_DEFAULTS = {
  lagThreshold: 10,
  tolerance: 0.1,
  scaleDownStabilizationSeconds: 300,
  scaleUpPercent: 1,
  scaleUpPods: 4,
  syncsPerTick: 4,
} as const;

export interface LagTargetState {
  /** Recommendations of the stabilization window, oldest first. */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
}

/** HPA's raw recommendation for an AverageValue metric: ceil(total lag / lag per replica), within tolerance none. */
export function lagRecommendation(totalLag: number, current: number, p: LagTargetParams): number {
  const lag = Math.min(Math.max(0, totalLag), p.maxReplicasByPartitions * p.lagThreshold);
  const ratio = lag / (Math.max(1, current) * p.lagThreshold);
  if (Math.abs(ratio - 1) <= p.tolerance) return current;
  return Math.max(0, ceilCount(lag / p.lagThreshold));
}

/** The HPA's scale-up limit over the syncs of one tick. */
export function scaleUpLimit(current: number, p: LagTargetParams): number {
  let n = Math.max(1, current);
  for (let i = 0; i < p.syncsPerTick; i++)
    n = Math.max(Math.floor(n * (1 + p.scaleUpPercent)), n + p.scaleUpPods);
  return n;
}

export function decideLagTarget(
  state: LagTargetState,
  obs: Observation,
  p: LagTargetParams,
): Decision<LagTargetState> {
  const current = obs.desired;
  const latest = obs.minutes.at(-1);
  if (!latest || !isFresh(obs.minutes, obs.nowMs) || latest.backlog === undefined) {
    return { desired: current, reason: 'InsufficientData', state };
  }
  const raw = lagRecommendation(latest.backlog, current, p);
  const windowStart = obs.nowMs - p.scaleDownStabilizationSeconds * 1000;
  const recommendations = [
    ...state.recommendations.filter((r) => r.at > windowStart),
    { at: obs.nowMs, replicas: raw },
  ];
  let desired = raw;
  if (raw < current) desired = Math.min(current, Math.max(...recommendations.map((r) => r.replicas)));
  else if (raw > current) desired = Math.min(raw, scaleUpLimit(current, p));
  desired = clamp(desired, p.minReplicas, p.maxReplicas);
  const next = { recommendations };
  return { desired, reason: desired === current ? 'NoChange' : 'Applied', state: next };
}

export function lagTargetParams(setup: BaselineSetup, variant: 'default' | 'tuned'): LagTargetParams {
  if (variant === 'default') {
    return {
      ...LAG_TARGET_DEFAULTS,
      maxReplicasByPartitions: setup.partitions,
      minReplicas: setup.minTaskManagers,
      maxReplicas: Math.min(setup.maxTaskManagers, setup.partitions),
    };
  }
  const useful = Math.ceil(setup.partitions / setup.slotsPerTaskManager);
  return {
    ...LAG_TARGET_DEFAULTS,
    lagThreshold: setup.sloLagSeconds * believedTaskManagerRate(setup),
    maxReplicasByPartitions: useful,
    minReplicas: setup.minTaskManagers,
    maxReplicas: Math.min(setup.maxTaskManagers, useful),
  };
}

export function lagTargetRule(params: LagTargetParams): BaselineRule<LagTargetState> {
  return {
    lookbackSeconds: 300,
    initialState: { recommendations: [] },
    decide: (state, obs) => decideLagTarget(state, obs, params),
  };
}
