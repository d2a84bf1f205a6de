/**
 * The interfaces the control plane needs from the outside world. lib/aws implements them
 * with the AWS SDK; tests pass fakes. Nothing here imports @aws-sdk.
 */
import type {
  AppItems,
  DecisionRecord,
  MetricQuery,
  MetricSeries,
  PartitionChange,
  ScalerState,
  ServiceState,
  TaskHealthItem,
  TaskInfo,
} from './core/domain.js';

/** Time is passed in: the Lambda uses the wall clock, the simulator its simulated clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface MetricsSource {
  /** Runs the queries for [start, end); batches of at most 500, follows NextToken. */
  getMetricData(queries: readonly MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]>;
}

/** The TaskManager ECS service, bound to one cluster and service at construction. */
export interface ServiceController {
  /** The name (not the ARN) of the cluster it is bound to. */
  readonly clusterName: string;
  /** The name (not the ARN) of the TaskManager service it is bound to. */
  readonly serviceName: string;
  describeService(): Promise<ServiceState>;
  /** Sets the absolute desired count (never an increment). */
  setDesiredCount(desiredCount: number): Promise<void>;
  /** Tasks of the service (ListTasks by serviceName, then DescribeTasks in batches of 100). */
  listTasks(): Promise<TaskInfo[]>;
  /**
   * These tasks as ECS describes them now (DescribeTasks in batches of 100), whatever their
   * desired status; ids ECS no longer knows (stopped long ago) come back in `missing`.
   */
  describeTasks(taskIds: readonly string[]): Promise<{ tasks: TaskInfo[]; missing: string[] }>;
  stopTask(taskId: string, reason: string): Promise<void>;
  /** Sets or clears ECS task scale-in protection. */
  setTaskProtection(taskIds: readonly string[], enabled: boolean, expiresInMinutes?: number): Promise<void>;
}

export interface StateStore {
  /** One strongly consistent Query for every item of the app except the decision log. */
  readApp(appId: string): Promise<AppItems>;
  /**
   * The SCALER item alone (one strongly consistent GetItem; the initial state when it does not
   * exist): what the scaler's tick needs, whatever the number of partitions.
   */
  readScaler(appId: string): Promise<ScalerState>;
  /**
   * Writes `next` as the SCALER item if its stored version is still `expectedVersion`
   * (0: the item must not exist). The stored version becomes expectedVersion + 1.
   * Returns false when the condition fails (another invocation won).
   */
  commitScaler(appId: string, expectedVersion: number, next: Omit<ScalerState, 'version'>): Promise<boolean>;
  /** Stores a decision item with a ttl attribute (epoch seconds). */
  putDecision(appId: string, decision: DecisionRecord, ttlEpochSeconds: number): Promise<void>;
  /** Decisions newest first. */
  listDecisions(appId: string, limit: number): Promise<DecisionRecord[]>;
  /**
   * Writes `next` as the TASK#<taskId> item if its stored version is still `expectedVersion`
   * (0: the item must not exist). The stored version becomes expectedVersion + 1.
   * Returns false when the condition fails (another invocation wrote it first).
   */
  commitTask(appId: string, expectedVersion: number, next: Omit<TaskHealthItem, 'version'>): Promise<boolean>;
  /**
   * Writes one PARTITION#<id> item if it still has the owner and epoch that were read (a
   * partition that has no item yet is read as unowned at epoch 0: the write creates it with
   * attribute_not_exists). Returns false when the condition fails.
   */
  writePartition(appId: string, change: PartitionChange): Promise<boolean>;
  /**
   * Deletes TASK#<taskId> if its stored version is still `expectedVersion` (the clean-up of
   * TaskManagers that are long gone). Returns false when the condition fails.
   */
  deleteTask(appId: string, taskId: string, expectedVersion: number): Promise<boolean>;
}
