/**
 * Powertools Logger and Metrics, created once per runtime. One structured log line and a
 * few EMF metrics per decision. Configured by the standard POWERTOOLS_* variables
 * (POWERTOOLS_LOG_LEVEL=SILENT and POWERTOOLS_METRICS_DISABLED=true silence them locally).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionRecord } from './core/domain.js';
import { AUTOSCALER_METRICS } from './core/schema.js';
import type { FailoverResult } from './failover.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export const METRICS_NAMESPACE = AUTOSCALER_METRICS.namespace;

export function createObservability(serviceName: string, appId: string): Observability {
  const logger = new Logger({ serviceName, persistentKeys: { appId } });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, defaultDimensions: { appId } });
  return { logger, metrics };
}

/** Logs the decision as one line and flushes its metrics (desired, recommended, load, decisions by reason). */
export function publishDecision(obs: Observability, decision: DecisionRecord): void {
  obs.logger.info('decision', { decision });
  const { metrics } = obs;
  metrics.addMetric(AUTOSCALER_METRICS.desiredTaskManagers, MetricUnit.Count, decision.desired);
  metrics.addMetric(AUTOSCALER_METRICS.recommendedTaskManagers, MetricUnit.Count, decision.recommended);
  const load = decision.inputs?.averageLoad;
  if (typeof load === 'number') metrics.addMetric(AUTOSCALER_METRICS.averageLoad, MetricUnit.NoUnit, load);
  const byReason = metrics.singleMetric();
  byReason.addDimension('Reason', decision.reason);
  byReason.addMetric(AUTOSCALER_METRICS.decisions, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/**
 * Logs a failover invocation as one line (at debug level when nothing happened, so a quiet
 * reconcile every minute does not fill the log) and flushes its metrics: Failovers (DEAD
 * TaskManagers whose partitions were handed over) and PartitionsMoved (owner changes), each
 * only when not zero.
 */
export function publishFailover(obs: Observability, result: FailoverResult): void {
  const eventful =
    result.partitionsMoved > 0 ||
    result.healthChanges.length > 0 ||
    result.stopped.length > 0 ||
    result.protectionDropped.length > 0 ||
    result.outcome !== 'Converged' ||
    result.problems.length > 0;
  if (result.outcome === 'Failed') obs.logger.error('failover', { failover: result });
  else if (eventful) obs.logger.info('failover', { failover: result });
  else obs.logger.debug('failover', { failover: result });
  // Published only when not zero: a custom metric costs for every hour it is sent in, and a
  // reconcile every minute that moved nothing would keep both at a full month's price.
  if (result.failedOver.length === 0 && result.partitionsMoved === 0) return;
  const { metrics } = obs;
  if (result.failedOver.length > 0)
    metrics.addMetric(AUTOSCALER_METRICS.failovers, MetricUnit.Count, result.failedOver.length);
  if (result.partitionsMoved > 0)
    metrics.addMetric(AUTOSCALER_METRICS.partitionsMoved, MetricUnit.Count, result.partitionsMoved);
  metrics.publishStoredMetrics();
}
