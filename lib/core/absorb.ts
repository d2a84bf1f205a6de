/**
 * What a count absorbs. A noisy input's peaks need no TaskManager of their own when the
 * backlog they build drains before it is a lag anyone would act on: the scale-in window's
 * inputs replayed through a count's capacity as a fluid queue (each reading lasting one
 * schedule period) show the lag that count had (policy.ts: a scale-out that the window
 * absorbed is a peak, not a need). And a count is worth scaling in to only if it survives the
 * steepest rise the input made lately for as long as a scale-out takes to land (the loop's dead
 * time): below that, the next such rise is a lag over the SLO before the capacity comes back.
 */
import type { AppConfig } from './config.js';
import type { CountRate, Rise } from './domain.js';

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

/**
 * The input's trend, records/s per second: the median of the slopes between every pair of
 * `rates` (one reading per `stepSeconds`, oldest first), the Theil–Sen estimator. A noisy
 * level's pairs rise as often as they fall, so its median is about 0, where a least-squares
 * line would follow one high reading; a ramp's pairs all rise. 0 for fewer than two readings.
 */
export function trendPerSecond(rates: readonly number[], stepSeconds: number): number {
  const slopes: number[] = [];
  for (let i = 0; i < rates.length; i++)
    for (let j = i + 1; j < rates.length; j++)
      slopes.push(((rates[j] as number) - (rates[i] as number)) / ((j - i) * stepSeconds));
  return slopes.length === 0 ? 0 : median(slopes);
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
    : (sorted[Math.floor(mid)] as number);
}

/**
 * `rates` followed by `horizonSeconds` more readings of the input rising on its trend from the
 * newest one (a falling trend is not projected: the newest reading is held). What a count has to
 * carry until a scale-out decided now would land (the loop's dead time): a ramp crosses the
 * count's capacity in it, a noisy level does not.
 */
export function projectTrend(
  rates: readonly number[],
  stepSeconds: number,
  horizonSeconds: number,
): number[] {
  const newest = rates.at(-1);
  if (newest === undefined) return [];
  const slope = Math.max(0, trendPerSecond(rates, stepSeconds));
  const steps = Math.round(horizonSeconds / stepSeconds);
  return [...rates, ...Array.from({ length: steps }, (_, k) => newest + slope * (k + 1) * stepSeconds)];
}

/** The mean of `rates` (0 for none). */
export function meanRate(rates: readonly number[]): number {
  return rates.length === 0 ? 0 : rates.reduce((a, r) => a + r, 0) / rates.length;
}

/**
 * The loop's dead time: from a rise to the capacity that answers it, the next evaluation
 * (scheduleSeconds), the metrics' delay (ingestion + one period) and the rescale's settle time
 * (startup + restart).
 */
export function deadTimeSeconds(config: AppConfig): number {
  return (
    config.scheduleSeconds +
    config.metrics.ingestionDelaySeconds +
    config.metrics.periodSeconds +
    config.policy.settleSeconds
  );
}

/**
 * The rise the window's inputs (oldest first, `at` epoch ms) and the newest one show at
 * `nowMs`: from the last reading at least `deadSeconds` old to the median of the readings since
 * (one minute's burst among them is a peak the scale-in window and absorbs() answer, not the
 * level the input rose to; the mean counted it: docs/benchmarks.md, fifth round, V29 and V30).
 * Undefined when the window does not reach back that far, or the input did not rise.
 */
export function observeRise(
  readings: readonly { readonly at: number; readonly input: number }[],
  nowMs: number,
  deadSeconds: number,
): Rise | undefined {
  const cut = nowMs - deadSeconds * 1000;
  const before = readings.filter((r) => r.at <= cut).at(-1);
  if (!before) return undefined;
  const since = readings.filter((r) => r.at > cut).map((r) => r.input);
  if (since.length === 0) return undefined;
  const to = median(since);
  return to > before.input ? { at: nowMs, from: before.input, to } : undefined;
}

/**
 * A rise that continues `prev` (it starts within prev's span, no later than one dead time
 * after it, and goes higher) is one ramp: from prev's start to its end, over both spans.
 */
export function chainRise(prev: Rise | undefined, next: Rise, deadSeconds: number): Rise {
  if (!prev || next.at - prev.at > deadSeconds * 1000 || next.at <= prev.at) return next;
  if (next.from < prev.from || next.from > prev.to || next.to <= prev.to) return next;
  const seconds = (prev.seconds ?? deadSeconds) + (next.at - prev.at) / 1000;
  return { at: next.at, from: prev.from, to: next.to, seconds };
}

/**
 * The rises worth remembering: those of the last `lookbackSeconds` that no other one covers
 * (another from at most as low to at least as high, and at least as fast; of two equal ones,
 * the newer), newest last. A rise without a duration happened within one dead time
 * (observeRise), so it is faster than any chained one (chainRise: longer than a dead time);
 * counting it as 0 s here orders it as riseFloor's and chainRise's one dead time does.
 */
export function keepRises(rises: readonly Rise[], nowMs: number, lookbackSeconds: number): Rise[] {
  const recent = rises.filter((r) => r.at > nowMs - lookbackSeconds * 1000 && r.at <= nowMs);
  const covers = (a: Rise, b: Rise) =>
    a.from <= b.from && a.to >= b.to && (a.seconds ?? 0) <= (b.seconds ?? 0);
  return recent.filter((r, i) => !recent.some((o, j) => j !== i && covers(o, r) && (!covers(r, o) || j > i)));
}

/**
 * The smallest count (up to `maxCount`) that survives every remembered rise that started at a
 * level it holds at the target utilization: the backlog such a rise builds over the dead time,
 * (to - capacity) × deadSeconds, stays within `lagSeconds` of its capacity. 1 for no rises.
 */
export function riseFloor(
  rises: readonly Rise[],
  capacityOf: (n: number) => number,
  c: {
    readonly maxCount: number;
    readonly target: number;
    readonly deadSeconds: number;
    readonly lagSeconds: number;
  },
): number {
  for (let n = 1; n < c.maxCount; n++) {
    const capacity = capacityOf(n);
    const trigger = c.target * capacity;
    const survives = rises.every((r) => {
      if (r.from > trigger) return true;
      // A ramp longer than the dead time: the level it reaches one dead time after it crosses
      // the count's target, at its mean slope.
      const span = Math.max(r.seconds ?? c.deadSeconds, c.deadSeconds);
      const to = Math.min(r.to, trigger + ((r.to - r.from) * c.deadSeconds) / span);
      return (to - capacity) * c.deadSeconds <= c.lagSeconds * capacity;
    });
    if (survives) return n;
  }
  return Math.max(1, c.maxCount);
}

/**
 * The capacity each count showed lately: per count measured in the last `lookbackSeconds`, the
 * highest per-slot rate since the kept one, and the newest once the kept one is at least
 * `horizonSeconds` older than it (`rates` oldest first), by count. The highest, because the
 * estimate is biased one way only: the bottleneck's busy time is the period's Maximum and the
 * throughput its mean, so a period whose input varies reads a busier bottleneck than its mean
 * rate needs, and a GC pause or a noisy minute lowers it too; nothing lifts it above the rate
 * the busiest slot sustains (policy.ts estimatePerSlotRate). The horizon lets a count's real
 * loss of capacity (heavier records, a slower host) through within it.
 */
export function keepCurve(
  rates: readonly CountRate[],
  nowMs: number,
  lookbackSeconds: number,
  horizonSeconds: number,
): CountRate[] {
  const kept = new Map<number, CountRate>();
  for (const r of rates) {
    if (r.at <= nowMs - lookbackSeconds * 1000 || r.at > nowMs) continue;
    const seen = kept.get(r.count);
    const expired = seen !== undefined && r.at - seen.at >= horizonSeconds * 1000;
    if (!seen || expired || (r.at >= seen.at && r.perSlotRate >= seen.perSlotRate)) kept.set(r.count, r);
  }
  return [...kept.values()].sort((a, b) => a.count - b.count);
}
