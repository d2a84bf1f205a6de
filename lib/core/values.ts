/**
 * Small value helpers the core, the handlers and the adapters share (one definition each).
 */

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Code-unit order of ids: the same on every machine and locale (never localeCompare). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
