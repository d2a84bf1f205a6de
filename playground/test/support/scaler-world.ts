/**
 * The scaler's world for integration tests: dynalite as DynamoDB and the local cloud (ECS,
 * CloudWatch over their wire protocols), one ECS service of TaskManagers, a clock the tests
 * move, and real handlers built the way the Lambda builds them. Each "Lambda container" is a
 * runtime with SDK clients of its own; a gate can hold one container's UpdateService requests
 * on the wire, to place them exactly between another container's steps.
 */
import { createScalerHandler, type ScalerHandler } from 'flink-ecs-autoscaler/functions/scaler';
import {
  type AwsClients,
  createAwsClients,
  createRequestHandler,
} from 'flink-ecs-autoscaler/lib/aws/clients';
import { DynamoDbStateStore } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import type { AppConfigInput } from 'flink-ecs-autoscaler/lib/core/config';
import { flinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { loadScalerRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';
import { publishScrapes } from '../../src/collector';
import { type DynaliteHandle, startDynalite } from '../../src/dynalite';

export const T0 = Date.parse('2026-11-23T12:00:00Z');
export const CLUSTER = 'flink';
export const SERVICE = 'taskmanager';
export const APP = 'orders';

export const baseConfig = {
  appId: APP,
  ecs: { cluster: CLUSTER, service: SERVICE },
  partitions: 32,
  slotsPerTaskManager: 2,
  metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: CLUSTER } },
  // A scale-out applies at its first evaluation here (the confirmation window: test/unit/core/guards.test.ts).
  policy: { minTaskManagers: 1, maxTaskManagers: 20, scaleOutConfirmSeconds: 0 },
} satisfies AppConfigInput;

/**
 * Holds the requests of one ECS operation (e.g. UpdateService) on the wire: `arm(n)` makes the
 * n-th such request from now wait in `reached` until `release()`.
 */
export class RequestGate {
  private seen = 0;
  private armedAt: number | undefined;
  private opened: (() => void) | undefined;
  private arrived: (() => void) | undefined;
  /** Settles when the armed request has arrived at the gate. */
  reached: Promise<void> = Promise.resolve();

  constructor(private readonly operation: string) {}

  arm(nth = 1): void {
    this.armedAt = this.seen + nth;
    this.reached = new Promise((resolve) => {
      this.arrived = resolve;
    });
  }

  release(): void {
    this.opened?.();
    this.armedAt = undefined;
  }

  wrap(inner: HttpHandler): HttpHandler {
    const handler = Object.create(inner) as HttpHandler;
    handler.handle = async (request, options) => {
      const target = request.headers['x-amz-target'] ?? '';
      if (target.endsWith(`.${this.operation}`) && ++this.seen === this.armedAt) {
        const open = new Promise<void>((resolve) => {
          this.opened = resolve;
        });
        this.arrived?.();
        await open;
      }
      return inner.handle(request, options);
    };
    return handler;
  }
}

type HttpHandler = ReturnType<typeof createRequestHandler>;

export interface World {
  readonly dynamo: DynaliteHandle;
  readonly cloud: LocalCloud;
  readonly clock: { ms: number };
  /** SDK clients of one Lambda container (its own connections), optionally with a gate on its ECS requests. */
  clients(gate?: RequestGate): AwsClients;
  close(): Promise<void>;
}

export async function startWorld(initialTaskManagers = 4): Promise<World> {
  const dynamo = await startDynalite();
  const clock = { ms: T0 };
  const cloud = await startLocalCloud({ clock: () => clock.ms, ecs: { startMs: T0 - 3_600_000 } });
  cloud.ecs.createCluster(CLUSTER);
  cloud.ecs.createService({
    cluster: CLUSTER,
    serviceName: SERVICE,
    desiredCount: initialTaskManagers,
    initialTasksRunning: true,
  });
  const made: AwsClients[] = [];
  return {
    dynamo,
    cloud,
    clock,
    clients(gate) {
      const c = createAwsClients({
        region: 'eu-west-1',
        endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        ...(gate ? { requestHandlers: { ecs: gate.wrap(createRequestHandler()) } } : {}),
      });
      made.push(c);
      return c;
    },
    async close() {
      for (const c of made) for (const client of Object.values(c)) client.destroy();
      await Promise.all([cloud.close(), dynamo.close()]);
    },
  };
}

let tables = 0;

/** A fresh table for one test. */
export async function freshTable(_world: World, clients: AwsClients): Promise<string> {
  const tableName = `scaler-${++tables}`;
  await createTable(clients.dynamodb, tableName);
  return tableName;
}

/** A scaler handler of one Lambda container on `tableName`. */
export function scalerHandler(
  world: World,
  tableName: string,
  opts: { clients?: AwsClients; config?: object } = {},
): ScalerHandler {
  const runtime = loadScalerRuntime(
    { AUTOSCALER_CONFIG: JSON.stringify(opts.config ?? baseConfig), TABLE_NAME: tableName },
    { clients: opts.clients ?? world.clients(), clock: { now: () => new Date(world.clock.ms) } },
  );
  return createScalerHandler(runtime);
}

/** The SCALER item as the store reads it. */
export function readScaler(clients: AwsClients, tableName: string) {
  return new DynamoDbStateStore(clients.dynamodb, tableName).readScaler(APP);
}

/**
 * What the agents of `taskIds` published in each of the last `minutes` minutes (the definition of
 * lib/core/flink-metrics.ts, a scrape every 30 s): each TaskManager's busiest subtask at `busy`
 * (0..1), its source emitting `rate` records/s; visible at once.
 */
export function publishMetrics(
  world: World,
  taskIds: readonly string[],
  busy: number,
  rate: number,
  minutes = 4,
): void {
  const definition = flinkMetricsDefinition({ clusterName: CLUSTER, serviceName: SERVICE });
  const scrapes = taskIds.map((taskId) => ({ taskId, busyMs: busy * 1000, sourceRate: rate }));
  for (let m = 1; m <= minutes; m++) {
    // Visible at once: no flush, no ingestion delay.
    publishScrapes(
      world.cloud.cloudwatch,
      definition,
      world.clock.ms - m * 60_000,
      60,
      -definition.forceFlushSeconds,
      scrapes,
    );
  }
}

/** The service back at `count` TaskManagers, all RUNNING, the clock 10 minutes on. */
export function resetService(world: World, count: number): string[] {
  world.cloud.ecs.updateService(CLUSTER, SERVICE, { desiredCount: count });
  world.clock.ms += 600_000;
  world.cloud.ecs.advanceTo(world.clock.ms);
  return world.cloud.ecs.runningTaskIds({ cluster: CLUSTER, serviceName: SERVICE });
}

export const scheduled = (world: World, id = `tick-${world.clock.ms}`) => ({
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  time: new Date(world.clock.ms).toISOString(),
  id,
});

export const desiredCount = (world: World) => world.cloud.ecs.serviceCounts(CLUSTER, SERVICE).desiredCount;

/** UpdateService requests the local cloud served (status 200) since `since`, with their counts. */
export function updatesSince(world: World, since: number) {
  return world.cloud.requests.slice(since).filter((r) => r.operation === 'UpdateService' && r.status === 200);
}
