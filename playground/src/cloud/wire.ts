/**
 * Small helpers shared by the ECS and CloudWatch wire handlers: awsJson timestamps, opaque
 * pagination tokens, and turning zod issues into one readable sentence.
 */
import type * as z from 'zod';

/** awsJson timestamps are epoch seconds (fractional), as numbers. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

export function optionalEpochSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : epochSeconds(ms);
}

/** Epoch milliseconds from an awsJson timestamp (epoch seconds, or an ISO-8601 string). */
export function timestampMs(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  const asNumber = Number(value);
  if (value.trim() !== '' && Number.isFinite(asNumber)) return asNumber * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** A pagination token: base64url JSON. Opaque to clients, checked on the way back. */
export function encodeToken(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeToken(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A short, stable fingerprint of a request, so a token is only accepted for the same request. */
export function fingerprint(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The first zod issue as "path: message". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** True when the first zod issue is a required member that is absent. */
export function isMissingMember(error: z.ZodError, input: unknown): boolean {
  const issue = error.issues[0];
  if (issue?.code !== 'invalid_type') return false;
  let value: unknown = input;
  for (const key of issue.path) {
    if (value === null || typeof value !== 'object') return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined;
}
