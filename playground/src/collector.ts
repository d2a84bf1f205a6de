/**
 * What stands between a TaskManager's /metrics endpoint and CloudWatch: the CloudWatch agent
 * sidecar, doing exactly what the one definition says (lib/core/flink-metrics.ts: the demo
 * cluster's agent configuration is rendered from the same definition). A function of (a
 * scrape, as text or parsed series; the definition) → CloudWatch datapoints, so that the
 * simulated cluster and real TaskManager JVMs go through the same code.
 *
 * 1. Prometheus scrape every `scrapeIntervalSeconds` (each target at its own offset within
 *    the interval): every series gets the target labels `job` (the scrape job) and
 *    `instance`, plus the static labels (ClusterName, ServiceName).
 * 2. `metric_relabel_configs`, in order, with the metric name as the label `__name__`:
 *    `keep` drops the series unless the source labels' values joined with ";" match the
 *    anchored regex, `drop` drops it if they do; `replace` (the default) sets the target
 *    label to the replacement ($1 …), or removes it when that is empty (tm_id → TaskId).
 * 3. The agent merges the series of one scrape that share a label set into one EMF log
 *    event (adding ClusterName when its `cluster_name` is set and the label is absent).
 * 4. For each metric of an event and each `metric_declaration` whose `metric_selectors`
 *    match its name and whose `label_matcher` matches the `source_labels` values joined
 *    with ";", every dimension set whose labels the event has becomes a CloudWatch metric:
 *    one datapoint per event, at the scrape time, with no unit. Metrics no declaration
 *    selects stay in the log group only. Several series mapping to the same dimension set
 *    (the subtasks of several vertices on one TaskManager under [ClusterName, TaskId]; every
 *    subtask of the job under [ClusterName, ServiceName]) are separate datapoints of one
 *    metric; CloudWatch's statistics aggregate them (Average = their mean, Sum = their
 *    total, SampleCount = how many).
 * 5. The datapoints become visible after the agent's flush interval and CloudWatch's
 *    ingestion delay.
 *
 * Also what other sources publish per TaskManager per minute, for the product's other
 * presets: the seed's custom task_duration / task_interval (the busiest task thread's busy
 * seconds in the minute, and the seconds measured) and Container Insights' CpuUtilized /
 * CpuReserved (task threads' busy time at cpuPerBusySecond plus the JVM's background cores,
 * capped at the reservation). The collector reads the product's metric names (it plays
 * AWS's side of the contract); the model does not.
 */
import {
  FLINK_DIMENSIONS,
  FLINK_METRICS,
  type FlinkMetricsDefinition,
  type MetricDeclaration,
  type RelabelRule,
} from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { METRIC_DIMENSIONS, METRIC_NAMES } from 'flink-ecs-autoscaler/lib/core/metric-names';
import type { MetricDatum } from './cloud/cloudwatch-store';
import type { TaskManagerUsage } from './model/cluster';
import { javaStringHashCode } from './model/hash';
import type { PrometheusSample } from './model/metrics';

export type { FlinkMetricsDefinition, MetricDeclaration, RelabelRule };

/** Parses the Prometheus text exposition format (what a scrape reads); comments and blank lines are skipped. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const out: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    const labels: Record<string, string> = {};
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      const body = /^\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\}/.exec(rest);
      if (!body) throw new SyntaxError(`bad labels: ${line}`);
      for (const m of (body[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1] as string] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) =>
          c === 'n' ? '\n' : c,
        );
      }
      rest = rest.slice(body[0].length);
    }
    const [value = ''] = rest.trim().split(/\s+/);
    out.push({
      name,
      labels,
      value:
        value === '+Inf'
          ? Number.POSITIVE_INFINITY
          : value === '-Inf'
            ? Number.NEGATIVE_INFINITY
            : Number(value),
    });
  }
  return out;
}

/** One EMF log event: the merged series of one label set. */
export interface EmfEvent {
  readonly timestampMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
}

/** `$1`…`$9` and `${1}` of a replacement, from a regex match. */
function expand(replacement: string, match: RegExpExecArray): string {
  return replacement.replace(/\$\{?(\d)\}?/g, (_, d: string) => match[Number(d)] ?? '');
}

const METRIC_NAME_LABEL = '__name__';

/**
 * Applies metric_relabel_configs to one series (its name as `__name__`): the relabelled
 * labels, or undefined when a keep or drop rule removes the series.
 */
export function relabel(
  labels: Readonly<Record<string, string>>,
  configs: readonly RelabelRule[],
  name?: string,
): Record<string, string> | undefined {
  const out: Record<string, string> = { ...labels };
  if (name !== undefined) out[METRIC_NAME_LABEL] = name;
  for (const c of configs) {
    const value = c.sourceLabels.map((l) => out[l] ?? '').join(c.separator ?? ';');
    const match = new RegExp(`^(?:${c.regex ?? '(.*)'})$`).exec(value);
    const action = c.action ?? 'replace';
    if (action === 'keep') {
      if (!match) return undefined;
      continue;
    }
    if (action === 'drop') {
      if (match) return undefined;
      continue;
    }
    if (!match || c.targetLabel === undefined) continue;
    const target = expand(c.replacement ?? '$1', match);
    if (target === '') delete out[c.targetLabel];
    else out[c.targetLabel] = target;
  }
  delete out[METRIC_NAME_LABEL];
  return out;
}

/**
 * Steps 1–3 for one series: target and static labels, relabelling, the agent's ClusterName;
 * undefined when the relabelling drops the series.
 */
export function agentLabels(
  name: string,
  labels: Readonly<Record<string, string>>,
  def: FlinkMetricsDefinition,
): Record<string, string> | undefined {
  const out = relabel(
    { ...labels, job: def.scrapeJob, instance: def.target, ...def.staticLabels },
    def.metricRelabelConfigs,
    name,
  );
  if (out && out[FLINK_DIMENSIONS.clusterName] === undefined)
    out[FLINK_DIMENSIONS.clusterName] = def.clusterName;
  return out;
}

const labelKey = (labels: Readonly<Record<string, string>>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0001${labels[k]}`)
    .join('\u0002');

/** Steps 1–3: one scrape of one target to EMF events (one per label set). */
export function scrapeToEmf(
  samples: readonly PrometheusSample[],
  def: FlinkMetricsDefinition,
  timestampMs: number,
): EmfEvent[] {
  const events = new Map<string, { labels: Record<string, string>; metrics: Record<string, number> }>();
  for (const s of samples) {
    const labels = agentLabels(s.name, s.labels, def);
    if (!labels) continue;
    const key = labelKey(labels);
    const event = events.get(key) ?? { labels, metrics: {} };
    event.metrics[s.name] = s.value;
    events.set(key, event);
  }
  return [...events.values()].map((e) => ({ timestampMs, labels: e.labels, metrics: e.metrics }));
}

/** Step 4 for one metric of one event: the dimension sets it is extracted under (deduplicated). */
export function extractedDimensions(
  metricName: string,
  labels: Readonly<Record<string, string>>,
  declarations: readonly MetricDeclaration[],
): Record<string, string>[] {
  const seen = new Set<string>();
  const out: Record<string, string>[] = [];
  for (const d of declarations) {
    if (!d.metricSelectors.some((sel) => new RegExp(sel).test(metricName))) continue;
    if (!new RegExp(d.labelMatcher).test(d.sourceLabels.map((l) => labels[l] ?? '').join(';'))) continue;
    for (const dims of d.dimensions) {
      if (!dims.every((k) => labels[k] !== undefined)) continue;
      const key = [...dims].sort().join('\u0001');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(Object.fromEntries(dims.map((k) => [k, labels[k] as string])));
    }
  }
  return out;
}

/** Datapoints of one scrape grouped by (metric, dimension set): one datum carrying every value (PutMetricData's Values). */
class DatumGroups {
  private readonly groups = new Map<
    string,
    { metricName: string; dimensions: Record<string, string>; values: number[] }
  >();

  add(metricName: string, dimensions: Record<string, string>, value: number): void {
    if (!Number.isFinite(value)) return;
    const key = `${metricName}\u0000${labelKey(dimensions)}`;
    const g = this.groups.get(key);
    if (g) g.values.push(value);
    else this.groups.set(key, { metricName, dimensions, values: [value] });
  }

  datums(namespace: string, timestampMs: number, visibleAtMs: number): MetricDatum[] {
    return [...this.groups.values()].map((g) => ({
      namespace,
      metricName: g.metricName,
      dimensions: g.dimensions,
      timestampMs,
      ...(g.values.length === 1 ? { value: g.values[0] as number } : { values: g.values }),
      unit: 'None',
      visibleAtMs,
    }));
  }
}

/** Step 4 for a whole scrape: the CloudWatch datapoints. */
export function emfToDatums(
  events: readonly EmfEvent[],
  def: FlinkMetricsDefinition,
  timestampMs: number,
  visibleAtMs: number,
): MetricDatum[] {
  const groups = new DatumGroups();
  for (const e of events) {
    for (const [metricName, value] of Object.entries(e.metrics)) {
      for (const dims of extractedDimensions(metricName, e.labels, def.declarations)) {
        groups.add(metricName, dims, value);
      }
    }
  }
  return groups.datums(def.namespace, timestampMs, visibleAtMs);
}

/**
 * One scrape, text or parsed, through steps 1–5: the CloudWatch datapoints, visible
 * `ingestionDelaySeconds` after the agent's flush.
 */
export function collectScrape(
  scrape: string | readonly PrometheusSample[],
  def: FlinkMetricsDefinition,
  timestampMs: number,
  ingestionDelaySeconds: number,
): MetricDatum[] {
  const samples = typeof scrape === 'string' ? parsePrometheusText(scrape) : scrape;
  const visibleAtMs = timestampMs + (def.forceFlushSeconds + ingestionDelaySeconds) * 1000;
  return emfToDatums(scrapeToEmf(samples, def, timestampMs), def, timestampMs, visibleAtMs);
}

/**
 * The EMF log event the agent writes for one event (what CloudWatch Logs ingests and bills
 * by the byte): the labels and the metric values as fields, with the `CloudWatchMetrics`
 * directive for the metrics a declaration extracts.
 */
export function emfLogLine(event: EmfEvent, def: FlinkMetricsDefinition): string {
  const directives: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] = [];
  for (const name of Object.keys(event.metrics)) {
    const dims = extractedDimensions(name, event.labels, def.declarations);
    if (dims.length === 0) continue;
    directives.push({
      Namespace: def.namespace,
      Dimensions: dims.map((d) => Object.keys(d)),
      Metrics: [{ Name: name }],
    });
  }
  return JSON.stringify({
    ...(directives.length > 0 ? { CloudWatchMetrics: directives } : {}),
    ...event.labels,
    ...event.metrics,
    prom_metric_type: 'gauge',
    Timestamp: String(event.timestampMs),
    Version: '0',
  });
}

/** What a minimal scrape of one TaskManager holds (taskManagerScrape). */
export interface SyntheticScrape {
  readonly taskId: string;
  /** One subtask's busyTimeMsPerSecond; none when undefined. */
  readonly busyMs?: number;
  /** Records/s its source subtask emits (numRecordsOutPerSecond of the `Source: in` operator); none when undefined. */
  readonly sourceRate?: number;
}

/**
 * A minimal scrape of one TaskManager, for tests and benches that do not run the model: its
 * heartbeat (TaskManager scope), one subtask's busy time and its source's throughput, labelled
 * as Flink 2.2.1's reporter labels them.
 */
export function taskManagerScrape(scrape: SyntheticScrape): PrometheusSample[] {
  const { taskId, busyMs, sourceRate } = scrape;
  const task = { job_name: 'job', task_name: 'Source:_in', tm_id: taskId, subtask_index: '0' };
  const out: PrometheusSample[] = [
    { name: FLINK_METRICS.heartbeat, labels: { host: '10_0_0_1', tm_id: taskId }, value: 0.1 },
  ];
  if (busyMs !== undefined) out.push({ name: FLINK_METRICS.busyTime, labels: task, value: busyMs });
  if (sourceRate !== undefined) {
    out.push({
      name: FLINK_METRICS.sourceRecordsOut,
      labels: { ...task, operator_name: 'Source:_in' },
      value: sourceRate,
    });
  }
  return out;
}

/**
 * Publishes into `store` what the agents of `taskIds` send for one period starting
 * `periodStartMs`: every scrape of the period (one per scrape interval), through the definition.
 */
export function publishScrapes(
  store: { put(d: MetricDatum): void },
  def: FlinkMetricsDefinition,
  periodStartMs: number,
  periodSeconds: number,
  ingestionDelaySeconds: number,
  scrapes: readonly SyntheticScrape[],
): void {
  for (let t = 0; t < periodSeconds; t += def.scrapeIntervalSeconds) {
    for (const s of scrapes) {
      for (const d of collectScrape(
        taskManagerScrape(s),
        def,
        periodStartMs + t * 1000,
        ingestionDelaySeconds,
      ))
        store.put(d);
    }
  }
}

export interface CloudWatchAgentOptions {
  /** Seconds from a datapoint's arrival in CloudWatch Logs to its visibility as a metric. */
  readonly ingestionDelaySeconds: number;
}

/**
 * The agent sidecars of every TaskManager: which are due to scrape at a step's end, and
 * what a scrape becomes in CloudWatch (steps 1–5, the same functions as above, cached per
 * series label object: the model reuses one object per subtask attempt).
 */
export class CloudWatchAgent {
  private readonly dimensions = new WeakMap<object, Map<string, Record<string, string>[]>>();

  constructor(
    readonly config: FlinkMetricsDefinition,
    private readonly options: CloudWatchAgentOptions,
  ) {
    if (!(config.scrapeIntervalSeconds > 0)) throw new RangeError('scrapeIntervalSeconds: must be > 0');
  }

  /** The target's offset within the scrape interval (Prometheus spreads targets by a hash of their identity), in whole steps. */
  offsetSeconds(taskId: string, stepSeconds: number): number {
    const slots = Math.max(1, Math.round(this.config.scrapeIntervalSeconds / stepSeconds));
    return ((javaStringHashCode(taskId) >>> 0) % slots) * stepSeconds;
  }

  /** True when the sidecar of `taskId` scrapes at the end of the step ending `endSeconds` after the start. */
  isDue(taskId: string, endSeconds: number, stepSeconds: number): boolean {
    const interval = this.config.scrapeIntervalSeconds;
    const phase = (((endSeconds - this.offsetSeconds(taskId, stepSeconds)) % interval) + interval) % interval;
    return phase < stepSeconds;
  }

  /** The CloudWatch datapoints one scrape at `timestampMs` produces. */
  collect(samples: readonly PrometheusSample[], timestampMs: number): MetricDatum[] {
    const groups = new DatumGroups();
    for (const s of samples) {
      let byName = this.dimensions.get(s.labels);
      if (!byName) {
        byName = new Map();
        this.dimensions.set(s.labels, byName);
      }
      let dims = byName.get(s.name);
      if (!dims) {
        const labels = agentLabels(s.name, s.labels, this.config);
        dims = labels ? extractedDimensions(s.name, labels, this.config.declarations) : [];
        byName.set(s.name, dims);
      }
      for (const d of dims) groups.add(s.name, d, s.value);
    }
    const visibleAtMs =
      timestampMs + (this.config.forceFlushSeconds + this.options.ingestionDelaySeconds) * 1000;
    return groups.datums(this.config.namespace, timestampMs, visibleAtMs);
  }
}

export interface TaskManagerMetricsOptions {
  readonly clusterName: string;
  readonly taskDefinitionFamily: string;
  /** CPU units of the task (Container Insights CpuReserved). */
  readonly taskCpuUnits: number;
  readonly cpuPerBusySecond: number;
  readonly backgroundCores: number;
  readonly ingestionDelaySeconds: number;
  /** @default both */
  readonly sources?: readonly ('seed' | 'container-insights')[];
}

interface MinuteSums {
  seconds: number;
  maxBusy: number;
  busy: number;
  inJob: boolean;
  hung: boolean;
}

const MINUTE_MS = 60_000;

/**
 * Per-TaskManager minute metrics from the model's usage: the seed's custom metrics (from the
 * TaskManager's own instrumentation; nothing when it is frozen) and Container Insights' CPU
 * (from the ECS agent's cgroup readings: a frozen container still reports, at 0 CPU).
 */
export class TaskManagerMinuteMetrics {
  private readonly sums = new Map<string, MinuteSums>();
  private minute: number | undefined;
  private readonly sources: ReadonlySet<string>;

  constructor(private readonly options: TaskManagerMetricsOptions) {
    this.sources = new Set(options.sources ?? ['seed', 'container-insights']);
  }

  /** Adds one step's usage; returns the datapoints of every minute that ended by `endMs`. */
  observe(tMs: number, dtSeconds: number, usage: readonly TaskManagerUsage[]): MetricDatum[] {
    const out: MetricDatum[] = [];
    const stepMinute = Math.floor(tMs / MINUTE_MS);
    if (this.minute !== undefined && stepMinute > this.minute) this.flush(out);
    this.minute = stepMinute;
    for (const u of usage) {
      const s = this.sums.get(u.taskId) ?? { seconds: 0, maxBusy: 0, busy: 0, inJob: false, hung: false };
      s.seconds += dtSeconds;
      s.maxBusy += u.maxThreadBusySeconds;
      s.busy += u.busyThreadSeconds;
      s.inJob ||= u.inJob;
      s.hung ||= u.hung;
      this.sums.set(u.taskId, s);
    }
    if (tMs + dtSeconds * 1000 >= (stepMinute + 1) * MINUTE_MS) this.flush(out);
    return out;
  }

  private flush(out: MetricDatum[]): void {
    const minute = this.minute;
    if (minute === undefined) return;
    const timestampMs = minute * MINUTE_MS;
    const visibleAtMs = timestampMs + MINUTE_MS + this.options.ingestionDelaySeconds * 1000;
    const D = METRIC_DIMENSIONS;
    const o = this.options;
    for (const [taskId, s] of this.sums) {
      if (s.seconds <= 0) continue;
      if (this.sources.has('seed') && !s.hung) {
        const dims = { [D.taskId]: taskId };
        out.push(
          {
            namespace: METRIC_NAMES.seed.namespace,
            metricName: METRIC_NAMES.seed.taskDuration,
            dimensions: dims,
            timestampMs,
            value: s.maxBusy,
            unit: 'Seconds',
            visibleAtMs,
          },
          {
            namespace: METRIC_NAMES.seed.namespace,
            metricName: METRIC_NAMES.seed.taskInterval,
            dimensions: { ...dims },
            timestampMs,
            value: s.seconds,
            unit: 'Seconds',
            visibleAtMs,
          },
        );
      }
      if (this.sources.has('container-insights')) {
        const cores = s.hung ? 0 : (o.cpuPerBusySecond * s.busy) / s.seconds + o.backgroundCores;
        const dims = {
          [D.clusterName]: o.clusterName,
          [D.taskDefinitionFamily]: o.taskDefinitionFamily,
          [D.taskId]: taskId,
        };
        out.push(
          {
            namespace: METRIC_NAMES.containerInsights.namespace,
            metricName: METRIC_NAMES.containerInsights.cpuUtilized,
            dimensions: dims,
            timestampMs,
            value: Math.min(o.taskCpuUnits, cores * 1024),
            unit: 'None',
            visibleAtMs,
          },
          {
            namespace: METRIC_NAMES.containerInsights.namespace,
            metricName: METRIC_NAMES.containerInsights.cpuReserved,
            dimensions: { ...dims },
            timestampMs,
            value: o.taskCpuUnits,
            unit: 'None',
            visibleAtMs,
          },
        );
      }
    }
    this.sums.clear();
  }
}
