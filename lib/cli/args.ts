/**
 * Argument parsers of the operator commands: pure functions that return the value or throw
 * an InvalidArgumentError whose message says what is expected. Commander prefixes it with
 * the option and the value given, so the one-line error names the problem:
 * `error: option '--to <count>' argument '-1' is invalid. must be a whole number ≥ 0`.
 */
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_TOKEN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
const DURATION_HINT = 'must be a duration like 90s, 30m, 1h or 1h30m';

/** "1h30m" → 5_400_000 ms. A bare `0` is zero; every other value needs a unit (ms, s, m, h, d). */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') throw new InvalidArgumentError(DURATION_HINT);
  let total = 0;
  let at = 0;
  DURATION_TOKEN.lastIndex = 0;
  for (let m = DURATION_TOKEN.exec(s); m !== null; m = DURATION_TOKEN.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
    at = DURATION_TOKEN.lastIndex;
  }
  if (at !== s.length || !Number.isFinite(total)) throw new InvalidArgumentError(DURATION_HINT);
  return total;
}

/** 5_400_000 → "1h30m"; 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return ms <= 0 ? '0s' : `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

export interface DurationBounds {
  readonly minMs: number;
  readonly maxMs: number;
  /** The value is sent as whole minutes: anything else is rejected rather than rounded. */
  readonly wholeMinutes?: boolean;
}

/** A commander argument parser for a bounded duration, in ms. */
export function durationArg(bounds: DurationBounds): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (bounds.wholeMinutes && ms % 60_000 !== 0)
      throw new InvalidArgumentError('must be whole minutes (e.g. 30m)');
    if (ms < bounds.minMs || ms > bounds.maxMs) {
      throw new InvalidArgumentError(
        `must be from ${formatDuration(bounds.minMs)} to ${formatDuration(bounds.maxMs)}`,
      );
    }
    return ms;
  };
}

/** A commander argument parser for a whole number from `min` to `max`. */
export function wholeNumberArg(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const s = text.trim();
    const n = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `must be a whole number ≥ ${min}`
          : `must be a whole number from ${min} to ${max}`,
      );
    }
    if (n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `must be ≥ ${min}` : `must be from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** A commander argument parser for a number above 0 and at most `max`. */
export function positiveNumberArg(max: number): (text: string) => number {
  return (text) => {
    const s = text.trim();
    const n = Number(s);
    if (s === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`must be a number above 0 and at most ${max}`);
    }
    return n;
  };
}

/** A commander argument parser for a non-empty text of at most `max` characters. */
export function textArg(max: number): (text: string) => string {
  return (text) => {
    const s = text.trim();
    if (s === '') throw new InvalidArgumentError('must not be empty');
    if (s.length > max) throw new InvalidArgumentError(`must be at most ${max} characters`);
    return s;
  };
}

/** A commander argument parser for an http(s) URL. */
export function endpointArg(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InvalidArgumentError('must be a URL like http://127.0.0.1:9500');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('must be an http:// or https:// URL');
  }
  return text.trim();
}
