/**
 * `local up` serves ECS, CloudWatch (both protocols), DynamoDB and Lambda on one port, and
 * prints each endpoint, the cluster, service and table, and the export lines that point the
 * AWS SDKs and CLI at it.
 */
import { PassThrough } from 'node:stream';
import { CloudWatchClient, DescribeAlarmsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEnvironment, runLocalUp } from '../../src/cli/local-up-command';
import { type LocalUp, startLocalUp } from '../../src/local-up';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local up: one port for every service', () => {
  let up: LocalUp;

  beforeAll(async () => {
    up = await startLocalUp({ port: 0, speed: 600 });
    await new Promise((r) => setTimeout(r, 1500)); // a few simulated minutes: metrics published
  });

  afterAll(async () => {
    await up?.close();
  });

  it('names the same endpoint for all four services, and the simulated cluster, service and table', () => {
    expect(up.endpoints).toEqual({
      ecs: up.endpoint,
      cloudwatch: up.endpoint,
      dynamodb: up.endpoint,
      lambda: up.endpoint,
    });
    expect([up.cluster, up.service, up.tableName]).toEqual([
      'flink-sim',
      'taskmanager',
      'flink-ecs-autoscaler',
    ]);
    expect(localEnvironment(up)).toMatchObject({
      AWS_ENDPOINT_URL_ECS: up.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: up.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: up.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: up.endpoint,
      AWS_REGION: 'us-east-1',
    });
  });

  it('answers the SDK clients of each service on that endpoint', async () => {
    const config = { endpoint: up.endpoint, region: up.region, credentials, maxAttempts: 1 };
    const ecs = new ECSClient(config);
    const cloudwatch = new CloudWatchClient(config);
    const dynamodb = new DynamoDBClient(config);
    const lambda = new LambdaClient(config);
    try {
      const clusters = await ecs.send(new ListClustersCommand({}));
      const services = await ecs.send(
        new DescribeServicesCommand({ cluster: up.cluster, services: [up.service] }),
      );
      const metrics = await cloudwatch.send(
        new ListMetricsCommand({ Namespace: 'ECS/ContainerInsights/Prometheus' }),
      );
      const alarms = await cloudwatch.send(new DescribeAlarmsCommand({}));
      const items = await dynamodb.send(
        new QueryCommand({
          TableName: up.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `APP#${up.scenario.scenario.name}` } },
        }),
      );
      const status = await lambda.send(
        new InvokeCommand({ FunctionName: up.functionName, Payload: JSON.stringify({ action: 'status' }) }),
      );
      expect(clusters.clusterArns).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/flink-sim']);
      expect(services.services?.[0]?.runningCount).toBeGreaterThan(0);
      expect(metrics.Metrics?.length).toBeGreaterThan(0);
      expect(alarms.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['local-playground-lag-high']);
      expect(items.Items?.some((i) => i.sk?.S === 'SCALER')).toBe(true);
      expect(JSON.parse(Buffer.from(status.Payload ?? new Uint8Array()).toString())).toMatchObject({
        reason: 'Status',
      });
    } finally {
      for (const c of [ecs, cloudwatch, dynamodb, lambda]) c.destroy();
    }
  });
});

describe('local up: what it prints', () => {
  const run = async (json: boolean) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const handlers = new Map<string, () => void>();
    const signals = {
      once: (s: string, f: () => void) => handlers.set(s, f),
      off: (s: string) => handlers.delete(s),
    } as unknown as Pick<NodeJS.Process, 'once' | 'off'>;
    const done = runLocalUp(
      { port: 0, speed: 60, policy: 'rate', function: 'flink-ecs-autoscaler-local', quiet: true, json },
      { out, err, signals },
    );
    while (!text.includes('\n')) await new Promise((r) => setTimeout(r, 20));
    handlers.get('SIGINT')?.();
    await done;
    return text;
  };

  it('prints each endpoint with the cluster, service and table, and a block of export lines', async () => {
    const text = await run(false);
    const endpoint = /ECS\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1] ?? '';
    expect(text).toContain(`  ECS         ${endpoint}   cluster flink-sim, service taskmanager`);
    expect(text).toContain(`  CloudWatch  ${endpoint}   (JSON and query protocols)`);
    expect(text).toContain(`  DynamoDB    ${endpoint}   table flink-ecs-autoscaler`);
    expect(text).toContain(`  Lambda      ${endpoint}   function flink-ecs-autoscaler-local`);
    for (const name of ['ECS', 'CLOUDWATCH', 'DYNAMODB', 'LAMBDA']) {
      expect(text).toContain(`  export AWS_ENDPOINT_URL_${name}=${endpoint}\n`);
    }
    expect(text).toContain('  export AWS_REGION=us-east-1\n');
    expect(text).toContain('  export AWS_ACCESS_KEY_ID=local\n');
  });

  it('puts the same in the --json document', async () => {
    const doc = JSON.parse((await run(true)).split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(doc).toMatchObject({
      endpoints: {
        ecs: doc.endpoint,
        cloudwatch: doc.endpoint,
        dynamodb: doc.endpoint,
        lambda: doc.endpoint,
      },
      cluster: 'flink-sim',
      service: 'taskmanager',
      tableName: 'flink-ecs-autoscaler',
      environment: { AWS_ENDPOINT_URL_ECS: doc.endpoint, AWS_ENDPOINT_URL_DYNAMODB: doc.endpoint },
    });
  });
});
