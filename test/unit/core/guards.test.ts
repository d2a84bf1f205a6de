import { describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../../lib/core/config';
import type { ScalerState, ServiceState, TriggerKind } from '../../../lib/core/domain';
import {
  alarmGuard,
  applyGuards,
  backlogGuard,
  boundsGuard,
  confirmGuard,
  cooldownGuard,
  dataGuard,
  deploymentGuard,
  dryRunGuard,
  type Guard,
  type GuardContext,
  heldGuard,
  pausedGuard,
  risingInputGuard,
  scaleOutStepGuard,
  stabilizationGuard,
  toleranceGuard,
} from '../../../lib/core/guards';
import type { Recommendation } from '../../../lib/core/policy';
import { config, recommendation, service, state, T0 } from '../../support/fixtures';

interface Case {
  name: string;
  current?: number;
  proposed: number;
  policy?: Partial<AppConfigInput['policy']>;
  state?: Partial<ScalerState>;
  service?: Partial<ServiceState>;
  rec?: Partial<Recommendation>;
  trigger?: TriggerKind;
  metricsComplete?: boolean;
  dryRun?: boolean;
  expect: { desired: number; hold?: string } | { stop: string };
}

function ctx(c: Case): GuardContext {
  const cur = c.current ?? 4;
  return {
    nowMs: T0,
    trigger: c.trigger ?? 'schedule',
    config: config({ policy: c.policy ?? {} }),
    state: state(c.state),
    service: service(cur, c.service),
    recommendation: recommendation(c.proposed, c.rec),
    metricsComplete: c.metricsComplete ?? true,
    dryRun: c.dryRun ?? false,
  };
}

function check(guard: Guard, cases: Case[]): void {
  it.each(cases)('$name', (c) => {
    // Act
    const outcome = guard(ctx(c), c.proposed);
    // Assess
    if ('stop' in c.expect) {
      expect(outcome).toMatchObject({ kind: 'stop', reason: c.expect.stop });
    } else {
      expect(outcome).toEqual({
        kind: 'pass',
        desired: c.expect.desired,
        ...(c.expect.hold ? { hold: c.expect.hold } : {}),
      });
    }
  });
}

const MIN = 60_000;

describe('Guard: paused', () => {
  check(pausedGuard, [
    {
      name: 'active pause stops',
      proposed: 6,
      state: { pause: { until: T0 + MIN, reason: 'm' } },
      expect: { stop: 'Paused' },
    },
    {
      name: 'expired pause passes',
      proposed: 6,
      state: { pause: { until: T0 - 1, reason: 'm' } },
      expect: { desired: 6 },
    },
    { name: 'no pause passes', proposed: 3, expect: { desired: 3 } },
  ]);
});

describe('Guard: held', () => {
  check(heldGuard, [
    {
      name: 'active hold stops',
      proposed: 8,
      state: { hold: { until: T0 + 1, reason: 'r' } },
      expect: { stop: 'Held' },
    },
    {
      name: 'hold ending now passes',
      proposed: 8,
      state: { hold: { until: T0, reason: 'r' } },
      expect: { desired: 8 },
    },
  ]);
});

describe('Guard: deployment in progress', () => {
  check(deploymentGuard, [
    {
      name: 'rolling deployment stops',
      proposed: 6,
      service: { deploymentInProgress: true },
      expect: { stop: 'DeploymentInProgress' },
    },
    {
      name: 'pending tasks stop',
      proposed: 6,
      service: { pendingCount: 2 },
      expect: { stop: 'DeploymentInProgress' },
    },
    { name: 'steady service passes', proposed: 6, expect: { desired: 6 } },
  ]);
});

describe('Guard: data', () => {
  check(dataGuard, [
    { name: 'no data stops', proposed: 6, rec: { hasData: false }, expect: { stop: 'InsufficientData' } },
    {
      name: 'partial data blocks scale-in',
      proposed: 2,
      metricsComplete: false,
      expect: { stop: 'InsufficientData' },
    },
    { name: 'partial data allows scale-out', proposed: 6, metricsComplete: false, expect: { desired: 6 } },
    { name: 'partial data allows no change', proposed: 4, metricsComplete: false, expect: { desired: 4 } },
    { name: 'complete data allows scale-in', proposed: 2, expect: { desired: 2 } },
  ]);
});

describe('Guard: alarm', () => {
  check(alarmGuard, [
    { name: 'alarm never scales in', proposed: 2, trigger: 'alarm', expect: { stop: 'AlarmNoScaleIn' } },
    { name: 'alarm scales out', proposed: 7, trigger: 'alarm', expect: { desired: 7 } },
    { name: 'schedule may scale in', proposed: 2, trigger: 'schedule', expect: { desired: 2 } },
  ]);
});

describe('Guard: tolerance', () => {
  check(toleranceGuard, [
    {
      name: 'within tolerance keeps current',
      proposed: 5,
      rec: { withinTolerance: true },
      expect: { desired: 4, hold: 'WithinTolerance' },
    },
    { name: 'outside tolerance passes', proposed: 5, expect: { desired: 5 } },
    {
      name: 'no change is not tolerance',
      proposed: 4,
      rec: { withinTolerance: true },
      expect: { desired: 4 },
    },
  ]);
});

describe('Guard: rising input (one step after a step up)', () => {
  const recent = (secondsAgo: number, desired: number) => ({
    recommendations: [{ at: T0 - secondsAgo * 1000, desired }],
  });
  check(risingInputGuard, [
    {
      name: 'a scale-out on a rising edge waits one period',
      proposed: 9,
      rec: { risingInput: true },
      expect: { desired: 4, hold: 'RisingInput' },
    },
    {
      name: 'the previous evaluation already wanted a scale-out: it goes through',
      proposed: 9,
      rec: { risingInput: true },
      state: recent(60, 6),
      expect: { desired: 9 },
    },
    {
      name: 'a previous recommendation of no change does not count as waited',
      proposed: 9,
      rec: { risingInput: true },
      state: recent(60, 4),
      expect: { desired: 4, hold: 'RisingInput' },
    },
    {
      name: 'a scale-out wanted more than two periods ago does not count as waited',
      proposed: 9,
      rec: { risingInput: true },
      state: recent(180, 6),
      expect: { desired: 4, hold: 'RisingInput' },
    },
    { name: 'no rising edge: passes', proposed: 9, expect: { desired: 9 } },
    {
      name: 'an alarm does not wait',
      proposed: 9,
      rec: { risingInput: true },
      trigger: 'alarm',
      expect: { desired: 9 },
    },
    {
      name: 'a scale-in is not its business',
      proposed: 2,
      rec: { risingInput: true },
      expect: { desired: 2 },
    },
  ]);
});

describe('Guard: confirm (ride out bursts shorter than the loop)', () => {
  const policy = { scaleOutConfirmSeconds: 300, urgentBacklogSeconds: 60 };
  const wanted = (...desired: number[]) => ({
    // One evaluation a minute, the newest a minute ago.
    recommendations: desired.map((d, i) => ({ at: T0 - (desired.length - i) * 60_000, desired: d })),
  });
  check(confirmGuard, [
    {
      name: 'the first evaluation that wants a scale-out waits',
      proposed: 9,
      policy,
      expect: { desired: 4, hold: 'Confirming' },
    },
    {
      name: 'five minutes of evaluations that all wanted more: it goes through',
      proposed: 9,
      policy,
      state: wanted(5, 6, 9, 9, 8),
      expect: { desired: 9 },
    },
    {
      name: 'one of them wanted no more than the current count: it waits',
      proposed: 9,
      policy,
      state: wanted(5, 6, 4, 9, 8),
      expect: { desired: 4, hold: 'Confirming' },
    },
    {
      name: 'only three minutes of history: it waits',
      proposed: 9,
      policy,
      state: wanted(6, 9, 8),
      expect: { desired: 4, hold: 'Confirming' },
    },
    {
      name: 'samples older than the window do not count',
      proposed: 9,
      policy,
      state: { recommendations: [6, 6, 6, 6, 6].map((d, i) => ({ at: T0 - (10 + i) * 60_000, desired: d })) },
      expect: { desired: 4, hold: 'Confirming' },
    },
    {
      name: 'a backlog of a minute of input is urgent: at once',
      proposed: 9,
      policy,
      rec: { backlogSeconds: 60 },
      expect: { desired: 9 },
    },
    {
      name: 'a smaller backlog is not',
      proposed: 9,
      policy,
      rec: { backlogSeconds: 59 },
      expect: { desired: 4, hold: 'Confirming' },
    },
    { name: 'an alarm does not wait', proposed: 9, policy, trigger: 'alarm', expect: { desired: 9 } },
    {
      name: 'disabled',
      proposed: 9,
      policy: { scaleOutConfirmSeconds: 0 },
      expect: { desired: 9 },
    },
    { name: 'a scale-in is not its business', proposed: 2, policy, expect: { desired: 2 } },
  ]);
});

describe('Guard: bounds', () => {
  check(boundsGuard, [
    {
      name: 'above max clamps',
      proposed: 30,
      current: 4,
      policy: { maxTaskManagers: 10 },
      expect: { desired: 10 },
    },
    {
      name: 'at max already reports AtMax',
      proposed: 30,
      current: 10,
      policy: { maxTaskManagers: 10 },
      expect: { desired: 10, hold: 'AtMax' },
    },
    {
      name: 'below min clamps',
      proposed: 0,
      current: 4,
      policy: { minTaskManagers: 2 },
      expect: { desired: 2 },
    },
    {
      name: 'at min already reports AtMin',
      proposed: 1,
      current: 2,
      policy: { minTaskManagers: 2 },
      expect: { desired: 2, hold: 'AtMin' },
    },
    {
      name: 'current above max is brought back',
      proposed: 12,
      current: 12,
      policy: { maxTaskManagers: 10 },
      expect: { desired: 10 },
    },
    { name: 'inside bounds passes', proposed: 5, expect: { desired: 5 } },
  ]);
});

describe('Guard: scale-out step', () => {
  check(scaleOutStepGuard, [
    {
      name: 'large jump is limited',
      proposed: 20,
      current: 4,
      policy: { maxScaleOutStep: 3 },
      expect: { desired: 7 },
    },
    {
      name: 'small jump passes',
      proposed: 6,
      current: 4,
      policy: { maxScaleOutStep: 3 },
      expect: { desired: 6 },
    },
    {
      name: 'scale-in untouched',
      proposed: 1,
      current: 4,
      policy: { maxScaleOutStep: 1 },
      expect: { desired: 1 },
    },
    {
      name: 'no step set (the default): any jump passes, maxTaskManagers bounds it',
      proposed: 38,
      current: 2,
      policy: {},
      expect: { desired: 38 },
    },
  ]);
});

describe('Guard: scale-in stabilization', () => {
  const history = (values: [number, number][]) => ({
    recommendations: values.map(([secondsAgo, desired]) => ({ at: T0 - secondsAgo * 1000, desired })),
  });
  const policy = { scaleInStabilizationSeconds: 600, maxScaleInStep: 10 };
  check(stabilizationGuard, [
    { name: 'scale-out passes', proposed: 6, policy, expect: { desired: 6 } },
    { name: 'no history: stabilizing', proposed: 2, policy, expect: { stop: 'Stabilizing' } },
    {
      name: 'window not yet covered',
      proposed: 2,
      policy,
      state: history([[300, 2]]),
      expect: { stop: 'Stabilizing' },
    },
    {
      name: 'a higher recent recommendation wins',
      proposed: 2,
      policy,
      state: history([
        [590, 2],
        [120, 4],
      ]),
      expect: { stop: 'Stabilizing' },
    },
    {
      name: 'highest in window is applied',
      proposed: 2,
      policy,
      state: history([
        [590, 2],
        [300, 3],
        [60, 2],
      ]),
      expect: { desired: 3 },
    },
    {
      name: 'samples older than the window are ignored',
      proposed: 2,
      policy,
      state: history([
        [700, 8],
        [590, 2],
      ]),
      expect: { desired: 2 },
    },
    {
      name: 'scale-in step limit',
      proposed: 1,
      current: 10,
      policy: { scaleInStabilizationSeconds: 600, maxScaleInStep: 3 },
      state: history([[590, 1]]),
      expect: { desired: 7 },
    },
  ]);
});

describe('Guard: backlog', () => {
  check(backlogGuard, [
    {
      name: 'backlog blocks scale-in',
      proposed: 2,
      rec: { backlogPresent: true },
      expect: { stop: 'BacklogPresent' },
    },
    { name: 'backlog allows scale-out', proposed: 6, rec: { backlogPresent: true }, expect: { desired: 6 } },
    { name: 'no backlog allows scale-in', proposed: 2, expect: { desired: 2 } },
  ]);
});

describe('Guard: cooldown', () => {
  const policy = { scaleOutCooldownSeconds: 120, scaleInCooldownSeconds: 300 };
  check(cooldownGuard, [
    {
      name: 'scale-out inside cooldown',
      proposed: 6,
      policy,
      state: { lastScaleOutAt: T0 - 60_000 },
      expect: { stop: 'Cooldown' },
    },
    {
      name: 'scale-out after cooldown',
      proposed: 6,
      policy,
      state: { lastScaleOutAt: T0 - 120_000 },
      expect: { desired: 6 },
    },
    {
      name: 'scale-in after a recent scale-out',
      proposed: 2,
      policy,
      state: { lastScaleOutAt: T0 - 200_000 },
      expect: { stop: 'Cooldown' },
    },
    {
      name: 'scale-in after cooldown',
      proposed: 2,
      policy,
      state: { lastScaleInAt: T0 - 300_000 },
      expect: { desired: 2 },
    },
    {
      name: 'scale-out soon after a scale-in',
      proposed: 6,
      policy,
      state: { lastScaleInAt: T0 - 30_000 },
      expect: { stop: 'Cooldown' },
    },
    { name: 'never scaled', proposed: 6, policy, expect: { desired: 6 } },
  ]);
});

describe('Guard: dry run', () => {
  check(dryRunGuard, [
    { name: 'dry run stops a change', proposed: 6, dryRun: true, expect: { stop: 'DryRun' } },
    { name: 'dry run without change passes', proposed: 4, dryRun: true, expect: { desired: 4 } },
    { name: 'live run passes', proposed: 6, expect: { desired: 6 } },
  ]);
});

describe('Function: applyGuards', () => {
  it.each([
    { name: 'plain scale-out is applied', c: { proposed: 7 }, desired: 7, reason: 'Applied' },
    { name: 'no change', c: { proposed: 4 }, desired: 4, reason: 'NoChange' },
    {
      name: 'tolerance reports WithinTolerance',
      c: { proposed: 5, rec: { withinTolerance: true } },
      desired: 4,
      reason: 'WithinTolerance',
    },
    { name: 'AtMax when already at max', c: { proposed: 30, current: 20 }, desired: 20, reason: 'AtMax' },
    {
      name: 'first stop wins: paused before data',
      c: { proposed: 7, rec: { hasData: false }, state: { pause: { until: T0 + 1, reason: 'x' } } },
      desired: 4,
      reason: 'Paused',
    },
  ] as { name: string; c: Omit<Case, 'name' | 'expect'>; desired: number; reason: string }[])(
    '$name',
    ({ c, desired, reason }) => {
      // Act
      const d = applyGuards(ctx({ name: '', expect: { desired: 0 }, ...c }));
      // Assess
      expect({ desired: d.desired, reason: d.reason }).toEqual({ desired, reason });
    },
  );

  it('remembers the bounded recommendation for the stabilization window', () => {
    const d = applyGuards(
      ctx({ name: '', proposed: 50, policy: { maxTaskManagers: 12 }, expect: { desired: 0 } }),
    );
    expect(d.boundedRecommendation).toBe(12);
  });

  it('remembers the count that holds the input, not the backlog catch-up, where the policy gives one', () => {
    const d = applyGuards(ctx({ name: '', proposed: 16, rec: { sustained: 6 }, expect: { desired: 0 } }));
    expect(d.boundedRecommendation).toBe(6);
  });
});
