/**
 * The product's config for a real-Flink run: the same metrics the simulator's scenarios use
 * (playground/src/engine.ts scenarioAppConfig), all from the one definition of the Flink
 * metrics (lib/core/flink-metrics.ts) that the agent of every real TaskManager applies
 * (live.ts realAgentConfig): load and processed rate of the `flink-prometheus` preset, the
 * source's FLIP-33 backlog (`flink-pending-records`) and the input from the Kafka source's
 * offsets (`flink-kafka-offsets`), each one query for the whole service.
 *
 * Schedule and period consistent: scheduleSeconds = the metric period = twice the agent's
 * scrape interval (GetMetricData allows sub-minute periods for high-resolution data, which
 * the scraper then puts).
 */
import type { AppConfigInput } from 'flink-ecs-autoscaler/lib/core/config';
import { REAL_CLUSTER, REAL_SERVICE } from './live';

export interface RealConfigOptions {
  readonly appId: string;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
  /** The schedule and the metric period (s); the agent scrapes twice a period. */
  readonly periodSeconds: number;
  readonly restartSeconds: number;
  readonly checkpointIntervalSeconds: number;
  /**
   * Seconds after a period's end until all of it is visible in the local CloudWatch (the agent's
   * flush + the cloud's ingestion delay + a margin): periods older than that must be complete.
   * @default the product's default (60 s, for the real CloudWatch)
   */
  readonly ingestionDelaySeconds?: number;
  /** Other policy fields; the product's defaults otherwise. */
  readonly policy?: Partial<NonNullable<AppConfigInput['policy']>>;
}

export function realConfig(o: RealConfigOptions): AppConfigInput {
  const period = o.periodSeconds;
  const short = period < 60;
  return {
    appId: o.appId,
    ecs: { cluster: REAL_CLUSTER, service: REAL_SERVICE },
    partitions: o.partitions,
    slotsPerTaskManager: o.slotsPerTaskManager,
    scheduleSeconds: period,
    metrics: {
      preset: 'flink-prometheus',
      dimensions: { ClusterName: REAL_CLUSTER },
      // Two scrapes a period, as the demo cluster (30 s at 60 s) and the simulator: one late or
      // early scrape then still leaves the period its datapoints.
      scrapeIntervalSeconds: period / 2,
      periodSeconds: period,
      ...(short ? { windowSeconds: 60, maxDataAgeSeconds: 60 } : {}),
      ...(o.ingestionDelaySeconds !== undefined ? { ingestionDelaySeconds: o.ingestionDelaySeconds } : {}),
      backlog: { preset: 'flink-pending-records' },
      inputRate: { preset: 'flink-kafka-offsets' },
    },
    policy: {
      mode: 'rate',
      minTaskManagers: o.minTaskManagers,
      maxTaskManagers: o.maxTaskManagers,
      restartSeconds: o.restartSeconds,
      checkpointIntervalSeconds: o.checkpointIntervalSeconds,
      ...o.policy,
    },
  };
}
