import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DecisionRecord } from '../../lib/core/domain';
import { createObservability, METRICS_NAMESPACE, publishDecision } from '../../lib/observability';

const decision: DecisionRecord = {
  decisionId: 'd-1',
  at: '2026-11-23T12:00:00.000Z',
  trigger: 'schedule',
  policy: 'rate',
  current: 4,
  running: 4,
  recommended: 6,
  desired: 6,
  reason: 'Applied',
  applied: true,
  dryRun: false,
  inputs: { averageLoad: 0.85 },
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('Function: publishDecision', () => {
  it('writes one structured log line and EMF metrics: desired, recommended, load, decisions by reason', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', 'false');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
    // Act
    publishDecision(createObservability('scaler', 'orders'), decision);
    // Assess
    const json = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const log = json.filter((j) => j.message === 'decision');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ appId: 'orders', decision: { reason: 'Applied', desired: 6 } });
    const emf = json.filter((j) => j._aws !== undefined);
    const names = emf.flatMap((j) =>
      (
        (j._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] })
          .CloudWatchMetrics ?? []
      ).flatMap((m) => {
        expect(m.Namespace).toBe(METRICS_NAMESPACE);
        return m.Metrics.map((x) => x.Name);
      }),
    );
    expect(names.sort()).toEqual([
      'AverageLoad',
      'Decisions',
      'DesiredTaskManagers',
      'RecommendedTaskManagers',
    ]);
    expect(emf.find((j) => j.Decisions === 1)).toMatchObject({ Reason: 'Applied', appId: 'orders' });
  });
});
