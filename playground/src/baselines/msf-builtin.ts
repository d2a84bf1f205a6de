/**
 * Baseline: Amazon Managed Service for Apache Flink's built-in automatic scaling.
 *
 * The public rule (Managed Service for Apache Flink Developer Guide, "Use automatic scaling
 * in Managed Service for Apache Flink",
 * https://docs.aws.amazon.com/managed-flink/latest/java/how-scaling-auto.html):
 * - scale up when the CloudWatch metric containerCPUUtilization's Maximum is at or above
 *   75% for 15 minutes (15 consecutive 1-minute datapoints): the parallelism doubles;
 * - scale down when it stays below 10% for six hours (360 consecutive datapoints): the
 *   parallelism halves, rounding up;
 * - never below the application's configured `Parallelism` (here: the initial count).
 * Here the maximum CPU is the busiest TaskManager's busy fraction, and the count of
 * TaskManagers stands for the parallelism. A scaling action starts a new run of
 * datapoints: the alarm evaluates the rescaled application (datapoints from before the
 * action do not count towards the next one).
 *
 * Restart cost: every scaling takes a snapshot and restarts the application from it
 * ("Managed Service for Apache Flink will automatically create and use snapshots when the
 * application is updated, scaled, or stopped", "Manage application backups using snapshots",
 * https://docs.aws.amazon.com/managed-flink/latest/java/how-snapshots.html): "the running
 * instance of the application is terminated, and a new instance of the same application with
 * more resources and a higher parallelism is created. The new instance of the application
 * then populates its internal state from the snapshot" (AWS streaming analytics workshop,
 * "(Auto)scale the Flink application", https://streaming-analytics.workshop.aws/flink-on-kda/scale-monitor/scale-kda/).
 * The duration is not documented for scaling (maintenance restarts: "a downtime of 10 to 30
 * seconds", https://docs.aws.amazon.com/managed-flink/latest/java/maintenance.html). Derived
 * here (msfScalingOutageSeconds): the job processes nothing from the scaling decision for the
 * snapshot (SNAPSHOT_SECONDS) plus the new instance's provisioning (the scenario's
 * TaskManager startup time), and then restarts as any Flink job does (the model's restart and
 * state restore). Shared with the aws-samples custom autoscaler, which scales with the same
 * UpdateApplication call.
 */
import {
  type BaselineRule,
  type BaselineSetup,
  ceilCount,
  type Decision,
  isFresh,
  MINUTE_MS,
  type Observation,
  STATE_TRANSFER_SECONDS,
  trailingRun,
} from './types';

export interface MsfParams {
  readonly scaleUpCpu: number;
  readonly scaleUpDatapoints: number;
  readonly scaleDownCpu: number;
  readonly scaleDownDatapoints: number;
  /** The configured Parallelism: never scale below it. */
  readonly minCount: number;
  readonly maxCount: number;
}

export const MSF_DEFAULTS = {
  scaleUpCpu: 0.75,
  scaleUpDatapoints: 15,
  scaleDownCpu: 0.1,
  scaleDownDatapoints: 360,
} as const;

export interface MsfState {
  /** The last scaling action; only minutes that start at or after it count. */
  readonly lastScaledAt?: number;
}

export function decideMsf(state: MsfState, obs: Observation, p: MsfParams): Decision<MsfState> {
  const current = obs.desired;
  const hold = (reason: string): Decision<MsfState> => ({ desired: current, reason, state });
  const since = state.lastScaledAt ?? Number.NEGATIVE_INFINITY;
  const minutes = obs.minutes.filter((m) => m.at >= since);
  if (!isFresh(minutes, obs.nowMs)) return hold('InsufficientData');
  const scaled = (desired: number): Decision<MsfState> => ({
    desired,
    reason: 'Applied',
    // The next run of datapoints starts with the first whole minute after the action.
    state: { lastScaledAt: Math.ceil(obs.nowMs / MINUTE_MS) * MINUTE_MS },
  });

  if (trailingRun(minutes, (m) => m.maxBusy >= p.scaleUpCpu) >= p.scaleUpDatapoints) {
    const up = Math.min(p.maxCount, current * 2);
    return up > current ? scaled(up) : hold('AtMax');
  }
  if (trailingRun(minutes, (m) => m.maxBusy < p.scaleDownCpu) >= p.scaleDownDatapoints) {
    const down = Math.max(p.minCount, ceilCount(current / 2));
    return down < current ? scaled(down) : hold('AtMin');
  }
  return hold('NoChange');
}

/** Seconds a snapshot takes before the old instance stops (our derivation: writing the state once). */
export const SNAPSHOT_SECONDS = STATE_TRANSFER_SECONDS;

/** How long a Managed Flink scaling keeps the job from processing before its Flink restart (see the header). */
export function msfScalingOutageSeconds(setup: Pick<BaselineSetup, 'startupSeconds'>): number {
  return SNAPSHOT_SECONDS + setup.startupSeconds;
}

/**
 * Nothing of the rule is configurable [F1]; its floor is the application's `Parallelism`,
 * which the user sets to the count that covers the base load (our initial count), as
 * docs/research/baselines.md §4 "Defaults vs tuned" says: default and tuned are the same.
 */
export function msfParams(setup: BaselineSetup): MsfParams {
  return {
    ...MSF_DEFAULTS,
    minCount: Math.max(setup.minTaskManagers, setup.initialTaskManagers),
    maxCount: setup.maxTaskManagers,
  };
}

export function msfBuiltinRule(params: MsfParams, setup: BaselineSetup): BaselineRule<MsfState> {
  return {
    lookbackSeconds: (params.scaleDownDatapoints + 5) * 60,
    initialState: {},
    scalingOutageSeconds: msfScalingOutageSeconds(setup),
    decide: (state, obs) => decideMsf(state, obs, params),
  };
}
