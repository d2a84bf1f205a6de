/**
 * Which decisions become DECISION# items in the table (the audit log that `status` and the
 * CLI read). Every decision is logged (structured log line) and counted (EMF metric) either
 * way; the table keeps what an operator looks back for: every change, every manual command
 * and alarm, and each change of reason of the scheduled ticks. A steady day is then a handful
 * of items instead of 1,440 "NoChange" rows that push the last scale-out out of `status`.
 */
import type { ReasonCode, TriggerKind } from './domain.js';

/** Reasons that are always kept: something was (or would have been) done, or failed. */
const ALWAYS_KEPT: ReadonlySet<ReasonCode> = new Set(['Applied', 'ApplyFailed', 'DryRun']);

/**
 * @param previousReason the reason of the last scheduled or alarm decision committed (undefined: none yet)
 */
export function isAuditWorthy(
  trigger: TriggerKind,
  reason: ReasonCode,
  previousReason: ReasonCode | undefined,
): boolean {
  if (trigger !== 'schedule') return true;
  if (ALWAYS_KEPT.has(reason)) return true;
  return reason !== previousReason;
}
