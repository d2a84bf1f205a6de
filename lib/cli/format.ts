/**
 * Human-friendly output of the operator commands: aligned tables and short sentences. Times
 * are the function's own clock (the simulated clock on `local up`); "left" is measured
 * against the time the function answered.
 */
import { formatDuration } from './args.js';
import type { Decision, StatusResult } from './scaler-client.js';

/** Columns padded to their widest cell, two spaces apart; trailing spaces trimmed. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}

/** "2026-01-01T00:12:00.000Z" → "2026-01-01 00:12:00Z". */
export function formatTime(at: number | string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime())
    ? String(at)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z');
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

function triggerLabel(d: Decision): string {
  if (d.trigger === 'schedule') return 'schedule';
  return d.triggerDetail ? `${d.trigger}:${d.triggerDetail}` : d.trigger;
}

function countChange(d: Decision): string {
  return d.desired === d.current ? String(d.current) : `${d.current} → ${d.desired}`;
}

export function decisionsTable(decisions: readonly Decision[]): string {
  if (decisions.length === 0) return '(no decisions yet)';
  return table(
    ['AT', 'TRIGGER', 'REASON', 'DESIRED', 'RUNNING', 'APPLIED', 'MESSAGE'],
    decisions.map((d) => [
      formatTime(d.at),
      truncate(triggerLabel(d), 32),
      d.reason,
      countChange(d),
      String(d.running),
      d.dryRun ? 'dry run' : d.applied ? 'yes' : 'no',
      truncate(d.message ?? '', 60),
    ]),
  );
}

function flagLine(
  what: string,
  flag: { until: number; reason: string } | undefined,
  nowMs: number,
): string | undefined {
  if (!flag || flag.until <= nowMs) return undefined;
  return `${what} until ${formatTime(flag.until)} (${formatDuration(flag.until - nowMs)} left): ${flag.reason}`;
}

export function statusText(functionName: string, r: StatusResult): string {
  const { state, service, partitions, unhealthyTaskManagers, decisions } = r.status;
  const nowMs = Date.parse(r.at);
  const serviceLine = [
    `desired ${service.desiredCount}`,
    `running ${service.runningCount}`,
    `pending ${service.pendingCount}`,
    service.status,
    ...(service.deploymentInProgress ? ['deployment in progress'] : []),
  ].join(' · ');
  const paused = flagLine('paused', state.pause, nowMs);
  const held = flagLine('held', state.hold, nowMs);
  const autoscaler = [paused, held].filter((x): x is string => x !== undefined);
  const times = [
    state.lastDecisionAt !== undefined
      ? `last decision ${formatTime(state.lastDecisionAt)}${state.lastReason ? ` (${state.lastReason})` : ''}`
      : 'no decision yet',
    ...(state.lastScaleOutAt !== undefined ? [`last scale-out ${formatTime(state.lastScaleOutAt)}`] : []),
    ...(state.lastScaleInAt !== undefined ? [`last scale-in ${formatTime(state.lastScaleInAt)}`] : []),
  ].join(' · ');
  const automatic = decisions.find((d) => d.trigger !== 'manual');
  const rows: [string, string][] = [
    ['function', `${functionName} (answered at ${formatTime(r.at)})`],
    ['ECS service', serviceLine],
    ['autoscaler', autoscaler.length > 0 ? autoscaler.join('; ') : 'active (not paused, no hold)'],
    ['', times],
    ...(state.change && state.change.appliedAt === undefined
      ? ([
          [
            '',
            `decision ${state.change.decisionId} (desired ${state.change.desired}) committed ${formatTime(state.change.committedAt)}, not yet confirmed applied`,
          ],
        ] as [string, string][])
      : []),
    ...(automatic
      ? ([['policy', `${automatic.policy} (as of the last automatic decision)`]] as [string, string][])
      : []),
    ['partitions', `${partitions.total} total · ${partitions.unowned} unowned`],
    [
      'unhealthy TMs',
      unhealthyTaskManagers.length === 0
        ? 'none'
        : `${unhealthyTaskManagers.length}: ${truncate(unhealthyTaskManagers.join(', '), 100)}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const summary = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
  return `${summary}\n\nlast ${decisions.length} decision${decisions.length === 1 ? '' : 's'}\n${decisionsTable(decisions)}`;
}

/** One sentence for the answer to rescale/pause/resume. */
export function decisionSentence(action: 'rescale' | 'pause' | 'resume', d: Decision): string {
  const id = `(decision ${d.decisionId})`;
  switch (d.reason) {
    case 'Applied':
      return `rescaled: desired count ${d.current} → ${d.desired}${d.message ? ` — ${d.message}` : ''} ${id}`;
    case 'NoChange':
      return `desired count is already ${d.desired}; hold updated ${id}`;
    case 'DryRun':
      return `${d.message ?? `dry run: would set desired count ${d.current} → ${d.recommended}`} ${id}`;
    case 'Paused':
      return `autoscaler ${d.message ?? 'paused'} ${id}`;
    case 'Resumed':
      return `autoscaler resumed: automatic scaling is active again ${id}`;
    default:
      return `${action} not applied (${d.reason})${d.message ? `: ${d.message}` : ''} ${id}`;
  }
}

/** The reasons that mean the command did what was asked. */
export function succeeded(action: 'rescale' | 'pause' | 'resume', d: Decision): boolean {
  switch (action) {
    case 'rescale':
      return d.reason === 'Applied' || d.reason === 'NoChange' || d.reason === 'DryRun';
    case 'pause':
      return d.reason === 'Paused';
    case 'resume':
      return d.reason === 'Resumed';
  }
}
