/**
 * StateStore on one DynamoDB table (see table.ts). Items of one app share the partition key
 * `APP#<appId>`; the sort key says what an item is:
 *
 *   SCALER                           the scaler's state, optimistic version
 *   DECISION#<iso time>#<decisionId> the decision log (audit, ttl)
 *   TASK#<taskId>                    TaskManager health
 *   PARTITION#<000042>               partition ownership (zero-padded: sorts numerically)
 *
 * Every write is a single-item conditional write (dynalite has no transactions). The item <->
 * domain mapping lives in the small pure functions below; the class only talks to DynamoDB.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type {
  AppItems,
  DecisionRecord,
  PartitionChange,
  PartitionItem,
  ReasonCode,
  ScalerState,
  TaskHealthItem,
} from '../core/domain.js';
import { initialScalerState } from '../core/domain.js';
import { DependencyError, ValidationError } from '../core/errors.js';
import type { StateStore } from '../ports.js';
import { callAws, toDependencyError } from './errors.js';
import { TABLE_KEY } from './table.js';

export type Item = Record<string, AttributeValue>;

const PK = TABLE_KEY.partitionKey;
const SK = TABLE_KEY.sortKey;
const TTL = TABLE_KEY.ttlAttribute;

export const SCALER_SK = 'SCALER';
export const DECISION_PREFIX = 'DECISION#';
export const TASK_PREFIX = 'TASK#';
export const PARTITION_PREFIX = 'PARTITION#';
/**
 * Every decision sort key sorts below this bound ('\uffff' sorts above any character of an ISO
 * time), while PARTITION#, SCALER and TASK# all sort above it: `sk > bound` skips the log.
 */
export const AFTER_DECISIONS = `${DECISION_PREFIX}\uffff`;
export const PARTITION_ID_DIGITS = 6;
const MAX_PARTITION_ID = 10 ** PARTITION_ID_DIGITS - 1;

// ---------------------------------------------------------------- keys

export function appPk(appId: string): string {
  if (appId.trim() === '') throw new ValidationError('appId must not be empty');
  return `APP#${appId}`;
}

/** `DECISION#<iso time>#<id>`; the time is normalised to toISOString() so that keys sort by time. */
export function decisionSk(at: string, decisionId: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new ValidationError(`decision.at "${at}" is not an ISO time`);
  if (decisionId.trim() === '') throw new ValidationError('decision.decisionId must not be empty');
  return `${DECISION_PREFIX}${new Date(ms).toISOString()}#${decisionId}`;
}

export function taskSk(taskId: string): string {
  if (taskId.trim() === '') throw new ValidationError('taskId must not be empty');
  return `${TASK_PREFIX}${taskId}`;
}

export function partitionSk(partitionId: number): string {
  if (!Number.isInteger(partitionId) || partitionId < 0 || partitionId > MAX_PARTITION_ID) {
    throw new ValidationError(
      `partitionId must be an integer from 0 to ${MAX_PARTITION_ID}, got ${partitionId}`,
    );
  }
  return `${PARTITION_PREFIX}${String(partitionId).padStart(PARTITION_ID_DIGITS, '0')}`;
}

export function itemKey(pk: string, sk: string): Item {
  return { [PK]: { S: pk }, [SK]: { S: sk } };
}

// ---------------------------------------------------------------- item schemas (what we read back)

const finite = z.number().finite();
const TimedFlagSchema = z.object({ until: finite, reason: z.string(), by: z.string().optional() });

const ScalerChangeSchema = z.object({
  decisionId: z.string().min(1),
  desired: z.number().int().nonnegative(),
  committedAt: finite,
  appliedAt: finite.optional(),
});

const ScalerItemSchema = z
  .object({
    version: z.number().int().min(1),
    desired: z.number().int().nonnegative().optional(),
    lastScaleOutAt: finite.optional(),
    lastScaleInAt: finite.optional(),
    lastDecisionAt: finite.optional(),
    recommendations: z.array(z.object({ at: finite, desired: finite, input: finite.optional() })).default([]),
    hold: TimedFlagSchema.optional(),
    pause: TimedFlagSchema.optional(),
    change: ScalerChangeSchema.optional(),
    /** Items written before `change` existed (0.1.0) hold the pending decision here. */
    pending: ScalerChangeSchema.omit({ appliedAt: true }).optional(),
    lastTriggerId: z.string().optional(),
    perSlotRate: finite.optional(),
    inputRate: z
      .object({ rate: finite, at: finite, backlog: z.object({ records: finite, at: finite }).optional() })
      .optional(),
    rises: z.array(z.object({ at: finite, from: finite, to: finite, seconds: finite.optional() })).optional(),
    capacityCurve: z
      .array(z.object({ count: z.number().int().min(1), perSlotRate: finite, at: finite }))
      .optional(),
    lastReason: z.custom<ReasonCode>((v) => typeof v === 'string' && v !== '').optional(),
  })
  .transform(({ pending, ...state }) =>
    state.change === undefined && pending !== undefined ? { ...state, change: pending } : state,
  );

const TaskItemSchema = z.object({
  taskId: z.string().min(1),
  status: z.enum(['HEALTHY', 'SUSPECT', 'DEAD', 'DRAINING']),
  ecsStatus: z.string(),
  ecsVersion: finite,
  misses: z.number().int().nonnegative(),
  lastSeen: finite,
  startedAt: finite.optional(),
  stopRequestedAt: finite.optional(),
  protectedUntil: finite.optional(),
  goneAt: finite.optional(),
  version: z.number().int().nonnegative(),
});

const PartitionItemSchema = z.object({
  partitionId: z.number().int().nonnegative(),
  // Absent while unowned (docs/ownership.md); an explicit NULL is read the same way.
  owner: z
    .string()
    .nullish()
    .transform((owner) => owner ?? null),
  epoch: z.number().int().nonnegative(),
  state: z.enum(['ASSIGNED', 'REVOKING']),
  previousOwner: z.string().optional(),
  updatedAt: finite,
});

const DecisionInputValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.string())]);

const DecisionItemSchema = z.object({
  decisionId: z.string(),
  at: z.string(),
  trigger: z.enum(['schedule', 'alarm', 'manual']),
  triggerDetail: z.string().optional(),
  policy: z.enum(['rate', 'threshold', 'manual']),
  current: finite,
  running: finite,
  recommended: finite,
  desired: finite,
  // Written by this store from a ReasonCode; the set of codes may grow, so it is not re-enumerated here.
  reason: z.custom<ReasonCode>((v) => typeof v === 'string' && v !== ''),
  applied: z.boolean(),
  dryRun: z.boolean(),
  message: z.string().optional(),
  inputs: z.record(z.string(), DecisionInputValue).optional(),
});

function parseItem<T>(schema: z.ZodType<T>, item: Item, what: string): T {
  const result = schema.safeParse(unmarshall(item));
  if (!result.success) {
    const issues = result.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(item)'}: ${i.message}`,
    );
    throw new DependencyError(`malformed ${what} item in the state table: ${issues.join('; ')}`, false);
  }
  return result.data;
}

function toItem(native: Record<string, unknown>, what: string): Item {
  try {
    return marshall(native, { removeUndefinedValues: true });
  } catch (cause) {
    throw new ValidationError(`${what} cannot be stored: ${(cause as Error).message}`, { cause });
  }
}

// ---------------------------------------------------------------- domain -> item, item -> domain

/** The SCALER item at `version`. Only the fields of ScalerState are stored (a stray `version` in `state` is ignored). */
export function scalerToItem(appId: string, version: number, state: Omit<ScalerState, 'version'>): Item {
  // Every field of ScalerState, by name: a field added to the port without a mapping here does not compile.
  const fields: Record<keyof Omit<ScalerState, 'version'>, unknown> = {
    desired: state.desired,
    lastScaleOutAt: state.lastScaleOutAt,
    lastScaleInAt: state.lastScaleInAt,
    lastDecisionAt: state.lastDecisionAt,
    recommendations: state.recommendations.map((r) => ({
      at: r.at,
      desired: r.desired,
      ...(r.input !== undefined ? { input: r.input } : {}),
    })),
    hold: state.hold,
    pause: state.pause,
    change: state.change,
    lastTriggerId: state.lastTriggerId,
    perSlotRate: state.perSlotRate,
    inputRate: state.inputRate,
    rises: state.rises,
    capacityCurve: state.capacityCurve,
    lastReason: state.lastReason,
  };
  return toItem({ [PK]: appPk(appId), [SK]: SCALER_SK, version, ...fields }, 'scaler state');
}

export function itemToScaler(item: Item): ScalerState {
  return parseItem(ScalerItemSchema, item, SCALER_SK);
}

export function taskToItem(appId: string, task: TaskHealthItem): Item {
  return toItem({ [PK]: appPk(appId), [SK]: taskSk(task.taskId), ...task }, `task ${task.taskId}`);
}

export function itemToTask(item: Item): TaskHealthItem {
  return parseItem(TaskItemSchema, item, TASK_PREFIX);
}

/** The PARTITION item; `owner` is left out (not stored as NULL) while the partition is unowned. */
export function partitionToItem(appId: string, partition: PartitionItem): Item {
  const { owner, ...rest } = partition;
  return toItem(
    {
      [PK]: appPk(appId),
      [SK]: partitionSk(partition.partitionId),
      ...rest,
      ...(owner === null ? {} : { owner }),
    },
    `partition ${partition.partitionId}`,
  );
}

/**
 * Checks that a PartitionChange is one of the two writes the ownership protocol allows and
 * returns the item it stores: an owner change (to ≠ from, epoch + 1, ASSIGNED, previousOwner
 * = from) or a revoke (to = from, same epoch, REVOKING, previousOwner as read).
 */
export function partitionChangeToItem(appId: string, change: PartitionChange): Item {
  const { partitionId, from, to, expectedEpoch, newEpoch, state } = change;
  const where = `partition ${partitionId}`;
  if (!Number.isInteger(expectedEpoch) || expectedEpoch < 0) {
    throw new ValidationError(`${where}: expectedEpoch must be a non-negative integer, got ${expectedEpoch}`);
  }
  if (to.trim() === '') throw new ValidationError(`${where}: the new owner must not be empty`);
  if (to === from) {
    if (state !== 'REVOKING' || newEpoch !== expectedEpoch) {
      throw new ValidationError(
        `${where}: a write that keeps the owner must be a revoke (state REVOKING, epoch unchanged)`,
      );
    }
  } else if (state !== 'ASSIGNED' || newEpoch !== expectedEpoch + 1) {
    throw new ValidationError(
      `${where}: an owner change must be ASSIGNED at epoch ${expectedEpoch + 1}, got ${state} at ${newEpoch}`,
    );
  }
  const previousOwner = to === from ? change.previousOwner : (from ?? undefined);
  return partitionToItem(appId, {
    partitionId,
    owner: to,
    epoch: newEpoch,
    state,
    ...(previousOwner === undefined ? {} : { previousOwner }),
    updatedAt: change.updatedAt,
  });
}

type Condition = Pick<
  PutItemCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/**
 * The condition of a PARTITION write: the item still has the owner and epoch that were read.
 * Epoch 0 means it was read as absent (or stored unowned at epoch 0, which is the same thing).
 */
export function partitionCondition(from: string | null, expectedEpoch: number): Condition {
  const epoch = { ':epoch': { N: String(expectedEpoch) } };
  if (expectedEpoch === 0) {
    return {
      ConditionExpression: `attribute_not_exists(${PK}) OR (#epoch = :epoch AND attribute_not_exists(#owner))`,
      ExpressionAttributeNames: { '#epoch': 'epoch', '#owner': 'owner' },
      ExpressionAttributeValues: epoch,
    };
  }
  if (from === null) {
    return {
      ConditionExpression: '#epoch = :epoch AND attribute_not_exists(#owner)',
      ExpressionAttributeNames: { '#epoch': 'epoch', '#owner': 'owner' },
      ExpressionAttributeValues: epoch,
    };
  }
  return {
    ConditionExpression: '#epoch = :epoch AND #owner = :from',
    ExpressionAttributeNames: { '#epoch': 'epoch', '#owner': 'owner' },
    ExpressionAttributeValues: { ...epoch, ':from': { S: from } },
  };
}

/** The condition of a versioned write: the stored version is still `expected` (0: no item yet). */
export function versionCondition(expectedVersion: number): Condition {
  if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
    throw new ValidationError(`expectedVersion must be a non-negative integer, got ${expectedVersion}`);
  }
  return expectedVersion === 0
    ? { ConditionExpression: `attribute_not_exists(${PK})` }
    : {
        ConditionExpression: '#v = :expected',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
      };
}

export function itemToPartition(item: Item): PartitionItem {
  return parseItem(PartitionItemSchema, item, PARTITION_PREFIX);
}

/** Non-finite numbers cannot be stored in DynamoDB; an audit record keeps them as text. */
function storableInputs(inputs: DecisionRecord['inputs']): Record<string, unknown> | undefined {
  if (inputs === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? String(v) : v]),
  );
}

export function decisionToItem(appId: string, decision: DecisionRecord, ttlEpochSeconds: number): Item {
  if (!Number.isInteger(ttlEpochSeconds) || ttlEpochSeconds <= 0) {
    throw new ValidationError(`ttl must be a positive integer of epoch seconds, got ${ttlEpochSeconds}`);
  }
  return toItem(
    {
      ...decision,
      inputs: storableInputs(decision.inputs),
      [PK]: appPk(appId),
      [SK]: decisionSk(decision.at, decision.decisionId),
      [TTL]: ttlEpochSeconds,
    },
    `decision ${decision.decisionId}`,
  );
}

export function itemToDecision(item: Item): DecisionRecord {
  return parseItem(DecisionItemSchema, item, DECISION_PREFIX);
}

/** Sorts the items of one app (decision log excluded) into AppItems; unknown kinds are ignored. */
export function itemsToAppItems(items: readonly Item[]): AppItems {
  let scaler: ScalerState = initialScalerState;
  const tasks: TaskHealthItem[] = [];
  const partitions: PartitionItem[] = [];
  for (const item of items) {
    const sk = item[SK]?.S ?? '';
    if (sk === SCALER_SK) scaler = itemToScaler(item);
    else if (sk.startsWith(TASK_PREFIX)) tasks.push(itemToTask(item));
    else if (sk.startsWith(PARTITION_PREFIX)) partitions.push(itemToPartition(item));
  }
  partitions.sort((a, b) => a.partitionId - b.partitionId);
  return { scaler, tasks, partitions };
}

// ---------------------------------------------------------------- the store

export class DynamoDbStateStore implements StateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async readApp(appId: string): Promise<AppItems> {
    const pk = appPk(appId);
    const items = await this.query(`DynamoDB Query ${this.tableName} ${pk}`, {
      ConsistentRead: true,
      KeyConditionExpression: '#pk = :pk AND #sk > :afterDecisions',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': { S: pk }, ':afterDecisions': { S: AFTER_DECISIONS } },
    });
    return itemsToAppItems(items);
  }

  /**
   * The items of one Query, every page (the SDK's paginator follows LastEvaluatedKey), or the
   * first `limit` of them (pages of `limit`, no page read past it).
   */
  private async query(
    what: string,
    input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    limit?: number,
  ): Promise<Item[]> {
    return callAws(what, async () => {
      const items: Item[] = [];
      const pages = paginateQuery(
        { client: this.client, ...(limit === undefined ? {} : { pageSize: limit }) },
        { TableName: this.tableName, ...input },
      );
      for await (const page of pages) {
        items.push(...(page.Items ?? []));
        if (limit !== undefined && items.length >= limit) return items.slice(0, limit);
      }
      return items;
    });
  }

  async readScaler(appId: string): Promise<ScalerState> {
    const pk = appPk(appId);
    const out = await callAws(`DynamoDB GetItem ${this.tableName} ${pk} ${SCALER_SK}`, () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: itemKey(pk, SCALER_SK), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? initialScalerState : itemToScaler(out.Item);
  }

  /**
   * The PARTITION items only, by partition id: one strongly consistent Query (paged) with
   * begins_with(sk, "PARTITION#"), for consumers (lib/client).
   */
  async readPartitions(appId: string): Promise<PartitionItem[]> {
    const pk = appPk(appId);
    const items = await this.query(`DynamoDB Query ${this.tableName} ${pk} partitions`, {
      ConsistentRead: true,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: PARTITION_PREFIX } },
    });
    return items.map(itemToPartition).sort((a, b) => a.partitionId - b.partitionId);
  }

  /** One PARTITION item (strongly consistent GetItem), or undefined when it does not exist. */
  async readPartition(appId: string, partitionId: number): Promise<PartitionItem | undefined> {
    const key = itemKey(appPk(appId), partitionSk(partitionId));
    const out = await callAws(
      `DynamoDB GetItem ${this.tableName} ${appPk(appId)} partition ${partitionId}`,
      () =>
        this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return out.Item === undefined ? undefined : itemToPartition(out.Item);
  }

  async commitScaler(
    appId: string,
    expectedVersion: number,
    next: Omit<ScalerState, 'version'>,
  ): Promise<boolean> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
      throw new ValidationError(`expectedVersion must be a non-negative integer, got ${expectedVersion}`);
    }
    const condition =
      expectedVersion === 0
        ? { ConditionExpression: `attribute_not_exists(${PK})` }
        : {
            ConditionExpression: '#v = :expected',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: scalerToItem(appId, expectedVersion + 1, next),
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw toDependencyError(`DynamoDB PutItem ${this.tableName} ${appPk(appId)} ${SCALER_SK}`, error);
    }
  }

  async putDecision(appId: string, decision: DecisionRecord, ttlEpochSeconds: number): Promise<void> {
    const item = decisionToItem(appId, decision, ttlEpochSeconds);
    await callAws(`DynamoDB PutItem ${this.tableName} ${appPk(appId)} decision ${decision.decisionId}`, () =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item })),
    );
  }

  async listDecisions(appId: string, limit: number): Promise<DecisionRecord[]> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new ValidationError(`limit must be a positive integer, got ${limit}`);
    }
    const pk = appPk(appId);
    const items = await this.query(
      `DynamoDB Query ${this.tableName} ${pk} decisions`,
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: DECISION_PREFIX } },
        ScanIndexForward: false,
      },
      limit,
    );
    return items.map(itemToDecision);
  }

  async commitTask(
    appId: string,
    expectedVersion: number,
    next: Omit<TaskHealthItem, 'version'>,
  ): Promise<boolean> {
    const condition = versionCondition(expectedVersion);
    const item = taskToItem(appId, { ...next, version: expectedVersion + 1 });
    return this.conditionalPut(item, condition, `${appPk(appId)} ${taskSk(next.taskId)}`);
  }

  async writePartition(appId: string, change: PartitionChange): Promise<boolean> {
    const item = partitionChangeToItem(appId, change);
    const condition = partitionCondition(change.from, change.expectedEpoch);
    return this.conditionalPut(item, condition, `${appPk(appId)} ${partitionSk(change.partitionId)}`);
  }

  async deleteTask(appId: string, taskId: string, expectedVersion: number): Promise<boolean> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
      throw new ValidationError(`expectedVersion must be a positive integer, got ${expectedVersion}`);
    }
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: itemKey(appPk(appId), taskSk(taskId)),
          ...versionCondition(expectedVersion),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw toDependencyError(
        `DynamoDB DeleteItem ${this.tableName} ${appPk(appId)} ${taskSk(taskId)}`,
        error,
      );
    }
  }

  /** One conditional PutItem; false when the condition failed. */
  private async conditionalPut(item: Item, condition: Condition, what: string): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ...condition }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw toDependencyError(`DynamoDB PutItem ${this.tableName} ${what}`, error);
    }
  }
}
