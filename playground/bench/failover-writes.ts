/**
 * DynamoDB writes of the failover function, measured on dynalite with the real handler, SDK
 * clients and the local cloud (ECS and CloudWatch in process):
 *
 * - steady state: 1,000 partitions on 50 TaskManagers, nothing changes, one reconcile per
 *   minute for an hour (goal: no partition writes at all), and the daily protection renewal;
 * - one failover: one TaskManager dies (its STOPPED event), and its replacement joining.
 *
 * Writes are counted below the SDK (every successful PutItem/UpdateItem/DeleteItem, by the
 * kind of item). Run: npx tsx playground/bench/failover-writes.ts
 */
import { performance } from 'node:perf_hooks';
import { createFailoverHandler } from 'flink-ecs-autoscaler/functions/failover';
import { type AwsRequestHandler, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import { flinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import type { FailoverResult } from 'flink-ecs-autoscaler/lib/failover';
import { loadFailoverRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import type { EcsTaskStateChangeEvent } from '../src/cloud/ecs-events';
import { startLocalCloud } from '../src/cloud/local-cloud';
import { localCloudRequestHandler } from '../src/cloud/request-handler';
import { publishScrapes } from '../src/collector';
import { startDynalite } from '../src/dynalite';

const PARTITIONS = 1000;
const TASK_MANAGERS = 50;
const CLUSTER = 'bench';
const SERVICE = 'taskmanager';
const TABLE = 'failover-bench';
const MINUTE = 60_000;

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

type Kind = 'TASK' | 'PARTITION' | 'other';
const writes: Record<Kind, number> = { TASK: 0, PARTITION: 0, other: 0 };
const snapshot = (): Record<Kind, number> => ({ ...writes });
const since = (before: Record<Kind, number>): Record<Kind, number> => ({
  TASK: writes.TASK - before.TASK,
  PARTITION: writes.PARTITION - before.PARTITION,
  other: writes.other - before.other,
});

const clock = { ms: Date.parse('2026-03-02T00:00:00Z') };
const dynamo = await startDynalite();
const cloud = await startLocalCloud({
  clock: () => clock.ms,
  ecs: { seed: 4, startMs: clock.ms - 3_600_000 },
});
try {
  cloud.ecs.createService({
    cluster: CLUSTER,
    serviceName: SERVICE,
    desiredCount: TASK_MANAGERS,
    initialTasksRunning: true,
  });
  const inProcess = localCloudRequestHandler(cloud) as AwsRequestHandler;
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
    requestHandlers: { ecs: inProcess, cloudwatch: inProcess },
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'].includes(context.commandName ?? '')) {
        const input = args.input as { Item?: { sk?: { S?: string } }; Key?: { sk?: { S?: string } } };
        const sk = input.Item?.sk?.S ?? input.Key?.sk?.S ?? '';
        const kind: Kind = sk.startsWith('TASK#')
          ? 'TASK'
          : sk.startsWith('PARTITION#')
            ? 'PARTITION'
            : 'other';
        writes[kind]++;
      }
      return result;
    },
    { step: 'initialize', name: 'countWrites' },
  );
  await createTable(clients.dynamodb, TABLE);
  const config = {
    appId: 'bench',
    ecs: { cluster: CLUSTER, service: SERVICE },
    partitions: PARTITIONS,
    slotsPerTaskManager: 20,
    metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: CLUSTER } },
    policy: { minTaskManagers: 1, maxTaskManagers: 100 },
  };
  const handler = createFailoverHandler(
    loadFailoverRuntime(
      { AUTOSCALER_CONFIG: JSON.stringify(config), TABLE_NAME: TABLE },
      { clients, clock: { now: () => new Date(clock.ms) } },
    ),
  );
  const events: EcsTaskStateChangeEvent[] = [];
  cloud.ecs.onTaskStateChange((e) => events.push(e));

  /** What every running TaskManager's agent published in the minute before now (visible 35 s after each scrape). */
  const definition = flinkMetricsDefinition({ clusterName: CLUSTER, serviceName: SERVICE });
  const publish = (): void => {
    const minute = Math.floor(clock.ms / MINUTE) * MINUTE - MINUTE;
    const scrapes = cloud.ecs
      .runningTaskIds({ cluster: CLUSTER, serviceName: SERVICE })
      .map((taskId) => ({ taskId, busyMs: 400 + (taskId.charCodeAt(0) % 7) * 10 }));
    publishScrapes(cloud.cloudwatch, definition, minute, 60, 30, scrapes);
  };
  const reconcile = async (): Promise<FailoverResult> => {
    cloud.ecs.advanceTo(clock.ms);
    publish();
    return handler({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      time: new Date(clock.ms).toISOString(),
      id: `tick-${clock.ms}`,
    });
  };
  const deliver = async (): Promise<{ invocations: number; moved: number }> => {
    let invocations = 0;
    let moved = 0;
    for (let e = events.shift(); e !== undefined; e = events.shift()) {
      invocations++;
      moved += (await handler(e)).partitionsMoved;
    }
    return { invocations, moved };
  };
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const r = await f();
    return [r, performance.now() - t];
  };
  const line = (label: string, w: Record<Kind, number>, extra = ''): void => {
    console.log(
      `${label.padEnd(58)} partition writes ${String(w.PARTITION).padStart(5)}   task writes ${String(w.TASK).padStart(4)}${extra}`,
    );
  };

  console.log(`failover writes: ${PARTITIONS} partitions on ${TASK_MANAGERS} TaskManagers (dynalite)\n`);
  for (let m = 3; m >= 1; m--) {
    const at = clock.ms;
    clock.ms -= m * MINUTE;
    publish();
    clock.ms = at;
  }
  events.length = 0;

  // Bootstrap: the first reconcile assigns everything and protects every TaskManager.
  let before = snapshot();
  const [boot, bootMs] = await timed(reconcile);
  line(
    'bootstrap (first reconcile)',
    since(before),
    `   (${bootMs.toFixed(0)} ms, ${boot.partitionsMoved} moved)`,
  );

  // Steady state: one reconcile a minute for an hour, nothing changes.
  clock.ms += MINUTE;
  await reconcile();
  before = snapshot();
  let steadyMs = 0;
  for (let m = 0; m < 60; m++) {
    clock.ms += MINUTE;
    steadyMs += (await timed(reconcile))[1];
  }
  await deliver();
  line(
    'steady state, 1 hour (60 reconciles)',
    since(before),
    `   (${(steadyMs / 60).toFixed(1)} ms per reconcile)`,
  );

  // The scale-in protection is renewed once a day (less than 24 h of its 48 h left): the
  // first reconcile a day after the bootstrap.
  clock.ms += 22 * 3_600_000;
  await reconcile();
  await deliver();
  before = snapshot();
  clock.ms += 61 * MINUTE;
  const [renew] = await timed(reconcile);
  const renewal = since(before);
  line(
    'protection renewal (once per 24 h)',
    renewal,
    `   (${renew.protectionSet.length} renewed; ≈${(renewal.TASK / 24).toFixed(1)} task writes/h amortized)`,
  );

  // One failover: a TaskManager dies; its STOPPED event moves its partitions.
  clock.ms += MINUTE;
  await reconcile();
  events.length = 0;
  const victim = cloud.ecs.runningTaskIds({ cluster: CLUSTER, serviceName: SERVICE })[7] as string;
  cloud.ecs.kill(victim);
  const stopped = events.find((e) => e.detail.taskArn.endsWith(victim) && e.detail.lastStatus === 'STOPPED');
  const rest = events.filter((e) => e !== stopped);
  events.length = 0;
  before = snapshot();
  const [failover, failoverMs] = await timed(() => handler(stopped));
  line(
    'one failover (the STOPPED event of one TaskManager)',
    since(before),
    `   (${failoverMs.toFixed(0)} ms, ${failover.partitionsMoved} moved)`,
  );

  // Its replacement: ECS launches one; it joins (events, then the reconcile protects it).
  events.push(...rest);
  before = snapshot();
  let joinMoved = 0;
  let joinEvents = 0;
  for (let s = 0; s < 4; s++) {
    clock.ms += 30_000;
    cloud.ecs.advanceTo(clock.ms);
    const d = await deliver();
    joinMoved += d.moved;
    joinEvents += d.invocations;
  }
  clock.ms = Math.ceil(clock.ms / MINUTE) * MINUTE;
  joinMoved += (await reconcile()).partitionsMoved;
  await deliver();
  line(
    'its replacement joining (events + one reconcile)',
    since(before),
    `   (${joinEvents} events, ${joinMoved} moved)`,
  );

  for (const c of Object.values(clients)) c.destroy();
} finally {
  await Promise.all([cloud.close(), dynamo.close()]);
}
