/**
 * The EventBridge "ECS Task State Change" event of a task, in the shape ECS delivers it
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html): the
 * detail resembles the DescribeTasks Task object, but its timestamps are ISO strings and it
 * carries no health — "Task state change events don't include health status; if you need the
 * task health, you can run describe-tasks". Neither the task nor its containers have a
 * `healthStatus` here; the documented container fields are containerArn, exitCode (once
 * stopped), lastStatus, name, image, runtimeId, taskArn, networkInterfaces, cpu and memory.
 * Pure functions over a task snapshot.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { EcsTask, StopCode } from './ecs-model';

export interface EcsContainerStateDetail {
  readonly containerArn: string;
  readonly name: string;
  readonly taskArn: string;
  readonly image: string;
  readonly lastStatus: string;
  readonly exitCode?: number;
  readonly runtimeId?: string;
  readonly networkInterfaces: readonly never[];
  readonly cpu: string;
}

export interface EcsTaskStateChangeDetail {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly group: string;
  readonly startedBy: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  /** Incremented on every change of the task; consumers drop events older than what they saw. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly connectivity?: string;
  readonly connectivityAt?: string;
  readonly pullStartedAt?: string;
  readonly pullStoppedAt?: string;
  readonly startedAt?: string;
  readonly stoppingAt?: string;
  readonly stoppedAt?: string;
  readonly executionStoppedAt?: string;
  readonly stoppedReason?: string;
  readonly stopCode?: StopCode;
  readonly containers: readonly EcsContainerStateDetail[];
  readonly launchType: 'FARGATE';
  readonly platformVersion: string;
  readonly availabilityZone: string;
  readonly cpu: string;
  readonly memory: string;
  readonly attachments: readonly never[];
}

export type EcsTaskStateChangeEvent = EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>;

/** An ISO timestamp with milliseconds, as in the event detail. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** An ISO timestamp without milliseconds, as in the event envelope's `time`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function optionalIso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : isoMillis(ms);
}

/** Drops keys whose value is undefined, so the event JSON has no `null`-like holes. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function taskStateChangeDetail(task: EcsTask): EcsTaskStateChangeDetail {
  return compact<EcsTaskStateChangeDetail>({
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    group: task.group,
    startedBy: task.startedBy,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    version: task.version,
    createdAt: isoMillis(task.createdAtMs),
    updatedAt: isoMillis(task.updatedAtMs),
    connectivity: task.connectivityAtMs === undefined ? undefined : 'CONNECTED',
    connectivityAt: optionalIso(task.connectivityAtMs),
    pullStartedAt: optionalIso(task.pullStartedAtMs),
    pullStoppedAt: optionalIso(task.pullStoppedAtMs),
    startedAt: optionalIso(task.startedAtMs),
    stoppingAt: optionalIso(task.stoppingAtMs),
    stoppedAt: optionalIso(task.stoppedAtMs),
    executionStoppedAt: optionalIso(task.stoppedAtMs),
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    containers: task.containers.map((c) =>
      compact<EcsContainerStateDetail>({
        containerArn: c.containerArn,
        name: c.name,
        taskArn: task.taskArn,
        image: c.image,
        lastStatus: c.lastStatus,
        exitCode: c.exitCode,
        runtimeId: c.lastStatus === 'PENDING' ? undefined : `${task.taskId}-${c.name}`,
        networkInterfaces: [],
        cpu: '0',
      }),
    ),
    launchType: 'FARGATE',
    platformVersion: task.platformVersion,
    availabilityZone: task.availabilityZone,
    cpu: task.cpu,
    memory: task.memory,
    attachments: [],
  });
}

export function taskStateChangeEvent(
  task: EcsTask,
  meta: { readonly id: string; readonly account: string; readonly region: string },
): EcsTaskStateChangeEvent {
  return {
    version: '0',
    id: meta.id,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: meta.account,
    time: isoSeconds(task.updatedAtMs),
    region: meta.region,
    resources: [task.taskArn],
    detail: taskStateChangeDetail(task),
  };
}
