/**
 * The configuration of one autoscaled Flink application: one zod schema shared by the
 * Lambda functions (read once at cold start from an environment variable) and the CDK
 * app (validated at synth). Pure: no I/O.
 */
import * as z from 'zod';
import { ConfigError } from './errors.js';

const name = z.string().trim().min(1, 'must not be empty');
const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const dimensions = z.record(z.string().min(1), z.string().min(1));

/** A fully named CloudWatch metric (used for cluster-level metrics such as backlog). */
export const MetricRefSchema = z.strictObject({
  namespace: name,
  metricName: name,
  dimensions: dimensions.default({}),
  stat: z.string().min(1).default('Average'),
});
export type MetricRef = z.infer<typeof MetricRefSchema>;

/** Where the per-TaskManager metrics come from. Presets fill in names; every field can be overridden. */
export const MetricPresetSchema = z.enum(['seed', 'flink-prometheus', 'container-insights-cpu']);
export type MetricPreset = z.infer<typeof MetricPresetSchema>;

export const BacklogPresetSchema = z.enum([
  'msk-consumer-lag',
  'kinesis-iterator-age',
  'flink-pending-records',
]);
export type BacklogPreset = z.infer<typeof BacklogPresetSchema>;

const BacklogSchema = z.strictObject({
  preset: BacklogPresetSchema,
  /** Dimensions that select the stream/consumer group/job, e.g. {"Consumer Group": "flink", "Topic": "orders"}. */
  dimensions: dimensions.default({}),
  namespace: name.optional(),
  metricName: name.optional(),
  stat: z.string().min(1).optional(),
});

export const InputRatePresetSchema = z.enum([
  'flink-kafka-offsets',
  'kinesis-incoming-records',
  'msk-messages-in',
]);
export type InputRatePreset = z.infer<typeof InputRatePresetSchema>;

/** The source's own record rate (the best input measure: restarts and replays do not distort it). */
const InputRateSchema = z.strictObject({
  preset: InputRatePresetSchema,
  /** Dimensions that select the stream or topic, e.g. {"StreamName": "orders"}. */
  dimensions: dimensions.default({}),
  namespace: name.optional(),
  metricName: name.optional(),
  stat: z.string().min(1).optional(),
  /**
   * msk-messages-in: MSK publishes MessagesInPerSec per broker (dimension `Broker ID`); the
   * input is the sum over these brokers, one query each.
   */
  brokerIds: z.array(name).min(1).max(100).optional(),
});

const MetricsSchema = z
  .strictObject({
    preset: MetricPresetSchema.default('flink-prometheus'),
    namespace: name.optional(),
    /** The dimension whose value is the ECS task id of the TaskManager. */
    taskDimension: name.optional(),
    /** Fixed dimensions added to every per-TaskManager query (e.g. ClusterName). */
    dimensions: dimensions.default({}),
    /** Load numerator metric (task_duration, busyTimeMsPerSecond, CpuUtilized). */
    loadMetric: name.optional(),
    /** Load denominator metric (task_interval, CpuReserved); absent for busyTimeMsPerSecond. */
    loadDenominatorMetric: name.optional(),
    /** Multiplier that turns the load ratio into a busy fraction (1/1000 for busyTimeMsPerSecond). */
    loadScale: z.number().finite().positive().optional(),
    /** Records/s processed per TaskManager; enables the rate model's capacity estimate. */
    processedRateMetric: name.optional(),
    /**
     * How often the CloudWatch agent scrapes Flink's reporter (flink-prometheus): every series
     * gives periodSeconds / scrapeIntervalSeconds datapoints per period (lib/core/flink-metrics.ts).
     */
    scrapeIntervalSeconds: z.number().int().min(1).max(3600).default(30),
    /** CloudWatch period of the metrics. */
    periodSeconds: z
      .number()
      .int()
      .refine((v) => v === 60 || (v > 0 && v % 60 === 0) || [1, 5, 10, 30].includes(v), {
        message: 'must be 1, 5, 10, 30 or a multiple of 60',
      })
      .default(60),
    /** How far back a decision looks; the latest datapoints in it are averaged. */
    windowSeconds: z.number().int().min(60).max(3600).default(180),
    /** A TaskManager with no datapoint newer than this is missing (CloudWatch ingestion delay included). */
    maxDataAgeSeconds: z.number().int().min(60).max(3600).default(240),
    /**
     * How long after a period ends all of its datapoints are visible (the agent's flush plus
     * CloudWatch's ingestion): a job-level period older than this that is not complete makes
     * the metrics partial (no scale-in on them).
     */
    ingestionDelaySeconds: z.number().int().min(0).max(900).default(60),
    /**
     * The failover reads the per-TaskManager loads (for the seed's hot-TaskManager rule in
     * the partition balance) at most this often, and only when the balance has a choice
     * (the partitions do not divide evenly over the live TaskManagers). A read costs one
     * metric per TaskManager. Unset: every 900 s, stretched for a large fleet so that the
     * loads cost at most one metric per reconcile on average, whatever the fleet
     * (lib/core/heartbeat.ts loadsIntervalSeconds).
     */
    taskManagerLoadEverySeconds: z.number().int().min(60).max(86_400).optional(),
    backlog: BacklogSchema.optional(),
    inputRate: InputRateSchema.optional(),
  })
  .default({
    preset: 'flink-prometheus',
    dimensions: {},
    scrapeIntervalSeconds: 30,
    periodSeconds: 60,
    windowSeconds: 180,
    maxDataAgeSeconds: 240,
    ingestionDelaySeconds: 60,
  });

export const PolicyModeSchema = z.enum(['rate', 'threshold']);
export type PolicyMode = z.infer<typeof PolicyModeSchema>;

const PolicySchema = z
  .strictObject({
    mode: PolicyModeSchema.default('rate'),
    minTaskManagers: count.min(1).default(1),
    maxTaskManagers: count.min(1).default(10),
    /** Seed rule: threshold = load_average * load_factor. */
    loadFactor: z.number().finite().min(1).max(10).default(1.2),
    /**
     * Rate model: size the cluster so that the input keeps it this busy. 0.8 rather than the
     * customary 0.7: the minimum rescale step already adds at least 40% capacity on every
     * scale-out, so the headroom is there where it is needed (docs/benchmarks.md).
     */
    targetUtilization: z.number().finite().gt(0).lte(1).default(0.8),
    /** Utilization band around the target inside which no rescale happens. */
    utilizationTolerance: z.number().finite().min(0).lt(1).default(0.1),
    /**
     * Rate model: every rescale restarts the job (downtime + replay), so a change of capacity
     * smaller than this fraction is not worth one. A scale-out that catches up a backlog takes
     * at least this much more capacity (its restart's replay outgrows the estimate); one without
     * a backlog is sized for the input's trend instead (policy.ts). A scale-in waits until the count
     * the input needs sheds at least this much (with the target 0.8: once utilization is at most
     * 0.48); the rise floor may then hold it above that count (4 → 3 where the input needs 2 and a
     * recent rise 3). 0 disables.
     */
    minRescaleStep: z.number().finite().min(0).lt(1).default(0.4),
    /** Backlog must be drained within this time after a decision. */
    catchUpSeconds: positive.default(300),
    /** Flink restart time on a rescale (reactive mode), counted as records to replay. */
    restartSeconds: nonNegative.default(30),
    checkpointIntervalSeconds: nonNegative.default(60),
    /** Backlog smaller than this many seconds of input counts as "no backlog" (scale-in allowed). */
    backlogToleranceSeconds: nonNegative.default(30),
    /** After a rescale, metrics of this long (task startup + job restart) are not used. */
    settleSeconds: nonNegative.default(120),
    /**
     * At most this many TaskManagers added by one decision; absent, only maxTaskManagers bounds a
     * scale-out, so a step up is sized in one step (issue 16 item 5: the rate policy sizes from the
     * source's rate, the confirm and rising-input guards wait out a single odd reading). The
     * training set's launch-step chose none over 16 to 48 (docs/benchmarks.md, trials S16 to S100).
     */
    maxScaleOutStep: count.min(1).optional(),
    maxScaleInStep: count.min(1).default(16),
    scaleOutCooldownSeconds: nonNegative.default(120),
    /**
     * No scale-in within this long of any rescale: the dwell a restart (downtime + replay +
     * catch-up) has to earn. 3600 s chosen on the benchmark's training set (docs/benchmarks.md:
     * 300 s thrashed on bursty input).
     */
    scaleInCooldownSeconds: nonNegative.default(3600),
    /**
     * Scale-in goes to the highest count that held the input (Recommendation.sustained) over
     * this long. 1800 s chosen on the training set (600 s thrashed, 2700 and 3600 s cost more).
     */
    scaleInStabilizationSeconds: nonNegative.default(1800),
    /**
     * No scale-in to a count that the input's steepest rise of this long ago would overrun for
     * a loop dead time (core/absorb.ts riseFloor): a lull shorter than the next rise's cost is
     * ridden out. 0 disables. 21600 s (6 h) chosen on the training set (docs/benchmarks.md: 0 and
     * 2 h let short-nights scale in every lull, 4 h made bursty-day rescale 9 times, 12 h equals 6 h).
     */
    scaleInLookbackSeconds: nonNegative.default(21_600),
    /**
     * A scale-out recommended when the newest input reading exceeds the one before by more than
     * this fraction waits one schedule period (a step's first reading holds part of it):
     * lib/core/guards.ts, risingInputGuard. 0 disables.
     */
    risingInputTolerance: nonNegative.default(0.25),
    /**
     * A scale-out goes through once the evaluations of this long all wanted one (a burst
     * shorter than the loop's dead time is ridden out on the backlog): lib/core/guards.ts,
     * confirmGuard. 300 s chosen on the training set (60 to 600 s tried: docs/benchmarks.md).
     * 0 disables.
     */
    scaleOutConfirmSeconds: nonNegative.default(300),
    /** A backlog of this many seconds of input scales out at once, confirmed or not. */
    urgentBacklogSeconds: nonNegative.default(60),
  })
  .default({
    mode: 'rate',
    minTaskManagers: 1,
    maxTaskManagers: 10,
    loadFactor: 1.2,
    targetUtilization: 0.8,
    utilizationTolerance: 0.1,
    minRescaleStep: 0.4,
    catchUpSeconds: 300,
    restartSeconds: 30,
    checkpointIntervalSeconds: 60,
    backlogToleranceSeconds: 30,
    settleSeconds: 120,
    maxScaleInStep: 16,
    scaleOutCooldownSeconds: 120,
    scaleInCooldownSeconds: 3600,
    scaleInStabilizationSeconds: 1800,
    scaleInLookbackSeconds: 21_600,
    risingInputTolerance: 0.25,
    scaleOutConfirmSeconds: 300,
    urgentBacklogSeconds: 60,
  });

const HealthSchema = z
  .strictObject({
    /**
     * A TaskManager whose newest metric datapoint (the end of its period) is older than this
     * misses a heartbeat at each reconcile. Must exceed period + CloudWatch ingestion delay
     * (60 + 30 s for per-minute metrics); a hung TaskManager is handed over within this plus
     * one scrape interval (flink-prometheus) plus one reconcile period (180 s with the
     * defaults; 150 s for the seed's per-minute metrics). See lib/core/health.ts.
     */
    heartbeatTimeoutSeconds: z.number().int().min(10).default(90),
    /**
     * Reconcile misses that make a TaskManager DEAD; the first stale reconcile is the first
     * miss (fewer misses: SUSPECT, keeps its partitions, receives none).
     */
    missesToDead: z.number().int().min(1).default(1),
    /** At most this many hung TaskManagers are stopped per minute (a metrics outage cannot stop the fleet). */
    maxStopsPerMinute: z.number().int().min(0).default(1),
  })
  .default({ heartbeatTimeoutSeconds: 90, missesToDead: 1, maxStopsPerMinute: 1 });

export const AppConfigSchema = z
  .strictObject({
    appId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . -'),
    ecs: z.strictObject({
      cluster: name,
      service: name,
    }),
    metrics: MetricsSchema,
    policy: PolicySchema,
    /** The job's data partitions (Kafka partitions, Kinesis shards) and the slots each TaskManager offers. */
    partitions: z.number().int().min(1).max(100_000),
    slotsPerTaskManager: z.number().int().min(1).max(256).default(1),
    health: HealthSchema,
    /** Alarm names whose state changes trigger an immediate evaluation. */
    alarms: z.array(name).default([]),
    /** Expected schedule period; events older than two periods are stale. */
    scheduleSeconds: z.number().int().min(10).max(3600).default(60),
    /** Decision audit items expire after this many days (DynamoDB TTL). */
    decisionRetentionDays: z.number().int().min(1).max(3650).default(30),
    dryRun: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    const m = c.metrics;
    if (m.periodSeconds % m.scrapeIntervalSeconds !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'scrapeIntervalSeconds'],
        message: `must divide metrics.periodSeconds (${m.periodSeconds}): each period must hold whole scrapes`,
      });
    }
    if (m.backlog?.preset === 'flink-pending-records' && m.preset !== 'flink-prometheus') {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'backlog', 'preset'],
        message:
          'flink-pending-records needs metrics.preset flink-prometheus (its completeness comes from the heartbeat)',
      });
    }
    if (m.inputRate?.preset === 'flink-kafka-offsets' && m.backlog?.preset !== 'flink-pending-records') {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'inputRate', 'preset'],
        message:
          'flink-kafka-offsets needs metrics.backlog.preset flink-pending-records (the log end is offsets + pendingRecords)',
      });
    }
    if (c.policy.minTaskManagers > c.policy.maxTaskManagers) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'minTaskManagers'],
        message: `must not exceed policy.maxTaskManagers (${c.policy.maxTaskManagers})`,
      });
    }
  });

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type AppConfigInput = z.input<typeof AppConfigSchema>;
export type PolicyConfig = AppConfig['policy'];
export type MetricsConfig = AppConfig['metrics'];

/** Formats zod issues as "field.path: message; other.field: message". */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validates a config object; throws ConfigError naming every bad field. */
export function parseConfig(raw: unknown): AppConfig {
  const result = AppConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`invalid autoscaler config: ${formatIssues(result.error.issues)}`);
  }
  return result.data;
}

/** Parses the JSON text of a config (as held by an environment variable). */
export function parseConfigJson(text: string | undefined, source = 'AUTOSCALER_CONFIG'): AppConfig {
  if (text === undefined || text.trim() === '') {
    throw new ConfigError(`${source}: is not set; it must hold the autoscaler config as JSON`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${source}: is not valid JSON (${(cause as Error).message})`, { cause });
  }
  return parseConfig(raw);
}
