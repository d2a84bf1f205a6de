/**
 * The scaler Lambda: triggered by the EventBridge schedule, CloudWatch alarms (state-change
 * events and direct alarm actions) and manual invokes. Thin: parse and validate the event,
 * call lib, log and map errors. An invalid payload throws a ValidationError naming the
 * field, before anything is read, written or called.
 */
import { AutoscalerError } from '../lib/core/errors.js';
import { parseTrigger } from '../lib/core/triggers.js';
import { publishDecision } from '../lib/observability.js';
import { loadScalerRuntime, type ScalerRuntime } from '../lib/runtime.js';
import type { ScalerResult } from '../lib/scaler.js';

export type ScalerHandler = (event: unknown) => Promise<ScalerResult>;

export function createScalerHandler(runtime: ScalerRuntime): ScalerHandler {
  return async (event) => {
    try {
      const trigger = parseTrigger(event, runtime.config.policy);
      const result = await runtime.scaler.handle(trigger);
      publishDecision(runtime.obs, result);
      return result;
    } catch (error) {
      runtime.obs.logger.error(
        error instanceof AutoscalerError ? error.message : 'scaler failed',
        error as Error,
      );
      throw error;
    }
  };
}

let cached: ScalerHandler | undefined;

/** Lambda entry point. The config is read and validated once, at the first (cold) invocation. */
export const handler: ScalerHandler = (event) => {
  cached ??= createScalerHandler(loadScalerRuntime(process.env));
  return cached(event);
};
