import { describe, expect, it } from 'vitest';
import { isAuditWorthy } from '../../../lib/core/audit';
import type { ReasonCode, TriggerKind } from '../../../lib/core/domain';

describe('Function: isAuditWorthy', () => {
  const cases: [string, TriggerKind, ReasonCode, ReasonCode | undefined, boolean][] = [
    ['the first scheduled decision', 'schedule', 'NoChange', undefined, true],
    ['a tick repeating the last reason', 'schedule', 'NoChange', 'NoChange', false],
    ['a tick repeating WithinTolerance', 'schedule', 'WithinTolerance', 'WithinTolerance', false],
    ['a tick whose reason changed', 'schedule', 'Stabilizing', 'NoChange', true],
    ['a tick back to NoChange', 'schedule', 'NoChange', 'Settling', true],
    ['every applied change', 'schedule', 'Applied', 'Applied', true],
    ['every failed apply', 'schedule', 'ApplyFailed', 'ApplyFailed', true],
    ['every dry-run change', 'schedule', 'DryRun', 'DryRun', true],
    ['an alarm, even with the same reason', 'alarm', 'NoChange', 'NoChange', true],
    ['a manual command', 'manual', 'Held', 'Held', true],
    ['repeated missing metrics', 'schedule', 'InsufficientData', 'InsufficientData', false],
  ];
  it.each(cases)('%s', (_name, trigger, reason, previous, expected) => {
    expect(isAuditWorthy(trigger, reason, previous)).toBe(expected);
  });
});
