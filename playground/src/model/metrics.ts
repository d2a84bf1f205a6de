/**
 * Flink's own metrics of a subtask, as its metric system computes them and its Prometheus
 * reporter exposes them. The model's names and labels are its own constants (not the
 * product's): this is what a TaskManager's /metrics endpoint returns.
 *
 * - Meters (numRecordsInPerSecond, numRecordsOutPerSecond): MeterView over a 60 s span,
 *   rate = (count now − count 60 s ago) / 60, counts before the metric existed being 0 (so
 *   a rate ramps up over the first minute after a (re)start).
 * - Timers (idleTimeMsPerSecond, backPressuredTimeMsPerSecond): TimerGauge, the ms per
 *   second averaged over the part of its 60 s window filled so far, as an integer
 *   (Java long division), clamped to [0, 1000].
 * - busyTimeMsPerSecond = 1000 − min(idle + backPressured, 1000) (TaskIOMetricGroup).
 * - The source operator's pendingRecords (FLIP-33): records in its splits not yet read.
 * - The Kafka source reader's currentOffset per partition it reads (the connector's
 *   KafkaSourceReader.topic.<t>.partition.<p> group): its consumer position.
 * - The TaskManager's own JVM metrics (scope taskmanager_Status_JVM_CPU, labels host and
 *   tm_id): Status.JVM.CPU.Load, the process's CPU load (0..1), exposed as long as the
 *   TaskManager answers a scrape, whatever its slots hold.
 * Flink updates its views every 5 s; the model updates them once per simulation step.
 *
 * Names: "flink_" + scope + "_" + metric, scope taskmanager_job_task (task metrics) or
 * taskmanager_job_task_operator (operator metrics). Labels: the scope variables, with the
 * reporter's default character filter on label values (every character outside
 * [a-zA-Z0-9:_] becomes "_").
 */

export const FLINK_PROMETHEUS = {
  busyTimeMsPerSecond: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
  idleTimeMsPerSecond: 'flink_taskmanager_job_task_idleTimeMsPerSecond',
  backPressuredTimeMsPerSecond: 'flink_taskmanager_job_task_backPressuredTimeMsPerSecond',
  numRecordsInPerSecond: 'flink_taskmanager_job_task_numRecordsInPerSecond',
  numRecordsOutPerSecond: 'flink_taskmanager_job_task_numRecordsOutPerSecond',
  operatorNumRecordsInPerSecond: 'flink_taskmanager_job_task_operator_numRecordsInPerSecond',
  operatorNumRecordsOutPerSecond: 'flink_taskmanager_job_task_operator_numRecordsOutPerSecond',
  operatorPendingRecords: 'flink_taskmanager_job_task_operator_pendingRecords',
  cpuLoad: 'flink_taskmanager_Status_JVM_CPU_Load',
  kafkaCurrentOffset: 'flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset',
} as const;

/**
 * The Kafka source reader's partition scope, in the order Flink 2.2.1's reporter prints it (a
 * real scrape: the connector's group variables come first and the order is the reporter's own).
 */
export const KAFKA_PARTITION_LABELS = [
  'task_attempt_id',
  'host',
  'task_attempt_num',
  'tm_id',
  'partition',
  'topic',
  'job_id',
  'task_id',
  'operator_id',
  'operator_name',
  'task_name',
  'job_name',
  'subtask_index',
] as const;

/** The TaskManager scope's label names, in the order Flink 2.2.1's reporter prints them. */
export const TASK_MANAGER_LABELS = ['host', 'tm_id'] as const;

/**
 * The task scope's label names, in the order Flink 2.2.1's reporter prints them (a real
 * TaskManager scrape: playground/test/fixtures/flink-taskmanager-scrape.txt). Operator
 * metrics carry operator_id and operator_name after host.
 */
export const TASK_LABELS = [
  'job_id',
  'task_id',
  'task_attempt_id',
  'host',
  'task_name',
  'task_attempt_num',
  'job_name',
  'tm_id',
  'subtask_index',
] as const;
export const OPERATOR_LABELS = ['operator_id', 'operator_name'] as const;

/** AbstractPrometheusReporter#replaceInvalidChars (applied to label values by default). */
export function filterLabelValue(value: string): string {
  return value.replace(/[^a-zA-Z0-9:_]/g, '_');
}

export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Java's Double#toString for the values a scrape prints (prometheus simpleclient's text format). */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mantissa = '0', exponent = '0'] = v.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

/** The text exposition format of a scrape: HELP and TYPE per family, then its series. */
export function renderPrometheusText(samples: readonly PrometheusSample[]): string {
  const families = new Map<string, PrometheusSample[]>();
  for (const s of samples) {
    const list = families.get(s.name);
    if (list) list.push(s);
    else families.set(s.name, [s]);
  }
  const lines: string[] = [];
  for (const [name, list] of families) {
    const scope = name.replace(/^flink_/, '').replace(/_[^_]+$/, '');
    const metric = name.slice(name.lastIndexOf('_') + 1);
    lines.push(`# HELP ${name} ${metric} (scope: ${scope})`, `# TYPE ${name} gauge`);
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
        .join(',');
      lines.push(`${name}{${labels},} ${javaDouble(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Meters and timers of one subtask attempt, updated once per step. */
export class SubtaskMeters {
  /** Counters since the attempt started: records in (a source task: records read), records out. */
  private readonly totals = new Float64Array(2);
  /** MeterView rings: `window + 1` snapshots of each counter. */
  private readonly snapshots: Float64Array;
  /** TimerGauge rings: `window` per-update ms of idle and back-pressured time. */
  private readonly timers: Float64Array;
  private index = 0;
  private updates = 0;

  /**
   * @param window updates per 60 s (60 / step seconds)
   * @param stepSeconds seconds per update
   */
  constructor(
    private readonly window: number,
    private readonly stepSeconds: number,
  ) {
    this.snapshots = new Float64Array(2 * (window + 1));
    this.timers = new Float64Array(2 * window);
  }

  /** One update: what happened since the previous one. */
  update(recordsIn: number, recordsOut: number, idleMs: number, backPressuredMs: number): void {
    this.totals[0] = (this.totals[0] as number) + recordsIn;
    this.totals[1] = (this.totals[1] as number) + recordsOut;
    this.index = (this.index + 1) % (this.window + 1);
    const w = this.window + 1;
    for (let c = 0; c < 2; c++) this.snapshots[c * w + this.index] = Math.floor(this.totals[c] as number);
    const slot = this.updates % this.window;
    this.timers[slot] = Math.round(idleMs);
    this.timers[this.window + slot] = Math.round(backPressuredMs);
    this.updates++;
  }

  /** MeterView#getRate of counter c (0 in, 1 out). */
  private rate(c: number): number {
    const w = this.window + 1;
    const now = this.snapshots[c * w + this.index] as number;
    const then = this.snapshots[c * w + ((this.index + 1) % w)] as number;
    return (now - then) / 60;
  }

  /** TimerGauge#getValue of timer t (0 idle, 1 back-pressured). */
  private timer(t: number): number {
    const filled = Math.min(this.updates, this.window);
    if (filled === 0) return 0;
    let total = 0;
    for (let i = 0; i < filled; i++) total += this.timers[t * this.window + i] as number;
    return Math.max(0, Math.min(1000, Math.floor(total / (this.stepSeconds * filled))));
  }

  get numRecordsInPerSecond(): number {
    return this.rate(0);
  }
  get numRecordsOutPerSecond(): number {
    return this.rate(1);
  }
  get idleTimeMsPerSecond(): number {
    return this.timer(0);
  }
  get backPressuredTimeMsPerSecond(): number {
    return this.timer(1);
  }
  get busyTimeMsPerSecond(): number {
    return 1000 - Math.min(this.idleTimeMsPerSecond + this.backPressuredTimeMsPerSecond, 1000);
  }
}
