/**
 * The CloudWatch names behind the metric presets of the config (lib/core/config.ts). The
 * autoscaler's queries (lib/core/metrics.ts) and the simulated Flink cluster
 * (playground/src/flink-model.ts) both read them from here, so what the simulator publishes is
 * exactly what the autoscaler asks for. Pure constants.
 */

export const METRIC_NAMES = {
  /** The seed's custom metrics: load = task_duration / task_interval (both in seconds). */
  seed: {
    namespace: 'FlinkAutoscaler/Seed',
    /** Busy seconds of the TaskManager within the interval. */
    taskDuration: 'task_duration',
    /** The measured interval in seconds (60 for a whole minute). */
    taskInterval: 'task_interval',
  },
  /** Flink's Prometheus metrics scraped by the CloudWatch agent (Container Insights Prometheus). */
  flink: {
    namespace: 'ECS/ContainerInsights/Prometheus',
    /** Milliseconds per second the TaskManager's tasks were busy: load = value / 1000. */
    busyTimeMsPerSecond: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
    /** Records per second the TaskManager's tasks processed. */
    numRecordsInPerSecond: 'flink_taskmanager_job_task_numRecordsInPerSecond',
    /** Records the job has not processed yet (per job, published by the JobManager). */
    pendingRecords: 'flink_jobmanager_job_pendingRecords',
  },
  /** ECS Container Insights per-task CPU: load = CpuUtilized / CpuReserved (CPU units). */
  containerInsights: {
    namespace: 'ECS/ContainerInsights',
    cpuUtilized: 'CpuUtilized',
    cpuReserved: 'CpuReserved',
  },
  /** Amazon MSK consumer lag, per consumer group and topic (records). */
  msk: {
    namespace: 'AWS/Kafka',
    sumOffsetLag: 'SumOffsetLag',
  },
  /** Kinesis Data Streams iterator age (milliseconds behind the tip of the stream). */
  kinesis: {
    namespace: 'AWS/Kinesis',
    iteratorAgeMilliseconds: 'GetRecords.IteratorAgeMilliseconds',
  },
} as const;

/** The dimension names the presets use. */
export const METRIC_DIMENSIONS = {
  /** The ECS task id of a TaskManager (every per-TaskManager preset). */
  taskId: 'TaskId',
  /** The ECS cluster name (flink-prometheus, container-insights-cpu, pendingRecords). */
  clusterName: 'ClusterName',
  /** The Flink job name (pendingRecords). */
  jobName: 'JobName',
  /** The ECS task definition family (container-insights-cpu). */
  taskDefinitionFamily: 'TaskDefinitionFamily',
} as const;

/** The CloudWatch units the simulator publishes with each metric. */
export type MetricUnit = 'Seconds' | 'Milliseconds' | 'Count' | 'Count/Second' | 'None';
