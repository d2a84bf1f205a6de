/**
 * In-memory implementations of the ports for unit tests, with the same conditional
 * semantics as the DynamoDB adapter (a version check on every SCALER and TASK write, an
 * owner-and-epoch check on every PARTITION write).
 */

import {
  type AppItems,
  type DecisionRecord,
  initialScalerState,
  type MetricQuery,
  type MetricSeries,
  type PartitionChange,
  type PartitionItem,
  type ScalerState,
  type ServiceState,
  type TaskHealthItem,
  type TaskInfo,
} from '../../lib/core/domain';
import { DependencyError } from '../../lib/core/errors';
import { FLINK_DIMENSIONS, FLINK_METRICS } from '../../lib/core/flink-metrics';
import type { Clock, MetricsSource, ServiceController, StateStore } from '../../lib/ports';

/**
 * The PARTITION item a conditional write leaves, as DynamoDbStateStore.writePartition writes
 * it; undefined when its condition (the owner and epoch that were read) does not hold.
 */
export function partitionAfter(
  stored: PartitionItem | undefined,
  change: PartitionChange,
): PartitionItem | undefined {
  if ((stored?.owner ?? null) !== change.from || (stored?.epoch ?? 0) !== change.expectedEpoch)
    return undefined;
  const previousOwner = change.to === change.from ? change.previousOwner : (change.from ?? undefined);
  return {
    partitionId: change.partitionId,
    owner: change.to,
    epoch: change.newEpoch,
    state: change.state,
    ...(previousOwner === undefined ? {} : { previousOwner }),
    updatedAt: change.updatedAt,
  };
}

export class MemoryStore implements StateStore {
  scaler: ScalerState = initialScalerState;
  decisions: DecisionRecord[] = [];
  readonly tasks = new Map<string, TaskHealthItem>();
  readonly partitions = new Map<number, PartitionItem>();
  writes = 0;
  /** Conditional TASK and PARTITION writes whose condition failed. */
  conflicts = 0;

  async readApp(): Promise<AppItems> {
    return {
      scaler: structuredClone(this.scaler),
      tasks: [...this.tasks.values()].map((t) => structuredClone(t)),
      partitions: [...this.partitions.values()]
        .map((p) => structuredClone(p))
        .sort((a, b) => a.partitionId - b.partitionId),
    };
  }
  async readScaler(): Promise<ScalerState> {
    return structuredClone(this.scaler);
  }
  async commitTask(
    _appId: string,
    expectedVersion: number,
    next: Omit<TaskHealthItem, 'version'>,
  ): Promise<boolean> {
    await Promise.resolve();
    if ((this.tasks.get(next.taskId)?.version ?? 0) !== expectedVersion) {
      this.conflicts++;
      return false;
    }
    this.writes++;
    this.tasks.set(next.taskId, { ...structuredClone(next), version: expectedVersion + 1 });
    return true;
  }
  async deleteTask(_appId: string, taskId: string, expectedVersion: number): Promise<boolean> {
    await Promise.resolve();
    if ((this.tasks.get(taskId)?.version ?? 0) !== expectedVersion) {
      this.conflicts++;
      return false;
    }
    this.writes++;
    this.tasks.delete(taskId);
    return true;
  }
  async writePartition(_appId: string, change: PartitionChange): Promise<boolean> {
    await Promise.resolve();
    const next = partitionAfter(this.partitions.get(change.partitionId), change);
    if (next === undefined) {
      this.conflicts++;
      return false;
    }
    this.writes++;
    this.partitions.set(change.partitionId, next);
    return true;
  }
  async commitScaler(
    _appId: string,
    expectedVersion: number,
    next: Omit<ScalerState, 'version'>,
  ): Promise<boolean> {
    await Promise.resolve();
    if (this.scaler.version !== expectedVersion) return false;
    this.writes++;
    this.scaler = { ...structuredClone(next), version: expectedVersion + 1 };
    return true;
  }
  async putDecision(_appId: string, decision: DecisionRecord): Promise<void> {
    this.writes++;
    this.decisions.push(decision);
  }
  async listDecisions(_appId: string, limit: number): Promise<DecisionRecord[]> {
    return [...this.decisions].reverse().slice(0, limit);
  }
}

export class FakeEcs implements ServiceController {
  readonly clusterName = 'flink';
  readonly serviceName = 'taskmanager';
  service: ServiceState;
  updates: number[] = [];
  failUpdates = 0;
  throttleDescribe = false;

  constructor(
    desired: number,
    readonly startedAt = new Date(0),
  ) {
    this.service = {
      desiredCount: desired,
      runningCount: desired,
      pendingCount: 0,
      deploymentInProgress: false,
      status: 'ACTIVE',
    };
  }
  async describeService(): Promise<ServiceState> {
    if (this.throttleDescribe) throw new DependencyError('Rate exceeded', true);
    return { ...this.service };
  }
  async setDesiredCount(n: number): Promise<void> {
    if (this.failUpdates > 0) {
      this.failUpdates--;
      throw new DependencyError('UpdateService: Rate exceeded', true);
    }
    this.updates.push(n);
    this.service = { ...this.service, desiredCount: n, runningCount: n };
  }
  async listTasks(): Promise<TaskInfo[]> {
    return Array.from({ length: this.service.runningCount }, (_, i) => ({
      taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/flink/tm${String(i).padStart(2, '0')}`,
      taskId: `tm${String(i).padStart(2, '0')}`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'HEALTHY',
      startedAt: this.startedAt,
    }));
  }
  async describeTasks(): Promise<{ tasks: TaskInfo[]; missing: string[] }> {
    throw new Error('not used by the scaler');
  }
  async stopTask(): Promise<void> {
    throw new Error('not used by the scaler');
  }
  async setTaskProtection(): Promise<void> {
    throw new Error('not used by the scaler');
  }
}

/** Answers every query with `value(query)` at each minute of the window; `status(query)` overrides the status. */
export class FakeMetrics implements MetricsSource {
  calls = 0;
  constructor(
    readonly value: (q: MetricQuery) => number | undefined,
    readonly status: (q: MetricQuery) => MetricSeries['status'] = () => 'Complete',
  ) {}
  async getMetricData(queries: readonly MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]> {
    this.calls++;
    const times: number[] = [];
    for (let t = Math.ceil(start.getTime() / 60_000) * 60_000; t < end.getTime(); t += 60_000) times.push(t);
    return queries.map((q) => {
      const v = this.value(q);
      return {
        id: q.id,
        timestamps: v === undefined ? [] : times,
        values: v === undefined ? [] : times.map(() => v),
        status: this.status(q),
      };
    });
  }
}

export interface FlinkFleet {
  /** Busy fraction of the busiest subtask (and of every TaskManager's busiest). */
  readonly busy: number;
  /** Records/s each TaskManager's source subtasks read. */
  readonly rate: number;
  /** The job's backlog (records), reported by the source subtasks. */
  readonly backlog?: number;
  /** How many TaskManagers are scraped, read at each query. */
  readonly taskManagers: () => number;
  /** @default 2 (a 30 s scrape, 60 s periods) */
  readonly scrapesPerPeriod?: number;
  /** Source subtasks per TaskManager. @default 2 */
  readonly sourceSubtasks?: number;
}

/**
 * The value CloudWatch gives for a query of the Flink definition's series (lib/core/flink-metrics.ts)
 * per period, for a fleet whose every TaskManager is scraped k times a period: Maximum of the
 * busy time, Sum of the source's throughput and backlog (k datapoints per subtask), SampleCount
 * of the heartbeat (k per TaskManager) and of the backlog (k per source subtask).
 */
export function flinkFleet(fleet: FlinkFleet): (q: MetricQuery) => number | undefined {
  return (q) => {
    const k = fleet.scrapesPerPeriod ?? 2;
    const perTask = q.dimensions[FLINK_DIMENSIONS.taskId] !== undefined;
    const n = perTask ? 1 : fleet.taskManagers();
    const subtasks = n * (fleet.sourceSubtasks ?? 2);
    switch (`${q.metricName} ${q.stat}`) {
      case `${FLINK_METRICS.busyTime} Maximum`:
      case `${FLINK_METRICS.busyTime} Average`:
        return fleet.busy * 1000;
      case `${FLINK_METRICS.sourceRecordsOut} Sum`:
        return fleet.rate * n * k;
      case `${FLINK_METRICS.heartbeat} SampleCount`:
        return k * n;
      case `${FLINK_METRICS.sourcePendingRecords} Sum`:
        return fleet.backlog === undefined ? undefined : fleet.backlog * k;
      case `${FLINK_METRICS.sourcePendingRecords} SampleCount`:
        return fleet.backlog === undefined ? undefined : k * subtasks;
      default:
        return undefined;
    }
  };
}

export class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
