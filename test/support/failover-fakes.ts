/**
 * Fakes of the ECS service and the TaskManager metrics for the failover use case's unit
 * tests: a service whose tasks, desired count and deployment state the test sets, which
 * records StopTask and UpdateTaskProtection calls; and metrics whose newest datapoint per
 * TaskManager the test sets.
 */

import type {
  MetricQuery,
  MetricSeries,
  ServiceState,
  TaskHealthItem,
  TaskInfo,
} from '../../lib/core/domain';
import { DependencyError } from '../../lib/core/errors';
import { METRIC_NAMES } from '../../lib/core/metric-names';
import { PROTECTION_MINUTES } from '../../lib/core/reconcile-rules';
import type { MetricsSource, ServiceController } from '../../lib/ports';
import { MemoryStore } from './fakes';

export interface FakeTask {
  taskId: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus: string;
  startedAt: number;
  /** ECS's version counter of the task (DescribeTasks `version`); StopTask raises it. */
  version: number;
}

/** The version of a task that has reached RUNNING (PROVISIONING, PENDING, ACTIVATING, RUNNING). */
export const RUNNING_VERSION = 4;

export class FakeService implements ServiceController {
  readonly clusterName = 'flink';
  readonly serviceName = 'taskmanager';
  readonly tasks: FakeTask[] = [];
  desiredCount: number;
  deploymentInProgress = false;
  readonly stops: { taskId: string; reason: string }[] = [];
  readonly protection = new Map<string, boolean>();
  readonly protectionCalls: { taskIds: string[]; enabled: boolean }[] = [];
  failStops = false;
  failReads = false;
  /** Tasks ListTasks does not return yet (its eventual consistency); DescribeTasks does. */
  readonly unlisted = new Set<string>();
  readonly describeCalls: string[][] = [];
  failDescribe = false;

  constructor(ids: readonly string[], startedAt: number) {
    for (const taskId of ids) {
      this.tasks.push({
        taskId,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
        startedAt,
        version: RUNNING_VERSION,
      });
    }
    this.desiredCount = ids.length;
  }

  task(taskId: string): FakeTask {
    const t = this.tasks.find((x) => x.taskId === taskId);
    if (t === undefined) throw new Error(`no task ${taskId}`);
    return t;
  }

  async describeService(): Promise<ServiceState> {
    if (this.failReads) throw new DependencyError('DescribeServices: Rate exceeded', true);
    const running = this.tasks.filter(
      (t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
    ).length;
    return {
      desiredCount: this.desiredCount,
      runningCount: running,
      pendingCount: 0,
      deploymentInProgress: this.deploymentInProgress,
      status: 'ACTIVE',
    };
  }
  async setDesiredCount(n: number): Promise<void> {
    this.desiredCount = n;
  }
  /** Like ListTasks: only tasks whose desired status is RUNNING. */
  async listTasks(): Promise<TaskInfo[]> {
    if (this.failReads) throw new DependencyError('ListTasks: Rate exceeded', true);
    return this.tasks.filter((t) => t.desiredStatus === 'RUNNING' && !this.unlisted.has(t.taskId)).map(info);
  }
  /** Any task the test knows, whatever its desired status; the others are MISSING. */
  async describeTasks(taskIds: readonly string[]): Promise<{ tasks: TaskInfo[]; missing: string[] }> {
    this.describeCalls.push([...taskIds]);
    if (this.failDescribe) throw new DependencyError('DescribeTasks: Rate exceeded', true);
    const known = taskIds.flatMap((id) => this.tasks.filter((t) => t.taskId === id));
    return {
      tasks: known.map(info),
      missing: taskIds.filter((id) => !known.some((t) => t.taskId === id)),
    };
  }
  async stopTask(taskId: string, reason: string): Promise<void> {
    if (this.failStops) throw new DependencyError('StopTask: Rate exceeded', true);
    this.stops.push({ taskId, reason });
    this.change(taskId, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED' });
  }
  /** A change of the task as ECS makes it: the fields change and the version rises. */
  change(taskId: string, change: Partial<Omit<FakeTask, 'taskId' | 'version'>>): FakeTask {
    const t = this.task(taskId);
    Object.assign(t, change);
    t.version++;
    return t;
  }
  async setTaskProtection(taskIds: readonly string[], enabled: boolean): Promise<void> {
    this.protectionCalls.push({ taskIds: [...taskIds], enabled });
    for (const id of taskIds) this.protection.set(id, enabled);
  }
}

function info(t: FakeTask): TaskInfo {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/flink/${t.taskId}`,
    taskId: t.taskId,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    version: t.version,
    startedAt: new Date(t.startedAt),
  };
}

/** Per-minute load datapoints of each TaskManager up to (and excluding) `until[taskId]`. */
export class FakeHeartbeats implements MetricsSource {
  readonly until = new Map<string, number>();
  readonly load = new Map<string, number>();
  fail = false;
  calls = 0;

  /** Every query's metrics (its number of queries), call by call. */
  readonly queried: number[] = [];

  /**
   * Per minute: a TaskManager's series while it publishes (through `until`: its heartbeat's
   * SampleCount is 2, a scrape every 30 s; its busiest subtask at `load`), and the fleet's
   * series (no TaskId): the heartbeat count, 2 for each TaskManager publishing through that
   * minute; the busy time's Maximum and Average over those TaskManagers (one subtask each).
   */
  async getMetricData(queries: readonly MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]> {
    this.calls++;
    this.queried.push(queries.length);
    if (this.fail) throw new DependencyError('GetMetricData: Throttling', true);
    const minutes = (last: number): number[] => {
      const out: number[] = [];
      for (let t = Math.ceil(start.getTime() / 60_000) * 60_000; t + 60_000 <= last; t += 60_000) out.push(t);
      return out;
    };
    return queries.map((q) => {
      const taskId = q.dimensions.TaskId;
      if (taskId === undefined) {
        const timestamps = minutes(end.getTime());
        const publishing = (t: number) => [...this.until].filter(([, until]) => until >= t + 60_000);
        const busy = (t: number) => publishing(t).map(([id]) => (this.load.get(id) ?? 0.5) * 1000);
        const values = timestamps.map((t) => {
          if (q.metricName === METRIC_NAMES.flink.heartbeat) return 2 * publishing(t).length;
          const b = busy(t);
          return q.stat === 'Maximum' ? Math.max(...b) : b.reduce((a, v) => a + v, 0) / b.length;
        });
        return { id: q.id, timestamps, values, status: 'Complete' };
      }
      const timestamps = minutes(Math.min(this.until.get(taskId) ?? end.getTime(), end.getTime()));
      const value = q.stat === 'SampleCount' ? 2 : (this.load.get(taskId) ?? 0.5) * 1000;
      return { id: q.id, timestamps, values: timestamps.map(() => value), status: 'Complete' };
    });
  }
}

/**
 * A store whose conditional writes each take one "round" (think 500 ms of DynamoDB latency):
 * the writes issued while a round is open all complete together when it closes, and the writes
 * they lead to open the next round. `rounds` is the number of sequential write rounds an
 * invocation needed (its duration in write latencies), `maxInFlight` the most writes at once:
 * a measure of the executor's parallelism that does not depend on the machine's speed.
 */
export class RoundStore extends MemoryStore {
  rounds = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private waiting: (() => void)[] = [];

  private async round(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length > 1) return;
      // Closes once every write the current round's completions led to has been issued.
      setImmediate(() => {
        this.rounds++;
        const done = this.waiting;
        this.waiting = [];
        for (const r of done) r();
      });
    });
    this.inFlight--;
  }
  /** Starts counting afresh. */
  reset(): void {
    this.rounds = 0;
    this.maxInFlight = 0;
  }
  override async commitTask(...args: Parameters<MemoryStore['commitTask']>): Promise<boolean> {
    await this.round();
    return super.commitTask(...args);
  }
  override async writePartition(...args: Parameters<MemoryStore['writePartition']>): Promise<boolean> {
    await this.round();
    return super.writePartition(...args);
  }
  override async deleteTask(...args: Parameters<MemoryStore['deleteTask']>): Promise<boolean> {
    await this.round();
    return super.deleteTask(...args);
  }
}

/** The TASK item of a HEALTHY RUNNING TaskManager at `nowMs`: started an hour ago, seen 30 s ago, protected. */
export function healthItem(
  taskId: string,
  nowMs: number,
  over: Partial<TaskHealthItem> = {},
): TaskHealthItem {
  return {
    taskId,
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: RUNNING_VERSION,
    misses: 0,
    lastSeen: nowMs - 30_000,
    startedAt: nowMs - 3_600_000,
    protectedUntil: nowMs + (PROTECTION_MINUTES - 1) * 60_000,
    version: 3,
    ...over,
  };
}

/** A RUNNING, HEALTHY task as ListTasks + DescribeTasks describe it at `nowMs` (started an hour ago). */
export function taskInfo(taskId: string, nowMs: number, over: Partial<TaskInfo> = {}): TaskInfo {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/flink/${taskId}`,
    taskId,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    version: RUNNING_VERSION,
    startedAt: new Date(nowMs - 3_600_000),
    ...over,
  };
}
