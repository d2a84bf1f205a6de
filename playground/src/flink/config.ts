/**
 * The product's config for a real-Flink run, spelled out: the presets where they fit, and
 * explicit overrides where the defaults name what real Flink does not publish.
 *
 * - Load and processed rate: preset `flink-prometheus` (busyTimeMsPerSecond / 1000 and
 *   numRecordsInPerSecond per TaskManager, the Average over the TaskManager's datapoints).
 *   With one slot per TaskManager (the runs here) a TaskManager has one task of the chained
 *   job, so the Average is that task's value. With more slots the Average is the mean over the
 *   subtasks: a per-slot rate where the rate policy expects the TaskManager's (docs/real-flink.md).
 * - Backlog: preset `flink-pending-records` with the metric it names replaced by the source
 *   operator's FLIP-33 pendingRecords, Sum over [ClusterName, JobName] (Flink has no
 *   flink_jobmanager_job_pendingRecords); a period's Sum is the backlog only when every
 *   TaskManager is scraped once per period (scrape interval = period).
 * - Input rate: `msk-messages-in`, published by the run from the real broker's log-end
 *   offsets as MSK publishes MessagesInPerSec (per minute): only with a period of 60 s or more,
 *   as MSK has no sub-minute data.
 * - Schedule and period consistent: scheduleSeconds = the metric period (GetMetricData allows
 *   10/20/30 s periods for high-resolution data, which the scraper then puts).
 */
import type { AppConfigInput } from 'flink-ecs-autoscaler/lib/core/config';
import { SOURCE_PENDING_RECORDS } from '../collector';
import { MSK_CLUSTER, REAL_CLUSTER, REAL_SERVICE } from './live';

export interface RealConfigOptions {
  readonly appId: string;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  /** The Flink job's name as the Prometheus reporter filters it (the JobName dimension). */
  readonly jobNameLabel: string;
  readonly topic: string;
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
  /** The schedule and the metric period (s). */
  readonly periodSeconds: number;
  readonly restartSeconds: number;
  readonly checkpointIntervalSeconds: number;
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
      periodSeconds: period,
      ...(short ? { windowSeconds: 60, maxDataAgeSeconds: 60 } : {}),
      backlog: {
        preset: 'flink-pending-records',
        metricName: SOURCE_PENDING_RECORDS,
        stat: 'Sum',
        dimensions: { ClusterName: REAL_CLUSTER, JobName: o.jobNameLabel },
      },
      ...(short
        ? {}
        : {
            inputRate: {
              preset: 'msk-messages-in',
              dimensions: { 'Cluster Name': MSK_CLUSTER, 'Broker ID': '1', Topic: o.topic },
            },
          }),
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
