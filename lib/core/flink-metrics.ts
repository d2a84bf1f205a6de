/**
 * The one definition of what reaches CloudWatch from Flink's Prometheus reporter: which
 * series the CloudWatch agent keeps, how it relabels them, under which EMF dimension sets
 * it extracts them, and how often it scrapes. Everything else derives from it: the demo
 * cluster's agent configuration (infra/constructs/demo-flink-cluster.ts renders it with
 * `renderPrometheusConfig` and `renderCloudWatchAgentConfig`), the playground's collector
 * (playground/src/collector.ts applies it to a scrape, as the agent does), and the queries
 * the functions send (lib/core/metrics.ts). Pure data and functions.
 *
 * What a TaskManager's reporter exposes (Flink 2.2.1, checked against a real scrape:
 * playground/test/fixtures/flink-taskmanager-scrape.txt):
 * - TaskManager scope, one series per TaskManager whatever its slots hold, labels
 *   {host, tm_id}: `flink_taskmanager_Status_JVM_CPU_Load` — the heartbeat. It is there while
 *   the TaskManager holds no slot (Flink's rescale cooldown, or after Flink gave it up) and
 *   through a job restart; a frozen TaskManager answers no scrape, so it has none.
 * - task scope, one series per subtask, labels {job_id, task_id, task_attempt_id, host,
 *   task_name, task_attempt_num, job_name, tm_id, subtask_index}:
 *   `flink_taskmanager_job_task_busyTimeMsPerSecond`. The bottleneck is the subtask with the
 *   highest busy time: the Maximum over every subtask of the job.
 * - operator scope, the task labels plus {operator_id, operator_name}: the source operator
 *   (Flink names it `Source: <name>`; the reporter's character filter makes that
 *   `Source:_<name>`) reports `numRecordsOutPerSecond` (records it emitted: the job's
 *   throughput, summed over its subtasks) and FLIP-33's `pendingRecords` (records not yet
 *   read from its splits: the job's backlog, summed over its subtasks); the Kafka source
 *   reader reports each partition's `currentOffset` (labels topic, partition).
 *
 * How CloudWatch aggregates them. Every series of a scrape is its own datapoint; all the
 * series that map to one dimension set in one period are aggregated by the statistic asked
 * for. Per period of P seconds with a scrape every I seconds, each scraped series gives
 * k = P / I datapoints, so for a job-level set (no TaskId):
 * - Maximum(busyTime) is the busiest subtask's busy time (× 1/1000: the bottleneck's busy fraction);
 * - Sum(source numRecordsOutPerSecond) / k is the job's throughput (records/s);
 * - Sum(source pendingRecords) / k is the job's backlog (records);
 * - (Sum(currentOffset) + Sum(pendingRecords)) / k is the topic's log end offset: its growth
 *   per second is the job's input;
 * - SampleCount(heartbeat) / k is the number of TaskManagers scraped in the period.
 * Sums are right only once every scrape of the period is visible: the newest period's Sum
 * undercounts until then. The heartbeat's SampleCount says when that is (k per TaskManager).
 */

/** The CloudWatch namespace the agent's EMF processor writes (the Container Insights Prometheus namespace). */
export const FLINK_METRICS_NAMESPACE = 'ECS/ContainerInsights/Prometheus';
/** Flink's Prometheus reporter port (metrics.reporter.prom.port). */
export const FLINK_PROMETHEUS_PORT = 9249;
/** The scrape job's name: the `job` label of every scraped series. */
export const FLINK_SCRAPE_JOB = 'flink-taskmanager';
/** The agent's scrape interval unless configured otherwise. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 30;
/** logs.force_flush_interval: how long the agent batches EMF events before it sends them. */
export const AGENT_FLUSH_SECONDS = 5;

/** The Prometheus names the definition keeps (all of them are in a real Flink 2.2.1 TaskManager scrape). */
export const FLINK_METRICS = {
  /** TaskManager scope: present whenever the TaskManager answers a scrape. */
  heartbeat: 'flink_taskmanager_Status_JVM_CPU_Load',
  /** Task scope, per subtask: ms per second the task thread was busy. */
  busyTime: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
  /** Operator scope, per subtask: records/s the operator emitted (the source's: the job's throughput). */
  sourceRecordsOut: 'flink_taskmanager_job_task_operator_numRecordsOutPerSecond',
  /** Operator scope, per source subtask (FLIP-33): records in its splits not read yet. */
  sourcePendingRecords: 'flink_taskmanager_job_task_operator_pendingRecords',
  /**
   * The Kafka source reader, per partition it reads: its consumer position. Σ (currentOffset
   * + pendingRecords) over the partitions is the topic's log end offset as the source sees it;
   * its growth is the input, and a restart's rewind (offsets back, pendingRecords up by as
   * much) leaves it unchanged.
   */
  sourceCurrentOffset: 'flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset',
} as const;

/** The Flink labels the definition reads. */
export const FLINK_LABELS = {
  /** The TaskManager's resource id: the ECS task id in the demo cluster (taskmanager.resource-id). */
  taskManager: 'tm_id',
  operatorName: 'operator_name',
} as const;

/** The CloudWatch dimensions the definition publishes. */
export const FLINK_DIMENSIONS = {
  clusterName: 'ClusterName',
  /** The TaskManager's ECS service: one Flink application cluster (reactive mode runs one job). */
  serviceName: 'ServiceName',
  taskId: 'TaskId',
} as const;

/** Flink names a source operator `Source: <name>`; after the reporter's character filter it starts `Source:`. */
export const SOURCE_OPERATOR_PATTERN = 'Source:.*';

/** One entry of Prometheus's metric_relabel_configs. */
export interface RelabelRule {
  /** @default 'replace' */
  readonly action?: 'replace' | 'keep' | 'drop';
  readonly sourceLabels: readonly string[];
  /** @default ';' */
  readonly separator?: string;
  /** Anchored, as Prometheus anchors it. @default '(.*)' */
  readonly regex?: string;
  /** Required for replace. */
  readonly targetLabel?: string;
  /** @default '$1' */
  readonly replacement?: string;
}

/** One entry of the agent's emf_processor.metric_declaration. */
export interface MetricDeclaration {
  readonly sourceLabels: readonly string[];
  /** Matched (unanchored, as the agent does) against the source labels' values joined with ';'. */
  readonly labelMatcher: string;
  readonly dimensions: readonly (readonly string[])[];
  readonly metricSelectors: readonly string[];
}

/** What the CloudWatch agent sidecar of a TaskManager does, as data. */
export interface FlinkMetricsDefinition {
  readonly namespace: string;
  /** scrape_configs[].job_name: the `job` label. */
  readonly scrapeJob: string;
  /** static_configs[].targets: the `instance` label (the sidecar scrapes its own task). */
  readonly target: string;
  readonly scrapeIntervalSeconds: number;
  readonly scrapeTimeoutSeconds: number;
  /** static_configs[].labels: ClusterName and ServiceName on every series. */
  readonly staticLabels: Readonly<Record<string, string>>;
  readonly metricRelabelConfigs: readonly RelabelRule[];
  /** logs.metrics_collected.prometheus.cluster_name. */
  readonly clusterName: string;
  readonly declarations: readonly MetricDeclaration[];
  /** logs.force_flush_interval. */
  readonly forceFlushSeconds: number;
}

export interface FlinkMetricsTarget {
  /** The ECS cluster of the TaskManagers (the config's `ecs.cluster`). */
  readonly clusterName: string;
  /** The TaskManager service (the config's `ecs.service`). */
  readonly serviceName: string;
  /** @default DEFAULT_SCRAPE_INTERVAL_SECONDS */
  readonly scrapeIntervalSeconds?: number;
}

const anchored = (name: string): string => `^${name}$`;
const KEPT = Object.values(FLINK_METRICS);

/**
 * The definition for one TaskManager service. Three dimension sets:
 * - [ClusterName, TaskId]: the heartbeat and the busy time per TaskManager (read only when a
 *   per-TaskManager rule needs them: who went silent, who is hot);
 * - [ClusterName, ServiceName]: the heartbeat and the busy time of the whole fleet, and the
 *   source's throughput and backlog: one query each covers every TaskManager.
 * Everything else the reporter exposes is dropped at the scrape (metric_relabel_configs keep),
 * so the agent does not write it to CloudWatch Logs either.
 */
export function flinkMetricsDefinition(target: FlinkMetricsTarget): FlinkMetricsDefinition {
  const interval = target.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new RangeError(`scrapeIntervalSeconds: must be a whole number of at least 1, got ${interval}`);
  }
  const D = FLINK_DIMENSIONS;
  return {
    namespace: FLINK_METRICS_NAMESPACE,
    scrapeJob: FLINK_SCRAPE_JOB,
    target: `localhost:${FLINK_PROMETHEUS_PORT}`,
    scrapeIntervalSeconds: interval,
    scrapeTimeoutSeconds: Math.min(10, interval),
    staticLabels: { [D.clusterName]: target.clusterName, [D.serviceName]: target.serviceName },
    metricRelabelConfigs: [
      { action: 'keep', sourceLabels: ['__name__'], regex: KEPT.join('|') },
      { sourceLabels: [FLINK_LABELS.taskManager], targetLabel: D.taskId },
    ],
    clusterName: target.clusterName,
    declarations: [
      {
        sourceLabels: ['job'],
        labelMatcher: anchored(FLINK_SCRAPE_JOB),
        dimensions: [
          [D.clusterName, D.taskId],
          [D.clusterName, D.serviceName],
        ],
        metricSelectors: [FLINK_METRICS.heartbeat, FLINK_METRICS.busyTime].map(anchored),
      },
      {
        sourceLabels: ['job', FLINK_LABELS.operatorName],
        labelMatcher: `^${FLINK_SCRAPE_JOB};${SOURCE_OPERATOR_PATTERN}$`,
        dimensions: [[D.clusterName, D.serviceName]],
        metricSelectors: [
          FLINK_METRICS.sourceRecordsOut,
          FLINK_METRICS.sourcePendingRecords,
          FLINK_METRICS.sourceCurrentOffset,
        ].map(anchored),
      },
    ],
    forceFlushSeconds: AGENT_FLUSH_SECONDS,
  };
}

/** The dimensions of the fleet/job-level series of a TaskManager service. */
export function flinkJobDimensions(clusterName: string, serviceName: string): Record<string, string> {
  return { [FLINK_DIMENSIONS.clusterName]: clusterName, [FLINK_DIMENSIONS.serviceName]: serviceName };
}

/** The dimensions of one TaskManager's series. */
export function flinkTaskManagerDimensions(clusterName: string, taskId: string): Record<string, string> {
  return { [FLINK_DIMENSIONS.clusterName]: clusterName, [FLINK_DIMENSIONS.taskId]: taskId };
}

/** The log group the agent writes its EMF events to (Container Insights' Prometheus group). */
export function prometheusLogGroupName(clusterName: string): string {
  return `/aws/ecs/containerinsights/${clusterName}/prometheus`;
}

/** Flink's reporter character filter on label values (AbstractPrometheusReporter): outside [a-zA-Z0-9:_] becomes `_`. */
export function flinkLabelValue(value: string): string {
  return value.replace(/[^a-zA-Z0-9:_]/g, '_');
}

/**
 * The custom metrics the definition publishes, counted from its declarations: per TaskManager
 * (dimension sets with TaskId: one metric per TaskManager each) and per service (the others:
 * one metric per TaskManager service each). CloudWatch bills each name × dimension-value
 * combination as one custom metric.
 */
export function publishedMetricCounts(def: FlinkMetricsDefinition): {
  readonly perTaskManager: number;
  readonly perService: number;
} {
  let perTaskManager = 0;
  let perService = 0;
  for (const d of def.declarations) {
    for (const dims of d.dimensions) {
      if (dims.includes(FLINK_DIMENSIONS.taskId)) perTaskManager += d.metricSelectors.length;
      else perService += d.metricSelectors.length;
    }
  }
  return { perTaskManager, perService };
}

// ---------------------------------------------------------------- rendering

/** The Prometheus scrape configuration (YAML; written as JSON, which every YAML parser reads). */
export function renderPrometheusConfig(def: FlinkMetricsDefinition): string {
  const config = {
    global: {
      scrape_interval: `${def.scrapeIntervalSeconds}s`,
      scrape_timeout: `${def.scrapeTimeoutSeconds}s`,
    },
    scrape_configs: [
      {
        job_name: def.scrapeJob,
        static_configs: [{ targets: [def.target], labels: { ...def.staticLabels } }],
        metric_relabel_configs: def.metricRelabelConfigs.map((r) => ({
          ...(r.action === undefined || r.action === 'replace' ? {} : { action: r.action }),
          source_labels: [...r.sourceLabels],
          ...(r.separator === undefined ? {} : { separator: r.separator }),
          ...(r.regex === undefined ? {} : { regex: r.regex }),
          ...(r.targetLabel === undefined ? {} : { target_label: r.targetLabel }),
          ...(r.replacement === undefined ? {} : { replacement: r.replacement }),
        })),
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The CloudWatch agent's JSON configuration; the Prometheus configuration comes from `prometheusConfigPath`. */
export function renderCloudWatchAgentConfig(
  def: FlinkMetricsDefinition,
  options: { readonly logGroupName: string; readonly prometheusConfigPath: string },
): Record<string, unknown> {
  return {
    agent: { metrics_collection_interval: def.scrapeIntervalSeconds },
    logs: {
      metrics_collected: {
        prometheus: {
          cluster_name: def.clusterName,
          log_group_name: options.logGroupName,
          prometheus_config_path: options.prometheusConfigPath,
          emf_processor: {
            metric_namespace: def.namespace,
            metric_declaration: def.declarations.map((d) => ({
              source_labels: [...d.sourceLabels],
              label_matcher: d.labelMatcher,
              dimensions: d.dimensions.map((set) => [...set]),
              metric_selectors: [...d.metricSelectors],
            })),
          },
        },
      },
      force_flush_interval: def.forceFlushSeconds,
    },
  };
}
