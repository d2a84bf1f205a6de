/**
 * Key groups and Kafka splits as Flink assigns them. Values marked "Flink 2.2.1" were printed
 * by KeyGroupRangeAssignment and KafkaSourceEnumerator#getSplitOwner (flink-connector-kafka
 * 5.0.0-2.2) themselves; the others are worked by hand from the formulas in the module doc.
 */
import { describe, expect, it } from 'vitest';
import {
  initialSplitAssignment,
  kafkaSplitOwner,
  keyGroupDistribution,
  keyGroupOf,
  keyGroupRange,
  operatorIndexForKeyGroup,
  repartitionSplitState,
  subtaskShares,
  zipfWeights,
} from '../../../src/model/assignment';

describe('Function: keyGroupOf (KeyGroupRangeAssignment#assignToKeyGroup)', () => {
  it.each([
    [0, 94],
    [1, 86],
    [2, 127],
    [3, 113],
    [4, 7],
    [5, 126],
    [99, 62],
    [12_345, 1],
  ])('Integer key %d lands in key group %d of 128 (Flink 2.2.1)', (key, group) => {
    expect(keyGroupOf(key, 128)).toBe(group);
  });
});

describe('Function: keyGroupRange / operatorIndexForKeyGroup', () => {
  it.each([
    [0, [0, 2]],
    [1, [3, 5]],
    [47, [126, 127]],
  ] as const)('operator %d of 48 owns key groups %j of 128 (Flink 2.2.1)', (index, range) => {
    expect(keyGroupRange(128, 48, index)).toEqual(range);
  });

  it.each([
    [0, 0],
    [2, 0],
    [3, 1],
    [5, 1],
    [127, 47],
  ])('key group %d of 128 goes to operator %d of 48 (Flink 2.2.1)', (group, index) => {
    expect(operatorIndexForKeyGroup(128, 48, group)).toBe(index);
  });

  it('gives every key group to exactly the operator whose contiguous range holds it', () => {
    for (const p of [1, 3, 7, 10, 48, 128]) {
      for (let g = 0; g < 128; g++) {
        const i = operatorIndexForKeyGroup(128, p, g);
        const [start, end] = keyGroupRange(128, p, i);
        expect(g).toBeGreaterThanOrEqual(start);
        expect(g).toBeLessThanOrEqual(end);
      }
    }
  });
});

describe('Function: subtaskShares', () => {
  it('sums key-group weights over each subtask’s range: 5 groups on 2 subtasks → groups 0–2 and 3–4', () => {
    // floor(g·2/5): 0,0,0,1,1
    expect(subtaskShares([0.1, 0.2, 0.3, 0.15, 0.25], 2)).toEqual([0.6000000000000001, 0.4]);
  });
});

describe('Function: keyGroupDistribution', () => {
  it('hashes Integer keys 0..3 into 4 key groups as Flink does (0,1 → group 2; 2 → 3; 3 → 1)', () => {
    // murmurHash: 0 → 593689054, 1 → 68075478 (both ≡ 2 mod 4), 2 → 1085422463 (≡ 3), 3 → 847579505 (≡ 1).
    const { traffic, keysIn } = keyGroupDistribution(4, 0, 4);
    expect(keysIn).toEqual([0, 0.25, 0.5, 0.25]);
    expect(traffic).toEqual([0, 0.25, 0.5, 0.25]);
  });

  it('weighs traffic by Zipf popularity: exponent 1 over 4 keys → 12/25, 6/25, 4/25, 3/25', () => {
    expect(zipfWeights(4, 1).map((w) => w * 25)).toEqual([12, 6, 4, 3].map((v) => expect.closeTo(v, 12)));
    const { traffic } = keyGroupDistribution(4, 1, 4);
    // group 2 holds keys 0 and 1, group 3 key 2, group 1 key 3.
    expect(traffic.map((t) => t * 25)).toEqual([0, 3, 18, 4].map((v) => expect.closeTo(v, 12)));
  });
});

describe('Function: kafkaSplitOwner (KafkaSourceEnumerator#getSplitOwner)', () => {
  it.each([
    ['orders', 3, 0, 0],
    ['orders', 3, 1, 1],
    ['orders', 3, 7, 1],
    ['orders', 10, 0, 9],
    ['orders', 10, 1, 0],
    ['orders', 10, 7, 6],
    ['demo', 3, 0, 1],
    ['demo', 3, 7, 2],
    ['demo', 10, 0, 1],
    ['demo', 10, 7, 8],
  ])('topic %s, %d readers: partition %d → reader %d (Flink 2.2.1)', (topic, readers, partition, owner) => {
    expect(kafkaSplitOwner(topic, partition, readers)).toBe(owner);
  });

  it('assigns round robin from the topic’s start index; readers beyond the partitions get none', () => {
    // "orders" with 10 readers starts at 9: partitions 0..3 → 9, 0, 1, 2.
    expect(initialSplitAssignment('orders', 4, 10)).toEqual([[1], [2], [3], [], [], [], [], [], [], [0]]);
  });
});

describe('Function: repartitionSplitState (RoundRobinOperatorStateRepartitioner, SPLIT_DISTRIBUTE)', () => {
  it.each([
    // 7 splits from 3 readers onto 2: concatenated [0,3,6,1,4,2,5], cut 4 + 3.
    [
      [
        [0, 3, 6],
        [1, 4],
        [2, 5],
      ],
      2,
      [
        [0, 3, 6, 1],
        [4, 2, 5],
      ],
    ],
    // onto 4: 2,2,2,1.
    [
      [
        [0, 3, 6],
        [1, 4],
        [2, 5],
      ],
      4,
      [[0, 3], [6, 1], [4, 2], [5]],
    ],
    // more readers than splits: the first ones get one each.
    [[[0, 1], [2]], 5, [[0], [1], [2], [], []]],
  ])('%j onto %d readers → %j', (previous, p, expected) => {
    expect(repartitionSplitState(previous, p)).toEqual(expected);
  });
});
