import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AFTER_DECISIONS,
  DynamoDbStateStore,
  decisionSk,
  decisionToItem,
  type Item,
  itemToDecision,
  itemToPartition,
  itemToScaler,
  itemToTask,
  partitionSk,
  partitionToItem,
  scalerToItem,
  taskToItem,
} from '../../../lib/aws/dynamodb-store';
import { TABLE_KEY } from '../../../lib/aws/table';
import {
  type DecisionRecord,
  initialScalerState,
  type PartitionItem,
  type ScalerState,
  type TaskHealthItem,
} from '../../../lib/core/domain';
import { DependencyError, ValidationError } from '../../../lib/core/errors';

const TABLE = 'autoscaler-state';
const APP = 'orders';

const scaler: Omit<ScalerState, 'version'> = {
  desired: 4,
  lastScaleOutAt: 1_700_000_000_000,
  lastDecisionAt: 1_700_000_060_000,
  recommendations: [
    { at: 1_700_000_000_000, desired: 4 },
    { at: 1_700_000_060_000, desired: 3, input: 2_950.5 },
  ],
  hold: { until: 1_700_000_900_000, reason: 'load test', by: 'ops' },
  change: { decisionId: 'd-7', desired: 4, committedAt: 1_700_000_060_000 },
};

const task: TaskHealthItem = {
  taskId: 'abc',
  status: 'SUSPECT',
  ecsStatus: 'RUNNING',
  ecsVersion: 3,
  misses: 1,
  lastSeen: 1_700_000_000_000,
  version: 2,
};

const partition: PartitionItem = {
  partitionId: 42,
  owner: 'abc',
  epoch: 5,
  state: 'ASSIGNED',
  previousOwner: 'def',
  updatedAt: 1_700_000_000_000,
};

function decision(overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId: 'd-1',
    at: '2026-01-01T00:01:00.000Z',
    trigger: 'schedule',
    policy: 'rate',
    current: 3,
    running: 3,
    recommended: 5,
    desired: 5,
    reason: 'Applied',
    applied: true,
    dryRun: false,
    inputs: { inputRate: 1200.5, backlog: false, hot: ['t1', 't2'] },
    ...overrides,
  };
}

function sdkError(name: string): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {} });
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

describe('Class: DynamoDbStateStore', () => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const ddb = mockClient(client);
  const store = new DynamoDbStateStore(client, TABLE);

  beforeEach(() => {
    ddb.reset();
  });

  describe('readApp', () => {
    it('runs one strongly consistent Query that starts after the decision log', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [] });

      // Act
      await store.readApp(APP);

      // Assess
      expect(ddb).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
        TableName: TABLE,
        ConsistentRead: true,
        KeyConditionExpression: '#pk = :pk AND #sk > :afterDecisions',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: {
          ':pk': { S: `APP#${APP}` },
          ':afterDecisions': { S: 'DECISION#\uffff' },
        },
      });
    });

    it('follows LastEvaluatedKey and maps every item kind', async () => {
      // Prepare
      const lastKey = { pk: { S: `APP#${APP}` }, sk: { S: 'PARTITION#000042' } };
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [partitionToItem(APP, partition)], LastEvaluatedKey: lastKey })
        .resolvesOnce({ Items: [scalerToItem(APP, 9, scaler), taskToItem(APP, task)] });

      // Act
      const items = await store.readApp(APP);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
      expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, {
        ExclusiveStartKey: lastKey,
        ConsistentRead: true,
      });
      expect(items).toEqual({ scaler: { ...scaler, version: 9 }, tasks: [task], partitions: [partition] });
    });

    it('returns the initial scaler state when there is no SCALER item', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [taskToItem(APP, task)] });

      // Act
      const items = await store.readApp(APP);

      // Assess
      expect(items.scaler).toEqual(initialScalerState);
      expect(items.tasks).toEqual([task]);
    });

    it('fails with a DependencyError on a malformed item', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({
        Items: [marshall({ pk: `APP#${APP}`, sk: 'SCALER', version: 'three', recommendations: [] })],
      });

      // Act
      const failure = await store.readApp(APP).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as Error).message).toContain('version');
    });
  });

  describe('readScaler', () => {
    it('reads the SCALER item alone with one strongly consistent GetItem', async () => {
      // Prepare
      ddb.on(GetItemCommand).resolves({ Item: scalerToItem(APP, 3, scaler) });

      // Act
      const state = await store.readScaler(APP);

      // Assess
      expect(ddb).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
        TableName: TABLE,
        Key: { pk: { S: `APP#${APP}` }, sk: { S: 'SCALER' } },
        ConsistentRead: true,
      });
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
      expect(state).toEqual({ ...scaler, version: 3 });
    });

    it('returns the initial state when the item does not exist', async () => {
      // Prepare
      ddb.on(GetItemCommand).resolves({});

      // Act + Assess
      expect(await store.readScaler(APP)).toEqual(initialScalerState);
    });
  });

  describe('commitScaler', () => {
    it('creates the SCALER item at version 1 only if it does not exist yet', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});

      // Act
      const won = await store.commitScaler(APP, 0, scaler);

      // Assess
      expect(won).toBe(true);
      const input = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
      expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
      expect(input?.Item?.version).toEqual({ N: '1' });
      expect(input?.Item?.pk).toEqual({ S: `APP#${APP}` });
      expect(input?.Item?.sk).toEqual({ S: 'SCALER' });
    });

    it('overwrites the SCALER item only at the expected version and bumps it by one', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});

      // Act
      const won = await store.commitScaler(APP, 4, scaler);

      // Assess
      expect(won).toBe(true);
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        ConditionExpression: '#v = :expected',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':expected': { N: '4' } },
      });
      const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
      expect(unmarshall(item)).toEqual({ pk: `APP#${APP}`, sk: 'SCALER', version: 5, ...scaler });
    });

    it('stores its own version even if the state passed in carries another one', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});
      const stray = { ...scaler, version: 99 } as Omit<ScalerState, 'version'>;

      // Act
      await store.commitScaler(APP, 2, stray);

      // Assess
      expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.version).toEqual({ N: '3' });
    });

    it('returns false when another invocation won the conditional write', async () => {
      // Prepare
      ddb.on(PutItemCommand).rejects(conditionFailed());

      // Act
      const won = await store.commitScaler(APP, 4, scaler);

      // Assess
      expect(won).toBe(false);
    });

    it.each([
      { name: 'ProvisionedThroughputExceededException', throttled: true },
      { name: 'ThrottlingException', throttled: true },
      { name: 'InternalServerError', throttled: false },
    ])('maps $name to a DependencyError with throttled=$throttled', async ({ name, throttled }) => {
      // Prepare
      const error = sdkError(name);
      ddb.on(PutItemCommand).rejects(error);

      // Act
      const failure = await store.commitScaler(APP, 1, scaler).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).throttled).toBe(throttled);
      expect((failure as DependencyError).cause).toBe(error);
    });

    it.each([-1, 1.5, Number.NaN])('rejects expectedVersion %s with a ValidationError', async (version) => {
      // Act
      const failure = await store.commitScaler(APP, version, scaler).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ValidationError);
      expect(ddb).not.toHaveReceivedAnyCommand();
    });
  });

  describe('putDecision', () => {
    it('stores the decision under a time-ordered sort key with a ttl in epoch seconds', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});

      // Act
      await store.putDecision(APP, decision(), 1_767_225_660);

      // Assess
      const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
      expect(item.sk).toEqual({ S: 'DECISION#2026-01-01T00:01:00.000Z#d-1' });
      expect(item.ttl).toEqual({ N: '1767225660' });
      expect(itemToDecision(item)).toEqual(decision());
    });

    it.each([0, -5, 1.5, Number.NaN])('rejects ttl %s with a ValidationError', async (ttl) => {
      // Act
      const failure = await store.putDecision(APP, decision(), ttl).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ValidationError);
      expect(ddb).not.toHaveReceivedAnyCommand();
    });
  });

  describe('listDecisions', () => {
    it('queries the decision log newest first with the limit', async () => {
      // Prepare
      const newer = decision({ decisionId: 'd-2', at: '2026-01-01T00:02:00.000Z' });
      ddb
        .on(QueryCommand)
        .resolves({ Items: [decisionToItem(APP, newer, 1), decisionToItem(APP, decision(), 1)] });

      // Act
      const decisions = await store.listDecisions(APP, 2);

      // Assess
      expect(ddb).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: `APP#${APP}` }, ':prefix': { S: 'DECISION#' } },
        ScanIndexForward: false,
        Limit: 2,
      });
      expect(decisions.map((d) => d.decisionId)).toEqual(['d-2', 'd-1']);
    });

    it('reads the next page (the SDK paginator) until the limit is reached, and no page more', async () => {
      // Prepare
      const lastKey = { pk: { S: `APP#${APP}` }, sk: { S: 'DECISION#x' } };
      ddb
        .on(QueryCommand)
        .resolvesOnce({
          Items: [decisionToItem(APP, decision({ decisionId: 'd-3' }), 1)],
          LastEvaluatedKey: lastKey,
        })
        .resolvesOnce({
          Items: [decisionToItem(APP, decision({ decisionId: 'd-2' }), 1)],
          LastEvaluatedKey: lastKey,
        });

      // Act
      const decisions = await store.listDecisions(APP, 2);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
      expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, { Limit: 2, ExclusiveStartKey: lastKey });
      expect(decisions.map((d) => d.decisionId)).toEqual(['d-3', 'd-2']);
    });
  });
});

describe('Function: partitionSk', () => {
  it.each([
    { id: 0, sk: 'PARTITION#000000' },
    { id: 7, sk: 'PARTITION#000007' },
    { id: 42, sk: 'PARTITION#000042' },
    { id: 100_000, sk: 'PARTITION#100000' },
    { id: 999_999, sk: 'PARTITION#999999' },
  ])('pads partition $id to six digits', ({ id, sk }) => {
    expect(partitionSk(id)).toBe(sk);
  });

  it('sorts keys in numeric order', () => {
    const ids = [100, 2, 10_000, 33, 1];
    const byKey = [...ids].sort((a, b) =>
      Buffer.compare(Buffer.from(partitionSk(a)), Buffer.from(partitionSk(b))),
    );
    expect(byKey).toEqual([1, 2, 33, 100, 10_000]);
  });

  it.each([-1, 1.5, 1_000_000])('rejects %s', (id) => {
    expect(() => partitionSk(id)).toThrow(ValidationError);
  });
});

describe('Constant: AFTER_DECISIONS', () => {
  // DynamoDB orders string sort keys by their UTF-8 bytes.
  const utf8Compare = (a: string, b: string) =>
    Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

  it.each([
    decisionSk('2026-01-01T00:00:00.000Z', 'a'),
    decisionSk('9999-12-31T23:59:59.999Z', 'zzzz'),
    decisionSk('2026-06-01T12:00:00Z', '\u00ff-id'),
  ])('sorts above decision key %s', (sk) => {
    expect(utf8Compare(sk, AFTER_DECISIONS)).toBeLessThan(0);
  });

  it.each(['SCALER', 'TASK#abc', 'PARTITION#000000', 'PARTITION#999999'])('sorts below %s', (sk) => {
    expect(utf8Compare(sk, AFTER_DECISIONS)).toBeGreaterThan(0);
  });
});

describe('Function: decisionSk', () => {
  it('normalises the time so that keys sort by time', () => {
    expect(decisionSk('2026-01-01T00:01:00Z', 'd')).toBe('DECISION#2026-01-01T00:01:00.000Z#d');
  });

  it.each([
    { at: 'yesterday', id: 'd' },
    { at: '2026-01-01T00:00:00Z', id: ' ' },
  ])('rejects at=$at id=$id', ({ at, id }) => {
    expect(() => decisionSk(at, id)).toThrow(ValidationError);
  });
});

describe('Function: scalerToItem / itemToScaler', () => {
  it.each<{ name: string; state: Omit<ScalerState, 'version'> }>([
    { name: 'a full state', state: scaler },
    { name: 'a minimal state', state: { recommendations: [] } },
    { name: 'a paused state', state: { recommendations: [], pause: { until: 5, reason: 'incident' } } },
  ])('round-trips $name', ({ state }) => {
    expect(itemToScaler(scalerToItem(APP, 3, state))).toEqual({ ...state, version: 3 });
  });

  it('reads the pending decision of an item written before `change` existed as an unconfirmed change', () => {
    const legacy = marshall({
      pk: `APP#${APP}`,
      sk: 'SCALER',
      version: 4,
      recommendations: [],
      pending: { decisionId: 'd-3', desired: 6, committedAt: 9_000 },
    });
    expect(itemToScaler(legacy)).toEqual({
      version: 4,
      recommendations: [],
      change: { decisionId: 'd-3', desired: 6, committedAt: 9_000 },
    });
  });

  it('stores no undefined attributes', () => {
    const item: Item = scalerToItem(APP, 1, { recommendations: [], desired: undefined });
    expect(Object.keys(item).sort()).toEqual([
      TABLE_KEY.partitionKey,
      'recommendations',
      TABLE_KEY.sortKey,
      'version',
    ]);
  });
});

describe('Function: decisionToItem', () => {
  it('keeps non-finite inputs as text', () => {
    const item = decisionToItem(APP, decision({ inputs: { ratio: Number.POSITIVE_INFINITY, n: 1 } }), 10);
    expect(itemToDecision(item).inputs).toEqual({ ratio: 'Infinity', n: 1 });
  });
});

describe('Function: scalerToItem / itemToScaler (exhaustive)', () => {
  it('round-trips every field of the scaler state', () => {
    // Required<>: a field added to ScalerState must be added here too, and then must survive the trip.
    const full: Required<Omit<ScalerState, 'version'>> = {
      desired: 7,
      lastScaleOutAt: 1_000,
      lastScaleInAt: 2_000,
      lastDecisionAt: 3_000,
      recommendations: [{ at: 4_000, desired: 6, input: 3_990.5 }],
      hold: { until: 5_000, reason: 'sale', by: 'manual' },
      pause: { until: 6_000, reason: 'maintenance', by: 'manual' },
      change: { decisionId: 'd-1', desired: 7, committedAt: 3_000, appliedAt: 3_500 },
      lastTriggerId: 'tick-42',
      perSlotRate: 512.5,
      inputRate: { rate: 4_000, at: 3_000, backlog: { records: 12_000.5, at: 2_940 } },
      rises: [
        { at: 2_500, from: 60, to: 1_500.25 },
        { at: 2_560, from: 60, to: 1_700, seconds: 360 },
      ],
      capacityCurve: [{ count: 6, perSlotRate: 450.5, at: 2_000 }],
      lastReason: 'WithinTolerance',
    };
    expect(itemToScaler(scalerToItem('orders', 4, full))).toEqual({ ...full, version: 4 });
  });
});

describe('Class: DynamoDbStateStore (failover writes)', () => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const ddb = mockClient(client);
  const store = new DynamoDbStateStore(client, TABLE);
  const { version: _v, ...taskState } = task;

  beforeEach(() => {
    ddb.reset();
  });

  describe('commitTask', () => {
    it('creates a TASK item at version 1 only if it does not exist yet', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});
      // Act
      const won = await store.commitTask(APP, 0, taskState);
      // Assess
      expect(won).toBe(true);
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
      expect(unmarshall(item)).toEqual({ pk: `APP#${APP}`, sk: 'TASK#abc', ...taskState, version: 1 });
    });

    it('overwrites it only at the expected version, bumps the version, and keeps the stop and protection records', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});
      const next = { ...taskState, status: 'DEAD' as const, stopRequestedAt: 7, protectedUntil: 9 };
      // Act
      await store.commitTask(APP, 2, next);
      // Assess
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
        ConditionExpression: '#v = :expected',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':expected': { N: '2' } },
      });
      const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
      expect(itemToTask(item)).toEqual({ ...next, version: 3 });
    });

    it('returns false when another invocation wrote first', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      expect(await store.commitTask(APP, 2, taskState)).toBe(false);
    });

    it('maps other failures to a DependencyError', async () => {
      ddb.on(PutItemCommand).rejects(sdkError('ThrottlingException'));
      const failure = await store.commitTask(APP, 2, taskState).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).throttled).toBe(true);
    });

    it('rejects a negative expected version before calling DynamoDB', async () => {
      const failure = await store.commitTask(APP, -1, taskState).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ValidationError);
      expect(ddb).not.toHaveReceivedAnyCommand();
    });
  });

  describe('deleteTask', () => {
    it('deletes the TASK item only at the expected version', async () => {
      ddb.on(DeleteItemCommand).resolves({});
      expect(await store.deleteTask(APP, 'abc', 4)).toBe(true);
      expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
        TableName: TABLE,
        Key: { pk: { S: `APP#${APP}` }, sk: { S: 'TASK#abc' } },
        ConditionExpression: '#v = :expected',
        ExpressionAttributeValues: { ':expected': { N: '4' } },
      });
    });

    it('returns false when the item changed', async () => {
      ddb.on(DeleteItemCommand).rejects(conditionFailed());
      expect(await store.deleteTask(APP, 'abc', 4)).toBe(false);
    });
  });

  describe('writePartition', () => {
    const move = {
      partitionId: 42,
      from: 'abc',
      expectedEpoch: 5,
      to: 'xyz',
      newEpoch: 6,
      state: 'ASSIGNED' as const,
      updatedAt: 1_700_000_100_000,
    };

    it('moves a partition conditional on the owner and epoch read: epoch + 1, new owner, previous owner', async () => {
      // Prepare
      ddb.on(PutItemCommand).resolves({});
      // Act
      const won = await store.writePartition(APP, move);
      // Assess
      expect(won).toBe(true);
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        ConditionExpression: '#epoch = :epoch AND #owner = :from',
        ExpressionAttributeNames: { '#epoch': 'epoch', '#owner': 'owner' },
        ExpressionAttributeValues: { ':epoch': { N: '5' }, ':from': { S: 'abc' } },
      });
      const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {};
      expect(unmarshall(item)).toEqual({
        pk: `APP#${APP}`,
        sk: 'PARTITION#000042',
        partitionId: 42,
        owner: 'xyz',
        epoch: 6,
        state: 'ASSIGNED',
        previousOwner: 'abc',
        updatedAt: 1_700_000_100_000,
      });
    });

    it('creates a missing partition item (read as unowned at epoch 0) with attribute_not_exists', async () => {
      ddb.on(PutItemCommand).resolves({});
      await store.writePartition(APP, { ...move, from: null, expectedEpoch: 0, newEpoch: 1 });
      const input = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
      expect(input?.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR (#epoch = :epoch AND attribute_not_exists(#owner))',
      );
      expect(input?.ExpressionAttributeValues).toEqual({ ':epoch': { N: '0' } });
      expect(unmarshall(input?.Item ?? {})).not.toHaveProperty('previousOwner');
    });

    it('takes an unowned partition (epoch > 0) only while it has no owner', async () => {
      ddb.on(PutItemCommand).resolves({});
      await store.writePartition(APP, { ...move, from: null });
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
        ConditionExpression: '#epoch = :epoch AND attribute_not_exists(#owner)',
      });
    });

    it('revokes from the owner in place: same owner and epoch, REVOKING, previous owner kept', async () => {
      ddb.on(PutItemCommand).resolves({});
      await store.writePartition(APP, {
        ...move,
        to: 'abc',
        newEpoch: 5,
        state: 'REVOKING',
        previousOwner: 'def',
        updatedAt: 1_700_000_000_000,
      });
      const item = unmarshall(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item ?? {});
      expect(item).toMatchObject({ owner: 'abc', epoch: 5, state: 'REVOKING', previousOwner: 'def' });
    });

    it('returns false when the owner or epoch changed since the read', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      expect(await store.writePartition(APP, move)).toBe(false);
    });

    it.each([
      { name: 'an owner change that does not raise the epoch by one', change: { newEpoch: 7 } },
      { name: 'an owner change left REVOKING', change: { state: 'REVOKING' as const } },
      { name: 'a write that keeps the owner but is not a revoke', change: { to: 'abc' } },
      { name: 'an empty new owner', change: { to: ' ' } },
      { name: 'a negative expected epoch', change: { expectedEpoch: -1, newEpoch: 0 } },
    ])('rejects $name before calling DynamoDB', async ({ change }) => {
      const failure = await store.writePartition(APP, { ...move, ...change }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ValidationError);
      expect(ddb).not.toHaveReceivedAnyCommand();
    });
  });

  describe('readPartitions / readPartition', () => {
    it('reads only the PARTITION items, strongly consistent, by id', async () => {
      // Prepare
      const other = { ...partition, partitionId: 3, owner: null, previousOwner: undefined };
      ddb
        .on(QueryCommand)
        .resolves({ Items: [partitionToItem(APP, partition), partitionToItem(APP, other)] });
      // Act
      const items = await store.readPartitions(APP);
      // Assess
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        ConsistentRead: true,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: `APP#${APP}` }, ':prefix': { S: 'PARTITION#' } },
      });
      expect(items.map((p) => [p.partitionId, p.owner])).toEqual([
        [3, null],
        [42, 'abc'],
      ]);
    });

    it('reads one partition with a consistent GetItem; no item is undefined', async () => {
      ddb
        .on(GetItemCommand)
        .resolvesOnce({ Item: partitionToItem(APP, partition) })
        .resolvesOnce({});
      expect(await store.readPartition(APP, 42)).toEqual(partition);
      expect(await store.readPartition(APP, 43)).toBeUndefined();
      expect(ddb).toHaveReceivedCommandWith(GetItemCommand, {
        ConsistentRead: true,
        Key: { pk: { S: `APP#${APP}` }, sk: { S: 'PARTITION#000042' } },
      });
    });
  });
});

describe('Function: partitionToItem', () => {
  it('leaves the owner out while the partition is unowned, and reads that back as null', () => {
    const unowned: PartitionItem = { partitionId: 1, owner: null, epoch: 3, state: 'ASSIGNED', updatedAt: 5 };
    const item = partitionToItem(APP, unowned);
    expect(item).not.toHaveProperty('owner');
    expect(itemToPartition(item)).toEqual(unowned);
  });
});
