/**
 * What a count absorbs. A noisy input's peaks need no TaskManager of their own when the
 * backlog they build drains before it is a lag anyone would act on: the scale-in window's
 * inputs replayed through a count's capacity as a fluid queue (each reading lasting one
 * schedule period) show the lag that count had (policy.ts: a scale-out that the window
 * absorbed is a peak, not a need).
 */

/** The largest backlog, in seconds of `capacity`, that `rates` (one per step, records/s) build in a queue served at `capacity`. */
export function replayLagSeconds(rates: readonly number[], capacity: number, stepSeconds: number): number {
  if (capacity <= 0) return rates.some((r) => r > 0) ? Number.POSITIVE_INFINITY : 0;
  let backlog = 0;
  let worst = 0;
  for (const rate of rates) {
    backlog = Math.max(0, backlog + (rate - capacity) * stepSeconds);
    worst = Math.max(worst, backlog);
  }
  return worst / capacity;
}

/** `capacity` covers `steadyRate` and the backlog `rates` build in it stays within `lagSeconds`. */
export function absorbs(
  rates: readonly number[],
  capacity: number,
  steadyRate: number,
  stepSeconds: number,
  lagSeconds: number,
): boolean {
  return capacity >= steadyRate && replayLagSeconds(rates, capacity, stepSeconds) <= lagSeconds;
}

/** The mean of `rates` (0 for none). */
export function meanRate(rates: readonly number[]): number {
  return rates.length === 0 ? 0 : rates.reduce((a, r) => a + r, 0) / rates.length;
}
