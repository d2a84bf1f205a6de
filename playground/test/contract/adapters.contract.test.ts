/**
 * The adapter contract suite of lib/aws: the product's ECS, CloudWatch and DynamoDB adapters,
 * through the real AWS SDK clients, against our local cloud with dynalite and against moto.
 * Every contract states what the AWS API reference says; a backend that does otherwise fails
 * it. moto's known disagreements are listed in moto-gaps.ts (and docs/local-cloud.md): those
 * contracts still run against moto and are expected to fail there, so a fixed gap shows.
 * moto must be installed (`pip install 'moto[server]'`); without it the moto half fails.
 */
import { readFileSync } from 'node:fs';
import {
  GetMetricDataCommand,
  InvalidParameterValueException,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  GetTaskProtectionCommand,
  ListClustersCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { resourceName as taskIdFromArn } from 'flink-ecs-autoscaler/lib/aws/arn';
import { CloudWatchMetricsSource } from 'flink-ecs-autoscaler/lib/aws/cloudwatch-metrics';
import { DynamoDbStateStore, partitionToItem, taskToItem } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { EcsServiceController } from 'flink-ecs-autoscaler/lib/aws/ecs-service';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import type { TaskHealthItem } from 'flink-ecs-autoscaler/lib/core/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionRecord } from '../support/records';
import { type Backend, type BackendName, startLocalBackend, startMotoBackend } from './backends';
import { MOTO_GAPS } from './moto-gaps';

const TABLE = 'contract-state';
const MIN = 60_000;

let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}`;

/** The start of the minute `minutesAgo` minutes before now. */
function minuteAgo(minutesAgo: number): number {
  return Math.floor(Date.now() / MIN) * MIN - minutesAgo * MIN;
}

const decision = decisionRecord;

function taskItem(taskId: string): TaskHealthItem {
  return {
    taskId,
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: 1,
    misses: 0,
    lastSeen: 1_700_000_000_000,
    version: 1,
  };
}

const BACKENDS: Record<BackendName, () => Promise<Backend>> = {
  local: startLocalBackend,
  moto: startMotoBackend,
};

describe.each(['local', 'moto'] as const)('Adapter contracts on %s', (name) => {
  let backend: Backend;
  let store: DynamoDbStateStore;
  let metrics: CloudWatchMetricsSource;

  /** Why the backend could not start (moto not installed): every contract then fails with it. */
  let unavailable: Error | undefined;

  beforeAll(async () => {
    try {
      backend = await BACKENDS[name]();
    } catch (error) {
      unavailable = error instanceof Error ? error : new Error(String(error));
      return;
    }
    await createTable(backend.clients.dynamodb, TABLE, 30);
    store = new DynamoDbStateStore(backend.clients.dynamodb, TABLE);
    metrics = new CloudWatchMetricsSource(backend.clients.cloudwatch);
  }, 60_000);

  afterAll(async () => {
    await backend?.close();
  });

  /** A contract; on moto, one listed in MOTO_GAPS must fail (the gap is still there). */
  const contract = (title: string, body: () => Promise<void>) => {
    const gap = name === 'moto' ? MOTO_GAPS[title] : undefined;
    if (gap === undefined) {
      it(title, async () => {
        if (unavailable) throw unavailable;
        await body();
      });
      return;
    }
    it(`${title} [moto gap: ${gap.moto}; breaks ${gap.reference}]`, async () => {
      if (unavailable) throw unavailable;
      let failed = false;
      try {
        await body();
      } catch {
        failed = true;
      }
      expect(failed, `moto now meets "${title}": drop it from moto-gaps.ts and docs/local-cloud.md`).toBe(
        true,
      );
    });
  };

  const arrange = async (count = 2) => {
    const arranged = await backend.arrangeService(unique('cluster'), unique('svc'), count);
    return {
      ...arranged,
      controller: new EcsServiceController(backend.clients.ecs, arranged.cluster, arranged.service),
    };
  };

  // ------------------------------------------------------------ ECS

  contract('ECS DescribeServices: desired, running and pending counts of a settled service', async () => {
    const { controller } = await arrange(2);
    expect(await controller.describeService()).toEqual({
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      deploymentInProgress: false,
      status: 'ACTIVE',
    });
  });

  contract('ECS DescribeServices: an unknown service is a MISSING failure', async () => {
    const { cluster } = await arrange(1);
    const missing = new EcsServiceController(backend.clients.ecs, cluster, 'no-such-service');
    await expect(missing.describeService()).rejects.toThrow(/MISSING/);
  });

  contract('ECS UpdateService: sets the absolute desired count', async () => {
    const { controller } = await arrange(2);
    await controller.setDesiredCount(3);
    expect((await controller.describeService()).desiredCount).toBe(3);
  });

  contract('ECS UpdateService forceNewDeployment: a new PRIMARY deployment, in progress', async () => {
    const { controller, cluster, service } = await arrange(2);
    await backend.clients.ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
    const out = await backend.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const deployments = out.services?.[0]?.deployments ?? [];
    expect(deployments.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    expect(deployments[0]?.rolloutState).toBe('IN_PROGRESS');
    expect((await controller.describeService()).deploymentInProgress).toBe(true);
  });

  contract('ECS ListClusters: lists the cluster', async () => {
    const { cluster } = await arrange(1);
    const out = await backend.clients.ecs.send(new ListClustersCommand({}));
    expect(out.clusterArns).toContainEqual(expect.stringMatching(new RegExp(`:cluster/${cluster}$`)));
  });

  contract('ECS ListTasks + DescribeTasks: the service’s tasks, RUNNING', async () => {
    const { controller, taskArns, service } = await arrange(2);
    const tasks = await controller.listTasks();
    expect(tasks.map((t) => t.taskArn).sort()).toEqual([...taskArns].sort());
    for (const t of tasks) {
      expect(t).toMatchObject({
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        group: `service:${service}`,
      });
    }
  });

  contract('ECS ListTasks serviceName: leaves out the other tasks of the cluster', async () => {
    const { controller, otherTaskArn } = await arrange(2);
    const tasks = await controller.listTasks();
    expect(tasks.map((t) => t.taskArn)).not.toContain(otherTaskArn);
    expect(tasks).toHaveLength(2);
  });

  contract('ECS DescribeTasks: an unknown task is reported missing, a known one described', async () => {
    const { controller, taskArns } = await arrange(1);
    const known = taskIdFromArn(taskArns[0] ?? '');
    const out = await controller.describeTasks([known, '0123456789abcdef0123456789abcdef']);
    expect(out.tasks.map((t) => t.taskId)).toEqual([known]);
    expect(out.missing).toEqual(['0123456789abcdef0123456789abcdef']);
  });

  contract('ECS StopTask: the task wants to stop and leaves ListTasks', async () => {
    const { controller, taskArns } = await arrange(2);
    const victim = taskIdFromArn(taskArns[0] ?? '');
    await controller.stopTask(victim, 'contract: stop one');
    const { tasks } = await controller.describeTasks([victim]);
    expect(tasks[0]?.desiredStatus).toBe('STOPPED');
    expect((await controller.listTasks()).map((t) => t.taskId)).not.toContain(victim);
  });

  contract('ECS UpdateTaskProtection + GetTaskProtection: protected for the minutes asked', async () => {
    const { controller, cluster, taskArns } = await arrange(2);
    const id = taskIdFromArn(taskArns[0] ?? '');
    const before = Date.now();
    await controller.setTaskProtection([id], true, 30);
    const out = await backend.clients.ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [id] }));
    const p = out.protectedTasks?.[0];
    expect(p?.protectionEnabled).toBe(true);
    const expires = p?.expirationDate?.getTime() ?? 0;
    expect(expires).toBeGreaterThanOrEqual(before + 30 * MIN - 2000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * MIN + 2000);
  });

  // ------------------------------------------------------------ CloudWatch

  const put = async (
    namespace: string,
    dims: Record<string, string>,
    points: readonly { at: number; value: number }[],
    storageResolution: 1 | 60 = 60,
    unit: StandardUnit = 'Count',
  ) => {
    await backend.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: points.map((p) => ({
          MetricName: 'load',
          Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
          Timestamp: new Date(p.at),
          Value: p.value,
          Unit: unit,
          StorageResolution: storageResolution,
        })),
      }),
    );
  };
  const query = (
    namespace: string,
    dims: Record<string, string>,
    periodSeconds: number,
    stat = 'Average',
  ) => ({
    id: 'q1',
    namespace,
    metricName: 'load',
    dimensions: dims,
    stat,
    periodSeconds,
  });

  contract('CloudWatch PutMetricData + GetMetricData: per-period statistics, oldest first', async () => {
    const ns = unique('Contract/Avg');
    const dims = { TaskId: unique('tm-') };
    const m0 = minuteAgo(10);
    await put(ns, dims, [
      { at: m0, value: 1 },
      { at: m0 + 20_000, value: 2 },
      { at: m0 + 40_000, value: 6 },
      { at: m0 + MIN, value: 4 },
    ]);
    const [series] = await metrics.getMetricData(
      [query(ns, dims, 60)],
      new Date(m0 - 5 * MIN),
      new Date(m0 + 5 * MIN),
    );
    expect(series).toEqual({ id: 'q1', timestamps: [m0, m0 + MIN], values: [3, 4], status: 'Complete' });
  });

  contract('CloudWatch GetMetricData: dimensions must match exactly', async () => {
    const ns = unique('Contract/Dims');
    const m0 = minuteAgo(10);
    const taskId = unique('tm-');
    await put(ns, { TaskId: taskId, Cluster: 'c' }, [{ at: m0, value: 5 }]);
    const [series] = await metrics.getMetricData(
      [query(ns, { TaskId: taskId }, 60)],
      new Date(m0 - 5 * MIN),
      new Date(m0 + 5 * MIN),
    );
    expect(series?.values).toEqual([]);
  });

  contract('CloudWatch GetMetricData: a same-named metric of another namespace never answers', async () => {
    const [nsA, nsB] = [unique('Contract/NsA'), unique('Contract/NsB')];
    const taskId = unique('tm-');
    const m0 = minuteAgo(10);
    await put(nsA, { TaskId: taskId }, [{ at: m0, value: 3 }]);
    await put(nsB, { TaskId: taskId, Cluster: 'c' }, [{ at: m0, value: 5 }]);
    const [series] = await metrics.getMetricData(
      [query(nsB, { TaskId: taskId }, 60)],
      new Date(m0 - 5 * MIN),
      new Date(m0 + 5 * MIN),
    );
    expect(series?.values).toEqual([]);
  });

  contract('CloudWatch GetMetricData: standard-resolution data has no sub-minute points', async () => {
    const ns = unique('Contract/Std');
    const dims = { TaskId: unique('tm-') };
    const m0 = minuteAgo(10);
    await put(ns, dims, [
      { at: m0 + 5_000, value: 2 },
      { at: m0 + 35_000, value: 4 },
    ]);
    const window = [new Date(m0 - 5 * MIN), new Date(m0 + 5 * MIN)] as const;
    const [fine] = await metrics.getMetricData([query(ns, dims, 10)], ...window);
    const [minute] = await metrics.getMetricData([query(ns, dims, 60)], ...window);
    // One-minute granularity: a period that is not a multiple of 60 gets no data points.
    expect(fine?.values).toEqual([]);
    expect(minute?.timestamps).toEqual([m0]);
    expect(minute?.values).toEqual([3]);
  });

  contract('CloudWatch GetMetricData: high-resolution data keeps its seconds for 3 hours', async () => {
    const ns = unique('Contract/Hi');
    const dims = { TaskId: unique('tm-') };
    const m0 = minuteAgo(10);
    await put(
      ns,
      dims,
      [
        { at: m0 + 5_000, value: 2 },
        { at: m0 + 35_000, value: 4 },
      ],
      1,
    );
    const [series] = await metrics.getMetricData(
      [query(ns, dims, 10)],
      new Date(m0 - 5 * MIN),
      new Date(m0 + 5 * MIN),
    );
    expect(series?.timestamps).toEqual([m0, m0 + 30_000]);
    expect(series?.values).toEqual([2, 4]);
  });

  contract(
    'CloudWatch GetMetricData: a 10 s period returns nothing for data older than 3 hours',
    async () => {
      const ns = unique('Contract/Old');
      const dims = { TaskId: unique('tm-') };
      const old = minuteAgo(5 * 60);
      await put(ns, dims, [{ at: old + 10_000, value: 7 }], 1);
      const window = [new Date(old - 10 * MIN), new Date(old + 10 * MIN)] as const;
      const [fine] = await metrics.getMetricData([query(ns, dims, 10)], ...window);
      const [minute] = await metrics.getMetricData([query(ns, dims, 60)], ...window);
      expect(fine?.values).toEqual([]);
      expect(minute?.timestamps).toEqual([old]);
    },
  );

  contract(
    'CloudWatch PutMetricData: a StorageResolution other than 1 or 60 is InvalidParameterValue',
    async () => {
      const ns = unique('Contract/Res');
      await expect(
        backend.clients.cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: ns,
            MetricData: [{ MetricName: 'load', Value: 1, StorageResolution: 5 }],
          }),
        ),
      ).rejects.toBeInstanceOf(InvalidParameterValueException);
    },
  );

  contract('CloudWatch GetMetricData: a period of 7 s is InvalidParameterValue', async () => {
    const ns = unique('Contract/Period');
    const m0 = minuteAgo(10);
    await expect(
      backend.clients.cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(m0 - MIN),
          EndTime: new Date(m0 + MIN),
          MetricDataQueries: [
            {
              Id: 'q',
              MetricStat: { Metric: { Namespace: ns, MetricName: 'load' }, Period: 7, Stat: 'Sum' },
            },
          ],
        }),
      ),
    ).rejects.toThrow();
  });

  // ------------------------------------------------------------ DynamoDB

  contract('DynamoDB commitScaler: a conditional write on the version; a stale one loses', async () => {
    const app = unique('app');
    expect(await store.commitScaler(app, 0, { recommendations: [], desired: 2 })).toBe(true);
    expect(await store.commitScaler(app, 0, { recommendations: [], desired: 5 })).toBe(false);
    expect(await store.commitScaler(app, 1, { recommendations: [{ at: 1, desired: 3 }], desired: 3 })).toBe(
      true,
    );
    expect(await store.readScaler(app)).toEqual({
      version: 2,
      desired: 3,
      recommendations: [{ at: 1, desired: 3 }],
    });
  });

  contract('DynamoDB writePartition: conditional on owner and epoch', async () => {
    const app = unique('app');
    const change = (from: string | null, to: string, expectedEpoch: number) => ({
      partitionId: 7,
      from,
      to,
      expectedEpoch,
      newEpoch: expectedEpoch + 1,
      state: 'ASSIGNED' as const,
      ...(from === null ? {} : { previousOwner: from }),
      updatedAt: 1_700_000_000_000,
    });
    const first = await store.writePartition(app, change(null, 'tm-a', 0));
    const stale = await store.writePartition(app, change(null, 'tm-b', 0));
    const next = await store.writePartition(app, change('tm-a', 'tm-b', 1));
    expect([first, stale, next]).toEqual([true, false, true]);
    expect(await store.readPartition(app, 7)).toMatchObject({
      owner: 'tm-b',
      epoch: 2,
      previousOwner: 'tm-a',
    });
  });

  contract(
    'DynamoDB readApp: one query, the scaler, tasks and partitions of the app only, no decisions',
    async () => {
      const app = unique('app');
      await store.commitScaler(app, 0, { recommendations: [], desired: 2 });
      const table = TABLE;
      for (const t of ['b-task', 'a-task']) {
        await backend.clients.dynamodb.send(
          new PutItemCommand({ TableName: table, Item: taskToItem(app, taskItem(t)) }),
        );
      }
      await backend.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: partitionToItem(app, {
            partitionId: 3,
            owner: 'a-task',
            epoch: 1,
            state: 'ASSIGNED',
            updatedAt: 1,
          }),
        }),
      );
      await backend.clients.dynamodb.send(
        new PutItemCommand({ TableName: table, Item: taskToItem(`${app}-x`, taskItem('z')) }),
      );
      await store.putDecision(app, decision('d-1', '2026-01-01T00:00:00.000Z'), 2_000_000_000);
      const items = await store.readApp(app);
      expect(items.scaler).toMatchObject({ version: 1, desired: 2 });
      expect(items.tasks.map((t) => t.taskId)).toEqual(['a-task', 'b-task']);
      expect(items.partitions.map((p) => [p.partitionId, p.owner])).toEqual([[3, 'a-task']]);
    },
  );

  contract('DynamoDB listDecisions: newest first, at most the limit', async () => {
    const app = unique('app');
    for (let i = 0; i < 5; i++) {
      await store.putDecision(
        app,
        decision(`d-${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()),
        2_000_000_000,
      );
    }
    expect((await store.listDecisions(app, 3)).map((d) => d.decisionId)).toEqual(['d-4', 'd-3', 'd-2']);
  });

  contract('DynamoDB deleteTask: conditional on the version', async () => {
    const app = unique('app');
    const { version: _, ...fresh } = taskItem('tm-1');
    expect(await store.commitTask(app, 0, fresh)).toBe(true);
    expect(await store.deleteTask(app, 'tm-1', 5)).toBe(false);
    expect(await store.deleteTask(app, 'tm-1', 1)).toBe(true);
    expect((await store.readApp(app)).tasks).toEqual([]);
  });
});

describe('The recorded moto gaps', () => {
  it('are each documented in docs/local-cloud.md (section "moto gaps") with their reference', () => {
    const doc = readFileSync(new URL('../../../docs/local-cloud.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## moto gaps'));
    expect(doc).toContain('## moto gaps');
    for (const [title, gap] of Object.entries(MOTO_GAPS)) {
      expect(section).toContain(title);
      expect(section).toContain(gap.reference);
    }
  });
});
