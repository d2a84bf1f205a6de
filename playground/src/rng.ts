/**
 * A small seeded pseudo-random generator for the simulator: the same seed gives the same
 * sequence on every machine (32-bit integer arithmetic only). The seed is scrambled with
 * splitmix32, the stream is mulberry32. Not for cryptography.
 */

/** splitmix32: a good 32-bit mixing function, used to turn seeds and labels into states. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Folds any finite number (integers beyond 32 bits included) or string into 32 bits. */
function seedBits(seed: number | string): number {
  if (typeof seed === 'string') {
    let h = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    return mix32(h >>> 0);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const whole = Math.trunc(seed);
  const low = whole >>> 0;
  const high = Math.floor(whole / 0x1_0000_0000) >>> 0;
  return mix32(low ^ mix32(high));
}

export class Rng {
  /** The state right after seeding: forks derive from it, never from the current state. */
  private readonly origin: number;
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number | string) {
    this.origin = seedBits(seed);
    this.state = this.origin;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Normally distributed (Box-Muller), mean 0 and standard deviation 1 unless given. */
  normal(mean = 0, stdDev = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + stdDev * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + stdDev * r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n); n must be a positive integer. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /**
   * An independent generator derived from this one's seed and a label. It neither
   * consumes numbers from this one nor depends on how many were drawn, so adding draws
   * to one stream never shifts another: `new Rng(7).fork('noise')` is always the same.
   */
  fork(label: number | string): Rng {
    return new Rng(mix32(this.origin ^ seedBits(label)));
  }
}
