/**
 * What every baseline autoscaler sees and returns. The baselines are the autoscalers users
 * would pick instead of this project's `rate` policy; each one's decision rule is a pure
 * function (one small file each, with the public rule it follows cited in its header) and
 * the glue that reads CloudWatch and writes ECS is shared (./controller.ts), so every
 * baseline sees the same metrics with the same ingestion delay and acts through the same
 * UpdateService call as the real scaler handler.
 */

/** One complete minute of the job's metrics (the job-level series the scaler reads: lib/core/metrics.ts). */
export interface JobMinute {
  /** Start of the minute (epoch ms). */
  readonly at: number;
  /** Mean busy fraction over every subtask of the job (≈ the ECS service's average CPU). */
  readonly avgBusy: number;
  /** The busiest subtask's busy fraction (the bottleneck; Flink busy time aggregated by MAX). */
  readonly maxBusy: number;
  /** Records/s the job processed: the source's throughput. */
  readonly processedRate: number;
  /** TaskManagers scraped in this minute. */
  readonly reporting: number;
  /** The job's backlog: Σ pendingRecords of the source subtasks, when configured. */
  readonly backlog?: number;
}

/** What a baseline knows at a scheduled tick. */
export interface Observation {
  readonly nowMs: number;
  /** Visible minutes, oldest first, at most the rule's lookback; a gap is a missing datapoint. */
  readonly minutes: readonly JobMinute[];
  /** The ECS service's desired count. */
  readonly desired: number;
  /** The ECS service's running count. */
  readonly running: number;
  /** When the set of RUNNING TaskManagers last changed (the job restarted then, in reactive mode). */
  readonly lastRestartMs: number;
}

/** The cluster facts a baseline is configured with (what its user would have set up). */
export interface BaselineSetup {
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
  /** The service's count at deployment (Managed Flink's `Parallelism` setting). */
  readonly initialTaskManagers: number;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  readonly recordsPerSecondPerSlot: number;
  /** The trace's highest input rate (records/s): only the static baseline may use it. */
  readonly peakInputRate: number;
  /** The scenario's lag SLO (seconds): what a tuned baseline's user sizes its settings for. */
  readonly sloLagSeconds: number;
  /** The job's restart time as its user knows it (the scenario's restartSeconds). */
  readonly restartSeconds: number;
  /** PROVISIONING → RUNNING time of a new TaskManager (the scenario's startupSeconds). */
  readonly startupSeconds: number;
}

/**
 * Records/s one TaskManager processes at 100% busy, as its user believes it
 * (recordsPerSecondPerSlot × slots): the "processing rate per instance" of the
 * queue-worker and lag-per-replica rules.
 */
export function believedTaskManagerRate(setup: BaselineSetup): number {
  return setup.recordsPerSecondPerSlot * setup.slotsPerTaskManager;
}

/** Lag seconds of a minute: its backlog over the input rate (processed rate as the proxy). */
export function lagSeconds(m: JobMinute): number | undefined {
  if (m.backlog === undefined) return undefined;
  if (m.backlog <= 0) return 0;
  return m.processedRate > 0 ? m.backlog / m.processedRate : Number.POSITIVE_INFINITY;
}

/** One decision: the absolute desired count to set, and one reason code. */
export interface Decision<S> {
  readonly desired: number;
  readonly reason: string;
  readonly state: S;
}

/** A baseline's decision rule with its state; `decide` is pure. */
export interface BaselineRule<S> {
  /** How much minute history the rule reads (the glue keeps at least this much). */
  readonly lookbackSeconds: number;
  readonly initialState: S;
  /**
   * Seconds after each applied change during which the job processes nothing before it
   * restarts (a managed service that stops and redeploys the application to rescale it); none
   * for a reactive-mode restart, which the model itself accounts for.
   */
  readonly scalingOutageSeconds?: number;
  decide(state: S, observation: Observation): Decision<S>;
}

export const MINUTE_MS = 60_000;

/**
 * Seconds to write or read the default job's keyed state once: its 1 GiB at the 100 MB/s the
 * model restores it at (playground/src/model/calibration.ts), rounded up. Our derivation; the
 * baselines' users would measure it (a snapshot's duration, the operator's restart tracking).
 */
export const STATE_TRANSFER_SECONDS = 11;

/**
 * The newest datapoint must be at most this old (minute start to now). With per-minute
 * metrics visible 30 s after their minute ends, the newest visible minute started 120 s
 * before a tick on the minute; older than this means the newest datapoint is missing.
 */
export const MAX_DATAPOINT_AGE_SECONDS = 180;

/** True when the newest minute is recent enough to act on. */
export function isFresh(minutes: readonly JobMinute[], nowMs: number): boolean {
  const newest = minutes.at(-1);
  return newest !== undefined && nowMs - newest.at <= MAX_DATAPOINT_AGE_SECONDS * 1000;
}

/**
 * How many of the newest minutes, consecutive (one per minute, no gap) and ending at the
 * newest one, satisfy `test`: a CloudWatch alarm's "N datapoints in a row".
 */
export function trailingRun(minutes: readonly JobMinute[], test: (m: JobMinute) => boolean): number {
  let run = 0;
  let next: number | undefined;
  for (let i = minutes.length - 1; i >= 0; i--) {
    const m = minutes[i] as JobMinute;
    if (next !== undefined && next - m.at !== MINUTE_MS) break;
    if (!test(m)) break;
    run++;
    next = m.at;
  }
  return run;
}

/** ceil() that ignores floating-point dust (4 × 0.7 / 0.7 is 4, not 5). */
export function ceilCount(value: number): number {
  return Math.ceil(value - 1e-9);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
