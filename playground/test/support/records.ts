/** Records the playground's DynamoDB tests write through the product's state store. */
import type { DecisionRecord } from 'flink-ecs-autoscaler/lib/core/domain';

/** A scheduled, applied decision of the rate policy (2 → 3 TaskManagers). */
export function decisionRecord(decisionId: string, at: string): DecisionRecord {
  return {
    decisionId,
    at,
    trigger: 'schedule',
    policy: 'rate',
    current: 2,
    running: 2,
    recommended: 3,
    desired: 3,
    reason: 'Applied',
    applied: true,
    dryRun: false,
    inputs: { inputRate: 900, hot: [] },
  };
}
