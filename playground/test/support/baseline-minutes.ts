/**
 * What the baselines' case tables feed their rules: consecutive visible minutes and an
 * observation at a tick on the minute. The newest visible datapoint started 120 s before the
 * tick (60 s of minute + 30 s ingestion delay, seen at the next tick).
 */
import type { JobMinute, Observation } from '../../src/baselines/types';

export const NOW = Date.parse('2026-01-01T12:00:00.000Z');
export const MIN = 60_000;

/** `values` as consecutive minutes ending with the newest visible one (NOW − 120 s). */
export function minutes(values: readonly Partial<JobMinute>[], newestAt = NOW - 2 * MIN): JobMinute[] {
  return values.map((v, i) => ({
    at: newestAt - (values.length - 1 - i) * MIN,
    avgBusy: 0.5,
    maxBusy: 0.5,
    processedRate: 1000,
    reporting: 4,
    ...v,
  }));
}

export const repeat = <T>(n: number, v: T): T[] => Array.from({ length: n }, () => v);

/** 4 TaskManagers desired and running, the last restart a day ago, unless `extra` says otherwise. */
export function obs(m: readonly JobMinute[], extra: Partial<Observation> = {}): Observation {
  return { nowMs: NOW, minutes: m, desired: 4, running: 4, lastRestartMs: NOW - 86_400_000, ...extra };
}
