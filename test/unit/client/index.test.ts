import { describe, expect, it } from 'vitest';
import {
  assertOwned,
  assignmentsFor,
  FencedError,
  type PartitionReader,
  verifyOwnership,
} from '../../../lib/client';
import type { PartitionItem } from '../../../lib/core/domain';
import { MemoryStore } from '../../support/fakes';

const items: PartitionItem[] = [
  { partitionId: 0, owner: 'tm-a', epoch: 3, state: 'ASSIGNED', updatedAt: 1 },
  { partitionId: 1, owner: 'tm-b', epoch: 1, state: 'ASSIGNED', updatedAt: 1 },
  { partitionId: 2, owner: 'tm-a', epoch: 7, state: 'REVOKING', updatedAt: 1 },
  { partitionId: 5, owner: 'tm-a', epoch: 2, state: 'ASSIGNED', updatedAt: 1 },
];

class Reader implements PartitionReader {
  queries = 0;
  gets = 0;
  async readPartitions(): Promise<readonly PartitionItem[]> {
    this.queries++;
    return items;
  }
  async readPartition(_appId: string, id: number): Promise<PartitionItem | undefined> {
    this.gets++;
    return items.find((p) => p.partitionId === id);
  }
}

describe('Function: assignmentsFor', () => {
  it('lists the ASSIGNED partitions of a TaskManager with their epochs, from one read', async () => {
    const reader = new Reader();
    expect(await assignmentsFor(reader, 'orders', 'tm-a')).toEqual([
      { partitionId: 0, epoch: 3 },
      { partitionId: 5, epoch: 2 },
    ]);
    expect(reader.queries).toBe(1);
  });

  it('works on any StateStore through its readApp', async () => {
    const store = new MemoryStore();
    for (const p of items) store.partitions.set(p.partitionId, p);
    expect(await assignmentsFor(store, 'orders', 'tm-b')).toEqual([{ partitionId: 1, epoch: 1 }]);
  });
});

describe('Function: verifyOwnership / assertOwned', () => {
  it.each([
    { name: 'owned at its epoch', taskId: 'tm-a', id: 0, epoch: 3, verdict: { kind: 'owned', epoch: 3 } },
    { name: 'being revoked', taskId: 'tm-a', id: 2, epoch: 7, verdict: { kind: 'revoking', epoch: 7 } },
    {
      name: 'fenced by a newer epoch',
      taskId: 'tm-a',
      id: 0,
      epoch: 2,
      verdict: { kind: 'fenced', storedEpoch: 3, owner: 'tm-a' },
    },
    {
      name: 'fenced by another owner',
      taskId: 'tm-a',
      id: 1,
      epoch: 1,
      verdict: { kind: 'fenced', storedEpoch: 1, owner: 'tm-b' },
    },
    {
      name: 'fenced when no item exists',
      taskId: 'tm-a',
      id: 9,
      epoch: 1,
      verdict: { kind: 'fenced', storedEpoch: 0, owner: null },
    },
  ])('$name', async ({ taskId, id, epoch, verdict }) => {
    const reader = new Reader();
    expect(await verifyOwnership(reader, 'orders', taskId, id, epoch)).toEqual(verdict);
    expect(reader.gets).toBe(1);
    expect(reader.queries).toBe(0);
  });

  it('assertOwned passes when owned and throws a FencedError naming the partition otherwise', async () => {
    const reader = new Reader();
    await expect(assertOwned(reader, 'orders', 'tm-a', 0, 3)).resolves.toBeUndefined();
    const failure = await assertOwned(reader, 'orders', 'tm-a', 2, 7).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FencedError);
    expect((failure as FencedError).partitionId).toBe(2);
    expect((failure as Error).message).toContain('revoked');
  });
});
