/**
 * What the simulation engine runs on every tick: the real scaler handler (policies `rate`
 * and `threshold`) or a baseline autoscaler. A baseline reads the same CloudWatch metrics
 * through the same SDK client and adapter (GetMetricData, so the ingestion delay holds)
 * and sets the absolute desired count with the same UpdateService call; only its decision
 * rule (one pure function per baseline, in this folder) differs.
 */
import { type AwsRequestHandler, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { CloudWatchMetricsSource } from 'flink-ecs-autoscaler/lib/aws/cloudwatch-metrics';
import { EcsServiceController } from 'flink-ecs-autoscaler/lib/aws/ecs-service';
import type { PolicyMode } from 'flink-ecs-autoscaler/lib/core/config';
import type { MetricQuery, MetricSeries } from 'flink-ecs-autoscaler/lib/core/domain';
import { METRIC_DIMENSIONS, METRIC_NAMES } from 'flink-ecs-autoscaler/lib/core/metric-names';
import type { MetricsSource, ServiceController } from 'flink-ecs-autoscaler/lib/ports';
import type { LocalCloud } from '../cloud/local-cloud';
import { localCloudRequestHandler } from '../cloud/request-handler';
import { type Scenario, type Trace, tracePeak } from '../scenario';
import { BASELINE_NAMES, type BaselineName, baselineRule } from './registry';
import { type BaselineRule, type BaselineSetup, type JobMinute, MINUTE_MS, type Observation } from './types';

export { BASELINE_NAMES, type BaselineName };

/** Every policy `simulate` runs, in the order `--policy all` runs them. */
export const POLICY_NAMES = ['rate', 'threshold', ...BASELINE_NAMES] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The baselines that adapt to the load (static-peak knows the future peak and never changes). */
export const ADAPTIVE_BASELINES: readonly PolicyName[] = POLICY_NAMES.filter(
  (n) => n !== 'rate' && n !== 'static-peak',
);

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/** The scaler handler's own modes; a baseline run still deploys the handler's config (unused) in `rate` mode. */
export function scalerMode(name: PolicyName): PolicyMode {
  return name === 'threshold' ? 'threshold' : 'rate';
}

/** What one tick produced: a reason code and the desired count after it. */
export interface TickOutcome {
  readonly reason: string;
  readonly desired: number;
}

/** An autoscaler driven by the engine: `onTick` gets the event the scaler function would get. */
export interface Controller {
  readonly name: PolicyName;
  onTick(nowMs: number, event: unknown): Promise<TickOutcome>;
  /**
   * Until when the job processes nothing because of this autoscaler's last change (a managed
   * service's stop-and-redeploy rescale, baselines/msf-builtin.ts); the engine withholds the
   * TaskManagers from the job until then. Undefined: never.
   */
  outageUntilMs?(): number;
}

export interface ControllerContext {
  readonly scenario: Scenario;
  readonly trace: Trace;
  readonly cloud: LocalCloud;
  /** The real scaler handler of the run (deployed with scalerMode(name)). */
  readonly scaler: (event: unknown) => Promise<TickOutcome>;
  readonly cluster: string;
  readonly service: string;
  /** @default 'in-process' */
  readonly transport?: 'http' | 'in-process';
}

export function baselineSetup(scenario: Scenario, trace: Trace): BaselineSetup {
  const c = scenario.cluster;
  return {
    minTaskManagers: c.minTaskManagers,
    maxTaskManagers: c.maxTaskManagers,
    initialTaskManagers: c.initialTaskManagers,
    partitions: c.partitions,
    slotsPerTaskManager: c.slotsPerTaskManager,
    recordsPerSecondPerSlot: c.recordsPerSecondPerSlot,
    peakInputRate: tracePeak(trace, scenario.durationSeconds),
    sloLagSeconds: scenario.sloLagSeconds,
    restartSeconds: c.restartSeconds,
    startupSeconds: c.startupSeconds,
  };
}

export function createController(name: PolicyName, ctx: ControllerContext): Controller {
  if (name === 'rate' || name === 'threshold') return { name, onTick: (_nowMs, event) => ctx.scaler(event) };
  const inProcess =
    (ctx.transport ?? 'in-process') === 'in-process'
      ? (localCloudRequestHandler(ctx.cloud) as AwsRequestHandler)
      : undefined;
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoints: { ecs: ctx.cloud.endpoint, cloudwatch: ctx.cloud.endpoint },
    ...(inProcess ? { requestHandlers: { ecs: inProcess, cloudwatch: inProcess } } : {}),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const io: BaselineIo = {
    ecs: new EcsServiceController(clients.ecs, ctx.cluster, ctx.service),
    metrics: new CloudWatchMetricsSource(clients.cloudwatch),
    names: { clusterName: ctx.cluster, jobName: ctx.scenario.name },
  };
  const setup = baselineSetup(ctx.scenario, ctx.trace);
  return new BaselineController(name, baselineRule(name, setup, ctx.scenario.baselines), io);
}

/** What the glue reads and writes through: the same adapters as the scaler function. */
interface BaselineIo {
  readonly ecs: ServiceController;
  readonly metrics: MetricsSource;
  readonly names: { readonly clusterName: string; readonly jobName: string };
}

/** How far back each tick queries: the newest visible minutes (the older ones are remembered). */
const QUERY_SECONDS = 300;

function isScheduled(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'detail-type' in event
    ? (event as Record<string, unknown>)['detail-type'] === 'Scheduled Event'
    : false;
}

/**
 * Aggregates per-TaskManager series (busy `b<i>`, records `r<i>`) and the job's backlog
 * into one JobMinute per minute that has at least one TaskManager datapoint.
 */
export function aggregateMinutes(series: readonly MetricSeries[], taskCount: number): JobMinute[] {
  const byId = new Map(series.map((s) => [s.id, s]));
  const points = (id: string): Map<number, number> => {
    const s = byId.get(id);
    const out = new Map<number, number>();
    s?.timestamps.forEach((t, i) => {
      const v = s.values[i];
      if (v !== undefined && Number.isFinite(v)) out.set(t, v);
    });
    return out;
  };
  const sums = new Map<number, { busy: number; max: number; rate: number; n: number }>();
  for (let i = 0; i < taskCount; i++) {
    const rates = points(`r${i}`);
    for (const [at, busyMs] of points(`b${i}`)) {
      const busy = Math.max(0, busyMs / 1000);
      const agg = sums.get(at) ?? { busy: 0, max: 0, rate: 0, n: 0 };
      agg.busy += busy;
      agg.max = Math.max(agg.max, busy);
      agg.rate += Math.max(0, rates.get(at) ?? 0);
      agg.n += 1;
      sums.set(at, agg);
    }
  }
  const backlog = points('backlog');
  return [...sums.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, s]) => {
      const pending = backlog.get(at);
      return {
        at,
        avgBusy: s.busy / s.n,
        maxBusy: s.max,
        processedRate: s.rate,
        reporting: s.n,
        ...(pending !== undefined ? { backlog: pending } : {}),
      };
    });
}

/** The shared glue: observe through CloudWatch and ECS, decide with the rule, apply with UpdateService. */
class BaselineController<S> implements Controller {
  private state: S;
  private readonly history = new Map<number, JobMinute>();
  /** TaskManagers seen RUNNING, with when: their recent datapoints still count after they stop. */
  private readonly seen = new Map<string, number>();
  private runningKey: string | undefined;
  private lastRestartMs = Number.NEGATIVE_INFINITY;
  private outageUntil = Number.NEGATIVE_INFINITY;
  private readonly ecs: ServiceController;
  private readonly metrics: MetricsSource;
  private readonly names: BaselineIo['names'];

  constructor(
    readonly name: BaselineName,
    private readonly rule: BaselineRule<S>,
    io: BaselineIo,
  ) {
    this.state = rule.initialState;
    this.ecs = io.ecs;
    this.metrics = io.metrics;
    this.names = io.names;
  }

  async onTick(nowMs: number, event: unknown): Promise<TickOutcome> {
    const service = await this.ecs.describeService();
    // Baselines act on their own schedule only: alarms and manual payloads are the scaler's.
    if (!isScheduled(event)) return { reason: 'Ignored', desired: service.desiredCount };
    const minutes = this.rule.lookbackSeconds > 0 ? await this.observe(nowMs) : [];
    const observation: Observation = {
      nowMs,
      minutes,
      desired: service.desiredCount,
      running: service.runningCount,
      lastRestartMs: this.lastRestartMs,
    };
    const decision = this.rule.decide(this.state, observation);
    this.state = decision.state;
    if (decision.desired !== service.desiredCount) {
      await this.ecs.setDesiredCount(decision.desired);
      if (this.rule.scalingOutageSeconds) this.outageUntil = nowMs + this.rule.scalingOutageSeconds * 1000;
      return { reason: 'Applied', desired: decision.desired };
    }
    return {
      reason: decision.reason === 'Applied' ? 'NoChange' : decision.reason,
      desired: decision.desired,
    };
  }

  outageUntilMs(): number {
    return this.outageUntil;
  }

  /** Lists the TaskManagers, reads the newest minutes and returns the remembered history. */
  private async observe(nowMs: number): Promise<JobMinute[]> {
    const running = (await this.ecs.listTasks()).filter((t) => t.lastStatus === 'RUNNING');
    const key = running
      .map((t) => t.taskId)
      .sort()
      .join(',');
    if (key !== this.runningKey) {
      this.runningKey = key;
      this.lastRestartMs = nowMs;
    }
    for (const t of running) this.seen.set(t.taskId, nowMs);
    for (const [id, at] of this.seen) if (at < nowMs - QUERY_SECONDS * 1000) this.seen.delete(id);
    const taskIds = [...this.seen.keys()].sort();
    const queries = this.queries(taskIds);
    const start = new Date(nowMs - QUERY_SECONDS * 1000);
    const series = await this.metrics.getMetricData(queries, start, new Date(nowMs));
    for (const m of aggregateMinutes(series, taskIds.length)) this.history.set(m.at, m);
    const keepFrom = nowMs - this.rule.lookbackSeconds * 1000;
    for (const at of this.history.keys()) if (at < keepFrom) this.history.delete(at);
    return [...this.history.values()].sort((a, b) => a.at - b.at);
  }

  private queries(taskIds: readonly string[]): MetricQuery[] {
    const F = METRIC_NAMES.flink;
    const D = METRIC_DIMENSIONS;
    const perTask = (id: string, metricName: string, taskId: string): MetricQuery => ({
      id,
      namespace: F.namespace,
      metricName,
      dimensions: { [D.clusterName]: this.names.clusterName, [D.taskId]: taskId },
      stat: 'Average',
      periodSeconds: MINUTE_MS / 1000,
    });
    return [
      ...taskIds.flatMap((taskId, i) => [
        perTask(`b${i}`, F.busyTimeMsPerSecond, taskId),
        perTask(`r${i}`, F.numRecordsInPerSecond, taskId),
      ]),
      {
        id: 'backlog',
        namespace: F.namespace,
        metricName: F.pendingRecords,
        dimensions: { [D.clusterName]: this.names.clusterName, [D.jobName]: this.names.jobName },
        stat: 'Average',
        periodSeconds: 60,
      },
    ];
  }
}
