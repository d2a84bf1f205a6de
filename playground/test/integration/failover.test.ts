/**
 * The failover function end to end: the real handler, adapters and SDK clients against the
 * local cloud (ECS, CloudWatch over their wire protocols) and dynalite (DynamoDB).
 */
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createFailoverHandler, type FailoverHandler } from 'flink-ecs-autoscaler/functions/failover';
import { type AwsClients, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { DynamoDbStateStore } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import { assignmentsFor, verifyOwnership } from 'flink-ecs-autoscaler/lib/client/index';
import type { PartitionItem } from 'flink-ecs-autoscaler/lib/core/domain';
import { ValidationError } from 'flink-ecs-autoscaler/lib/core/errors';
import { flinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { loadFailoverRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EcsTaskStateChangeEvent, taskStateChangeEvent } from '../../src/cloud/ecs-events';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';
import { publishScrapes } from '../../src/collector';
import { type DynaliteHandle, startDynalite } from '../../src/dynalite';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const CLUSTER = 'flink';
const PARTITIONS = 32;

let dynamo: DynaliteHandle;
let cloud: LocalCloud;
let clients: AwsClients;
const clock = { ms: T0 };

/** Every PutItem/DeleteItem that succeeded, with the local cloud's request count at that moment. */
interface Write {
  readonly table: string;
  readonly sk: string;
  readonly item: Record<string, unknown>;
  /** cloud.requests.length when the write completed: orders it against ECS calls. */
  readonly ecsSeq: number;
}
const writes: Write[] = [];

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  dynamo = await startDynalite();
  cloud = await startLocalCloud({ clock: () => clock.ms, ecs: { startMs: T0 - 3_600_000 } });
  cloud.ecs.createCluster(CLUSTER);
  clients = createAwsClients({
    region: 'eu-west-1',
    endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'PutItemCommand') {
        const input = args.input as PutItemCommandInput;
        const item = unmarshall(input.Item ?? {});
        writes.push({
          table: input.TableName ?? '',
          sk: String(item.sk),
          item,
          ecsSeq: cloud.requests.length,
        });
      }
      return result;
    },
    { step: 'initialize', name: 'recordWrites' },
  );
});

afterAll(async () => {
  for (const c of Object.values(clients ?? {})) c.destroy();
  await Promise.all([cloud?.close(), dynamo?.close()]);
});

interface Env {
  readonly name: string;
  readonly service: string;
  readonly tableName: string;
  readonly handler: FailoverHandler;
  readonly store: DynamoDbStateStore;
  readonly events: EcsTaskStateChangeEvent[];
  readonly hung: Set<string>;
}

let seq = 0;

/** A fresh service of `count` RUNNING TaskManagers with 5 minutes of metrics, a fresh table and handler. */
async function setup(
  count: number,
  opts: { healthCheck?: boolean; listTasksLagSeconds?: number } = {},
): Promise<Env> {
  const name = `app${++seq}`;
  const service = `tm-${name}`;
  const tableName = `failover-${name}`;
  cloud.ecs.createService({
    cluster: CLUSTER,
    serviceName: service,
    desiredCount: count,
    initialTasksRunning: true,
    healthCheck: opts.healthCheck ?? true,
    ...(opts.listTasksLagSeconds === undefined ? {} : { listTasksLagSeconds: opts.listTasksLagSeconds }),
  });
  await createTable(clients.dynamodb, tableName);
  const events: EcsTaskStateChangeEvent[] = [];
  cloud.ecs.onTaskStateChange((e) => {
    if (e.detail.group === `service:${service}`) events.push(e);
  });
  const config = {
    appId: name,
    ecs: { cluster: CLUSTER, service },
    partitions: PARTITIONS,
    slotsPerTaskManager: 2,
    metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: CLUSTER } },
    policy: { minTaskManagers: 1, maxTaskManagers: 20 },
  };
  const runtime = loadFailoverRuntime(
    { AUTOSCALER_CONFIG: JSON.stringify(config), TABLE_NAME: tableName },
    { clients, clock: { now: () => new Date(clock.ms) } },
  );
  const env: Env = {
    name,
    service,
    tableName,
    handler: createFailoverHandler(runtime),
    store: new DynamoDbStateStore(clients.dynamodb, tableName),
    events,
    hung: new Set(),
  };
  for (let m = 5; m >= 1; m--) publishMinute(env, clock.ms - m * 60_000);
  return env;
}

function runningIds(env: Env): string[] {
  return cloud.ecs.runningTaskIds({ cluster: CLUSTER, serviceName: env.service });
}

/**
 * What the agents of every RUNNING, non-hung TaskManager publish in the minute (lib/core/flink-metrics.ts:
 * a scrape every 30 s, each visible 35 s after it).
 */
function publishMinute(env: Env, minuteStart: number): void {
  const scrapes = runningIds(env)
    .filter((taskId) => !env.hung.has(taskId))
    .map((taskId) => ({ taskId, busyMs: 500 }));
  publishScrapes(
    cloud.cloudwatch,
    flinkMetricsDefinition({ clusterName: CLUSTER, serviceName: env.service }),
    minuteStart,
    60,
    30,
    scrapes,
  );
}

const scheduled = () => ({
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  time: new Date(clock.ms).toISOString(),
  id: `tick-${clock.ms}`,
});

/** One minute passes: the minute's metrics are published, then the schedule reconciles. */
async function tick(env: Env) {
  clock.ms += 60_000;
  cloud.ecs.advanceTo(clock.ms);
  publishMinute(env, clock.ms - 60_000);
  return env.handler(scheduled());
}

async function partitionsOf(env: Env): Promise<Map<number, PartitionItem>> {
  const items = await env.store.readPartitions(env.name);
  return new Map(items.map((p) => [p.partitionId, p]));
}

function ownersOf(parts: Map<number, PartitionItem>): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of parts.values()) if (p.owner !== null) out.set(p.owner, (out.get(p.owner) ?? 0) + 1);
  return out;
}

describe('Integration: failover on the local cloud and dynalite', () => {
  it('bootstraps: every partition gets a HEALTHY owner, balanced, and every TaskManager scale-in protection', async () => {
    // Prepare
    const env = await setup(4);
    // Act
    const r = await env.handler(scheduled());
    // Assess
    expect(r).toMatchObject({ outcome: 'Converged', partitionsMoved: PARTITIONS, conflicts: 0 });
    const parts = await partitionsOf(env);
    expect(parts.size).toBe(PARTITIONS);
    expect([...ownersOf(parts).values()]).toEqual([8, 8, 8, 8]);
    expect([...parts.values()].every((p) => p.epoch === 1 && p.state === 'ASSIGNED')).toBe(true);
    const protection = cloud.ecs.getTaskProtection(CLUSTER, runningIds(env)).protectedTasks;
    expect(protection.every((p) => p.protectionEnabled)).toBe(true);
    expect(r.protectionSet).toHaveLength(4);
  });

  it('writes nothing on a reconcile when nothing changed', async () => {
    // Prepare
    const env = await setup(4);
    await env.handler(scheduled());
    await tick(env);
    const before = writes.length;
    // Act
    const r = await tick(env);
    // Assess
    expect(r).toMatchObject({ outcome: 'Converged', partitionsMoved: 0, healthChanges: [] });
    expect(writes.slice(before).filter((w) => w.table === env.tableName)).toEqual([]);
  });

  it('10 concurrent invocations for one STOPPED event → one final state, each affected epoch bumped exactly once', async () => {
    // Prepare
    const env = await setup(4);
    await env.handler(scheduled());
    const before = await partitionsOf(env);
    const [victim] = runningIds(env) as [string];
    const affected = [...before.values()].filter((p) => p.owner === victim).map((p) => p.partitionId);
    env.events.length = 0;
    cloud.ecs.kill(victim);
    const stopped = env.events.find(
      (e) => e.detail.taskArn.endsWith(victim) && e.detail.lastStatus === 'STOPPED',
    );
    expect(stopped).toBeDefined();
    const sinceWrites = writes.length;
    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => env.handler(stopped)));
    // Assess
    expect(results.every((r) => r.outcome === 'Converged')).toBe(true);
    expect(results.reduce((n, r) => n + r.partitionsMoved, 0)).toBe(affected.length);
    const after = await partitionsOf(env);
    const live = new Set(runningIds(env));
    for (const [id, p] of after) {
      const old = before.get(id) as PartitionItem;
      if (affected.includes(id)) {
        expect(p.epoch).toBe(old.epoch + 1);
        expect(p.previousOwner).toBe(victim);
        expect(live.has(p.owner ?? '')).toBe(true);
      } else {
        expect(p).toEqual(old);
      }
    }
    const ownerWrites = writes
      .slice(sinceWrites)
      .filter((w) => w.table === env.tableName && w.sk.startsWith('PARTITION#'));
    expect(ownerWrites).toHaveLength(affected.length);
    const counts = [...ownersOf(after).values()].sort();
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(
      await env.store.readApp(env.name).then((a) => a.tasks.find((t) => t.taskId === victim)?.status),
    ).toBe('DEAD');
    // The same event again (EventBridge delivers at least once) changes nothing.
    const again = await env.handler(stopped);
    expect(again).toMatchObject({ partitionsMoved: 0, healthChanges: [] });
  });

  it('a hung TaskManager (health check passes, no metrics) is stopped, then its partitions move, within 150 s', async () => {
    // Prepare: no container health check, so only the missing metrics reveal the hang.
    const env = await setup(3, { healthCheck: false });
    await env.handler(scheduled());
    const [victim] = runningIds(env) as [string];
    const owned = (await assignmentsFor(env.store, env.name, victim)).map((p) => p.partitionId);
    expect(owned.length).toBeGreaterThan(0);
    // It hangs at the start of a minute (the worst case: that whole minute goes unpublished).
    const hungAt = clock.ms;
    cloud.ecs.hang(victim);
    env.hung.add(victim);
    const sinceRequests = cloud.requests.length;
    // Act: reconcile every minute until its partitions are gone.
    let handedOverAt: number | undefined;
    const results = [];
    for (let i = 0; i < 5 && handedOverAt === undefined; i++) {
      results.push(await tick(env));
      if ((await assignmentsFor(env.store, env.name, victim)).length === 0) handedOverAt = clock.ms;
    }
    // Assess
    expect(handedOverAt).toBeDefined();
    expect(((handedOverAt as number) - hungAt) / 1000).toBeLessThanOrEqual(150);
    const last = results.at(-1);
    expect(last).toMatchObject({ stopped: [victim], failedOver: [victim] });
    const stopIndex = cloud.requests.findIndex(
      (q, i) => i >= sinceRequests && q.operation === 'StopTask' && q.status === 200,
    );
    expect(stopIndex).toBeGreaterThanOrEqual(0);
    const handover = writes.filter(
      (w) => w.table === env.tableName && w.sk.startsWith('PARTITION#') && w.item.previousOwner === victim,
    );
    expect(
      handover.map((w) => Number(String(w.sk).slice('PARTITION#'.length))).sort((a, b) => a - b),
    ).toEqual(owned);
    // Every hand-over write completed after the StopTask request.
    expect(Math.min(...handover.map((w) => w.ecsSeq))).toBeGreaterThan(stopIndex);
    expect(cloud.ecs.task(victim)?.lastStatus).toBe('STOPPED');
  });

  it('a hung TaskManager whose container health check fails is handed over on ECS’s replacement events, which carry no health (AWS’s shape)', async () => {
    // Prepare: health checks every 10 s, UNHEALTHY after 3 failures; ECS replaces such a task.
    const env = await setup(3, { healthCheck: true });
    await env.handler(scheduled());
    const [victim] = runningIds(env) as [string];
    const owned = (await assignmentsFor(env.store, env.name, victim)).length;
    expect(owned).toBeGreaterThan(0);
    const hungAt = clock.ms;
    cloud.ecs.hang(victim);
    env.hung.add(victim);
    // Act: time passes in 5 s steps; every event is delivered as AWS sends it, without health.
    let handedOverAt: number | undefined;
    const results = [];
    for (let t = 0; t < 120 && handedOverAt === undefined; t += 5) {
      clock.ms += 5_000;
      env.events.length = 0;
      cloud.ecs.advanceTo(clock.ms);
      // The local ECS sends events as AWS does, without health (docs/local-cloud.md).
      for (const e of env.events.splice(0)) results.push(await env.handler(e));
      if ((await assignmentsFor(env.store, env.name, victim)).length === 0) handedOverAt = clock.ms;
    }
    // Assess: within the health check's interval × retries (+ one step), on the fast path.
    expect(handedOverAt).toBeDefined();
    expect(((handedOverAt as number) - hungAt) / 1000).toBeLessThanOrEqual(3 * 10 + 5);
    expect(results.flatMap((r) => r.failedOver)).toContain(victim);
    expect(
      await env.store.readApp(env.name).then((a) => a.tasks.find((t) => t.taskId === victim)?.status),
    ).toMatch(/DEAD|DRAINING/);
  });

  it('scale-in: the victim (fewest partitions, youngest) drains first, then loses protection and ECS stops exactly it', async () => {
    // Prepare: 5 TaskManagers, all protected and owning partitions.
    const env = await setup(5);
    await env.handler(scheduled());
    const ids = runningIds(env);
    const partsBefore = await partitionsOf(env);
    const owners = ownersOf(partsBefore);
    // Act: the scaler lowers the count; protection keeps every task running.
    cloud.ecs.updateService(CLUSTER, env.service, { desiredCount: 4 });
    expect(runningIds(env)).toHaveLength(5);
    const sinceRequests = cloud.requests.length;
    const sinceWrites = writes.length;
    const r = await tick(env);
    // Assess
    const fewest = Math.min(...ids.map((id) => owners.get(id) ?? 0));
    // All started together: the tie on age is broken by task id.
    const expectedVictim = ids.filter((id) => (owners.get(id) ?? 0) === fewest).sort()[0];
    expect(r.scaleInVictims).toEqual([expectedVictim]);
    const victim = expectedVictim as string;
    expect(runningIds(env)).toEqual(ids.filter((id) => id !== victim));
    const drop = cloud.requests.findIndex(
      (q, i) => i >= sinceRequests && q.operation === 'UpdateTaskProtection' && q.status === 200,
    );
    expect(drop).toBeGreaterThanOrEqual(0);
    const partitionWrites = writes
      .slice(sinceWrites)
      .filter((w) => w.table === env.tableName && w.sk.startsWith('PARTITION#'));
    // Each of its partitions: REVOKING (same owner and epoch), then ASSIGNED to the new owner at epoch + 1.
    const victimParts = [...partsBefore.values()].filter((p) => p.owner === victim);
    expect(partitionWrites).toHaveLength(2 * victimParts.length);
    for (const p of victimParts) {
      const forIt = partitionWrites.filter((w) => w.item.partitionId === p.partitionId).map((w) => w.item);
      expect(forIt[0]).toMatchObject({ owner: victim, epoch: p.epoch, state: 'REVOKING' });
      expect(forIt[1]).toMatchObject({ epoch: p.epoch + 1, state: 'ASSIGNED', previousOwner: victim });
    }
    // Every partition write completed before protection was dropped.
    expect(Math.max(...partitionWrites.map((w) => w.ecsSeq))).toBeLessThanOrEqual(drop);
    expect(await assignmentsFor(env.store, env.name, victim)).toEqual([]);
    expect(r.protectionDropped).toEqual([victim]);
    const counts = [...ownersOf(await partitionsOf(env)).values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('a new TaskManager that ListTasks does not list yet (eventual consistency) keeps its share', async () => {
    // Prepare: ListTasks lags 150 s behind each launch; after 3 minutes the first three are listed.
    const env = await setup(3, { listTasksLagSeconds: 150 });
    for (let i = 0; i < 3; i++) await tick(env);
    const first = new Set(runningIds(env));
    expect([...ownersOf(await partitionsOf(env)).keys()].sort()).toEqual([...first].sort());
    // A scale-out: the new task runs a minute later and joins on its RUNNING event.
    cloud.ecs.updateService(CLUSTER, env.service, { desiredCount: 4 });
    env.events.length = 0;
    await tick(env);
    const fresh = runningIds(env).find((id) => !first.has(id)) as string;
    for (const e of env.events.splice(0)) await env.handler(e);
    const share = ownersOf(await partitionsOf(env)).get(fresh) ?? 0;
    expect(share).toBeGreaterThan(0);
    // Act: the next reconcile, 2 minutes after its launch: ECS runs it, ListTasks does not list it yet.
    const r = await tick(env);
    // Assess
    expect(r.healthChanges.filter((c) => c.taskId === fresh)).toEqual([]);
    expect(ownersOf(await partitionsOf(env)).get(fresh)).toBe(share);
    expect(
      await env.store.readApp(env.name).then((a) => a.tasks.find((t) => t.taskId === fresh)?.status),
    ).toBe('HEALTHY');
  });

  describe('issue 11 item 5: a stale STOPPED event fences a live TaskManager for good', () => {
    /** An ECS Task State Change event of the task as it is now, with `detail` changed. */
    function eventOf(taskId: string, detail: Partial<EcsTaskStateChangeEvent['detail']>) {
      const task = cloud.ecs.task(taskId);
      if (task === undefined) throw new Error(`no task ${taskId}`);
      const e = taskStateChangeEvent(task, {
        id: `forged-${++seq}`,
        account: '123456789012',
        region: 'eu-west-1',
      });
      return { ...e, detail: { ...e.detail, ...detail } };
    }
    /** PARTITION writes since `since` that named `taskId` the owner. */
    const writesTo = (env: Env, taskId: string, since: number) =>
      writes
        .slice(since)
        .filter((w) => w.table === env.tableName && w.sk.startsWith('PARTITION#') && w.item.owner === taskId);
    const taskItem = async (env: Env, taskId: string) =>
      (await env.store.readApp(env.name)).tasks.find((t) => t.taskId === taskId);

    it('ignores a STOPPED event not newer than the version DescribeTasks reported: the TaskManager keeps its partitions', async () => {
      // Prepare: the first reconcile records every task as DescribeTasks describes it (version 1).
      const env = await setup(3);
      await env.handler(scheduled());
      const [victim] = runningIds(env) as [string];
      const before = await partitionsOf(env);
      const owned = [...before.values()].filter((p) => p.owner === victim);
      expect(owned.length).toBeGreaterThan(0);
      // Act: a stale (or replayed) STOPPED event of the running task, at version 1.
      const stale = await env.handler(
        eventOf(victim, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 1 }),
      );
      const later = [await tick(env), await tick(env), await tick(env)];
      // Assess: nothing was fenced: same owner, same epochs, still protected, never stopped.
      expect(stale).toMatchObject({
        outcome: 'Converged',
        healthChanges: [],
        partitionsMoved: 0,
        failedOver: [],
      });
      expect(later.map((r) => r.partitionsMoved)).toEqual([0, 0, 0]);
      expect(await taskItem(env, victim)).toMatchObject({ status: 'HEALTHY', ecsStatus: 'RUNNING' });
      const after = await partitionsOf(env);
      for (const p of owned) expect(after.get(p.partitionId)).toEqual(p);
      expect(cloud.ecs.getTaskProtection(CLUSTER, [victim]).protectedTasks[0]?.protectionEnabled).toBe(true);
      expect(cloud.ecs.task(victim)?.lastStatus).toBe('RUNNING');
      // The version the first reconcile recorded, from DescribeTasks.
      expect(await taskItem(env, victim)).toMatchObject({
        status: 'HEALTHY',
        ecsVersion: cloud.ecs.task(victim)?.version,
      });
    });

    /**
     * The state reconciles before this fix left: the task's item recorded at ECS version 0,
     * then the stale STOPPED event at version 1 fenced it (DEAD, its partitions moved).
     */
    async function fencedButRunning(env: Env): Promise<{ victim: string; sinceWrites: number }> {
      await env.handler(scheduled());
      const [victim] = runningIds(env) as [string];
      const item = await taskItem(env, victim);
      if (item === undefined) throw new Error(`no item for ${victim}`);
      const { version, ...rest } = item;
      expect(await env.store.commitTask(env.name, version, { ...rest, ecsVersion: 0 })).toBe(true);
      const fenced = await env.handler(
        eventOf(victim, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 1 }),
      );
      expect(fenced).toMatchObject({ failedOver: [victim] });
      expect(cloud.ecs.task(victim)?.lastStatus).toBe('RUNNING');
      return { victim, sinceWrites: writes.length };
    }

    it('stops a TaskManager recorded DEAD that DescribeTasks shows RUNNING: it owns nothing and ECS replaces it', async () => {
      // Prepare
      const env = await setup(3);
      const { victim, sinceWrites } = await fencedButRunning(env);
      const sinceRequests = cloud.requests.length;
      // Act
      const later = [await tick(env), await tick(env), await tick(env)];
      // Assess: DescribeTasks' RUNNING is recorded, the fenced TaskManager is stopped (once).
      expect(later.map((r) => r.stopped)).toEqual([[victim], [], []]);
      expect(later[0]?.healthChanges).toEqual([]);
      const stop = cloud.requests.find((q, i) => i >= sinceRequests && q.operation === 'StopTask');
      expect(stop?.status).toBe(200);
      expect(cloud.ecs.task(victim)?.desiredStatus).toBe('STOPPED');
      expect(await taskItem(env, victim)).toMatchObject({ status: 'DEAD', ecsStatus: 'RUNNING' });
      expect((await taskItem(env, victim))?.stopRequestedAt).toBeDefined();
      // It owns nothing and was given nothing.
      expect(await assignmentsFor(env.store, env.name, victim)).toEqual([]);
      expect(writesTo(env, victim, sinceWrites)).toEqual([]);
    });

    it('a later, higher-version event does not give a DEAD TaskManager its partitions back', async () => {
      // Prepare
      const env = await setup(3);
      const { victim, sinceWrites } = await fencedButRunning(env);
      // Act
      const revived = await env.handler(
        eventOf(victim, { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 40 }),
      );
      const later = [await tick(env), await tick(env)];
      // Assess: still DEAD, owns nothing, stopped once (the event found it fenced but running).
      expect(revived).toMatchObject({ partitionsMoved: 0, healthChanges: [] });
      expect([revived, ...later].flatMap((r) => r.stopped)).toEqual([victim]);
      expect(await taskItem(env, victim)).toMatchObject({ status: 'DEAD', ecsVersion: 40 });
      expect(await assignmentsFor(env.store, env.name, victim)).toEqual([]);
      expect(writesTo(env, victim, sinceWrites)).toEqual([]);
    });
  });

  it('a consumer sees its partitions with epochs and is fenced after a failover', async () => {
    // Prepare
    const env = await setup(2);
    await env.handler(scheduled());
    const [a, b] = runningIds(env) as [string, string];
    const mine = await assignmentsFor({ client: clients.dynamodb, tableName: env.tableName }, env.name, a);
    const first = mine[0] as { partitionId: number; epoch: number };
    expect(await verifyOwnership(env.store, env.name, a, first.partitionId, first.epoch)).toEqual({
      kind: 'owned',
      epoch: first.epoch,
    });
    // Act: a dies; its partitions go to b.
    env.events.length = 0;
    cloud.ecs.kill(a);
    const stopped = env.events.find((e) => e.detail.lastStatus === 'STOPPED');
    await env.handler(stopped);
    // Assess
    expect(await verifyOwnership(env.store, env.name, a, first.partitionId, first.epoch)).toEqual({
      kind: 'fenced',
      storedEpoch: first.epoch + 1,
      owner: b,
    });
    expect(await assignmentsFor(env.store, env.name, a)).toEqual([]);
  });

  it('an event of another service is ignored: nothing read or written', async () => {
    const env = await setup(2);
    await env.handler(scheduled());
    const other = `tm-other-${seq}`;
    cloud.ecs.createService({
      cluster: CLUSTER,
      serviceName: other,
      desiredCount: 1,
      initialTasksRunning: true,
    });
    const events: EcsTaskStateChangeEvent[] = [];
    const off = cloud.ecs.onTaskStateChange((e) => events.push(e));
    cloud.ecs.kill(cloud.ecs.runningTaskIds({ cluster: CLUSTER, serviceName: other })[0] as string);
    off();
    const sinceWrites = writes.length;
    const sinceRequests = cloud.requests.length;
    const r = await env.handler(events.find((e) => e.detail.lastStatus === 'STOPPED'));
    expect(r.outcome).toBe('Ignored');
    expect(writes.slice(sinceWrites)).toEqual([]);
    expect(cloud.requests.slice(sinceRequests)).toEqual([]);
  });

  it.each([
    {
      name: 'a version that is not a number',
      patch: (e: Record<string, unknown>) => ({
        ...e,
        detail: { ...(e.detail as object), version: 'seven' },
      }),
      field: 'detail.version',
    },
    {
      name: 'a missing taskArn',
      patch: (e: Record<string, unknown>) => {
        const { taskArn: _t, ...detail } = e.detail as Record<string, unknown>;
        return { ...e, detail };
      },
      field: 'detail.taskArn',
    },
    {
      name: 'a task ARN that is not one',
      patch: (e: Record<string, unknown>) => ({ ...e, detail: { ...(e.detail as object), taskArn: 'nope' } }),
      field: 'detail.taskArn',
    },
    {
      name: 'a bad time',
      patch: (e: Record<string, unknown>) => ({ ...e, time: 'yesterday' }),
      field: 'time',
    },
    {
      name: 'an unknown source',
      patch: (e: Record<string, unknown>) => ({ ...e, source: 'aws.ec2' }),
      field: 'source',
    },
  ])('rejects $name naming $field, with no write and no request', async ({ patch, field }) => {
    // Prepare
    const env = await setup(2);
    await env.handler(scheduled());
    env.events.length = 0;
    cloud.ecs.kill(runningIds(env)[0] as string);
    const stopped = env.events.find((e) => e.detail.lastStatus === 'STOPPED') as unknown as Record<
      string,
      unknown
    >;
    const sinceWrites = writes.length;
    const sinceRequests = cloud.requests.length;
    // Act
    const failure = await env.handler(patch(stopped)).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as Error).message).toContain(field);
    expect(writes.slice(sinceWrites)).toEqual([]);
    expect(cloud.requests.slice(sinceRequests)).toEqual([]);
  });

  it('a rolling deployment (forceNewDeployment) completes while the failover function protects the TaskManagers: it drops their protection, and every partition keeps a live owner', async () => {
    // Prepare: 4 protected TaskManagers owning every partition
    const env = await setup(4);
    await env.handler(scheduled());
    const before = new Set(runningIds(env));
    expect(
      cloud.ecs.getTaskProtection(CLUSTER, [...before]).protectedTasks.every((p) => p.protectionEnabled),
    ).toBe(true);
    // Act: a new deployment of the service (as `aws ecs update-service --force-new-deployment`), ticks every minute
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: env.service, forceNewDeployment: true }),
    );
    const rollout: string[] = [];
    for (let minute = 0; minute < 15; minute++) {
      const r = await tick(env);
      expect(r.outcome).toBe('Converged');
      const parts = await partitionsOf(env);
      const live = new Set(runningIds(env));
      // Fencing holds throughout: an owner is always a task ECS still runs (or one just stopping, whose partitions move on its event).
      expect([...parts.values()].filter((p) => p.owner === null)).toEqual([]);
      rollout.push(cloud.ecs.describeService(CLUSTER, env.service).deployments[0]?.rolloutState ?? '?');
      if (rollout.at(-1) === 'COMPLETED' && [...before].every((t) => !live.has(t))) break;
    }
    // Assess: the deployment replaced every task and completed; the new tasks own the partitions
    expect(rollout.at(-1)).toBe('COMPLETED');
    const now = new Set(runningIds(env));
    expect([...before].filter((t) => now.has(t))).toEqual([]);
    const owners = ownersOf(await partitionsOf(env));
    expect([...owners.keys()].every((o) => now.has(o))).toBe(true);
  }, 60_000);
});
