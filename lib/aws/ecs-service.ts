/**
 * ServiceController on Amazon ECS, bound to one cluster and one TaskManager service.
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  type Failure,
  ListTasksCommand,
  type Service,
  StopTaskCommand,
  type Task,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import type { ServiceState, TaskInfo } from '../core/domain.js';
import { DependencyError, ValidationError } from '../core/errors.js';
import type { ServiceController } from '../ports.js';
import { resourceName } from './arn.js';
import { chunk } from './chunk.js';
import { callAws } from './errors.js';

/** DescribeTasks accepts at most 100 tasks per call. */
export const DESCRIBE_TASKS_BATCH = 100;
/** UpdateTaskProtection accepts at most 10 tasks per call. */
export const TASK_PROTECTION_BATCH = 10;
/** ECS limits StopTask's reason to 255 characters. */
export const MAX_STOP_REASON_LENGTH = 255;
/** ECS accepts a protection expiry of 1 to 2,880 minutes (48 h). */
export const MAX_PROTECTION_MINUTES = 2880;

/** More than one deployment, or the PRIMARY deployment still rolling out. */
export function isDeploymentInProgress(service: Service): boolean {
  const deployments = service.deployments ?? [];
  if (deployments.length > 1) return true;
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  return primary?.rolloutState === 'IN_PROGRESS';
}

export function toServiceState(service: Service): ServiceState {
  return {
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    deploymentInProgress: isDeploymentInProgress(service),
    status: service.status ?? 'UNKNOWN',
  };
}

export function toTaskInfo(task: Task & { taskArn: string }): TaskInfo {
  return {
    taskArn: task.taskArn,
    taskId: resourceName(task.taskArn),
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    healthStatus: task.healthStatus ?? 'UNKNOWN',
    ...(task.version !== undefined ? { version: task.version } : {}),
    ...(task.startedAt !== undefined ? { startedAt: task.startedAt } : {}),
    ...(task.createdAt !== undefined ? { createdAt: task.createdAt } : {}),
    ...(task.group !== undefined ? { group: task.group } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
  };
}

function describeFailures(failures: readonly Failure[]): string {
  return failures
    .map((f) => `${f.arn ?? '?'}: ${f.reason ?? 'unknown'}${f.detail ? ` (${f.detail})` : ''}`)
    .join('; ');
}

export class EcsServiceController implements ServiceController {
  readonly clusterName: string;
  readonly serviceName: string;

  /** `cluster` and `service` by name or ARN. */
  constructor(
    private readonly client: ECSClient,
    private readonly cluster: string,
    private readonly service: string,
  ) {
    this.clusterName = resourceName(cluster);
    this.serviceName = resourceName(service);
  }

  private get where(): string {
    return `service ${this.service} in cluster ${this.cluster}`;
  }

  async describeService(): Promise<ServiceState> {
    const out = await callAws(`ECS DescribeServices (${this.where})`, () =>
      this.client.send(new DescribeServicesCommand({ cluster: this.cluster, services: [this.service] })),
    );
    const failures = out.failures ?? [];
    if (failures.length > 0) {
      throw new DependencyError(`ECS DescribeServices: ${this.where}: ${describeFailures(failures)}`, false);
    }
    const found = out.services?.[0];
    if (found === undefined) {
      throw new DependencyError(`ECS DescribeServices: ${this.where} was not returned`, false);
    }
    return toServiceState(found);
  }

  async setDesiredCount(desiredCount: number): Promise<void> {
    if (!Number.isInteger(desiredCount) || desiredCount < 0) {
      throw new ValidationError(`desiredCount must be a non-negative integer, got ${desiredCount}`);
    }
    await callAws(`ECS UpdateService (${this.where}, desiredCount ${desiredCount})`, () =>
      this.client.send(
        new UpdateServiceCommand({ cluster: this.cluster, service: this.service, desiredCount }),
      ),
    );
  }

  /** Tasks whose desired status is RUNNING (ListTasks' default), in ListTasks order. */
  async listTasks(): Promise<TaskInfo[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await callAws(`ECS ListTasks (${this.where})`, () =>
        this.client.send(
          new ListTasksCommand({ cluster: this.cluster, serviceName: this.service, nextToken }),
        ),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken || undefined;
    } while (nextToken !== undefined);

    const { tasks } = await this.describe(arns);
    const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
    return arns.flatMap((arn) => {
      const info = byArn.get(arn);
      return info === undefined ? [] : [info];
    });
  }

  async describeTasks(taskIds: readonly string[]): Promise<{ tasks: TaskInfo[]; missing: string[] }> {
    if (taskIds.some((id) => id.trim() === '')) throw new ValidationError('task ids must not be empty');
    const { tasks, missing } = await this.describe(taskIds);
    return { tasks, missing: missing.map(resourceName) };
  }

  /** DescribeTasks in batches; a task ECS no longer knows (failure reason MISSING) is reported, not thrown. */
  private async describe(refs: readonly string[]): Promise<{ tasks: TaskInfo[]; missing: string[] }> {
    const tasks: TaskInfo[] = [];
    const missing: string[] = [];
    for (const batch of chunk(refs, DESCRIBE_TASKS_BATCH)) {
      const out = await callAws(`ECS DescribeTasks (${this.where})`, () =>
        this.client.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: batch })),
      );
      // A task that stopped and aged out (e.g. between ListTasks and DescribeTasks) is MISSING: it is simply gone.
      const failures = out.failures ?? [];
      const other = failures.filter((f) => f.reason !== 'MISSING');
      if (other.length > 0) {
        throw new DependencyError(`ECS DescribeTasks (${this.where}): ${describeFailures(other)}`, false);
      }
      for (const f of failures) if (f.arn !== undefined) missing.push(f.arn);
      for (const task of out.tasks ?? []) {
        const taskArn = task.taskArn;
        if (taskArn !== undefined) tasks.push(toTaskInfo({ ...task, taskArn }));
      }
    }
    return { tasks, missing };
  }

  async stopTask(taskId: string, reason: string): Promise<void> {
    if (taskId.trim() === '') throw new ValidationError('taskId must not be empty');
    await callAws(`ECS StopTask ${taskId} (${this.where})`, () =>
      this.client.send(
        new StopTaskCommand({
          cluster: this.cluster,
          task: taskId,
          reason: reason.slice(0, MAX_STOP_REASON_LENGTH),
        }),
      ),
    );
  }

  async setTaskProtection(
    taskIds: readonly string[],
    enabled: boolean,
    expiresInMinutes?: number,
  ): Promise<void> {
    if (
      expiresInMinutes !== undefined &&
      (!Number.isInteger(expiresInMinutes) ||
        expiresInMinutes < 1 ||
        expiresInMinutes > MAX_PROTECTION_MINUTES)
    ) {
      throw new ValidationError(
        `expiresInMinutes must be an integer from 1 to ${MAX_PROTECTION_MINUTES}, got ${expiresInMinutes}`,
      );
    }
    if (taskIds.some((id) => id.trim() === '')) throw new ValidationError('task ids must not be empty');
    for (const batch of chunk(taskIds, TASK_PROTECTION_BATCH)) {
      const out = await callAws(`ECS UpdateTaskProtection (${this.where})`, () =>
        this.client.send(
          new UpdateTaskProtectionCommand({
            cluster: this.cluster,
            tasks: batch,
            protectionEnabled: enabled,
            ...(enabled && expiresInMinutes !== undefined ? { expiresInMinutes } : {}),
          }),
        ),
      );
      const failures = out.failures ?? [];
      if (failures.length > 0) {
        throw new DependencyError(
          `ECS UpdateTaskProtection (${this.where}, enabled=${enabled}): ${describeFailures(failures)}`,
          false,
        );
      }
    }
  }
}
