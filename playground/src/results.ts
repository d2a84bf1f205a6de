/**
 * What a simulation measures, and the `simulate --json` contract. The accumulator is pure:
 * the engine feeds it one record per step and one per desired-count change.
 */

export interface ManualOutcome {
  readonly atSeconds: number;
  readonly accepted: boolean;
  readonly reason?: string;
  readonly error?: string;
}

/** One scenario fault (playground/src/failover-tracker.ts measures it). */
export interface FailoverEvent {
  readonly atSeconds: number;
  /** `kill` or `hang`. */
  readonly kind: string;
  /** Partitions the victim owned in DynamoDB when the fault hit. */
  readonly partitions: number;
  /** From the fault to the moment all those partitions had a live owner; null if never. */
  readonly reassignedAfterSeconds: number | null;
}

export interface FailoverSummary {
  readonly events: readonly FailoverEvent[];
  /** Longest time any partition's owner was not a running, non-hung TaskManager. */
  readonly maxUnownedSeconds: number;
  /** Owner changes the failover function wrote (bootstrap, failovers, joins, scale-ins, hot moves). */
  readonly partitionsMoved: number;
  /**
   * Partition-seconds during which a partition taken from a hung TaskManager after it hung
   * had a new owner while the hung one still ran (handed over before it was stopped).
   */
  readonly doubleOwnedPartitionSeconds: number;
}

export interface TimelinePoint {
  readonly t: number;
  readonly input: number;
  readonly capacity: number;
  readonly desired: number;
  readonly running: number;
  readonly backlog: number;
  readonly lagSeconds: number;
  /** Not in the JSON contract's timeline; used by the report. */
  readonly physicalMinimum: number;
}

export interface PolicyResult {
  readonly policy: string;
  readonly taskManagerHours: number;
  readonly costRatio: number;
  readonly sloViolationSeconds: number;
  readonly maxLagSeconds: number;
  readonly backlogAtEnd: number;
  readonly rescales: number;
  readonly flaps: number;
  readonly jobDowntimeSeconds: number;
  /** Seconds from the first sustained overload (input above capacity for 60 s) to the first scale-out; null if none. */
  readonly firstScaleOutDelaySeconds: number | null;
  readonly decisions: Readonly<Record<string, number>>;
  readonly manual: readonly ManualOutcome[];
  readonly failover: FailoverSummary;
  readonly timeline?: readonly Omit<TimelinePoint, 'physicalMinimum'>[];
}

export interface SimulationOutput {
  readonly scenario: string;
  readonly durationSeconds: number;
  readonly sloLagSeconds: number;
  readonly physicalMinimumTaskManagerHours: number;
  readonly results: readonly PolicyResult[];
}

/** A decision or event worth marking on the report's charts. */
export interface RunEvent {
  readonly t: number;
  readonly trigger: string;
  readonly reason: string;
  readonly desired?: number;
}

/**
 * One evaluation as the policy returned it: for `rate` and `threshold` the scaler's Decision
 * (what its Lambda logs: inputs, guards' reason, message), for a baseline its reason and count.
 */
export interface DecisionLogEntry {
  readonly t: number; // seconds since start
  readonly trigger: string;
  readonly decision: object;
}

export interface PolicyRun {
  readonly result: PolicyResult;
  readonly timeline: readonly TimelinePoint[];
  readonly events: readonly RunEvent[];
  /** Every evaluation, when the run was asked to keep them (SimulateOptions.decisionLog). */
  readonly decisionLog?: readonly DecisionLogEntry[];
}

export interface StepRecord {
  readonly t: number; // seconds since start, at the end of the step
  readonly dt: number;
  readonly input: number; // records/s
  readonly capacity: number; // records/s, 0 while restarting or stalled
  readonly desired: number;
  readonly running: number;
  /** Tasks that cost money: every task not yet STOPPED. */
  readonly provisioned: number;
  readonly backlog: number;
  readonly lagSeconds: number;
  readonly physicalMinimum: number;
}

export const FLAP_WINDOW_SECONDS = 15 * 60;
export const TIMELINE_EVERY_SECONDS = 60;
const SUSTAINED_OVERLOAD_SECONDS = 60;

/** Counts scale-ins followed by a scale-out within 15 minutes. */
export function countFlaps(changes: readonly { t: number; from: number; to: number }[]): number {
  let flaps = 0;
  let lastScaleIn: number | undefined;
  for (const c of changes) {
    if (c.to < c.from) lastScaleIn = c.t;
    else if (c.to > c.from && lastScaleIn !== undefined && c.t - lastScaleIn <= FLAP_WINDOW_SECONDS) {
      flaps++;
      lastScaleIn = undefined;
    }
  }
  return flaps;
}

const round = (v: number, d = 3) => Number(v.toFixed(d));

export class RunAccumulator {
  private tmSeconds = 0;
  private minSeconds = 0;
  private sloViolation = 0;
  private maxLag = 0;
  private downtime = 0;
  private lastBacklog = 0;
  private overloadSince: number | undefined;
  private firstOverload: number | undefined;
  private firstScaleOut: number | undefined;
  private readonly changes: { t: number; from: number; to: number }[] = [];
  readonly timeline: TimelinePoint[] = [];
  readonly events: RunEvent[] = [];
  readonly decisions: Record<string, number> = {};
  readonly manual: ManualOutcome[] = [];
  private readonly decisionLog: DecisionLogEntry[] | undefined;

  constructor(
    readonly policy: string,
    readonly sloLagSeconds: number,
    /** The timeline's resolution (a multiple of the step). */
    readonly timelineEverySeconds: number = TIMELINE_EVERY_SECONDS,
    /** Keep every evaluation's record (PolicyRun.decisionLog). */
    keepDecisions = false,
  ) {
    this.decisionLog = keepDecisions ? [] : undefined;
  }

  step(s: StepRecord): void {
    this.tmSeconds += s.provisioned * s.dt;
    this.minSeconds += s.physicalMinimum * s.dt;
    if (s.lagSeconds > this.sloLagSeconds) this.sloViolation += s.dt;
    this.maxLag = Math.max(this.maxLag, s.lagSeconds);
    if (s.capacity === 0 && s.input > 0) this.downtime += s.dt;
    this.lastBacklog = s.backlog;
    if (s.input > s.capacity && s.capacity > 0) {
      this.overloadSince ??= s.t - s.dt;
      if (this.firstOverload === undefined && s.t - this.overloadSince >= SUSTAINED_OVERLOAD_SECONDS) {
        this.firstOverload = this.overloadSince;
      }
    } else if (s.capacity > 0) {
      this.overloadSince = undefined;
    }
    if (s.t % this.timelineEverySeconds === 0) {
      this.timeline.push({
        t: s.t,
        input: round(s.input, 1),
        capacity: round(s.capacity, 1),
        desired: s.desired,
        running: s.running,
        backlog: round(s.backlog, 0),
        lagSeconds: round(s.lagSeconds, 1),
        physicalMinimum: s.physicalMinimum,
      });
    }
  }

  desiredChanged(t: number, from: number, to: number): void {
    if (from === to) return;
    this.changes.push({ t, from, to });
    if (
      to > from &&
      this.firstOverload !== undefined &&
      this.firstScaleOut === undefined &&
      t >= this.firstOverload
    ) {
      this.firstScaleOut = t;
    }
  }

  /** One evaluation: `decision` is what the policy returned (its reason, its count, and whatever else it says). */
  decision(
    t: number,
    trigger: string,
    decision: { readonly reason: string; readonly desired?: number },
  ): void {
    const { reason, desired } = decision;
    this.decisions[reason] = (this.decisions[reason] ?? 0) + 1;
    this.decisionLog?.push({ t, trigger, decision });
    if (reason !== 'NoChange')
      this.events.push({ t, trigger, reason, ...(desired !== undefined ? { desired } : {}) });
  }

  /** The physical minimum in TaskManager-hours, for the output's top level. */
  physicalMinimumHours(): number {
    return round(this.minSeconds / 3600);
  }

  finish(failover: FailoverSummary, withTimeline: boolean): PolicyRun {
    const tmHours = this.tmSeconds / 3600;
    const minHours = this.minSeconds / 3600;
    const result: PolicyResult = {
      policy: this.policy,
      taskManagerHours: round(tmHours),
      costRatio: minHours > 0 ? round(tmHours / minHours) : 0,
      sloViolationSeconds: this.sloViolation,
      maxLagSeconds: round(this.maxLag, 1),
      backlogAtEnd: round(this.lastBacklog, 0),
      rescales: this.changes.length,
      flaps: countFlaps(this.changes),
      jobDowntimeSeconds: this.downtime,
      firstScaleOutDelaySeconds:
        this.firstOverload !== undefined && this.firstScaleOut !== undefined
          ? this.firstScaleOut - this.firstOverload
          : null,
      decisions: Object.fromEntries(Object.entries(this.decisions).sort((a, b) => a[0].localeCompare(b[0]))),
      manual: this.manual,
      failover,
      ...(withTimeline ? { timeline: this.timeline.map(({ physicalMinimum: _p, ...rest }) => rest) } : {}),
    };
    return {
      result,
      timeline: this.timeline,
      events: this.events,
      ...(this.decisionLog ? { decisionLog: this.decisionLog } : {}),
    };
  }
}
