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
import { type AppConfigInput, type PolicyMode, parseConfig } from 'flink-ecs-autoscaler/lib/core/config';
import type { MetricSeries, TaskInfo } from 'flink-ecs-autoscaler/lib/core/domain';
import {
  JOB_QUERY_IDS,
  jobQueries,
  queryStartMs,
  type ResolvedMetrics,
  resolveMetrics,
  summarizeJob,
} from 'flink-ecs-autoscaler/lib/core/metrics';
import type { MetricsSource, ServiceController } from 'flink-ecs-autoscaler/lib/ports';
import type { LocalCloud } from '../cloud/local-cloud';
import { localCloudRequestHandler } from '../cloud/request-handler';
import { type Scenario, type Trace, tracePeak } from '../scenario';
import { BASELINE_NAMES, type BaselineName, baselineRule } from './registry';
import type { BaselineRule, BaselineSetup, JobMinute, Observation } from './types';

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
  /** The scaler's config of the run: the baselines read the same job-level series it does. */
  readonly config: AppConfigInput;
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
  const resolved = resolveMetrics(parseConfig(ctx.config));
  const io: BaselineIo = {
    ecs: new EcsServiceController(clients.ecs, ctx.cluster, ctx.service),
    metrics: new CloudWatchMetricsSource(clients.cloudwatch),
    resolved: { ...resolved, windowSeconds: QUERY_SECONDS, maxDataAgeSeconds: QUERY_SECONDS },
  };
  const setup = baselineSetup(ctx.scenario, ctx.trace);
  return new BaselineController(name, baselineRule(name, setup, ctx.scenario.baselines), io);
}

/** What the glue reads and writes through: the same adapters, and the same job-level series, as the scaler function. */
interface BaselineIo {
  readonly ecs: ServiceController;
  readonly metrics: MetricsSource;
  readonly resolved: ResolvedMetrics;
}

/** How far back each tick queries: the newest visible minutes (the older ones are remembered). */
const QUERY_SECONDS = 300;

function isScheduled(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'detail-type' in event
    ? (event as Record<string, unknown>)['detail-type'] === 'Scheduled Event'
    : false;
}

/**
 * The job's complete minutes from the job-level series (lib/core/metrics.ts summarizeJob, as
 * the scaler reads them): the bottleneck's busy fraction (Maximum over every subtask), the
 * mean busy fraction (Average over every subtask: the fleet's "average CPU"), the source's
 * throughput, the TaskManagers scraped and the source's backlog. A minute that is not
 * complete yet (not every scrape visible) is left out, never read as a lower value.
 */
export function aggregateMinutes(
  resolved: ResolvedMetrics,
  series: readonly MetricSeries[],
  tasks: readonly TaskInfo[],
  nowMs: number,
): JobMinute[] {
  const running = tasks.filter((t) => t.lastStatus === 'RUNNING').length;
  const summary = summarizeJob(resolved, series, { tasks, runningCount: running }, nowMs);
  const average = series.find((s) => s.id === JOB_QUERY_IDS.busyAverage);
  const avgAt = new Map(average?.timestamps.map((t, i) => [t, average.values[i] ?? 0]) ?? []);
  return summary.samples.map((m) => ({
    at: m.at,
    avgBusy: Math.max(0, (avgAt.get(m.at) ?? m.maxBusy * 1000) / 1000),
    maxBusy: m.maxBusy,
    processedRate: m.processed,
    reporting: m.reporting,
    ...(m.backlog !== undefined ? { backlog: m.backlog } : {}),
  }));
}

/** The shared glue: observe through CloudWatch and ECS, decide with the rule, apply with UpdateService. */
class BaselineController<S> implements Controller {
  private state: S;
  private readonly history = new Map<number, JobMinute>();
  private runningKey: string | undefined;
  private lastRestartMs = Number.NEGATIVE_INFINITY;
  private outageUntil = Number.NEGATIVE_INFINITY;
  private readonly ecs: ServiceController;
  private readonly metrics: MetricsSource;
  private readonly resolved: ResolvedMetrics;

  constructor(
    readonly name: BaselineName,
    private readonly rule: BaselineRule<S>,
    io: BaselineIo,
  ) {
    this.state = rule.initialState;
    this.ecs = io.ecs;
    this.metrics = io.metrics;
    this.resolved = io.resolved;
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
    const tasks = await this.ecs.listTasks();
    const key = tasks
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.taskId)
      .sort()
      .join(',');
    if (key !== this.runningKey) {
      this.runningKey = key;
      this.lastRestartMs = nowMs;
    }
    const start = new Date(queryStartMs(this.resolved, nowMs));
    const queries = jobQueries(this.resolved, { average: true });
    const series = await this.metrics.getMetricData(queries, start, new Date(nowMs));
    for (const m of aggregateMinutes(this.resolved, series, tasks, nowMs)) this.history.set(m.at, m);
    const keepFrom = nowMs - this.rule.lookbackSeconds * 1000;
    for (const at of this.history.keys()) if (at < keepFrom) this.history.delete(at);
    return [...this.history.values()].sort((a, b) => a.at - b.at);
  }
}
