/**
 * The integer arithmetic Flink and the Kafka connector use to place keys and partitions,
 * reproduced bit for bit (32-bit two's complement, as Java's int), and a counter-based
 * random source for the model's noise. Pure.
 *
 * - `javaStringHashCode`: java.lang.String#hashCode.
 * - `murmurHash`: org.apache.flink.util.MathUtils#murmurHash (the key-group hash).
 * - `roundUpToPowerOfTwo`, `computeDefaultMaxParallelism`: MathUtils and
 *   KeyGroupRangeAssignment#computeDefaultMaxParallelism (the maxParallelism Flink derives).
 * - `hashUniform`, `hashNormal`: deterministic draws from (seed, stream, a, b) with no state,
 *   so that a draw for one subtask and step never depends on how many others were drawn.
 */

/** Java's `int` overflow: the low 32 bits, signed. */
const int = (x: number): number => x | 0;

function rotateLeft(x: number, distance: number): number {
  return int((x << distance) | (x >>> (32 - distance)));
}

/** java.lang.String#hashCode: s[0]·31^(n−1) + … + s[n−1], in 32-bit int arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = int(Math.imul(h, 31) + s.charCodeAt(i));
  return h;
}

/** Murmur3's 32-bit finalizer (MathUtils#bitMix). */
function bitMix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** MathUtils#murmurHash(int): non-negative; Integer.MIN_VALUE maps to 0. */
export function murmurHash(code: number): number {
  let h = Math.imul(int(code), 0xcc9e2d51);
  h = rotateLeft(h, 15);
  h = Math.imul(h, 0x1b873593);
  h = rotateLeft(h, 13);
  h = int(Math.imul(h, 5) + 0xe6546b64);
  h ^= 4;
  h = bitMix(h);
  if (h >= 0) return h;
  return h === -0x8000_0000 ? 0 : -h;
}

/** MathUtils#roundUpToPowerOfTwo for 1 ≤ x ≤ 2^30. */
export function roundUpToPowerOfTwo(x: number): number {
  let v = int(x - 1);
  v |= v >> 1;
  v |= v >> 2;
  v |= v >> 4;
  v |= v >> 8;
  v |= v >> 16;
  return v + 1;
}

/** KeyGroupRangeAssignment's bounds on maxParallelism. */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;
export const UPPER_BOUND_MAX_PARALLELISM = 32_768;

/**
 * KeyGroupRangeAssignment#computeDefaultMaxParallelism: min(max(roundUp(p + p/2), 128), 32768).
 * In reactive mode Flink derives a vertex's maxParallelism from its configured parallelism
 * (1 unless set) this way when the job sets none (AdaptiveScheduler
 * #computeReactiveModeVertexParallelismStore with SchedulerBase#getDefaultMaxParallelism).
 */
export function computeDefaultMaxParallelism(operatorParallelism: number): number {
  const p = Math.max(1, Math.trunc(operatorParallelism));
  return Math.min(
    Math.max(roundUpToPowerOfTwo(p + Math.trunc(p / 2)), DEFAULT_LOWER_BOUND_MAX_PARALLELISM),
    UPPER_BOUND_MAX_PARALLELISM,
  );
}

/** splitmix32's mixing step. */
function mix32(x: number): number {
  let z = int(x + 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A uniform number in [0, 1) determined by its four integer coordinates only (a hash, no
 * state): the same (seed, stream, a, b) always gives the same number.
 */
export function hashUniform(seed: number, stream: number, a: number, b: number): number {
  const h = mix32(mix32(mix32(mix32(int(seed)) ^ int(stream)) ^ int(a)) ^ int(b));
  return h / 0x1_0000_0000;
}

/** A standard normal (Box–Muller) from two hash draws. */
export function hashNormal(seed: number, stream: number, a: number, b: number): number {
  const u = 1 - hashUniform(seed, stream, a, 2 * b); // (0, 1]
  const v = hashUniform(seed, stream, a, 2 * b + 1);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
