/**
 * The scaler end to end: the real handler, adapters and SDK clients against the local
 * cloud (ECS, CloudWatch over their wire protocols) and dynalite (DynamoDB).
 */

import { createScalerHandler, type ScalerHandler } from 'flink-ecs-autoscaler/functions/scaler';
import { type AwsClients, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { DynamoDbStateStore } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import { flinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { loadScalerRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';
import { publishScrapes } from '../../src/collector';
import { type DynaliteHandle, startDynalite } from '../../src/dynalite';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const CLUSTER = 'flink';
const SERVICE = 'taskmanager';
const config = {
  appId: 'orders',
  ecs: { cluster: CLUSTER, service: SERVICE },
  partitions: 32,
  slotsPerTaskManager: 2,
  metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: CLUSTER } },
  // A scale-out applies at its first evaluation here (the confirmation window: test/unit/core/guards.test.ts).
  policy: { minTaskManagers: 1, maxTaskManagers: 20, scaleOutConfirmSeconds: 0 },
};

let dynamo: DynaliteHandle;
let cloud: LocalCloud;
let clients: AwsClients;
const clock = { ms: T0 };
let table = 0;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  dynamo = await startDynalite();
  cloud = await startLocalCloud({ clock: () => clock.ms, ecs: { startMs: T0 - 3_600_000 } });
  cloud.ecs.createCluster(CLUSTER);
  cloud.ecs.createService({
    cluster: CLUSTER,
    serviceName: SERVICE,
    desiredCount: 4,
    initialTasksRunning: true,
  });
  clients = createAwsClients({
    region: 'eu-west-1',
    endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  for (const c of Object.values(clients ?? {})) c.destroy();
  await Promise.all([cloud?.close(), dynamo?.close()]);
});

/**
 * Each test gets a fresh table and a service back at 4 TaskManagers with metrics showing 95% busy
 * at 950 records/s each (test/unit/core/policy.test.ts: sized 6; no backlog, so no minimum rescale step).
 */
async function freshHandler(): Promise<{ handler: ScalerHandler; tableName: string }> {
  const tableName = `scaler-${++table}`;
  await createTable(clients.dynamodb, tableName);
  cloud.ecs.updateService(CLUSTER, SERVICE, { desiredCount: 4 });
  clock.ms += 600_000;
  cloud.ecs.advanceTo(clock.ms);
  // What the agents publish (lib/core/flink-metrics.ts), visible at once: every TaskManager's
  // busiest subtask at 950 ms/s, its source emitting 950 records/s.
  const definition = flinkMetricsDefinition({ clusterName: CLUSTER, serviceName: SERVICE });
  const scrapes = cloud.ecs
    .runningTaskIds({ cluster: CLUSTER, serviceName: SERVICE })
    .map((taskId) => ({ taskId, busyMs: 950, sourceRate: 950 }));
  for (let m = 1; m <= 4; m++) {
    publishScrapes(
      cloud.cloudwatch,
      definition,
      clock.ms - m * 60_000,
      60,
      -definition.forceFlushSeconds,
      scrapes,
    );
  }
  const runtime = loadScalerRuntime(
    { AUTOSCALER_CONFIG: JSON.stringify(config), TABLE_NAME: tableName },
    { clients, clock: { now: () => new Date(clock.ms) } },
  );
  return { handler: createScalerHandler(runtime), tableName };
}

const scheduled = () => ({
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  time: new Date(clock.ms).toISOString(),
  id: `tick-${clock.ms}`,
});
const updates = (since: number) =>
  cloud.requests.slice(since).filter((r) => r.operation === 'UpdateService' && r.status === 200);

describe('Integration: scaler on the local cloud and dynalite', () => {
  beforeEach(() => {
    cloud.clearFaults();
  });

  it('goes through the SDK to the local cloud: reads service, tasks and metrics, then sets the absolute count', async () => {
    // Prepare
    const { handler } = await freshHandler();
    const since = cloud.requests.length;
    // Act
    const d = await handler(scheduled());
    // Assess
    expect(d).toMatchObject({ reason: 'Applied', current: 4, desired: 6, applied: true });
    const ops = cloud.requests.slice(since).map((r) => `${r.service}:${r.operation}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        'ecs:DescribeServices',
        'ecs:ListTasks',
        'ecs:DescribeTasks',
        'cloudwatch:GetMetricData',
        'ecs:UpdateService',
      ]),
    );
    expect(cloud.ecs.serviceCounts(CLUSTER, SERVICE).desiredCount).toBe(6);
  });

  it('holds off during a real rolling deployment (forceNewDeployment): DeploymentInProgress, no UpdateService', async () => {
    // Prepare: a rolling deployment on the local ECS, as UpdateService --force-new-deployment starts it.
    const { handler } = await freshHandler();
    cloud.ecs.updateService(CLUSTER, SERVICE, { forceNewDeployment: true });
    const since = cloud.requests.length;
    // Act
    const d = await handler(scheduled());
    // Assess
    expect(d).toMatchObject({ reason: 'DeploymentInProgress', applied: false });
    expect(updates(since)).toHaveLength(0);
    const deployments = cloud.ecs.describeService(CLUSTER, SERVICE).deployments;
    expect(deployments.map((x) => [x.status, x.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    // The rollout ends once the new tasks are RUNNING and HEALTHY (60 s startup + 10 s check).
    clock.ms += 120_000;
    cloud.ecs.advanceTo(clock.ms);
    expect(cloud.ecs.describeService(CLUSTER, SERVICE).deployments.map((x) => x.rolloutState)).toEqual([
      'COMPLETED',
    ]);
  });

  it('20 concurrent invocations of one tick → exactly one UpdateService and 19 LostRace', async () => {
    const { handler } = await freshHandler();
    const since = cloud.requests.length;
    const event = scheduled();
    const results = await Promise.all(Array.from({ length: 20 }, () => handler(event)));
    const reasons = results.map((r) => r.reason).sort();
    expect(reasons.filter((r) => r === 'Applied')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'LostRace')).toHaveLength(19);
    expect(updates(since)).toHaveLength(1);
  });

  it('the decision log is readable newest first, with a ttl', async () => {
    const { handler, tableName } = await freshHandler();
    const first = await handler(scheduled());
    clock.ms += 60_000;
    const second = await handler(scheduled());
    clock.ms += 60_000;
    const third = await handler({ action: 'pause', minutes: 5, reason: 'maintenance' });
    const status = await handler({ action: 'status' });
    expect(status.status?.decisions.map((d) => d.decisionId)).toEqual([
      third.decisionId,
      second.decisionId,
      first.decisionId,
    ]);
    const log = await new DynamoDbStateStore(clients.dynamodb, tableName).listDecisions('orders', 2);
    expect(log.map((d) => d.reason)).toEqual(['Paused', second.reason]);
  });

  it('a throttled UpdateService leaves the decision pending; the next tick re-applies it', async () => {
    const { handler } = await freshHandler();
    cloud.injectFault({
      service: 'ecs',
      operation: 'UpdateService',
      error: 'ThrottlingException',
      times: 10,
    });
    const failed = await handler(scheduled());
    expect(failed).toMatchObject({ reason: 'ApplyFailed', applied: false, desired: 6 });
    expect(cloud.ecs.serviceCounts(CLUSTER, SERVICE).desiredCount).toBe(4);
    cloud.clearFaults();
    clock.ms += 60_000;
    const retried = await handler(scheduled());
    expect(retried).toMatchObject({
      reason: 'Applied',
      applied: true,
      desired: 6,
      decisionId: failed.decisionId,
    });
    expect(cloud.ecs.serviceCounts(CLUSTER, SERVICE).desiredCount).toBe(6);
  });

  it('throttled DescribeServices: the tick ends cleanly with desired unchanged', async () => {
    const { handler } = await freshHandler();
    const since = cloud.requests.length;
    cloud.injectFault({
      service: 'ecs',
      operation: 'DescribeServices',
      error: 'ThrottlingException',
      times: 10,
    });
    const started = Date.now();
    const d = await handler(scheduled());
    expect(d.reason).toBe('Throttled');
    expect(updates(since)).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('throttled GetMetricData → InsufficientData, no scale change', async () => {
    const { handler } = await freshHandler();
    const since = cloud.requests.length;
    cloud.injectFault({ service: 'cloudwatch', operation: 'GetMetricData', error: 'Throttling', times: 10 });
    const d = await handler(scheduled());
    expect(d.reason).toBe('InsufficientData');
    expect(updates(since)).toHaveLength(0);
  });

  it('an invalid manual payload is rejected naming the field, with no request to ECS', async () => {
    const { handler } = await freshHandler();
    const since = cloud.requests.length;
    await expect(handler({ action: 'rescale', desiredCount: 99, reason: 'x' })).rejects.toThrow(
      /desiredCount: must be between 1 and 20/,
    );
    expect(cloud.requests.slice(since)).toEqual([]);
  });
});
