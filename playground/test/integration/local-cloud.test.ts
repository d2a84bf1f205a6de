import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  InvalidNextToken,
  InvalidParameterValueException,
  type MetricDataQuery,
  PutMetricDataCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  GetTaskProtectionCommand,
  InvalidParameterException,
  ListTasksCommand,
  ServiceNotFoundException,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeEvent } from '../../src/cloud/ecs-events';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';
import { localCloudRequestHandler } from '../../src/cloud/request-handler';

const T0 = Date.UTC(2025, 0, 1);
const S = 1000;
const MIN = 60 * S;
const CLUSTER = 'flink';
const SERVICE = 'taskmanagers';
const TASK_ARN = /^arn:aws:ecs:us-east-1:123456789012:task\/flink\/[0-9a-f]{32}$/;
const NS = 'FlinkAutoscaler/Seed';

let now = T0;
let cloud: LocalCloud;
let ecs: ECSClient;
let cloudwatch: CloudWatchClient;
let events: EcsTaskStateChangeEvent[];

function clientConfig(maxAttempts = 1) {
  return {
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts,
  };
}

/** Moves the simulated clock and the ECS model forward. */
function advance(seconds: number): void {
  now += seconds * S;
  cloud.ecs.step(now);
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error as Error & Record<string, unknown>;
    throw error;
  }
  throw new Error('expected the call to fail');
}

beforeEach(async () => {
  now = T0;
  cloud = await startLocalCloud({
    clock: () => now,
    ecs: { seed: 11, startupSeconds: 60 },
    cloudwatchIngestionDelaySeconds: 120,
  });
  events = [];
  cloud.ecs.onTaskStateChange((e) => events.push(e));
  cloud.ecs.createService({
    cluster: CLUSTER,
    serviceName: SERVICE,
    desiredCount: 2,
    initialTasksRunning: true,
  });
  ecs = new ECSClient(clientConfig());
  cloudwatch = new CloudWatchClient(clientConfig());
});

afterEach(async () => {
  ecs.destroy();
  cloudwatch.destroy();
  await cloud.close();
});

describe('Local cloud: ECS over awsJson1_1', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(cloud.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('describes the service with its counts and one PRIMARY COMPLETED deployment, and reports unknown ones as MISSING', async () => {
    // Act
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE, 'nope'] }),
    );

    // Assess
    const service = out.services?.[0];
    expect(service).toMatchObject({
      serviceName: SERVICE,
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/flink/taskmanagers',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/flink',
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
    });
    expect(service?.createdAt).toEqual(new Date(T0));
    expect(service?.deployments).toHaveLength(1);
    expect(service?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'COMPLETED',
      desiredCount: 2,
    });
    expect(out.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:service/flink/nope', reason: 'MISSING' },
    ]);
  });

  it('scales out with UpdateService; the new tasks reach RUNNING after startupSeconds of steps', async () => {
    // Act
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 4 }),
    );
    advance(30);
    const halfway = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    advance(30);
    const done = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    const listed = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: listed.taskArns }));

    // Assess
    expect(updated.service).toMatchObject({ desiredCount: 4, runningCount: 2, pendingCount: 2 });
    expect(halfway.services?.[0]).toMatchObject({ runningCount: 2, pendingCount: 2 });
    expect(done.services?.[0]).toMatchObject({ desiredCount: 4, runningCount: 4, pendingCount: 0 });
    expect(listed.taskArns).toHaveLength(4);
    for (const arn of listed.taskArns ?? []) expect(arn).toMatch(TASK_ARN);
    const newest = described.tasks?.at(-1);
    expect(newest).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'service:taskmanagers',
    });
    expect(newest?.createdAt).toEqual(new Date(T0));
    expect(newest?.startedAt).toEqual(new Date(T0 + 60 * S));
    expect(described.failures).toEqual([]);
  });

  it('scales in around protected tasks and reports protection through Get/UpdateTaskProtection', async () => {
    // Prepare
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 3 }));
    advance(60);
    const arns =
      (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }))).taskArns ?? [];
    const [unprotected, ...kept] = arns;

    // Act
    const protection = await ecs.send(
      new UpdateTaskProtectionCommand({
        cluster: CLUSTER,
        tasks: kept,
        protectionEnabled: true,
        expiresInMinutes: 30,
      }),
    );
    const got = await ecs.send(new GetTaskProtectionCommand({ cluster: CLUSTER, tasks: arns }));
    const scaled = await ecs.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 1 }),
    );
    const remaining = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }));

    // Assess
    expect(protection.protectedTasks?.map((t) => [t.taskArn, t.protectionEnabled, t.expirationDate])).toEqual(
      kept.map((arn) => [arn, true, new Date(T0 + 60 * S + 30 * MIN)]),
    );
    expect(got.protectedTasks?.map((t) => t.protectionEnabled)).toEqual([false, true, true]);
    expect(scaled.service).toMatchObject({ desiredCount: 1, runningCount: 2 });
    expect(remaining.taskArns).toEqual(kept);
    const stopped = await ecs.send(
      new DescribeTasksCommand({ cluster: CLUSTER, tasks: [unprotected ?? ''] }),
    );
    expect(stopped.tasks?.[0]?.lastStatus).toBe('STOPPED');
  });

  it('marks a hung task UNHEALTHY after three failed checks, replaces it, then stops it; events carry no health', async () => {
    // Prepare
    const [hungArn, otherArn] =
      (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }))).taskArns ?? [];
    cloud.ecs.hang(hungArn ?? '');

    // Act
    advance(20);
    const afterTwo = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [hungArn ?? ''] }));
    advance(10);
    const afterThree = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [hungArn ?? ''] }));
    const replacing = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }));
    advance(70);
    const replaced = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [hungArn ?? ''] }));
    const running = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE }));

    // Assess: health only in DescribeTasks; the replacement starts first (maximumPercent 200)
    // and the unhealthy task stops once it is HEALTHY (RUNNING at 90 s, checked at 100 s).
    expect(afterTwo.tasks?.[0]).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'HEALTHY' });
    expect(afterThree.tasks?.[0]).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' });
    expect(afterThree.tasks?.[0]?.containers?.[0]?.healthStatus).toBe('UNHEALTHY');
    expect(replacing.taskArns).toHaveLength(3);
    expect(replaced.tasks?.[0]).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
    });
    expect(running.taskArns).toHaveLength(2);
    expect(running.taskArns).toContain(otherArn);
    expect(running.taskArns).not.toContain(hungArn);
    const hungEvents = events.filter((e) => e.detail.taskArn === hungArn);
    expect(hungEvents.map((e) => [e.detail.lastStatus, e.detail.version])).toEqual([
      ['RUNNING', 1],
      ['STOPPED', 2],
    ]);
    expect(events.every((e) => !('healthStatus' in e.detail))).toBe(true);
  });

  it('stops a task with StopTask and replaces it; STOPPED tasks are listed with desiredStatus STOPPED', async () => {
    // Prepare
    const [victim] = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER }))).taskArns ?? [];

    // Act
    const stopped = await ecs.send(
      new StopTaskCommand({ cluster: CLUSTER, task: victim, reason: 'operator' }),
    );
    const listedStopped = await ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED' }),
    );
    const service = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));

    // Assess
    expect(stopped.task).toMatchObject({ taskArn: victim, lastStatus: 'STOPPED', stoppedReason: 'operator' });
    expect(stopped.task?.stoppedAt).toEqual(new Date(T0));
    expect(listedStopped.taskArns).toEqual([victim]);
    expect(service.services?.[0]).toMatchObject({ desiredCount: 2, runningCount: 1, pendingCount: 1 });
  });

  it('pages ListTasks with maxResults and nextToken', async () => {
    // Prepare
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 5 }));

    // Act
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE, maxResults: 2, nextToken }),
      );
      pages.push(page.taskArns ?? []);
      nextToken = page.nextToken;
    } while (nextToken);

    // Assess
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat()).size).toBe(5);
    const bad = await rejection(ecs.send(new ListTasksCommand({ cluster: CLUSTER, nextToken: 'garbage' })));
    expect(bad).toBeInstanceOf(InvalidParameterException);
  });

  it('answers unknown clusters, services and bad parameters with the modelled ECS exceptions', async () => {
    // Act
    const noService = await rejection(
      ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'nope', desiredCount: 1 })),
    );
    const noCluster = await rejection(
      ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: [SERVICE] })),
    );
    const negative = await rejection(
      ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: -1 })),
    );
    const noTask = await rejection(ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: 'ffff' })));

    // Assess
    expect(noService).toBeInstanceOf(ServiceNotFoundException);
    expect(noService.name).toBe('ServiceNotFoundException');
    expect(noService.message).toBe('Service not found.');
    expect(noCluster).toBeInstanceOf(ClusterNotFoundException);
    expect(negative).toBeInstanceOf(InvalidParameterException);
    expect(noTask).toBeInstanceOf(InvalidParameterException);
    expect(noTask.$metadata).toMatchObject({ httpStatusCode: 400 });
  });

  it('surfaces an injected throttle as ThrottlingException, then serves normally; the SDK retries it', async () => {
    // Prepare
    cloud.injectFault({ service: 'ecs', operation: 'DescribeServices', error: 'ThrottlingException' });

    // Act
    const throttled = await rejection(
      ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] })),
    );
    const ok = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    cloud.injectFault({ service: 'ecs', error: 'ThrottlingException', times: 1 });
    const retrying = new ECSClient(clientConfig(2));
    const retried = await retrying.send(
      new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }),
    );
    retrying.destroy();

    // Assess
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.$metadata).toMatchObject({ httpStatusCode: 400 });
    expect(ok.services).toHaveLength(1);
    expect(retried.$metadata.attempts).toBe(2);
    expect(cloud.requests.map((r) => [r.operation, r.status, r.errorCode])).toEqual([
      ['DescribeServices', 400, 'ThrottlingException'],
      ['DescribeServices', 200, undefined],
      ['DescribeServices', 400, 'ThrottlingException'],
      ['DescribeServices', 200, undefined],
    ]);
  });
});

describe('Local cloud: CloudWatch over awsJson1_0 (query-compatible)', () => {
  const dims = [
    { Name: 'ClusterName', Value: 'flink' },
    { Name: 'TaskId', Value: 'abc' },
  ];

  function statQuery(id: string, stat: string, period = 300, dimensions = dims): MetricDataQuery {
    return {
      Id: id,
      MetricStat: {
        Metric: { Namespace: NS, MetricName: 'task_duration', Dimensions: dimensions },
        Period: period,
        Stat: stat,
      },
    };
  }

  async function putMinutes(values: readonly number[], startMs = T0): Promise<void> {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NS,
        MetricData: values.map((v, i) => ({
          MetricName: 'task_duration',
          Dimensions: dims,
          Timestamp: new Date(startMs + i * MIN),
          Value: v,
          Unit: 'Seconds',
        })),
      }),
    );
  }

  it('aggregates PutMetricData points per period for every statistic', async () => {
    // Prepare
    now = T0 + 10 * MIN;
    await putMinutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    now += 2 * MIN;

    // Act
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0),
        EndTime: new Date(T0 + 10 * MIN),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          statQuery('avg', 'Average'),
          statQuery('sum', 'Sum'),
          statQuery('min', 'Minimum'),
          statQuery('max', 'Maximum'),
          statQuery('n', 'SampleCount'),
          statQuery('p90', 'p90'),
          { ...statQuery('hidden', 'Average'), ReturnData: false },
        ],
      }),
    );

    // Assess
    const byId = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r.Values]));
    expect(byId).toEqual({ avg: [3, 8], sum: [15, 40], min: [1, 6], max: [5, 10], n: [5, 5], p90: [5, 10] });
    expect(out.MetricDataResults?.[0]).toMatchObject({
      Label: 'task_duration',
      StatusCode: 'Complete',
      Timestamps: [new Date(T0), new Date(T0 + 5 * MIN)],
    });
    expect(out.NextToken).toBeUndefined();
  });

  it('stores Values/Counts distributions and StatisticValues sets sent with PutMetricData', async () => {
    // Prepare
    now = T0 + 5 * MIN;
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NS,
        MetricData: [
          {
            MetricName: 'task_duration',
            Dimensions: dims,
            Timestamp: new Date(T0),
            Values: [1, 10],
            Counts: [3, 1],
          },
          {
            MetricName: 'task_duration',
            Dimensions: dims,
            Timestamp: new Date(T0 + 30 * S),
            StatisticValues: { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 },
          },
        ],
      }),
    );
    now += 2 * MIN;

    // Act
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0),
        EndTime: new Date(T0 + MIN),
        MetricDataQueries: [
          statQuery('n', 'SampleCount', 60),
          statQuery('sum', 'Sum', 60),
          statQuery('max', 'Maximum', 60),
        ],
      }),
    );

    // Assess
    expect(out.MetricDataResults?.map((r) => [r.Id, r.Values])).toEqual([
      ['n', [8]],
      ['sum', [33]],
      ['max', [10]],
    ]);
  });

  it('hides points until the ingestion delay has passed, and returns newest first by default', async () => {
    // Prepare
    now = T0 + 5 * MIN;
    await putMinutes([1, 2, 3, 4, 5]);
    const request: GetMetricDataCommandInput = {
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 5 * MIN),
      MetricDataQueries: [statQuery('q', 'Average', 60)],
    };

    // Act
    const early = await cloudwatch.send(new GetMetricDataCommand(request));
    now += 2 * MIN;
    const late = await cloudwatch.send(new GetMetricDataCommand(request));

    // Assess
    expect(early.MetricDataResults?.[0]?.Values).toEqual([]);
    expect(late.MetricDataResults?.[0]?.Values).toEqual([5, 4, 3, 2, 1]);
    expect(late.MetricDataResults?.[0]?.Timestamps?.[0]).toEqual(new Date(T0 + 4 * MIN));
  });

  it('matches dimensions exactly: a query with fewer dimensions finds nothing', async () => {
    // Prepare
    now = T0 + 5 * MIN;
    await putMinutes([1, 2]);
    now += 10 * MIN;

    // Act
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0),
        EndTime: new Date(now),
        MetricDataQueries: [
          statQuery('partial', 'Sum', 60, [{ Name: 'TaskId', Value: 'abc' }]),
          statQuery('full', 'Sum', 60),
        ],
      }),
    );

    // Assess
    expect(out.MetricDataResults?.map((r) => [r.Id, r.Values])).toEqual([
      ['partial', []],
      ['full', [2, 1]],
    ]);
  });

  it('pages with NextToken and PartialData when a response would exceed MaxDatapoints', async () => {
    // Prepare
    now = T0 + 10 * MIN;
    await putMinutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    now += 5 * MIN;
    const base = {
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 10 * MIN),
      ScanBy: 'TimestampAscending' as const,
      MaxDatapoints: 4,
      MetricDataQueries: [statQuery('a', 'Average', 60), statQuery('b', 'Sum', 120)],
    };

    // Act
    const pages: GetMetricDataCommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(new GetMetricDataCommand({ ...base, NextToken: token }));
      pages.push(page);
      token = page.NextToken;
    } while (token);

    // Assess
    expect(
      pages.map((p) => p.MetricDataResults?.map((r) => `${r.Id}:${r.StatusCode}:${r.Values?.length}`)),
    ).toEqual([
      ['a:PartialData:4', 'b:PartialData:0'],
      ['a:PartialData:4', 'b:PartialData:0'],
      ['a:Complete:2', 'b:PartialData:2'],
      ['a:Complete:0', 'b:Complete:3'],
    ]);
    const merged = (id: string) =>
      pages.flatMap((p) => p.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []);
    expect(merged('a')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(merged('b')).toEqual([3, 7, 11, 15, 19]);
    const bad = await rejection(
      cloudwatch.send(new GetMetricDataCommand({ ...base, NextToken: 'nonsense' })),
    );
    expect(bad).toBeInstanceOf(InvalidNextToken);
  });

  it('rejects more than 500 queries with CloudWatch ValidationError', async () => {
    // Prepare
    const queries = Array.from({ length: 501 }, (_, i) => statQuery(`q${i}`, 'Average'));

    // Act
    const error = await rejection(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(T0),
          EndTime: new Date(T0 + MIN),
          MetricDataQueries: queries,
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.Code).toBe('ValidationError');
    expect(error.message).toMatch(/greater than 500/);
  });

  it('rejects invalid input the way CloudWatch does', async () => {
    // Act
    const awsNamespace = await rejection(
      cloudwatch.send(
        new PutMetricDataCommand({ Namespace: 'AWS/Kafka', MetricData: [{ MetricName: 'm', Value: 1 }] }),
      ),
    );
    const nan = await rejection(
      cloudwatch.send(
        new PutMetricDataCommand({ Namespace: NS, MetricData: [{ MetricName: 'm', Value: Number.NaN }] }),
      ),
    );
    const badPeriod = await rejection(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(T0),
          EndTime: new Date(T0 + MIN),
          MetricDataQueries: [statQuery('q', 'Average', 45)],
        }),
      ),
    );

    // Assess
    expect(awsNamespace).toBeInstanceOf(InvalidParameterValueException);
    expect(awsNamespace.Code).toBe('InvalidParameterValue');
    expect(nan).toBeInstanceOf(InvalidParameterValueException);
    expect(badPeriod).toBeInstanceOf(InvalidParameterValueException);
    expect(cloud.cloudwatch.size).toBe(0);
  });

  it('surfaces an injected throttle as the SDK error named Throttling', async () => {
    // Prepare
    cloud.injectFault({ service: 'cloudwatch', operation: 'GetMetricData', error: 'Throttling', times: 2 });
    const request = new GetMetricDataCommand({
      StartTime: new Date(T0),
      EndTime: new Date(T0 + MIN),
      MetricDataQueries: [statQuery('q', 'Average')],
    });

    // Act
    const first = await rejection(cloudwatch.send(request));
    const second = await rejection(cloudwatch.send(request));
    const third = await cloudwatch.send(request);

    // Assess
    for (const error of [first, second]) {
      expect(error.name).toBe('Throttling');
      expect(error.Code).toBe('Throttling');
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
    }
    expect(third.MetricDataResults).toHaveLength(1);
  });
});

describe('Local cloud: the server itself', () => {
  it('records every request with service, operation, simulated time and status', async () => {
    // Act
    await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    advance(30);
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NS,
        MetricData: [{ MetricName: 'm', Value: 1, Timestamp: new Date(now) }],
      }),
    );
    await rejection(
      ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'nope', desiredCount: 1 })),
    );

    // Assess
    expect(cloud.requests).toEqual([
      { service: 'ecs', operation: 'DescribeServices', atMs: T0, status: 200, errorCode: undefined },
      {
        service: 'cloudwatch',
        operation: 'PutMetricData',
        atMs: T0 + 30 * S,
        status: 200,
        errorCode: undefined,
      },
      {
        service: 'ecs',
        operation: 'UpdateService',
        atMs: T0 + 30 * S,
        status: 400,
        errorCode: 'ServiceNotFoundException',
      },
    ]);
  });

  it('advances the ECS model to the clock before serving an ECS request', async () => {
    // Prepare
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 3 }));
    now += 60 * S;

    // Act
    const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));

    // Assess
    expect(out.services?.[0]).toMatchObject({ runningCount: 3, pendingCount: 0 });
    expect(cloud.ecs.nowMs).toBe(now);
  });

  it('answers malformed requests with an error and keeps serving', async () => {
    // Act
    const post = (target: string | undefined, body: string) =>
      fetch(cloud.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          ...(target ? { 'x-amz-target': target } : {}),
        },
        body,
      });
    const badJson = await post('AmazonEC2ContainerServiceV20141113.DescribeServices', '{not json');
    const unknownTarget = await post('Nope_20200101.DoThing', '{}');
    const noTarget = await post(undefined, '{}');
    const unknownOperation = await post('GraniteServiceVersion20100801.PutDashboard', '{}');
    const alive = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));

    // Assess
    expect([badJson.status, await badJson.json()]).toEqual([
      400,
      { __type: 'SerializationException', message: 'The request body is not a JSON object.' },
    ]);
    expect(unknownTarget.status).toBe(400);
    expect(((await unknownTarget.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(noTarget.status).toBe(400);
    expect(unknownOperation.headers.get('x-amzn-query-error')).toBe('UnknownOperationException;Sender');
    expect(alive.services).toHaveLength(1);
    expect(cloud.requests.filter((r) => r.service === 'unknown')).toHaveLength(2);
  });

  it('serves real SDK clients in process through the request handler, errors included', async () => {
    // Prepare
    const requestHandler = localCloudRequestHandler(cloud);
    const inProcessEcs = new ECSClient({ ...clientConfig(), requestHandler });
    const inProcessCloudWatch = new CloudWatchClient({ ...clientConfig(), requestHandler });
    cloud.injectFault({ service: 'cloudwatch', error: 'Throttling' });

    // Act
    const updated = await inProcessEcs.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, desiredCount: 3 }),
    );
    const missing = await rejection(
      inProcessEcs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'nope', desiredCount: 1 })),
    );
    const throttled = await rejection(
      inProcessCloudWatch.send(
        new PutMetricDataCommand({ Namespace: NS, MetricData: [{ MetricName: 'm', Value: 1 }] }),
      ),
    );
    await inProcessCloudWatch.send(
      new PutMetricDataCommand({ Namespace: NS, MetricData: [{ MetricName: 'm', Value: 1 }] }),
    );

    // Assess
    expect(updated.service).toMatchObject({ desiredCount: 3, pendingCount: 1 });
    expect(missing).toBeInstanceOf(ServiceNotFoundException);
    expect(throttled.name).toBe('Throttling');
    expect(cloud.cloudwatch.size).toBe(1);
    expect(cloud.requests.map((r) => `${r.service}.${r.operation}:${r.status}`)).toEqual([
      'ecs.UpdateService:200',
      'ecs.UpdateService:400',
      'cloudwatch.PutMetricData:400',
      'cloudwatch.PutMetricData:200',
    ]);
  });

  it('serves the same requests in process through dispatch', async () => {
    // Act
    const response = await cloud.dispatch({
      headers: { 'X-Amz-Target': 'AmazonEC2ContainerServiceV20141113.DescribeServices' },
      body: JSON.stringify({ cluster: CLUSTER, services: [SERVICE] }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    const body = JSON.parse(response.body) as { services: { desiredCount: number; createdAt: number }[] };
    expect(body.services[0]).toMatchObject({ desiredCount: 2, createdAt: T0 / 1000 });
  });
});
