/**
 * Baseline: DS2 itself (Kalavri et al., "Three steps is all you need: fast, accurate, automatic
 * scaling decisions for distributed streaming dataflows", OSDI 2018,
 * https://www.usenix.org/system/files/osdi18-kalavri.pdf), without what the Flink operator adds
 * on top of it (no utilization band, no backlog or restart term, no delayed scale-down, no
 * alignment to partitions): docs/research/baselines.md §2.
 *
 * The rule, as the reference implementation has it (GitHub strymon-system/ds2,
 * controller/src/policy/scaling.rs `evaluate_scaling_policy`, settings controller/config/ds2.toml):
 *     true processing rate per instance = records processed / useful time, per instance
 *     optimal instances = ceil(target input rate / (true rate per instance) × (1 + scaling_factor))
 * with the source's target rate the externally measured source rate; a new configuration
 * after `activation_time` consecutive decisions agree; `warm_up_time` policy intervals after a
 * reconfiguration are ignored. Defaults (ds2.toml): policy_interval 10 s, activation_time 1,
 * warm_up_time 2, scaling_factor 0 (no over-provisioning).
 *
 * Here: one operator whose instances are the job's slots (reactive mode: parallelism = running
 * TaskManagers × slots); useful time = the bottleneck's busy fraction (the operator's proxy for
 * DS2's instrumented useful time); the target rate = the processed rate plus the backlog's
 * growth (the glue has no source-rate series); the policy interval is our 60 s tick (the metrics
 * are per minute). Tuned (§2, our derivation; DS2's docs give definitions, not advice):
 * scaling_factor 0.2, the only way DS2 has to drain the backlog a restart leaves.
 */
import {
  type BaselineRule,
  type BaselineSetup,
  ceilCount,
  clamp,
  type Decision,
  isFresh,
  MINUTE_MS,
  type Observation,
} from './types';

export interface Ds2Params {
  readonly policyIntervalSeconds: number;
  readonly warmUpIntervals: number;
  readonly activationTime: number;
  readonly scalingFactor: number;
  readonly slotsPerTaskManager: number;
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
}

export const DS2_DEFAULTS = {
  policyIntervalSeconds: 60,
  warmUpIntervals: 2,
  activationTime: 1,
  scalingFactor: 0,
} as const;

export const DS2_TUNED = { ...DS2_DEFAULTS, scalingFactor: 0.2 } as const;

export interface Ds2State {
  readonly lastRescaleAt?: number;
  /** The recommendation of the last decisions, and how many in a row agreed. */
  readonly pending?: { readonly count: number; readonly times: number };
}

/**
 * DS2's optimal parallelism for one operator: ceil(target / (trueRate / instances) × (1 + f)),
 * with trueRate = processed / busy. Undefined when nothing was processed while busy.
 */
export function ds2OptimalInstances(
  targetRate: number,
  processedRate: number,
  busy: number,
  instances: number,
  scalingFactor: number,
): number | undefined {
  if (!(processedRate > 0) || !(busy > 0) || instances <= 0) return undefined;
  const perInstance = processedRate / busy / instances;
  return ceilCount((targetRate / perInstance) * (1 + scalingFactor));
}

export function decideDs2(state: Ds2State, obs: Observation, p: Ds2Params): Decision<Ds2State> {
  const current = obs.desired;
  const hold = (reason: string, next: Ds2State = state): Decision<Ds2State> => ({
    desired: current,
    reason,
    state: next,
  });
  const jobStart = Math.max(obs.lastRestartMs, state.lastRescaleAt ?? Number.NEGATIVE_INFINITY);
  const usableFrom = jobStart + p.warmUpIntervals * p.policyIntervalSeconds * 1000;
  const minutes = obs.minutes.filter((m) => m.at >= usableFrom);
  const latest = minutes.at(-1);
  if (!latest || !isFresh(minutes, obs.nowMs) || obs.running <= 0) return hold('Stabilizing');
  const previous = minutes.at(-2);
  const growth =
    previous && latest.backlog !== undefined && previous.backlog !== undefined
      ? (latest.backlog - previous.backlog) / ((latest.at - previous.at) / 1000)
      : 0;
  const target = Math.max(0, latest.processedRate + growth);
  const S = p.slotsPerTaskManager;
  const optimal = ds2OptimalInstances(
    target,
    latest.processedRate,
    latest.maxBusy,
    obs.running * S,
    p.scalingFactor,
  );
  if (optimal === undefined) return hold('InsufficientData');
  const next = clamp(Math.ceil(optimal / S), p.minTaskManagers, p.maxTaskManagers);
  if (next === current) return hold('NoChange', { ...state, pending: undefined });
  const times = state.pending?.count === next ? state.pending.times + 1 : 1;
  if (times < p.activationTime) return hold('Activating', { ...state, pending: { count: next, times } });
  return { desired: next, reason: 'Applied', state: { lastRescaleAt: obs.nowMs } };
}

export function ds2Params(setup: BaselineSetup, variant: 'default' | 'tuned'): Ds2Params {
  return {
    ...(variant === 'default' ? DS2_DEFAULTS : DS2_TUNED),
    slotsPerTaskManager: setup.slotsPerTaskManager,
    minTaskManagers: setup.minTaskManagers,
    maxTaskManagers: setup.maxTaskManagers,
  };
}

export function ds2Rule(params: Ds2Params): BaselineRule<Ds2State> {
  return {
    lookbackSeconds: (params.warmUpIntervals + 5) * (MINUTE_MS / 1000),
    initialState: {},
    decide: (state, obs) => decideDs2(state, obs, params),
  };
}
