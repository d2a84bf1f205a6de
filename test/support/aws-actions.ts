/**
 * What the code calls, recorded: the real Lambda handlers (functions/scaler.ts,
 * functions/failover.ts) with their real runtime, adapters and SDK clients, on SDK clients
 * mocked with aws-sdk-client-mock, driven through scenarios that reach every AWS call of
 * each function. Every command sent becomes the IAM action it needs (`ecs:StopTask` for
 * StopTaskCommand). test/infra/iam.test.ts compares these with the synthesized roles.
 *
 * Also the commands the function adapters (lib/aws) can send at all, read from their imports
 * (`XxxCommand`, `paginateXxx`), so that a scenario missing for a new call is noticed.
 */
import { readFileSync } from 'node:fs';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { createFailoverHandler } from '../../functions/failover';
import { createScalerHandler } from '../../functions/scaler';
import { resourceName } from '../../lib/aws/arn';
import { createAwsClients } from '../../lib/aws/clients';
import { taskToItem } from '../../lib/aws/dynamodb-store';
import type { AppConfigInput } from '../../lib/core/config';
import { loadFailoverRuntime, loadScalerRuntime } from '../../lib/runtime';

/** The adapters the functions' runtime builds (lib/runtime.ts). */
export const FUNCTION_ADAPTERS = [
  'lib/aws/dynamodb-store.ts',
  'lib/aws/ecs-service.ts',
  'lib/aws/cloudwatch-metrics.ts',
];

const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  'client-dynamodb': 'dynamodb',
  'client-ecs': 'ecs',
  'client-cloudwatch': 'cloudwatch',
};

/** The IAM actions of the commands (and paginators) a source file imports from the AWS SDK. */
export function sdkActionsImportedBy(path: string): string[] {
  const source = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
  const actions: string[] = [];
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z-]+)'/g)) {
    const prefix = SERVICE_PREFIX[m[2] as string];
    if (prefix === undefined) throw new Error(`${path}: no IAM prefix known for @aws-sdk/${m[2]}`);
    for (const raw of (m[1] as string).split(',')) {
      const name = raw.replace(/^\s*type\s+/, '').trim();
      const op = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
      if (op !== undefined) actions.push(`${prefix}:${op}`);
    }
  }
  return [...new Set(actions)].sort();
}

const NOW = Date.parse('2026-03-02T12:00:00Z');
const CLUSTER = 'flink';
const SERVICE = 'taskmanager';
const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${id}`;

export const ACTIONS_CONFIG = {
  appId: 'orders',
  ecs: { cluster: CLUSTER, service: SERVICE },
  metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: CLUSTER } },
  policy: { minTaskManagers: 2, maxTaskManagers: 12 },
  partitions: 8,
  slotsPerTaskManager: 2,
} satisfies AppConfigInput;

/** What the recording needs of a client mock. */
type Recorded = Pick<AwsStub<never, never, never>, 'restore'> & {
  calls(): { readonly args: readonly unknown[] }[];
};

interface Mocks {
  readonly dynamodb: Recorded;
  readonly ecs: Recorded;
  readonly cloudwatch: Recorded;
}

/** ECS with two RUNNING TaskManagers (tm-a's container check failing), DynamoDB with one gone TaskManager and one ListTasks misses. */
function mockAws(): Mocks {
  const ecs = mockClient(ECSClient);
  const dynamodb = mockClient(DynamoDBClient);
  const cloudwatch = mockClient(CloudWatchClient);
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SERVICE,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        status: 'ACTIVE',
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
  });
  ecs.on(ListTasksCommand).resolves({ taskArns: [arn('tm-a'), arn('tm-b')] });
  const live: Record<string, 'HEALTHY' | 'UNHEALTHY'> = { 'tm-a': 'UNHEALTHY', 'tm-b': 'HEALTHY' };
  ecs.on(DescribeTasksCommand).callsFake((input: DescribeTasksCommandInput) => {
    const refs = input.tasks ?? [];
    return {
      tasks: refs
        .filter((r) => live[resourceName(r)] !== undefined)
        .map((r) => ({
          taskArn: arn(resourceName(r)),
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: live[resourceName(r)],
          version: 3,
          group: `service:${SERVICE}`,
          startedAt: new Date(NOW - 3_600_000),
        })),
      failures: refs
        .filter((r) => live[resourceName(r)] === undefined)
        .map((r) => ({ arn: arn(resourceName(r)), reason: 'MISSING' })),
    };
  });
  ecs.on(StopTaskCommand).resolves({});
  ecs.on(UpdateTaskProtectionCommand).resolves({ protectedTasks: [], failures: [] });
  ecs.on(UpdateServiceCommand).resolves({});
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const minutes = Array.from(
        { length: 10 },
        (_, i) => new Date(Math.floor(NOW / 60_000) * 60_000 - (i + 2) * 60_000),
      );
      return { Id: q.Id, StatusCode: 'Complete', Timestamps: minutes, Values: minutes.map(() => 950) };
    }),
  }));
  const gone = taskToItem('orders', {
    taskId: 'tm-gone',
    status: 'DEAD',
    ecsStatus: 'STOPPED',
    ecsVersion: 5,
    misses: 0,
    lastSeen: NOW - 7_200_000,
    version: 2,
  });
  const unlisted = taskToItem('orders', {
    taskId: 'tm-unlisted',
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: 3,
    misses: 0,
    lastSeen: NOW - 30_000,
    startedAt: NOW - 3_600_000,
    version: 1,
  });
  dynamodb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
    Items: input.KeyConditionExpression?.includes('begins_with') ? [] : [gone, unlisted],
  }));
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  return { ecs, dynamodb, cloudwatch };
}

function actionsSent(mocks: Mocks): string[] {
  const of = (prefix: string, stub: Recorded) =>
    stub.calls().map((c) => `${prefix}:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`);
  return [
    ...new Set([
      ...of('dynamodb', mocks.dynamodb),
      ...of('ecs', mocks.ecs),
      ...of('cloudwatch', mocks.cloudwatch),
    ]),
  ].sort();
}

const env = { AUTOSCALER_CONFIG: JSON.stringify(ACTIONS_CONFIG), TABLE_NAME: 'autoscaler' };
const overrides = () => ({
  clients: createAwsClients({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  clock: { now: () => new Date(NOW) },
});
const time = new Date(NOW).toISOString();

/** The scaler's scenarios: a scheduled tick that scales out, every manual command. */
export const SCALER_EVENTS: readonly unknown[] = [
  { source: 'aws.events', 'detail-type': 'Scheduled Event', time, id: 'tick-1' },
  { action: 'rescale', desiredCount: 3, reason: 'load test', holdMinutes: 30 },
  { action: 'pause', minutes: 60, reason: 'maintenance' },
  { action: 'resume' },
  { action: 'status', limit: 5 },
];

/** The failover's scenarios: a reconcile (stop, protect, describe the unlisted, prune) and a task event. */
export const FAILOVER_EVENTS: readonly unknown[] = [
  { source: 'aws.events', 'detail-type': 'Scheduled Event', time, id: 'tick-1' },
  {
    source: 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    id: 'e-1',
    time,
    detail: {
      taskArn: arn('tm-b'),
      clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${CLUSTER}`,
      group: `service:${SERVICE}`,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      version: 9,
    },
  },
];

/** The IAM actions each function's code sends over its scenarios (every scenario must succeed). */
export async function recordFunctionActions(): Promise<{ scaler: string[]; failover: string[] }> {
  const run = async (kind: 'scaler' | 'failover'): Promise<string[]> => {
    const mocks = mockAws();
    try {
      const handler =
        kind === 'scaler'
          ? createScalerHandler(loadScalerRuntime(env, overrides()))
          : createFailoverHandler(loadFailoverRuntime(env, overrides()));
      for (const event of kind === 'scaler' ? SCALER_EVENTS : FAILOVER_EVENTS) await handler(event);
      return actionsSent(mocks);
    } finally {
      mocks.ecs.restore();
      mocks.dynamodb.restore();
      mocks.cloudwatch.restore();
    }
  };
  return { scaler: await run('scaler'), failover: await run('failover') };
}
