import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import {
  DynamoDbStateStore,
  decisionSk,
  itemKey,
  partitionToItem,
  taskToItem,
} from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { createTable, TABLE_KEY } from 'flink-ecs-autoscaler/lib/aws/table';
import type { PartitionItem, ScalerState, TaskHealthItem } from 'flink-ecs-autoscaler/lib/core/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../src/dynalite';
import { decisionRecord } from '../support/records';

const TABLE = 'autoscaler-state';

const decision = decisionRecord;

function task(taskId: string): TaskHealthItem {
  return {
    taskId,
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: 4,
    misses: 0,
    lastSeen: 1_700_000_000_000,
    startedAt: 1_699_999_000_000,
    version: 1,
  };
}

function partition(partitionId: number, owner: string | null): PartitionItem {
  return { partitionId, owner, epoch: 2, state: 'ASSIGNED', updatedAt: 1_700_000_000_000 };
}

describe('Class: DynamoDbStateStore (on dynalite)', () => {
  let dynalite: DynaliteHandle;
  let client: DynamoDBClient;
  let store: DynamoDbStateStore;
  let appSeq = 0;
  let app = '';
  /** Count of items each Query returned to the store (captured below the SDK's deserializer). */
  const queryCounts: number[] = [];

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = createAwsClients({
      region: 'us-east-1',
      endpoints: { dynamodb: dynalite.endpoint },
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }).dynamodb;
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as Partial<QueryCommandOutput>;
        if (output.Count !== undefined) queryCounts.push(output.Count);
        return result;
      },
      { step: 'initialize', name: 'countQueryItems' },
    );
    await createTable(client, TABLE);
    store = new DynamoDbStateStore(client, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await dynalite?.close();
  });

  beforeEach(() => {
    appSeq += 1;
    app = `app-${appSeq}`;
    queryCounts.length = 0;
  });

  it.each([
    { name: 'creating the item (expected version 0)', expected: 0 },
    { name: 'updating the item (expected version 3)', expected: 3 },
  ])('lets exactly one of 20 concurrent commits win when $name', async ({ expected }) => {
    // Prepare: bring the item to the expected version one commit at a time.
    for (let v = 0; v < expected; v++) {
      expect(await store.commitScaler(app, v, { recommendations: [], desired: 1 })).toBe(true);
    }

    // Act: 20 racers, each wanting a different desired count.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.commitScaler(app, expected, { recommendations: [], desired: 10 + i }),
      ),
    );

    // Assess
    expect(results.filter((won) => won)).toHaveLength(1);
    expect(results.filter((won) => !won)).toHaveLength(19);
    const { scaler } = await store.readApp(app);
    expect(scaler.version).toBe(expected + 1);
    expect(scaler.desired).toBe(10 + results.indexOf(true));
  });

  it('refuses a commit at a stale version and keeps the stored state', async () => {
    // Prepare
    await store.commitScaler(app, 0, { recommendations: [], desired: 2 });
    await store.commitScaler(app, 1, { recommendations: [{ at: 1, desired: 3 }], desired: 3 });

    // Act
    const won = await store.commitScaler(app, 1, { recommendations: [], desired: 9 });

    // Assess
    expect(won).toBe(false);
    expect((await store.readApp(app)).scaler).toEqual({
      version: 2,
      desired: 3,
      recommendations: [{ at: 1, desired: 3 }],
    });
  });

  it('round-trips a full scaler state', async () => {
    // Prepare
    const state: Omit<ScalerState, 'version'> = {
      desired: 6,
      lastScaleOutAt: 1_700_000_000_000,
      lastScaleInAt: 1_699_000_000_000,
      lastDecisionAt: 1_700_000_060_000,
      recommendations: [
        { at: 1_700_000_000_000, desired: 5 },
        { at: 1_700_000_060_000, desired: 6 },
      ],
      hold: { until: 1_700_003_600_000, reason: 'migration', by: 'alice' },
      pause: { until: 1_700_000_600_000, reason: 'incident' },
      change: { decisionId: 'd-9', desired: 6, committedAt: 1_700_000_060_000, appliedAt: 1_700_000_061_000 },
    };

    // Act
    await store.commitScaler(app, 0, state);
    const { scaler } = await store.readApp(app);

    // Assess
    expect(scaler).toEqual({ ...state, version: 1 });
  });

  it('reads tasks and partitions but never the decision log', async () => {
    // Prepare: a scaler item, two tasks, partitions written out of order, and a long decision log.
    await store.commitScaler(app, 0, { recommendations: [], desired: 2 });
    for (const t of [task('b-task'), task('a-task')]) {
      await client.send(new PutItemCommand({ TableName: TABLE, Item: taskToItem(app, t) }));
    }
    const partitions = [partition(100, 'a-task'), partition(2, 'b-task'), partition(10, null)];
    for (const p of partitions) {
      await client.send(new PutItemCommand({ TableName: TABLE, Item: partitionToItem(app, p) }));
    }
    for (let i = 0; i < 30; i++) {
      await store.putDecision(
        app,
        decision(`d-${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()),
        2_000_000_000,
      );
    }
    // Another app's items must not show either.
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: taskToItem(`${app}-other`, task('zzz')) }),
    );
    queryCounts.length = 0;

    // Act
    const items = await store.readApp(app);

    // Assess
    expect(items.scaler).toMatchObject({ version: 1, desired: 2 });
    expect(items.tasks).toEqual([task('a-task'), task('b-task')]);
    expect(items.partitions).toEqual([partition(2, 'b-task'), partition(10, null), partition(100, 'a-task')]);
    // 1 scaler + 2 tasks + 3 partitions read: not one of the 30 decisions.
    expect(queryCounts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('returns the initial state for an app it has never seen', async () => {
    // Act
    const items = await store.readApp(app);

    // Assess
    expect(items).toEqual({ scaler: { version: 0, recommendations: [] }, tasks: [], partitions: [] });
  });

  it('lists decisions newest first, each stored with a ttl', async () => {
    // Prepare: written in shuffled time order, two in the same minute.
    const written = [
      decision('d-b', '2026-01-01T00:03:00.000Z'),
      decision('d-a', '2026-01-01T00:01:00.000Z'),
      decision('d-d', '2026-01-01T00:05:00.000Z'),
      decision('d-c', '2026-01-01T00:03:00.500Z'),
    ];
    for (const [i, d] of written.entries()) await store.putDecision(app, d, 1_800_000_000 + i);

    // Act
    const latest3 = await store.listDecisions(app, 3);
    const all = await store.listDecisions(app, 10);

    // Assess
    expect(latest3.map((d) => d.decisionId)).toEqual(['d-d', 'd-c', 'd-b']);
    expect(all.map((d) => d.decisionId)).toEqual(['d-d', 'd-c', 'd-b', 'd-a']);
    expect(all[0]).toEqual(written[2]);
    const stored = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: itemKey(`APP#${app}`, decisionSk('2026-01-01T00:05:00.000Z', 'd-d')),
        ConsistentRead: true,
      }),
    );
    expect(stored.Item?.[TABLE_KEY.ttlAttribute]).toEqual({ N: '1800000002' });
  });
});
