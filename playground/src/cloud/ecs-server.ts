/**
 * The local ECS's awsJson1_1 operations (X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>):
 * parse the JSON input, call the model, shape the output as ECS does (timestamps as epoch
 * seconds). Errors are thrown as EcsApiError; local-cloud.ts writes them to the wire.
 */
import * as z from 'zod';
import type { EcsModel, EcsService, EcsTask, TaskProtection } from './ecs-model';
import { EcsApiError } from './errors';
import {
  decodeToken,
  describeIssue,
  encodeToken,
  epochSeconds,
  fingerprint,
  optionalEpochSeconds,
} from './wire';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
export const ECS_CONTENT_TYPE = 'application/x-amz-json-1.1';

const DEFAULT_CLUSTER = 'default';
const MAX_LIST_RESULTS = 100;

const clusterRef = z.string().min(1).optional();
const refs = z.array(z.string().min(1));

const DescribeServicesInput = z.object({
  cluster: clusterRef,
  services: refs.min(1, 'Services cannot be empty.').max(10, 'Services must have at most 10 entries.'),
});
const UpdateServiceInput = z.object({
  cluster: clusterRef,
  service: z.string().min(1),
  desiredCount: z.number().int().optional(),
  taskDefinition: z.string().min(1).optional(),
  forceNewDeployment: z.boolean().optional(),
  deploymentConfiguration: z
    .object({
      minimumHealthyPercent: z.number().int().optional(),
      maximumPercent: z.number().int().optional(),
    })
    .optional(),
});
const ListClustersInput = z.object({
  maxResults: z.number().int().min(1).max(MAX_LIST_RESULTS).optional(),
  nextToken: z.string().min(1).optional(),
});
const ListTasksInput = z.object({
  cluster: clusterRef,
  serviceName: z.string().min(1).optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']).optional(),
  maxResults: z.number().int().min(1).max(MAX_LIST_RESULTS).optional(),
  nextToken: z.string().min(1).optional(),
  family: z.string().optional(),
  startedBy: z.string().optional(),
  containerInstance: z.string().optional(),
});
const DescribeTasksInput = z.object({
  cluster: clusterRef,
  tasks: refs.min(1, 'Tasks cannot be empty.').max(100, 'Tasks must have at most 100 entries.'),
});
const StopTaskInput = z.object({
  cluster: clusterRef,
  task: z.string().min(1),
  reason: z.string().optional(),
});
const UpdateTaskProtectionInput = z.object({
  cluster: z.string().min(1),
  tasks: refs,
  protectionEnabled: z.boolean(),
  expiresInMinutes: z.number().int().optional(),
});
const GetTaskProtectionInput = z.object({
  cluster: z.string().min(1),
  tasks: refs.optional(),
});

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new EcsApiError('InvalidParameterException', describeIssue(result.error));
  return result.data;
}

// ------------------------------------------------------------ output shapes

export function taskToWire(task: EcsTask): Record<string, unknown> {
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    group: task.group,
    startedBy: task.startedBy,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    healthStatus: task.healthStatus,
    version: task.version,
    createdAt: epochSeconds(task.createdAtMs),
    connectivity: task.connectivityAtMs === undefined ? undefined : 'CONNECTED',
    connectivityAt: optionalEpochSeconds(task.connectivityAtMs),
    pullStartedAt: optionalEpochSeconds(task.pullStartedAtMs),
    pullStoppedAt: optionalEpochSeconds(task.pullStoppedAtMs),
    startedAt: optionalEpochSeconds(task.startedAtMs),
    stoppingAt: optionalEpochSeconds(task.stoppingAtMs),
    stoppedAt: optionalEpochSeconds(task.stoppedAtMs),
    executionStoppedAt: optionalEpochSeconds(task.stoppedAtMs),
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    launchType: 'FARGATE',
    platformVersion: task.platformVersion,
    platformFamily: 'Linux',
    availabilityZone: task.availabilityZone,
    cpu: task.cpu,
    memory: task.memory,
    enableExecuteCommand: false,
    ephemeralStorage: { sizeInGiB: 20 },
    attachments: [],
    attributes: [],
    tags: [],
    containers: task.containers.map((c) => ({
      containerArn: c.containerArn,
      taskArn: task.taskArn,
      name: c.name,
      image: c.image,
      lastStatus: c.lastStatus,
      healthStatus: c.healthStatus,
      exitCode: c.exitCode,
      cpu: '0',
      networkBindings: [],
      networkInterfaces: [],
    })),
  };
}

export function serviceToWire(service: EcsService): Record<string, unknown> {
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: service.runningCount,
    pendingCount: service.pendingCount,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    platformFamily: 'Linux',
    taskDefinition: service.taskDefinitionArn,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      maximumPercent: service.deploymentConfiguration.maximumPercent,
      minimumHealthyPercent: service.deploymentConfiguration.minimumHealthyPercent,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    deployments: service.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinitionArn,
      desiredCount: d.desiredCount,
      pendingCount: d.pendingCount,
      runningCount: d.runningCount,
      failedTasks: d.failedTasks,
      createdAt: epochSeconds(d.createdAtMs),
      updatedAt: epochSeconds(d.updatedAtMs),
      launchType: 'FARGATE',
      platformVersion: service.platformVersion,
      platformFamily: 'Linux',
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
    })),
    events: service.events.map((e) => ({
      id: e.id,
      createdAt: epochSeconds(e.createdAtMs),
      message: e.message,
    })),
    loadBalancers: [],
    serviceRegistries: [],
    placementConstraints: [],
    placementStrategy: [],
    createdAt: epochSeconds(service.createdAtMs),
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
  };
}

function protectionToWire(p: TaskProtection): Record<string, unknown> {
  return {
    taskArn: p.taskArn,
    protectionEnabled: p.protectionEnabled,
    expirationDate: optionalEpochSeconds(p.expirationDateMs),
  };
}

// ------------------------------------------------------------ operations

interface ListToken {
  readonly o: number;
  readonly f: string;
}

/** One page of `all` after the request's nextToken; the token is bound to the request's filters. */
function page(
  all: readonly string[],
  filterPrint: string,
  input: { nextToken?: string | undefined; maxResults?: number | undefined },
): { arns: string[]; nextToken: string | undefined } {
  let offset = 0;
  if (input.nextToken !== undefined) {
    const token = decodeToken(input.nextToken) as Partial<ListToken> | undefined;
    if (!token || typeof token.o !== 'number' || token.f !== filterPrint || token.o < 0) {
      throw new EcsApiError('InvalidParameterException', 'Invalid nextToken.');
    }
    offset = token.o;
  }
  const limit = input.maxResults ?? MAX_LIST_RESULTS;
  const next = offset + limit < all.length ? encodeToken({ o: offset + limit, f: filterPrint }) : undefined;
  return { arns: all.slice(offset, offset + limit), nextToken: next };
}

function listTasks(model: EcsModel, input: z.infer<typeof ListTasksInput>): Record<string, unknown> {
  for (const unsupported of ['family', 'startedBy', 'containerInstance'] as const) {
    if (input[unsupported] !== undefined) {
      throw new EcsApiError(
        'InvalidParameterException',
        `The ${unsupported} filter is not supported by the local ECS.`,
      );
    }
  }
  const cluster = input.cluster ?? DEFAULT_CLUSTER;
  const all =
    input.launchType === undefined || input.launchType === 'FARGATE'
      ? model.listTaskArns(cluster, { serviceName: input.serviceName, desiredStatus: input.desiredStatus })
      : [];
  const filterPrint = fingerprint([cluster, input.serviceName, input.desiredStatus, input.launchType]);
  const { arns, nextToken } = page(all, filterPrint, input);
  return { taskArns: arns, nextToken };
}

/** Runs one ECS operation. Throws EcsApiError (UnknownOperationException for unknown ones). */
export function handleEcsOperation(
  model: EcsModel,
  operation: string,
  input: unknown,
): Record<string, unknown> {
  switch (operation) {
    case 'DescribeServices': {
      const { cluster = DEFAULT_CLUSTER, services } = parse(DescribeServicesInput, input);
      const found: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const ref of services) {
        const service = model.findService(cluster, ref);
        if (service) found.push(serviceToWire(service));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : model.serviceArn(cluster, ref),
            reason: 'MISSING',
          });
      }
      return { services: found, failures };
    }
    case 'UpdateService': {
      const { cluster = DEFAULT_CLUSTER, service, ...update } = parse(UpdateServiceInput, input);
      return { service: serviceToWire(model.updateService(cluster, service, update)) };
    }
    case 'ListClusters': {
      const request = parse(ListClustersInput, input);
      const { arns, nextToken } = page(model.listClusterArns(), fingerprint(['clusters']), request);
      return { clusterArns: arns, nextToken };
    }
    case 'ListTasks':
      return listTasks(model, parse(ListTasksInput, input));
    case 'DescribeTasks': {
      const { cluster = DEFAULT_CLUSTER, tasks } = parse(DescribeTasksInput, input);
      const found: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const ref of tasks) {
        const task = model.describeTask(cluster, ref);
        if (task) found.push(taskToWire(task));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : model.taskArn(cluster, ref),
            reason: 'MISSING',
          });
      }
      return { tasks: found, failures };
    }
    case 'StopTask': {
      const { cluster = DEFAULT_CLUSTER, task, reason } = parse(StopTaskInput, input);
      return { task: taskToWire(model.stopTask(cluster, task, reason)) };
    }
    case 'UpdateTaskProtection': {
      const { cluster, tasks, protectionEnabled, expiresInMinutes } = parse(UpdateTaskProtectionInput, input);
      const out = model.updateTaskProtection(cluster, tasks, protectionEnabled, expiresInMinutes);
      return { protectedTasks: out.protectedTasks.map(protectionToWire), failures: out.failures };
    }
    case 'GetTaskProtection': {
      const { cluster, tasks } = parse(GetTaskProtectionInput, input);
      const out = model.getTaskProtection(cluster, tasks);
      return { protectedTasks: out.protectedTasks.map(protectionToWire), failures: out.failures };
    }
    default:
      throw new EcsApiError(
        'UnknownOperationException',
        `Operation ${operation} is not supported by the local ECS.`,
      );
  }
}
