/**
 * Where records go, as Flink and the Kafka source decide it. Pure.
 *
 * - Keys → key groups → subtasks: KeyGroupRangeAssignment. A key lands in key group
 *   murmurHash(key.hashCode()) % maxParallelism; operator index i of parallelism p owns the
 *   contiguous range [ceil(i·M/p), floor(((i+1)·M − 1)/p)], i.e. key group g goes to
 *   floor(g·p/M).
 * - Kafka partitions → source subtasks, at a start without state: KafkaSourceEnumerator
 *   #getSplitOwner, startIndex = ((topic.hashCode() · 31) & 0x7FFFFFFF) % readers, then
 *   round robin: owner(partition) = (startIndex + partition) % readers.
 * - On a restore from a checkpoint the splits come back from the readers' list state
 *   (SourceOperator's split state, SPLIT_DISTRIBUTE), which
 *   RoundRobinOperatorStateRepartitioner redistributes when the parallelism changes: the old
 *   subtasks' lists concatenated in subtask order, cut into contiguous chunks of
 *   floor(n/p), the first n mod p chunks one longer.
 * - The key distribution: `keys` integer keys 0..K−1 whose popularity follows a Zipf law
 *   (key k has weight (k+1)^−s), each hashed to its key group as an Integer key would be
 *   (Integer#hashCode is the value itself).
 */
import { javaStringHashCode, murmurHash } from './hash';

/** KeyGroupRangeAssignment#assignToKeyGroup for a key whose hashCode is `keyHash`. */
export function keyGroupOf(keyHash: number, maxParallelism: number): number {
  return murmurHash(keyHash) % maxParallelism;
}

/** KeyGroupRangeAssignment#computeOperatorIndexForKeyGroup. */
export function operatorIndexForKeyGroup(
  maxParallelism: number,
  parallelism: number,
  keyGroup: number,
): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** KeyGroupRangeAssignment#computeKeyGroupRangeForOperatorIndex: [start, end], both inclusive. */
export function keyGroupRange(
  maxParallelism: number,
  parallelism: number,
  operatorIndex: number,
): readonly [number, number] {
  const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism);
  return [start, end];
}

/** Sums per-key-group weights into per-subtask shares for a parallelism. */
export function subtaskShares(keyGroupWeights: readonly number[], parallelism: number): number[] {
  const m = keyGroupWeights.length;
  const shares = new Array<number>(parallelism).fill(0);
  for (let g = 0; g < m; g++) {
    const i = operatorIndexForKeyGroup(m, parallelism, g);
    shares[i] = (shares[i] ?? 0) + (keyGroupWeights[g] ?? 0);
  }
  return shares;
}

/** Normalized Zipf weights over `n` items: item k (0-based) ∝ (k+1)^−exponent. */
export function zipfWeights(n: number, exponent: number): number[] {
  const w = Array.from({ length: n }, (_, k) => (k + 1) ** -exponent);
  const total = w.reduce((a, v) => a + v, 0);
  return w.map((v) => v / total);
}

/**
 * Traffic and state share of every key group for `keys` Integer keys 0..keys−1 with Zipf
 * popularity: `traffic[g]` is the share of records whose key falls in group g, `keysIn[g]`
 * the share of distinct keys (what the group's state size follows).
 */
export function keyGroupDistribution(
  keys: number,
  zipfExponent: number,
  maxParallelism: number,
): { readonly traffic: number[]; readonly keysIn: number[] } {
  const popularity = zipfWeights(keys, zipfExponent);
  const traffic = new Array<number>(maxParallelism).fill(0);
  const keysIn = new Array<number>(maxParallelism).fill(0);
  for (let k = 0; k < keys; k++) {
    const g = keyGroupOf(k, maxParallelism);
    traffic[g] = (traffic[g] ?? 0) + (popularity[k] ?? 0);
    keysIn[g] = (keysIn[g] ?? 0) + 1 / keys;
  }
  return { traffic, keysIn };
}

/** KafkaSourceEnumerator#getSplitOwner. */
export function kafkaSplitOwner(topic: string, partition: number, readers: number): number {
  const startIndex = (Math.imul(javaStringHashCode(topic), 31) & 0x7fffffff) % readers;
  return (startIndex + partition) % readers;
}

/** The enumerator's assignment of every partition at a start without state: per reader, its partitions ascending. */
export function initialSplitAssignment(topic: string, partitions: number, readers: number): number[][] {
  const out: number[][] = Array.from({ length: readers }, () => []);
  for (let p = 0; p < partitions; p++) out[kafkaSplitOwner(topic, p, readers)]?.push(p);
  return out;
}

/**
 * RoundRobinOperatorStateRepartitioner for one SPLIT_DISTRIBUTE list state: the old lists
 * concatenated in subtask order, cut into `parallelism` contiguous chunks, the first
 * (n mod parallelism) of them one element longer.
 */
export function repartitionSplitState(
  previous: readonly (readonly number[])[],
  parallelism: number,
): number[][] {
  const all = previous.flat();
  const base = Math.floor(all.length / parallelism);
  let remainder = all.length % parallelism;
  const out: number[][] = [];
  let at = 0;
  for (let i = 0; i < parallelism; i++) {
    const n = base + (remainder > 0 ? 1 : 0);
    if (remainder > 0) remainder--;
    out.push(all.slice(at, at + n));
    at += n;
  }
  return out;
}
