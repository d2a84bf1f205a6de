/**
 * A small seeded generator (mulberry32) for reproducible ids: the same seed gives the same
 * task ARNs, event ids and request ids on every run.
 */

export interface Random {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    nextUint32(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

/** `words` 32-bit words as lowercase hex (8 characters each). */
export function randomHex(random: Random, words: number): string {
  let out = '';
  for (let i = 0; i < words; i++) out += random.nextUint32().toString(16).padStart(8, '0');
  return out;
}

/** An ECS task id: 32 lowercase hex characters, as in arn:aws:ecs:…:task/CLUSTER/<id>. */
export function randomTaskId(random: Random): string {
  return randomHex(random, 4);
}

/** A version-4-shaped UUID (event ids, request ids). */
export function randomUuid(random: Random): string {
  const h = randomHex(random, 4);
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A decimal string of `digits` digits (deployment ids such as ecs-svc/1234567890123456789). */
export function randomDigits(random: Random, digits: number): string {
  let out = '';
  while (out.length < digits) out += String(random.nextUint32() % 1_000_000_000).padStart(9, '0');
  return out.slice(0, digits).replace(/^0/, '1');
}
