import {
  type Deployment,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ECSClient,
  ListTasksCommand,
  type ListTasksCommandInput,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { resourceName } from '../../../lib/aws/arn';
import { EcsServiceController } from '../../../lib/aws/ecs-service';
import { DependencyError, ValidationError } from '../../../lib/core/errors';

const CLUSTER = 'flink-cluster';
const SERVICE = 'taskmanagers';

function arn(id: string): string {
  return `arn:aws:ecs:us-east-1:123456789012:task/${CLUSTER}/${id}`;
}

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });
}

describe('Class: EcsServiceController', () => {
  const client = new ECSClient({ region: 'us-east-1' });
  const ecs = mockClient(client);
  const controller = new EcsServiceController(client, CLUSTER, SERVICE);

  beforeEach(() => {
    ecs.reset();
  });

  it('knows the names of its cluster and service, given names or ARNs', () => {
    expect([controller.clusterName, controller.serviceName]).toEqual([CLUSTER, SERVICE]);
    const byArn = new EcsServiceController(
      client,
      `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}`,
      `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/${SERVICE}`,
    );
    expect([byArn.clusterName, byArn.serviceName]).toEqual([CLUSTER, SERVICE]);
  });

  describe('describeService', () => {
    it('reads the counts and status of the bound service', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          {
            serviceName: SERVICE,
            desiredCount: 4,
            runningCount: 3,
            pendingCount: 1,
            status: 'ACTIVE',
            deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
          },
        ],
        failures: [],
      });

      // Act
      const state = await controller.describeService();

      // Assess
      expect(state).toEqual({
        desiredCount: 4,
        runningCount: 3,
        pendingCount: 1,
        deploymentInProgress: false,
        status: 'ACTIVE',
      });
      expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
        cluster: CLUSTER,
        services: [SERVICE],
      });
    });

    it.each<{ name: string; deployments: Deployment[]; inProgress: boolean }>([
      {
        name: 'one completed primary',
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
        inProgress: false,
      },
      {
        name: 'a primary still rolling out',
        deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }],
        inProgress: true,
      },
      {
        name: 'a primary and an active (old) deployment',
        deployments: [
          { status: 'PRIMARY', rolloutState: 'COMPLETED' },
          { status: 'ACTIVE', rolloutState: 'COMPLETED' },
        ],
        inProgress: true,
      },
      {
        name: 'a failed primary alone',
        deployments: [{ status: 'PRIMARY', rolloutState: 'FAILED' }],
        inProgress: false,
      },
      { name: 'a primary without rollout state', deployments: [{ status: 'PRIMARY' }], inProgress: false },
      { name: 'no deployments', deployments: [], inProgress: false },
    ])('says deploymentInProgress=$inProgress for $name', async ({ deployments, inProgress }) => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [{ desiredCount: 2, runningCount: 2, pendingCount: 0, status: 'ACTIVE', deployments }],
      });

      // Act
      const state = await controller.describeService();

      // Assess
      expect(state.deploymentInProgress).toBe(inProgress);
    });

    it('fails with a DependencyError naming cluster and service when ECS reports the service MISSING', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [],
        failures: [
          { arn: `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/${SERVICE}`, reason: 'MISSING' },
        ],
      });

      // Act
      const failure = await controller.describeService().catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).message).toContain(CLUSTER);
      expect((failure as DependencyError).message).toContain(SERVICE);
      expect((failure as DependencyError).message).toContain('MISSING');
    });

    it('fails with a DependencyError when no service comes back at all', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({});

      // Act
      const failure = await controller.describeService().catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).message).toContain(`service ${SERVICE} in cluster ${CLUSTER}`);
    });
  });

  describe('setDesiredCount', () => {
    it('sends UpdateService with only cluster, service and the absolute desired count', async () => {
      // Prepare
      ecs.on(UpdateServiceCommand).resolves({});

      // Act
      await controller.setDesiredCount(7);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        service: SERVICE,
        desiredCount: 7,
      });
    });

    it('sends the absolute count whatever ECS holds now, without reading it (never an increment)', async () => {
      // Prepare: ECS holds 9; an increment would have to read it.
      ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, desiredCount: 9 }] });
      ecs.on(UpdateServiceCommand).resolves({});

      // Act
      await controller.setDesiredCount(5);
      await controller.setDesiredCount(5);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 0);
      const counts = ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.desiredCount);
      expect(counts).toEqual([5, 5]);
    });

    it('accepts zero', async () => {
      // Prepare
      ecs.on(UpdateServiceCommand).resolves({});

      // Act
      await controller.setDesiredCount(0);

      // Assess
      expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { desiredCount: 0 });
    });

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects %s with a ValidationError before calling ECS',
      async (count) => {
        // Act
        const failure = await controller.setDesiredCount(count).catch((e: unknown) => e);

        // Assess
        expect(failure).toBeInstanceOf(ValidationError);
        expect(ecs).not.toHaveReceivedAnyCommand();
      },
    );

    it.each([
      { name: 'ThrottlingException', error: sdkError('ThrottlingException'), throttled: true },
      { name: 'ServerException', error: sdkError('ServerException'), throttled: false },
      { name: 'ServiceNotActiveException', error: sdkError('ServiceNotActiveException'), throttled: false },
    ])('maps $name to a DependencyError with throttled=$throttled', async ({ error, throttled }) => {
      // Prepare
      ecs.on(UpdateServiceCommand).rejects(error);

      // Act
      const failure = await controller.setDesiredCount(3).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).throttled).toBe(throttled);
      expect((failure as DependencyError).cause).toBe(error);
    });
  });

  describe('listTasks', () => {
    it('pages ListTasks by service name and describes the tasks in batches of 100', async () => {
      // Prepare: 250 tasks over two ListTasks pages.
      const ids = Array.from({ length: 250 }, (_, i) => `task${String(i).padStart(3, '0')}`);
      ecs
        .on(ListTasksCommand)
        .callsFake((input: ListTasksCommandInput) =>
          input.nextToken === undefined
            ? { taskArns: ids.slice(0, 180).map(arn), nextToken: 'more' }
            : { taskArns: ids.slice(180).map(arn) },
        );
      ecs.on(DescribeTasksCommand).callsFake((input: DescribeTasksCommandInput) => ({
        // ECS does not promise the order of its answer.
        tasks: [...(input.tasks ?? [])].reverse().map((taskArn) => ({
          taskArn,
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          group: `service:${SERVICE}`,
        })),
      }));

      // Act
      const tasks = await controller.listTasks();

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(ListTasksCommand, 2);
      expect(ecs).toHaveReceivedNthCommandWith(ListTasksCommand, 1, {
        cluster: CLUSTER,
        serviceName: SERVICE,
      });
      expect(ecs).toHaveReceivedNthCommandWith(ListTasksCommand, 2, {
        serviceName: SERVICE,
        nextToken: 'more',
      });
      const batches = ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length);
      expect(batches).toEqual([100, 100, 50]);
      expect(tasks.map((t) => t.taskId)).toEqual(ids);
      expect(tasks[0]).toEqual({
        taskArn: arn('task000'),
        taskId: 'task000',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
        group: `service:${SERVICE}`,
      });
    });

    it('maps times, stop reason and absent statuses', async () => {
      // Prepare
      const startedAt = new Date('2026-01-01T00:00:10Z');
      const createdAt = new Date('2026-01-01T00:00:00Z');
      ecs.on(ListTasksCommand).resolves({ taskArns: [arn('a'), arn('b')] });
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          {
            taskArn: arn('a'),
            lastStatus: 'STOPPED',
            desiredStatus: 'STOPPED',
            healthStatus: 'UNHEALTHY',
            startedAt,
            createdAt,
            stoppedReason: 'Essential container exited',
            version: 7,
          },
          { taskArn: arn('b') },
        ],
      });

      // Act
      const [a, b] = await controller.listTasks();

      // Assess: ECS's version counter is carried (events not newer than it are stale).
      expect(a).toMatchObject({
        taskId: 'a',
        lastStatus: 'STOPPED',
        healthStatus: 'UNHEALTHY',
        version: 7,
        startedAt,
        createdAt,
        stoppedReason: 'Essential container exited',
      });
      expect(b).toEqual({
        taskArn: arn('b'),
        taskId: 'b',
        lastStatus: 'UNKNOWN',
        desiredStatus: 'UNKNOWN',
        healthStatus: 'UNKNOWN',
      });
    });

    it('skips a task that vanished between ListTasks and DescribeTasks', async () => {
      // Prepare
      ecs.on(ListTasksCommand).resolves({ taskArns: [arn('a'), arn('gone')] });
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [{ taskArn: arn('a'), lastStatus: 'RUNNING' }],
        failures: [{ arn: arn('gone'), reason: 'MISSING' }],
      });

      // Act
      const tasks = await controller.listTasks();

      // Assess
      expect(tasks.map((t) => t.taskId)).toEqual(['a']);
    });

    it('fails with a DependencyError on any other DescribeTasks failure', async () => {
      // Prepare
      ecs.on(ListTasksCommand).resolves({ taskArns: [arn('a')] });
      ecs
        .on(DescribeTasksCommand)
        .resolves({ tasks: [], failures: [{ arn: arn('a'), reason: 'ACCESS_DENIED' }] });

      // Act
      const failure = await controller.listTasks().catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).message).toContain('ACCESS_DENIED');
    });

    it('makes no DescribeTasks call when the service has no tasks', async () => {
      // Prepare
      ecs.on(ListTasksCommand).resolves({ taskArns: [] });

      // Act
      const tasks = await controller.listTasks();

      // Assess
      expect(tasks).toEqual([]);
      expect(ecs).not.toHaveReceivedCommand(DescribeTasksCommand);
    });
  });

  describe('describeTasks', () => {
    it('describes the given tasks in batches of 100, and reports those ECS no longer knows', async () => {
      // Prepare
      const ids = Array.from({ length: 101 }, (_, i) => `t${i}`);
      ecs
        .on(DescribeTasksCommand)
        .resolvesOnce({
          tasks: [{ taskArn: arn('t0'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }],
          failures: [{ arn: arn('t1'), reason: 'MISSING' }],
        })
        .resolvesOnce({ tasks: [{ taskArn: arn('t100'), lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }] });

      // Act
      const out = await controller.describeTasks(ids);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTasksCommand, 2);
      expect(ecs).toHaveReceivedNthCommandWith(DescribeTasksCommand, 1, {
        cluster: CLUSTER,
        tasks: ids.slice(0, 100),
      });
      expect(ecs).toHaveReceivedNthCommandWith(DescribeTasksCommand, 2, {
        cluster: CLUSTER,
        tasks: ['t100'],
      });
      expect(out.tasks.map((t) => [t.taskId, t.lastStatus])).toEqual([
        ['t0', 'RUNNING'],
        ['t100', 'STOPPED'],
      ]);
      expect(out.missing).toEqual(['t1']);
    });

    it('fails with a DependencyError on any other failure, and rejects an empty id before calling', async () => {
      // Prepare
      ecs.on(DescribeTasksCommand).resolves({ failures: [{ arn: arn('a'), reason: 'ACCESS_DENIED' }] });

      // Act
      const failure = await controller.describeTasks(['a']).catch((e: unknown) => e);
      const invalid = await controller.describeTasks(['a', ' ']).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as Error).message).toContain('ACCESS_DENIED');
      expect(invalid).toBeInstanceOf(ValidationError);
      expect(ecs).toHaveReceivedCommandTimes(DescribeTasksCommand, 1);
    });
  });

  describe('stopTask', () => {
    it('stops the task in the bound cluster with the reason', async () => {
      // Prepare
      ecs.on(StopTaskCommand).resolves({});

      // Act
      await controller.stopTask('abc123', 'hung TaskManager: no heartbeat for 180 s');

      // Assess
      expect(ecs).toHaveReceivedCommandExactlyOnceWith(StopTaskCommand, {
        cluster: CLUSTER,
        task: 'abc123',
        reason: 'hung TaskManager: no heartbeat for 180 s',
      });
    });

    it('cuts the reason to the 255 characters ECS accepts', async () => {
      // Prepare
      ecs.on(StopTaskCommand).resolves({});

      // Act
      await controller.stopTask('abc123', 'x'.repeat(400));

      // Assess
      expect(ecs.commandCalls(StopTaskCommand)[0]?.args[0].input.reason).toHaveLength(255);
    });
  });

  describe('setTaskProtection', () => {
    it('protects at most 10 tasks per UpdateTaskProtection call', async () => {
      // Prepare
      ecs.on(UpdateTaskProtectionCommand).resolves({ failures: [] });
      const ids = Array.from({ length: 23 }, (_, i) => `t${i}`);

      // Act
      await controller.setTaskProtection(ids, true, 60);

      // Assess
      const calls = ecs.commandCalls(UpdateTaskProtectionCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.tasks?.length)).toEqual([10, 10, 3]);
      expect(calls.flatMap((c) => c.tasks)).toEqual(ids);
      for (const input of calls) {
        expect(input).toEqual(
          expect.objectContaining({ cluster: CLUSTER, protectionEnabled: true, expiresInMinutes: 60 }),
        );
      }
    });

    it('clears protection without an expiry', async () => {
      // Prepare
      ecs.on(UpdateTaskProtectionCommand).resolves({});

      // Act
      await controller.setTaskProtection(['t1'], false, 60);

      // Assess
      expect(ecs.commandCalls(UpdateTaskProtectionCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        tasks: ['t1'],
        protectionEnabled: false,
      });
    });

    it('fails with a DependencyError naming the tasks ECS could not protect', async () => {
      // Prepare
      ecs
        .on(UpdateTaskProtectionCommand)
        .resolves({ failures: [{ arn: arn('t2'), reason: 'TASK_NOT_VALID' }] });

      // Act
      const failure = await controller.setTaskProtection(['t1', 't2'], true, 30).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).message).toContain(arn('t2'));
      expect((failure as DependencyError).message).toContain('TASK_NOT_VALID');
    });

    it('makes no call for no tasks', async () => {
      // Act
      await controller.setTaskProtection([], true, 30);

      // Assess
      expect(ecs).not.toHaveReceivedAnyCommand();
    });

    it.each([0, 2881, 1.5])('rejects expiresInMinutes=%s with a ValidationError', async (minutes) => {
      // Act
      const failure = await controller.setTaskProtection(['t1'], true, minutes).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ValidationError);
      expect(ecs).not.toHaveReceivedAnyCommand();
    });
  });
});

describe('Function: resourceName', () => {
  it.each([
    { arn: 'arn:aws:ecs:us-east-1:123456789012:task/flink/0123456789abcdef', id: '0123456789abcdef' },
    { arn: 'arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef', id: '0123456789abcdef' },
    { arn: '0123456789abcdef', id: '0123456789abcdef' },
  ])('takes the last segment of $arn', ({ arn: taskArn, id }) => {
    expect(resourceName(taskArn)).toBe(id);
  });
});
