/** Shared builders for tests: a valid config, service states, metric snapshots. */
import { type AppConfig, type AppConfigInput, parseConfig } from '../../lib/core/config';
import { initialScalerState, type ScalerState, type ServiceState } from '../../lib/core/domain';
import type { MetricsSnapshot, TaskManagerMetrics } from '../../lib/core/metrics';
import type { Recommendation } from '../../lib/core/policy';

export const T0 = Date.parse('2026-11-23T12:00:00.000Z');

export function config(
  overrides: Partial<AppConfigInput> & { policy?: Partial<AppConfigInput['policy']> } = {},
): AppConfig {
  const { policy, ...rest } = overrides;
  return parseConfig({
    appId: 'orders',
    ecs: { cluster: 'flink', service: 'taskmanager' },
    partitions: 32,
    slotsPerTaskManager: 2,
    ...rest,
    // A scale-out applies at its first evaluation here: the confirmation window (a default of
    // 300 s, lib/core/config.ts) has its own cases (test/unit/core/guards.test.ts, 'confirm').
    policy: { minTaskManagers: 1, maxTaskManagers: 20, scaleOutConfirmSeconds: 0, ...(policy ?? {}) },
  });
}

export function service(desiredCount: number, extra: Partial<ServiceState> = {}): ServiceState {
  return {
    desiredCount,
    runningCount: desiredCount,
    pendingCount: 0,
    deploymentInProgress: false,
    status: 'ACTIVE',
    ...extra,
  };
}

export function state(extra: Partial<ScalerState> = {}): ScalerState {
  return { ...initialScalerState, version: 1, ...extra };
}

export function recommendation(desired: number, extra: Partial<Recommendation> = {}): Recommendation {
  return {
    policy: 'rate',
    desired,
    hasData: true,
    withinTolerance: false,
    backlogPresent: false,
    hot: [],
    inputs: {},
    ...extra,
  };
}

/** A snapshot whose TaskManagers each report the given (load, processedRate) at every minute of the window. */
export function snapshot(
  tms: readonly { load: number; rate?: number }[],
  opts: { nowMs?: number; minutes?: number; backlog?: MetricsSnapshot['backlog']; missing?: string[] } = {},
): MetricsSnapshot {
  const nowMs = opts.nowMs ?? T0;
  const minutes = opts.minutes ?? 3;
  const taskManagers: TaskManagerMetrics[] = tms.map((tm, i) => ({
    taskId: `tm${String(i).padStart(2, '0')}`,
    load: tm.load,
    samples: Array.from({ length: minutes }, (_, m) => ({
      at: nowMs - (minutes - m) * 60_000,
      load: tm.load,
      ...(tm.rate !== undefined ? { processedRate: tm.rate } : {}),
    })),
  }));
  const missing = opts.missing ?? [];
  return {
    taskManagers,
    missing,
    ...(opts.backlog ? { backlog: opts.backlog } : {}),
    complete: missing.length === 0,
    coverage: { covered: taskManagers.length, expected: taskManagers.length + missing.length },
    problems: missing.map((m) => `${m}: missing`),
  };
}
