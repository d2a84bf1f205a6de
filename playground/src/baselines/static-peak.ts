/**
 * Baseline: static provisioning for the peak, what a team without an autoscaler runs.
 *
 * The rule: the smallest TaskManager count whose capacity covers the trace's peak input
 * at 70% utilization (the same target the adaptive policies default to), partition skew
 * included (lib/core/capacity.ts), set once and never changed. It knows the future peak,
 * so it is not an adaptive baseline: it bounds what over-provisioning buys.
 */
import { smallestCountFor } from 'flink-ecs-autoscaler/lib/core/capacity';
import { type BaselineRule, type BaselineSetup, clamp } from './types';

export const STATIC_PEAK_UTILIZATION = 0.7;

export function staticPeakCount(setup: BaselineSetup, utilization = STATIC_PEAK_UTILIZATION): number {
  const { partitions: P, slotsPerTaskManager: S, recordsPerSecondPerSlot: rate } = setup;
  const useful = Math.ceil(P / S);
  const count = smallestCountFor(setup.peakInputRate / utilization, rate, P, S, useful);
  return clamp(count, setup.minTaskManagers, setup.maxTaskManagers);
}

export function staticPeakRule(
  setup: BaselineSetup,
  utilization = STATIC_PEAK_UTILIZATION,
): BaselineRule<Record<string, never>> {
  const count = staticPeakCount(setup, utilization);
  return {
    lookbackSeconds: 0,
    initialState: {},
    decide: (state, obs) => ({
      desired: count,
      reason: count === obs.desired ? 'NoChange' : 'Applied',
      state,
    }),
  };
}
