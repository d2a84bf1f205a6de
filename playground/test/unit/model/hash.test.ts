/**
 * The integer functions Flink and the Kafka connector place keys and partitions with. The
 * expected values were printed by Flink 2.2.1's own classes (MathUtils#murmurHash,
 * KeyGroupRangeAssignment, String#hashCode in jshell against flink-core/flink-runtime
 * 2.2.1); a mismatch in one bit of the arithmetic changes them.
 */
import { describe, expect, it } from 'vitest';
import {
  computeDefaultMaxParallelism,
  hashNormal,
  hashUniform,
  javaStringHashCode,
  murmurHash,
  roundUpToPowerOfTwo,
} from '../../../src/model/hash';

describe('Function: murmurHash (MathUtils#murmurHash)', () => {
  it.each([
    [0, 593_689_054],
    [1, 68_075_478],
    [2, 1_085_422_463],
    [3, 847_579_505],
    [42, 1_134_849_565],
    [-1, 1_982_413_648],
    [1000, 3_506_311],
    [123_456_789, 1_088_346_449],
    [-2_147_483_648, 1_718_298_732],
    [2_147_483_647, 1_653_689_534],
  ])('murmurHash(%d) = %d', (code, expected) => {
    expect(murmurHash(code)).toBe(expected);
  });
});

describe('Function: javaStringHashCode (String#hashCode)', () => {
  it.each([
    ['', 0],
    ['a', 97],
    ['ab', 97 * 31 + 98],
    ['hello', 99_162_322],
    ['orders', -1_008_770_331],
    ['demo', 3_079_651],
    ['input', 100_358_090],
  ])('"%s".hashCode() = %d', (s, expected) => {
    expect(javaStringHashCode(s)).toBe(expected);
  });
});

describe('Function: computeDefaultMaxParallelism (KeyGroupRangeAssignment)', () => {
  it.each([
    [1, 128],
    [10, 128],
    [48, 128],
    [85, 128], // 85 + 42 = 127 → 128
    [86, 256], // 86 + 43 = 129 → 256
    [100, 256],
    [1000, 2048],
    [30_000, 32_768],
  ])('parallelism %d → maxParallelism %d', (p, expected) => {
    expect(computeDefaultMaxParallelism(p)).toBe(expected);
  });

  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [127, 128],
    [128, 128],
    [129, 256],
  ])('roundUpToPowerOfTwo(%d) = %d', (x, expected) => {
    expect(roundUpToPowerOfTwo(x)).toBe(expected);
  });
});

describe('Function: hashUniform / hashNormal', () => {
  it('depends on its coordinates only, stays in [0, 1), and every coordinate matters', () => {
    const draws = Array.from({ length: 2000 }, (_, i) => hashUniform(7, 1, i, 3));
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(hashUniform(7, 1, 5, 3)).toBe(draws[5]);
    const base = hashUniform(7, 1, 5, 3);
    expect(
      new Set([
        base,
        hashUniform(8, 1, 5, 3),
        hashUniform(7, 2, 5, 3),
        hashUniform(7, 1, 6, 3),
        hashUniform(7, 1, 5, 4),
      ]).size,
    ).toBe(5);
    const mean = draws.reduce((a, u) => a + u, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.47);
    expect(mean).toBeLessThan(0.53);
  });

  it('draws normals with mean ≈ 0 and standard deviation ≈ 1', () => {
    const z = Array.from({ length: 20_000 }, (_, i) => hashNormal(3, 9, 1, i));
    const mean = z.reduce((a, v) => a + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((a, v) => a + (v - mean) ** 2, 0) / z.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
  });
});
