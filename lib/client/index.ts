/**
 * The consumer side of partition ownership, for TaskManager-side code written in
 * TypeScript (docs/ownership.md describes the item schema and the protocol for consumers in
 * other languages, e.g. a Java Flink source):
 *
 * - `assignmentsFor(source, appId, taskId)`: the partitions a TaskManager should process,
 *   with the epoch (fencing token) of each, from one strongly consistent Query;
 * - `verifyOwnership(source, appId, taskId, partitionId, localEpoch)`: the fencing check to
 *   run before committing (owned / revoking / fenced), from one consistent GetItem;
 * - `assertOwned(...)`: the same, throwing a FencedError unless still owned.
 *
 * `source` is anything that reads the PARTITION items: the DynamoDB state store, any
 * StateStore (its readApp), or a DynamoDB client and table name.
 */
import { DynamoDbStateStore } from '../aws/dynamodb-store.js';
import type { AppItems, PartitionItem } from '../core/domain.js';
import { AutoscalerError } from '../core/errors.js';
import {
  checkOwnership,
  type OwnedPartition,
  type OwnershipVerdict,
  ownedPartitions,
} from '../core/fencing.js';

export {
  checkOwnership,
  isFenced,
  type OwnedPartition,
  type OwnershipVerdict,
  ownedPartitions,
  PARTITION_ITEM_SCHEMA,
  partitionSortKey,
} from '../core/fencing.js';

/** Reads the PARTITION items of an app (DynamoDbStateStore implements it). */
export interface PartitionReader {
  /** Every PARTITION item of the app, read strongly consistently. */
  readPartitions(appId: string): Promise<readonly PartitionItem[]>;
  /** One PARTITION item, read strongly consistently; undefined when it has no item (unowned, epoch 0). */
  readPartition?(appId: string, partitionId: number): Promise<PartitionItem | undefined>;
}

/** Any StateStore: its one consistent Query of the app's items. */
export interface AppReader {
  readApp(appId: string): Promise<AppItems>;
}

/** The SDK client the DynamoDB state store takes (typed without importing the SDK here). */
export type DynamoDbClientLike = ConstructorParameters<typeof DynamoDbStateStore>[0];

export type OwnershipSource =
  | PartitionReader
  | AppReader
  | { readonly client: DynamoDbClientLike; readonly tableName: string };

/** A consumer acted on a partition it no longer owns at its epoch. */
export class FencedError extends AutoscalerError {
  constructor(
    readonly partitionId: number,
    readonly verdict: Exclude<OwnershipVerdict, { kind: 'owned' }>,
  ) {
    super(
      verdict.kind === 'revoking'
        ? `partition ${partitionId} is being revoked at epoch ${verdict.epoch}: stop processing it`
        : `partition ${partitionId} is fenced: stored epoch ${verdict.storedEpoch}, owner ${verdict.owner ?? 'none'}`,
    );
  }
}

function reader(source: OwnershipSource): PartitionReader | AppReader {
  return 'client' in source ? new DynamoDbStateStore(source.client, source.tableName) : source;
}

async function allPartitions(
  source: PartitionReader | AppReader,
  appId: string,
): Promise<readonly PartitionItem[]> {
  return 'readPartitions' in source ? source.readPartitions(appId) : (await source.readApp(appId)).partitions;
}

/**
 * The partitions `taskId` should process now (ASSIGNED to it), each with its epoch, by id.
 * A partition in REVOKING is not included: its owner must let it go.
 */
export async function assignmentsFor(
  source: OwnershipSource,
  appId: string,
  taskId: string,
): Promise<OwnedPartition[]> {
  return ownedPartitions(taskId, await allPartitions(reader(source), appId));
}

/**
 * The fencing check: what a consumer that acquired `partitionId` at `localEpoch` must do now.
 * `owned`: carry on (tag side effects with the epoch); `revoking`: stop and release it;
 * `fenced`: stop at once and discard uncommitted work.
 */
export async function verifyOwnership(
  source: OwnershipSource,
  appId: string,
  taskId: string,
  partitionId: number,
  localEpoch: number,
): Promise<OwnershipVerdict> {
  const r = reader(source);
  const item =
    'readPartitions' in r && r.readPartition
      ? await r.readPartition(appId, partitionId)
      : (await allPartitions(r, appId)).find((p) => p.partitionId === partitionId);
  return checkOwnership(taskId, localEpoch, item);
}

/** Like verifyOwnership, but throws a FencedError unless the partition is still owned at `localEpoch`. */
export async function assertOwned(
  source: OwnershipSource,
  appId: string,
  taskId: string,
  partitionId: number,
  localEpoch: number,
): Promise<void> {
  const verdict = await verifyOwnership(source, appId, taskId, partitionId, localEpoch);
  if (verdict.kind !== 'owned') throw new FencedError(partitionId, verdict);
}
