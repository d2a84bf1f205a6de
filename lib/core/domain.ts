/**
 * The control plane's data: the scaler's state and decision records, TaskManager health and
 * partition ownership items, and what ECS and CloudWatch report, as the core decides on them.
 * Plain types, no I/O: the ports (lib/ports.ts) move them in and out.
 */

/** One GetMetricData MetricStat query. `id` must match ^[a-z][a-zA-Z0-9_]*$ and be unique per request. */
export interface MetricQuery {
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly periodSeconds: number;
}

/**
 * What CloudWatch returned for one query, all pages merged, sorted by time ascending.
 * `status` is CloudWatch's StatusCode; `Missing` means the query produced no result at all.
 * Anything but `Complete` is treated as missing data by the core.
 */
export interface MetricSeries {
  readonly id: string;
  readonly timestamps: readonly number[]; // epoch milliseconds
  readonly values: readonly number[];
  readonly status: 'Complete' | 'PartialData' | 'InternalError' | 'Forbidden' | 'Missing';
}

export interface ServiceState {
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  /** More than one deployment, or the primary deployment not COMPLETED. */
  readonly deploymentInProgress: boolean;
  readonly status: string; // ACTIVE | DRAINING | INACTIVE
}

export interface TaskInfo {
  readonly taskArn: string;
  readonly taskId: string;
  readonly lastStatus: string; // PROVISIONING | PENDING | RUNNING | STOPPED ...
  readonly desiredStatus: string;
  /** Aggregate container health: HEALTHY | UNHEALTHY | UNKNOWN. */
  readonly healthStatus: string;
  /**
   * ECS's version counter of the task (DescribeTasks `version`): raised on every change that
   * emits a Task State Change event, the same counter as the event's `detail.version`.
   * Absent when ECS did not return one.
   */
  readonly version?: number;
  readonly startedAt?: Date;
  readonly createdAt?: Date;
  readonly group?: string;
  readonly stoppedReason?: string;
}

export interface RecommendationSample {
  readonly at: number; // epoch ms
  readonly desired: number;
  /** The input the evaluation measured (records/s), when its metrics were complete (core/absorb.ts). */
  readonly input?: number;
}

export interface TimedFlag {
  readonly until: number; // epoch ms
  readonly reason: string;
  readonly by?: string;
}

/** The SCALER item: the autoscaler's own state for one app. */
export interface ScalerState {
  /** Optimistic-concurrency version; 0 means the item does not exist yet. */
  readonly version: number;
  /** The last desired count this autoscaler committed. */
  readonly desired?: number;
  readonly lastScaleOutAt?: number;
  readonly lastScaleInAt?: number;
  readonly lastDecisionAt?: number;
  /** Recommendations within the scale-in stabilization window, oldest first. */
  readonly recommendations: readonly RecommendationSample[];
  readonly hold?: TimedFlag;
  readonly pause?: TimedFlag;
  /** The id of the last scheduled/alarm event decided: a redelivery of it is not decided again. */
  readonly lastTriggerId?: string;
  /** Records/s one slot processes at 100% busy, as last measured (rate policy). */
  readonly perSlotRate?: number;
  /** The job's input (records/s) as last measured from complete periods, and when (rate policy). */
  readonly inputRate?: MeasuredRate;
  /** The input's steepest recent rises (rate policy, core/absorb.ts keepRises): a floor on scale-in. */
  readonly rises?: readonly Rise[];
  /**
   * The per-slot rate last measured at each count (rate policy, within policy.scaleInLookbackSeconds):
   * a job's capacity grows less than linearly with its TaskManagers, so a rate measured at a
   * larger count understates a smaller one's.
   */
  readonly capacityCurve?: readonly CountRate[];
  /** The reason of the last scheduled or alarm decision (a tick repeating it is not kept in the audit log). */
  readonly lastReason?: ReasonCode;
  /**
   * The latest committed change of the desired count (a tick's, an alarm's or an operator's).
   * Pending until `appliedAt` is set: the invocation that committed it confirms it after its
   * UpdateService, and re-asserts it if a stale UpdateService of an older decision landed later.
   */
  readonly change?: ScalerChange;
}

/**
 * A rise of the input the scaler saw: at `at` (epoch ms), the input had gone from `from`
 * (records/s, one loop dead time before) to `to` (the median since).
 */
export interface Rise {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  /** How long it took (s); one loop dead time when unset. */
  readonly seconds?: number;
}

/** The per-slot rate (records/s at 100% busy) measured while `count` TaskManagers ran, at `at` (epoch ms). */
export interface CountRate {
  readonly count: number;
  readonly perSlotRate: number;
  readonly at: number;
}

export interface MeasuredRate {
  readonly rate: number;
  /** Epoch ms of the decision that measured it. */
  readonly at: number;
  /** The backlog read with it (records) and the start of its period (policy.ts backlogFloorScaleOut). */
  readonly backlog?: BacklogReading;
}

/** A backlog in records at the start of a metrics period (epoch ms). */
export interface BacklogReading {
  readonly records: number;
  readonly at: number;
}

/** A committed change of the desired count (lib/core/decide.ts). */
export interface ScalerChange {
  readonly decisionId: string;
  readonly desired: number;
  /** When it was committed (epoch ms); a re-apply after a failed UpdateService commits it anew. */
  readonly committedAt: number;
  /** When its UpdateService was confirmed (epoch ms); absent while pending. */
  readonly appliedAt?: number;
}

export const initialScalerState: ScalerState = { version: 0, recommendations: [] };

export type ReasonCode =
  | 'Applied'
  | 'NoChange'
  | 'WithinTolerance'
  | 'Cooldown'
  | 'Stabilizing'
  | 'RisingInput'
  | 'Confirming'
  | 'Settling'
  | 'AtMin'
  | 'AtMax'
  | 'InsufficientData'
  | 'DeploymentInProgress'
  | 'BacklogPresent'
  | 'AlarmNoScaleIn'
  | 'Held'
  | 'Paused'
  | 'Resumed'
  | 'DryRun'
  | 'LostRace'
  | 'StaleEvent'
  | 'ApplyFailed'
  | 'Throttled'
  | 'DependencyFailed'
  | 'Superseded'
  | 'UnknownAlarm'
  | 'Status';

export type TriggerKind = 'schedule' | 'alarm' | 'manual';

/** The audit record of one decision (returned by every invocation, stored as a DECISION# item). */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly at: string; // ISO time
  readonly trigger: TriggerKind;
  readonly triggerDetail?: string; // alarm name, manual action, schedule event id
  readonly policy: 'rate' | 'threshold' | 'manual';
  readonly current: number; // ECS desired count when read
  readonly running: number;
  readonly recommended: number; // what the policy wanted, before guards
  readonly desired: number; // final desired count after guards (== current if no change)
  readonly reason: ReasonCode;
  readonly applied: boolean;
  readonly dryRun: boolean;
  readonly message?: string;
  readonly inputs?: Readonly<Record<string, number | string | boolean | readonly string[]>>;
}

export interface AppItems {
  readonly scaler: ScalerState;
  readonly tasks: readonly TaskHealthItem[];
  readonly partitions: readonly PartitionItem[];
}

export type HealthStatus = 'HEALTHY' | 'SUSPECT' | 'DEAD' | 'DRAINING';

export interface TaskHealthItem {
  readonly taskId: string;
  readonly status: HealthStatus;
  readonly ecsStatus: string;
  readonly ecsVersion: number;
  readonly misses: number;
  readonly lastSeen: number; // epoch ms
  readonly startedAt?: number;
  /**
   * When the failover function stopped this task with StopTask because it was hung (epoch ms).
   * Stops of the last 60 s count against `health.maxStopsPerMinute`.
   */
  readonly stopRequestedAt?: number;
  /**
   * Expiry of the ECS scale-in protection the failover function set on the task (epoch ms);
   * absent when it set none or has dropped it (a scale-in victim).
   */
  readonly protectedUntil?: number;
  /**
   * When this function first saw ECS report the task gone (DEPROVISIONING, STOPPED; epoch ms,
   * at or after it stopped): it answers no scrape after it, so the fleet's heartbeat count of a
   * period that began after it does not include it (lib/core/heartbeat.ts).
   */
  readonly goneAt?: number;
  readonly version: number;
}

export type PartitionState = 'ASSIGNED' | 'REVOKING';

export interface PartitionItem {
  readonly partitionId: number;
  readonly owner: string | null;
  readonly epoch: number;
  readonly state: PartitionState;
  readonly previousOwner?: string;
  readonly updatedAt: number;
}

/**
 * One single-item conditional write of a PARTITION item. Either an owner change (`to` differs
 * from `from`, newEpoch = expectedEpoch + 1, state ASSIGNED, previousOwner = from) or, for a
 * graceful handover, the revoke that precedes it (`to` = `from`, same epoch, state REVOKING).
 */
export interface PartitionChange {
  readonly partitionId: number;
  /** The owner that was read; null when unowned (or no item exists). */
  readonly from: string | null;
  /** The epoch that was read; 0 when no item exists. */
  readonly expectedEpoch: number;
  readonly to: string;
  readonly newEpoch: number;
  readonly state: PartitionState;
  /** Stored as previousOwner on an owner change; kept as read on a revoke. */
  readonly previousOwner?: string;
  /** Epoch ms stored as updatedAt. */
  readonly updatedAt: number;
}
