/**
 * Every baseline the simulator runs, each in its default form and, where its documentation
 * gives settings to change, its tuned form (docs/research/baselines.md §7), and the schema of a
 * scenario's `baselines` block, which may override any of their settings:
 *
 * ```json
 * "baselines": {"fko-tuned": {"catchUpSeconds": 120}, "lag-target": {"lagThreshold": 5000}}
 * ```
 *
 * Unknown baselines and unknown settings are errors naming the field (playground/src/scenario.ts).
 */
import * as z from 'zod';
import { type AasParams, aasParams, aasTargetTrackingRule } from './aas-target-tracking';
import { type Ds2Params, ds2Params, ds2Rule } from './ds2';
import { type FkoParams, fkoParams, fkoRule } from './fko';
import { type LagTargetParams, lagTargetParams, lagTargetRule } from './lag-target';
import { type MsfParams, msfBuiltinRule, msfParams, msfScalingOutageSeconds } from './msf-builtin';
import { type MsfSampleParams, msfSampleParams, msfSampleRule } from './msf-sample-stepscaling';
import { staticPeakRule } from './static-peak';
import type { BaselineRule, BaselineSetup } from './types';

export const BASELINE_NAMES = [
  'aas-target-tracking',
  'aas-target-tracking-tuned',
  'msf-builtin',
  'msf-sample-stepscaling',
  'msf-sample-stepscaling-tuned',
  'fko',
  'fko-tuned',
  'ds2',
  'ds2-tuned',
  'lag-target',
  'lag-target-tuned',
  'static-peak',
] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

const num = z.number().finite();
const pos = num.positive();
const nonNeg = num.min(0);
const fraction = num.gt(0).lte(1);
const int = z.number().int().min(1);

const AasSettings = z.strictObject({
  targetValue: fraction.optional(),
  scaleOutDatapoints: int.optional(),
  scaleInDatapoints: int.optional(),
  scaleInRatio: fraction.optional(),
  scaleOutCooldownSeconds: nonNeg.optional(),
  scaleInCooldownSeconds: nonNeg.optional(),
  minCapacity: int.optional(),
  maxCapacity: int.optional(),
  backlogPolicy: z.strictObject({ targetBacklogPerTask: pos, disableScaleIn: z.boolean() }).optional(),
});
const MsfSettings = z.strictObject({
  scaleUpCpu: fraction.optional(),
  scaleUpDatapoints: int.optional(),
  scaleDownCpu: fraction.optional(),
  scaleDownDatapoints: int.optional(),
  minCount: int.optional(),
  maxCount: int.optional(),
});
const MsfSampleSettings = z.strictObject({
  metric: z.enum(['cpu', 'lag']).optional(),
  scaleOutThreshold: nonNeg.optional(),
  scaleInThreshold: nonNeg.optional(),
  evaluationPeriods: int.optional(),
  datapointsToAlarm: int.optional(),
  scaleOutFactor: num.gt(1).optional(),
  scaleInFactor: num.gt(1).optional(),
  coolDownSeconds: nonNeg.optional(),
  updatingSeconds: nonNeg.optional(),
  minCount: int.optional(),
  maxCount: int.optional(),
});
const FkoSettings = z.strictObject({
  metricsWindowSeconds: z.number().int().min(60).optional(),
  stabilizationSeconds: nonNeg.optional(),
  targetUtilization: fraction.optional(),
  utilizationMax: fraction.optional(),
  utilizationMin: num.min(0).lt(1).optional(),
  backlogLagThresholdSeconds: nonNeg.optional(),
  catchUpSeconds: pos.optional(),
  restartSeconds: nonNeg.optional(),
  scaleDownIntervalSeconds: nonNeg.optional(),
  maxScaleDownFactor: num.min(0).lt(1).optional(),
  maxScaleUpFactor: pos.optional(),
  minTaskManagers: int.optional(),
  maxTaskManagers: int.optional(),
});
const Ds2Settings = z.strictObject({
  policyIntervalSeconds: pos.optional(),
  warmUpIntervals: z.number().int().min(0).optional(),
  activationTime: int.optional(),
  scalingFactor: nonNeg.optional(),
  minTaskManagers: int.optional(),
  maxTaskManagers: int.optional(),
});
const LagTargetSettings = z.strictObject({
  lagThreshold: pos.optional(),
  maxReplicasByPartitions: int.optional(),
  tolerance: num.min(0).lt(1).optional(),
  scaleDownStabilizationSeconds: nonNeg.optional(),
  scaleUpPercent: nonNeg.optional(),
  scaleUpPods: z.number().int().min(0).optional(),
  syncsPerTick: int.optional(),
  minReplicas: int.optional(),
  maxReplicas: int.optional(),
});
const StaticPeakSettings = z.strictObject({ utilization: fraction.optional() });

/** The `baselines` block of a scenario: per baseline, the settings to override. */
export const BaselineSettingsSchema = z.strictObject({
  'aas-target-tracking': AasSettings.optional(),
  'aas-target-tracking-tuned': AasSettings.optional(),
  'msf-builtin': MsfSettings.optional(),
  'msf-sample-stepscaling': MsfSampleSettings.optional(),
  'msf-sample-stepscaling-tuned': MsfSampleSettings.optional(),
  fko: FkoSettings.optional(),
  'fko-tuned': FkoSettings.optional(),
  ds2: Ds2Settings.optional(),
  'ds2-tuned': Ds2Settings.optional(),
  'lag-target': LagTargetSettings.optional(),
  'lag-target-tuned': LagTargetSettings.optional(),
  'static-peak': StaticPeakSettings.optional(),
});
export type BaselineSettings = z.infer<typeof BaselineSettingsSchema>;

/** Drops undefined fields, so that an override never erases a setting. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The settings a baseline runs with in a scenario: its variant's, then the scenario's overrides. */
export function baselineParams(name: BaselineName, setup: BaselineSetup, overrides: BaselineSettings = {}) {
  switch (name) {
    case 'aas-target-tracking':
    case 'aas-target-tracking-tuned':
      return {
        ...aasParams(setup, name === 'aas-target-tracking' ? 'default' : 'tuned'),
        ...defined(overrides[name]),
      } satisfies AasParams;
    case 'msf-builtin':
      return { ...msfParams(setup), ...defined(overrides[name]) } satisfies MsfParams;
    case 'msf-sample-stepscaling':
    case 'msf-sample-stepscaling-tuned':
      return {
        ...msfSampleParams(
          setup,
          name === 'msf-sample-stepscaling' ? 'default' : 'tuned',
          msfScalingOutageSeconds(setup),
        ),
        ...defined(overrides[name]),
      } satisfies MsfSampleParams;
    case 'fko':
    case 'fko-tuned':
      return {
        ...fkoParams(setup, name === 'fko' ? 'default' : 'tuned'),
        ...defined(overrides[name]),
      } satisfies FkoParams;
    case 'ds2':
    case 'ds2-tuned':
      return {
        ...ds2Params(setup, name === 'ds2' ? 'default' : 'tuned'),
        ...defined(overrides[name]),
      } satisfies Ds2Params;
    case 'lag-target':
    case 'lag-target-tuned':
      return {
        ...lagTargetParams(setup, name === 'lag-target' ? 'default' : 'tuned'),
        ...defined(overrides[name]),
      } satisfies LagTargetParams;
    case 'static-peak':
      return { utilization: 0.7, ...defined(overrides[name]) };
  }
}

/** A baseline's decision rule for a scenario (each rule's state is opaque to the glue). */
export function baselineRule(
  name: BaselineName,
  setup: BaselineSetup,
  overrides: BaselineSettings = {},
): BaselineRule<unknown> {
  switch (name) {
    case 'aas-target-tracking':
    case 'aas-target-tracking-tuned':
      return aasTargetTrackingRule(baselineParams(name, setup, overrides) as AasParams);
    case 'msf-builtin':
      return msfBuiltinRule(baselineParams(name, setup, overrides) as MsfParams, setup);
    case 'msf-sample-stepscaling':
    case 'msf-sample-stepscaling-tuned':
      return msfSampleRule(baselineParams(name, setup, overrides) as MsfSampleParams);
    case 'fko':
    case 'fko-tuned':
      return fkoRule(baselineParams(name, setup, overrides) as FkoParams);
    case 'ds2':
    case 'ds2-tuned':
      return ds2Rule(baselineParams(name, setup, overrides) as Ds2Params);
    case 'lag-target':
    case 'lag-target-tuned':
      return lagTargetRule(baselineParams(name, setup, overrides) as LagTargetParams);
    case 'static-peak':
      return staticPeakRule(
        setup,
        (baselineParams(name, setup, overrides) as { utilization: number }).utilization,
      );
  }
}
