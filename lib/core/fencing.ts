/**
 * The consumer side of partition ownership: the PARTITION item as stored in DynamoDB
 * (described for consumers in other languages, e.g. a Java Flink source) and the fencing
 * check every consumer runs. Pure. docs/ownership.md explains the protocol.
 */
import type { PartitionItem } from './domain.js';

/** Widest partition id the 6-digit sort key holds (config allows at most 100,000 partitions). */
export const MAX_PARTITION_ID = 999_999;

export interface AttributeDescription {
  readonly name: string;
  /** DynamoDB attribute type: S (string), N (number). */
  readonly type: 'S' | 'N';
  readonly required: boolean;
  readonly description: string;
  readonly example: string;
}

/**
 * The PARTITION item, attribute by attribute. Consumers read it with a strongly consistent
 * GetItem (one partition) or Query (pk = APP#<appId>, sk begins_with PARTITION#).
 */
export const PARTITION_ITEM_SCHEMA = {
  item: 'PARTITION',
  keys: { partitionKey: 'pk', sortKey: 'sk' },
  attributes: [
    {
      name: 'pk',
      type: 'S',
      required: true,
      description: 'Partition key: APP#<appId>; every item of one autoscaled application shares it.',
      example: 'APP#orders-enrichment',
    },
    {
      name: 'sk',
      type: 'S',
      required: true,
      description: 'Sort key: PARTITION#<partition id, zero-padded to 6 digits>.',
      example: 'PARTITION#000042',
    },
    {
      name: 'owner',
      type: 'S',
      required: false,
      description: 'ECS task id of the owning TaskManager; absent while the partition has no owner.',
      example: '3f1c2b7e9a0d4c5e8f6a1b2c3d4e5f60',
    },
    {
      name: 'epoch',
      type: 'N',
      required: true,
      description:
        'Fencing token: +1 on every owner change, never decreases. A partition with no item is at epoch 0, unowned.',
      example: '7',
    },
    {
      name: 'state',
      type: 'S',
      required: true,
      description:
        'ASSIGNED: the owner processes it. REVOKING: it is being taken from the owner, which must stop processing it.',
      example: 'ASSIGNED',
    },
    {
      name: 'previousOwner',
      type: 'S',
      required: false,
      description: 'ECS task id of the owner before the last change (diagnostics only; never fence on it).',
      example: '9b8a7c6d5e4f30211234567890abcdef',
    },
    {
      name: 'updatedAt',
      type: 'N',
      required: true,
      description: 'Epoch milliseconds of the last owner change. Partitions are not written otherwise.',
      example: '1767225600000',
    },
  ] satisfies readonly AttributeDescription[],
} as const;

/** The partition key of every item of an app. */
export function appPartitionKey(appId: string): string {
  return `APP#${appId}`;
}

/** PARTITION#000042 for partition 42. */
export function partitionSortKey(partitionId: number): string {
  if (!Number.isInteger(partitionId) || partitionId < 0 || partitionId > MAX_PARTITION_ID) {
    throw new RangeError(`partition id must be an integer in 0..${MAX_PARTITION_ID}, got ${partitionId}`);
  }
  return `PARTITION#${String(partitionId).padStart(6, '0')}`;
}

/** The partition id of a PARTITION sort key, or undefined if it is not one. */
export function parsePartitionSortKey(sk: string): number | undefined {
  const m = /^PARTITION#(\d{6})$/.exec(sk);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * A consumer holding `localEpoch` is fenced when the stored epoch differs: a newer epoch
 * means the partition has changed owner since it was acquired. (An older stored epoch
 * cannot happen on an intact table; it is treated as fenced too, the safe answer.)
 */
export function isFenced(localEpoch: number, storedEpoch: number): boolean {
  return storedEpoch !== localEpoch;
}

export type OwnershipVerdict =
  /** Still the owner at this epoch: side effects may go ahead, tagged with the epoch. */
  | { readonly kind: 'owned'; readonly epoch: number }
  /** Being revoked: stop processing, commit nothing more, let it go. */
  | { readonly kind: 'revoking'; readonly epoch: number }
  /** Someone else owns it, or it changed hands since `localEpoch`: stop at once. */
  | { readonly kind: 'fenced'; readonly storedEpoch: number; readonly owner: string | null };

/** What a consumer that acquired a partition at `localEpoch` must do, given the stored item. */
export function checkOwnership(
  taskId: string,
  localEpoch: number,
  item: Pick<PartitionItem, 'owner' | 'epoch' | 'state'> | undefined,
): OwnershipVerdict {
  const stored = item ?? { owner: null, epoch: 0, state: 'ASSIGNED' as const };
  if (stored.owner !== taskId || isFenced(localEpoch, stored.epoch)) {
    return { kind: 'fenced', storedEpoch: stored.epoch, owner: stored.owner };
  }
  return stored.state === 'REVOKING'
    ? { kind: 'revoking', epoch: stored.epoch }
    : { kind: 'owned', epoch: stored.epoch };
}

export interface OwnedPartition {
  readonly partitionId: number;
  readonly epoch: number;
}

/** The partitions a TaskManager should process now (ASSIGNED to it), with their epochs, by id. */
export function ownedPartitions(taskId: string, items: readonly PartitionItem[]): OwnedPartition[] {
  return items
    .filter((p) => p.owner === taskId && p.state === 'ASSIGNED')
    .map((p) => ({ partitionId: p.partitionId, epoch: p.epoch }))
    .sort((a, b) => a.partitionId - b.partitionId);
}
