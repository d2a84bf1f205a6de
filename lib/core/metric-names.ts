/**
 * The CloudWatch names behind the config's metric presets (lib/core/config.ts) that this
 * project does not publish itself: the seed's custom metrics, Container Insights, Amazon MSK
 * and Kinesis. The autoscaler's queries (lib/core/metrics.ts) read them from here; the
 * playground's collector (playground/src/collector.ts) publishes the seed's and Container
 * Insights' as AWS and the user's instrumentation would. Flink's own metrics, and how the
 * CloudWatch agent publishes them, are defined once in lib/core/flink-metrics.ts. Pure constants.
 */
import { FLINK_DIMENSIONS, FLINK_METRICS, FLINK_METRICS_NAMESPACE } from './flink-metrics.js';

export const METRIC_NAMES = {
  /** The seed's custom metrics: load = task_duration / task_interval (both in seconds). */
  seed: {
    namespace: 'FlinkAutoscaler/Seed',
    /** Busy seconds of the TaskManager within the interval. */
    taskDuration: 'task_duration',
    /** The measured interval in seconds (60 for a whole minute). */
    taskInterval: 'task_interval',
  },
  /** Flink's Prometheus metrics as the CloudWatch agent publishes them (lib/core/flink-metrics.ts). */
  flink: { namespace: FLINK_METRICS_NAMESPACE, ...FLINK_METRICS },
  /** ECS Container Insights per-task CPU: load = CpuUtilized / CpuReserved (CPU units). */
  containerInsights: {
    namespace: 'ECS/ContainerInsights',
    cpuUtilized: 'CpuUtilized',
    cpuReserved: 'CpuReserved',
  },
  /** Amazon MSK: consumer lag per consumer group and topic (records); messages in per broker. */
  msk: {
    namespace: 'AWS/Kafka',
    sumOffsetLag: 'SumOffsetLag',
    /** Per broker (dimension `Broker ID`), per topic at the PER_TOPIC_PER_BROKER monitoring level. */
    messagesInPerSec: 'MessagesInPerSec',
  },
  /** Kinesis Data Streams. */
  kinesis: {
    namespace: 'AWS/Kinesis',
    /** Milliseconds behind the tip of the stream. */
    iteratorAgeMilliseconds: 'GetRecords.IteratorAgeMilliseconds',
    /** Records put to the stream, per period. */
    incomingRecords: 'IncomingRecords',
  },
} as const;

/** The dimension names the presets use. */
export const METRIC_DIMENSIONS = {
  ...FLINK_DIMENSIONS,
  /** The ECS task definition family (container-insights-cpu). */
  taskDefinitionFamily: 'TaskDefinitionFamily',
  /** An MSK broker (msk-messages-in: one series per broker). */
  mskBrokerId: 'Broker ID',
} as const;

/** The CloudWatch units the simulator publishes with each metric. */
export type MetricUnit = 'Seconds' | 'Milliseconds' | 'Count' | 'Count/Second' | 'None';
