/**
 * The simulation engine: the real scaler handler, its real adapters and SDK clients, run
 * against the local cloud (ECS + CloudWatch over their wire protocols) and dynalite,
 * driving a simulated Flink-on-ECS cluster on a simulated clock.
 */
import { createScalerHandler, type ScalerHandler } from 'flink-ecs-autoscaler/functions/scaler';
import {
  type AwsClients,
  type AwsRequestHandler,
  createAwsClients,
} from 'flink-ecs-autoscaler/lib/aws/clients';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import type { AppConfigInput, PolicyMode } from 'flink-ecs-autoscaler/lib/core/config';
import {
  type FlinkMetricsDefinition,
  flinkMetricsDefinition,
} from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { METRIC_DIMENSIONS, METRIC_NAMES } from 'flink-ecs-autoscaler/lib/core/metric-names';
import { loadScalerRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import { createController, type PolicyName, scalerMode } from './baselines/controller';
import type { AlarmDefinition } from './cloud/cloudwatch-alarms';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from './cloud/local-cloud';
import { localCloudRequestHandler } from './cloud/request-handler';
import { CloudWatchAgent } from './collector';
import { startDynalite } from './dynalite';
import { FailoverTracker } from './failover-tracker';
import { FlinkJobModel, type FlinkStepResult } from './model/cluster';
import { FlinkModelError, resolveJob } from './model/job';
import type { PrometheusSample } from './model/metrics';
import { type PolicyRun, RunAccumulator, type RunEvent, type SimulationOutput } from './results';
import { Rng } from './rng';
import { type AlarmSpec, type LoadedScenario, type Scenario, traceRateAt } from './scenario';
import { simulateInWorkers } from './workers';

/** Simulated time starts here (fixed, so runs are reproducible). */
export const SIM_EPOCH_MS = Date.parse('2026-01-01T00:00:00.000Z');
export const SIM_CLUSTER = 'flink-sim';
export const SIM_SERVICE = 'taskmanager';
export const SIM_TASK_FAMILY = 'flink-taskmanager';
export const SIM_TABLE = 'flink-ecs-autoscaler';
/** Seconds between a datapoint's arrival (the agent's flush) and its visibility in CloudWatch. */
export const INGESTION_DELAY_SECONDS = 30;
const SCHEDULE_SECONDS = 60;
/** How often the simulated TaskManagers' CloudWatch agent scrapes (the demo cluster's default). */
export const SIM_SCRAPE_SECONDS = 30;
/** The simulated Kafka cluster the source reads: MSK-shaped broker metrics, partition leaders round-robin. */
export const SIM_KAFKA_CLUSTER = 'flink-sim-kafka';
export const SIM_KAFKA_BROKERS = ['1', '2', '3'] as const;

/** The simulated cluster's agent: the one definition of the Flink metrics (lib/core/flink-metrics.ts). */
export function simAgentConfig(): FlinkMetricsDefinition {
  return flinkMetricsDefinition({
    clusterName: SIM_CLUSTER,
    serviceName: SIM_SERVICE,
    scrapeIntervalSeconds: SIM_SCRAPE_SECONDS,
  });
}

/** The topic a scenario's job reads. */
export function scenarioTopic(scenario: Scenario): string {
  return scenario.name;
}

/** The ground-truth model of a scenario's job. */
export function scenarioModel(scenario: Scenario): FlinkJobModel {
  return new FlinkJobModel(
    resolveJob(scenario.cluster, scenario.cluster.job ?? {}, { jobName: scenario.name, seed: scenario.seed }),
  );
}

/** How the SDK clients reach the local cloud: HTTP on loopback, or its in-process request handler. */
export type Transport = 'http' | 'in-process';

export interface SimulateOptions {
  readonly timeline?: boolean;
  /** The timeline's resolution in simulated seconds (a multiple of the step). @default 60 */
  readonly timelineEverySeconds?: number;
  /** Keep every evaluation's record in PolicyRun.decisionLog (`simulate --decisions`). @default false */
  readonly decisionLog?: boolean;
  /** @default 'in-process' */
  readonly transport?: Transport;
  /** Called with the fraction done (0..1), at most every 1% of simulated time. */
  readonly onProgress?: (policy: string, fraction: number) => void;
  /** Live runs (`local up`): awaited once the cluster is up, before the first step, with the real scaler handler. */
  readonly onStart?: (live: LiveRun) => Promise<void> | void;
  /** Live runs: awaited after every step with the simulated seconds elapsed (to pace the clock against wall time). */
  readonly pace?: (simSeconds: number) => Promise<void>;
  /** Live runs: no further step starts once aborted; the run then ends as usual. */
  readonly signal?: AbortSignal;
  /** Measurement hooks (in process only). */
  readonly instrument?: Instrumentation;
  /**
   * The TaskManager containers' health check (a hung one fails it after interval × retries).
   * Off: only the failover's metric heartbeat finds a hung TaskManager. @default true
   */
  readonly healthCheck?: boolean;
  /**
   * simulate(): how many policies run at once, each in its own worker thread (playground/src/workers.ts);
   * same results as one after the other. Live runs (onStart, pace, signal) always run in process.
   * @default 1 (in process)
   */
  readonly workers?: number;
}

/** A request served in process (the local cloud's and dynalite's dispatch). */
export type InProcessDispatch = (request: {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}) => Promise<{ readonly status: number; readonly headers: Record<string, string>; readonly body: string }>;

/** Hooks for measuring a run (playground/bench/controller-cost.ts); none changes what the functions see. */
export interface Instrumentation {
  /** The requests whose body the local cloud's request log keeps. */
  readonly recordBodies?: LocalCloudOptions['recordBodies'];
  /** Wraps dynalite's in-process dispatch (the functions' DynamoDB requests). */
  readonly dynamodb?: (dispatch: InProcessDispatch) => InProcessDispatch;
  /** Wraps every invocation of the scaler and the failover handler (at simulated time `nowMs`). */
  readonly invoke?: <T>(fn: 'scaler' | 'failover', run: () => Promise<T>, nowMs: number) => Promise<T>;
  /** The local cloud of the run, once it is up (its request log is live). */
  readonly onCloud?: (cloud: LocalCloud) => void;
  /** The functions' SDK clients, once they are built (to watch what they send, e.g. with a middleware). */
  readonly onClients?: (clients: AwsClients) => void;
  /** Every scrape a TaskManager's agent sidecar reads (what it writes to CloudWatch Logs derives from it). */
  readonly onScrape?: (samples: readonly PrometheusSample[], timestampMs: number) => void;
}

/** What a live run exposes while it runs: the local cloud, the scaler handler and the simulated clock. */
export interface LiveRun {
  readonly cloud: LocalCloud;
  readonly scaler: ScalerHandler;
  readonly clock: { readonly ms: number };
}

export interface SimulationRun {
  readonly output: SimulationOutput;
  readonly runs: readonly PolicyRun[];
  /** Every request the local cloud served, per policy (service, operation). */
  readonly requestCounts: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The autoscaler config the scenario's cluster implies, for one policy. */
export function scenarioAppConfig(scenario: Scenario, mode: PolicyMode): AppConfigInput {
  const c = scenario.cluster;
  return {
    appId: scenario.name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64),
    ecs: { cluster: SIM_CLUSTER, service: SIM_SERVICE },
    // The Flink metrics the agent publishes (lib/core/flink-metrics.ts), for the whole service:
    // the bottleneck's busy time, the source's throughput, its FLIP-33 backlog, and the input
    // from the Kafka source's offsets (the log end's growth: a restart's replay does not count as
    // input). One query each, whatever the fleet; MSK's MessagesInPerSec, which the engine also
    // publishes, would cost one query per broker.
    metrics: {
      preset: 'flink-prometheus',
      dimensions: { ClusterName: SIM_CLUSTER },
      scrapeIntervalSeconds: SIM_SCRAPE_SECONDS,
      backlog: { preset: 'flink-pending-records' },
      inputRate: { preset: 'flink-kafka-offsets' },
    },
    policy: {
      minTaskManagers: c.minTaskManagers,
      maxTaskManagers: c.maxTaskManagers,
      restartSeconds: c.restartSeconds,
      checkpointIntervalSeconds: c.checkpointIntervalSeconds,
      ...scenario.policy,
      mode,
    },
    partitions: c.partitions,
    slotsPerTaskManager: c.slotsPerTaskManager,
    alarms: (scenario.alarms ?? []).map((a) => a.name),
    scheduleSeconds: SCHEDULE_SECONDS,
  };
}

function scheduledEvent(nowMs: number, n: number): Record<string, unknown> {
  return {
    version: '0',
    id: `tick-${n}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/flink-ecs-autoscaler-tick'],
    detail: {},
  };
}

function alarmEvent(nowMs: number, alarm: AlarmSpec, state: 'ALARM' | 'OK'): Record<string, unknown> {
  const time = new Date(nowMs).toISOString();
  return {
    version: '0',
    id: `alarm-${alarm.name}-${nowMs}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: time.replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm.name}`],
    detail: {
      alarmName: alarm.name,
      state: {
        value: state,
        reason: `simulated ${alarm.metric} crossed ${alarm.threshold}`,
        timestamp: time,
      },
      previousState: { value: state === 'ALARM' ? 'OK' : 'ALARM', timestamp: time },
      configuration: { metrics: [] },
    },
  };
}

function crosses(alarm: AlarmSpec, value: number): boolean {
  switch (alarm.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
    default:
      return value > alarm.threshold;
  }
}

/** Evaluates the scenario's alarms on per-minute averages, as CloudWatch would on 60 s periods. */
class AlarmEvaluator {
  private readonly history = new Map<string, boolean[]>();
  private readonly state = new Map<string, 'ALARM' | 'OK'>();
  private lagSum = 0;
  private busySum = 0;
  private samples = 0;

  constructor(private readonly alarms: readonly AlarmSpec[]) {}

  observe(step: FlinkStepResult, busy: number): void {
    this.lagSum += step.lagSeconds;
    this.busySum += busy;
    this.samples++;
  }

  /** At a minute's end: the alarms whose state changed. */
  evaluate(): { alarm: AlarmSpec; state: 'ALARM' | 'OK' }[] {
    const lag = this.samples > 0 ? this.lagSum / this.samples : 0;
    const busy = this.samples > 0 ? this.busySum / this.samples : 0;
    this.lagSum = 0;
    this.busySum = 0;
    this.samples = 0;
    const changes: { alarm: AlarmSpec; state: 'ALARM' | 'OK' }[] = [];
    for (const alarm of this.alarms) {
      const h = [
        ...(this.history.get(alarm.name) ?? []),
        crosses(alarm, alarm.metric === 'lagSeconds' ? lag : busy),
      ].slice(-alarm.evaluationPeriods);
      this.history.set(alarm.name, h);
      const next = h.length === alarm.evaluationPeriods && h.every(Boolean) ? 'ALARM' : 'OK';
      if (next !== (this.state.get(alarm.name) ?? 'OK')) changes.push({ alarm, state: next });
      this.state.set(alarm.name, next);
    }
    return changes;
  }
}

/** The namespace of the playground's own alarm metrics (lag and busy, evaluated by AlarmEvaluator). */
export const SIM_ALARM_NAMESPACE = 'FlinkEcsAutoscaler/Playground';

/** What DescribeAlarms shows of a scenario's alarm: a 60 s metric alarm on the playground's lag or busy metric. */
function alarmDefinition(alarm: AlarmSpec): AlarmDefinition {
  return {
    name: alarm.name,
    description: `playground alarm on ${alarm.metric}`,
    namespace: SIM_ALARM_NAMESPACE,
    metricName: alarm.metric === 'lagSeconds' ? 'LagSeconds' : 'MaxBusyFraction',
    dimensions: { ClusterName: SIM_CLUSTER },
    statistic: alarm.metric === 'lagSeconds' ? 'Average' : 'Maximum',
    periodSeconds: SCHEDULE_SECONDS,
    evaluationPeriods: alarm.evaluationPeriods,
    threshold: alarm.threshold,
    comparison: alarm.comparison,
  };
}

interface Harness {
  readonly cloud: LocalCloud;
  readonly handler: ScalerHandler;
  /** The SDK clients the functions use (the failover tracker builds its runtime on them). */
  readonly clients: AwsClients;
  close(): Promise<void>;
}

async function startHarness(
  scenario: Scenario,
  mode: PolicyMode,
  clock: { ms: number },
  transport: Transport,
  instrument: Instrumentation = {},
  healthCheck = true,
): Promise<Harness> {
  const dynamo = await startDynalite();
  const cloud = await startLocalCloud({
    clock: () => clock.ms,
    ecs: { seed: scenario.seed, startMs: SIM_EPOCH_MS, startupSeconds: scenario.cluster.startupSeconds },
    dynamodbEndpoint: dynamo.endpoint,
    ...(instrument.recordBodies ? { recordBodies: instrument.recordBodies } : {}),
  });
  instrument.onCloud?.(cloud);
  try {
    for (const alarm of scenario.alarms ?? [])
      cloud.cloudwatch.alarms.define(alarmDefinition(alarm), clock.ms);
    cloud.ecs.createCluster(SIM_CLUSTER);
    cloud.ecs.createService({
      cluster: SIM_CLUSTER,
      serviceName: SIM_SERVICE,
      desiredCount: scenario.cluster.initialTaskManagers,
      taskDefinitionFamily: SIM_TASK_FAMILY,
      startupSeconds: scenario.cluster.startupSeconds,
      initialTasksRunning: true,
      healthCheck,
    });
    // ECS and CloudWatch: the real SDK clients, serializers and wire protocol, served in process
    // (no socket: ~4x faster); DynamoDB: dynalite over HTTP.
    const inProcess =
      transport === 'in-process' ? (localCloudRequestHandler(cloud) as AwsRequestHandler) : undefined;
    const clients = createAwsClients({
      region: 'us-east-1',
      endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
      ...(inProcess
        ? {
            requestHandlers: {
              ecs: inProcess,
              cloudwatch: inProcess,
              dynamodb: localCloudRequestHandler({
                dispatch: instrument.dynamodb ? instrument.dynamodb(dynamo.dispatch) : dynamo.dispatch,
              }) as AwsRequestHandler,
            },
          }
        : {}),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createTable(clients.dynamodb, SIM_TABLE);
    instrument.onClients?.(clients);
    let n = 0;
    const runtime = loadScalerRuntime(
      {
        AUTOSCALER_CONFIG: JSON.stringify(scenarioAppConfig(scenario, mode)),
        TABLE_NAME: SIM_TABLE,
        POWERTOOLS_SERVICE_NAME: 'flink-ecs-autoscaler-sim',
      },
      {
        clock: { now: () => new Date(clock.ms) },
        clients,
        newId: () => `sim-${String(++n).padStart(6, '0')}`,
      },
    );
    const scaler = createScalerHandler(runtime);
    const invoke = instrument.invoke;
    return {
      cloud,
      handler: invoke ? (event) => invoke('scaler', () => scaler(event), clock.ms) : scaler,
      clients,
      async close() {
        for (const c of Object.values(clients)) c.destroy();
        await Promise.all([cloud.close(), dynamo.close()]);
      },
    };
  } catch (error) {
    await Promise.all([cloud.close(), dynamo.close()]);
    throw error;
  }
}

/** Runs one policy over the scenario: the real scaler handler, or a baseline (playground/src/baselines), on the same ticks. */
export async function simulatePolicy(
  loaded: LoadedScenario,
  mode: PolicyName,
  options: SimulateOptions = {},
): Promise<{ run: PolicyRun; physicalMinimumHours: number; requests: Record<string, number> }> {
  const { scenario, trace } = loaded;
  const clock = { ms: SIM_EPOCH_MS };
  const transport = options.transport ?? 'in-process';
  const harness = await startHarness(
    scenario,
    scalerMode(mode),
    clock,
    transport,
    options.instrument,
    options.healthCheck ?? true,
  );
  const { cloud } = harness;
  const controller = createController(mode, {
    scenario,
    trace,
    cloud,
    scaler: harness.handler,
    transport,
    cluster: SIM_CLUSTER,
    service: SIM_SERVICE,
    config: scenarioAppConfig(scenario, scalerMode(mode)),
  });
  const handler = (event: unknown) => controller.onTick(clock.ms, event);
  // The failover function: ECS task events (fast path) and every tick (reconcile); playground/src/failover-tracker.
  const failoverTracker = new FailoverTracker({
    cloud,
    clients: harness.clients,
    config: scenarioAppConfig(scenario, scalerMode(mode)),
    tableName: SIM_TABLE,
    clock,
    startMs: SIM_EPOCH_MS,
    ...(options.instrument?.invoke ? { invoke: options.instrument.invoke } : {}),
  });
  try {
    const model = scenarioModel(scenario);
    const agent = new CloudWatchAgent(simAgentConfig(), { ingestionDelaySeconds: INGESTION_DELAY_SECONDS });
    // Each broker's share of the input: the weights of the partitions it leads.
    const brokerShares = SIM_KAFKA_BROKERS.map((_, b) =>
      model.job.partitionWeights.reduce((a, w, j) => a + (j % SIM_KAFKA_BROKERS.length === b ? w : 0), 0),
    );
    const minimumSearch = Math.max(
      scenario.cluster.maxTaskManagers,
      Math.ceil(
        Math.max(...model.job.vertices.map((v) => v.maxParallelism)) / scenario.cluster.slotsPerTaskManager,
      ),
    );
    const acc = new RunAccumulator(
      mode,
      scenario.sloLagSeconds,
      options.timelineEverySeconds,
      options.decisionLog ?? false,
    );
    const alarms = new AlarmEvaluator(scenario.alarms ?? []);
    const faultRng = new Rng(scenario.seed).fork('faults');
    const dt = scenario.stepSeconds;
    const steps = Math.round(scenario.durationSeconds / dt);
    let lastProgress = -1;
    let ticks = 0;
    let sourceRecords = 0;
    const desiredNow = () => cloud.ecs.serviceCounts(SIM_CLUSTER, SIM_SERVICE).desiredCount;
    const invoke = async (t: number, event: unknown, trigger: string): Promise<void> => {
      const before = desiredNow();
      try {
        const d = await handler(event);
        acc.decision(t, trigger, d);
      } finally {
        acc.desiredChanged(t, before, desiredNow());
      }
    };

    // Key groups and the capacity table are built before the clock starts (a live run paces from here).
    model.physicalMinimum(traceRateAt(trace, 0), minimumSearch);
    await failoverTracker.reconcile();
    await options.onStart?.({ cloud, scaler: harness.handler, clock });
    for (let i = 0; i < steps && !options.signal?.aborted; i++) {
      const t = i * dt;
      clock.ms = SIM_EPOCH_MS + t * 1000;

      for (const fault of scenario.faults.filter((f) => f.atSeconds >= t && f.atSeconds < t + dt)) {
        const candidates = cloud.ecs
          .tasks({ cluster: SIM_CLUSTER, serviceName: SIM_SERVICE })
          .filter((task) => task.lastStatus === 'RUNNING' && !task.hung)
          .map((task) => task.taskId)
          .sort();
        for (let k = 0; k < fault.count && candidates.length > 0; k++) {
          const [victim] = candidates.splice(faultRng.int(candidates.length), 1) as [string];
          if (fault.kind === 'kill') cloud.ecs.kill(victim);
          else cloud.ecs.hang(victim);
          await failoverTracker.fault(fault.kind, victim);
        }
      }

      cloud.ecs.advanceTo(clock.ms);
      await failoverTracker.deliver();
      const tms = cloud.ecs
        .tasks({ cluster: SIM_CLUSTER, serviceName: SIM_SERVICE })
        .filter((task) => task.lastStatus === 'RUNNING')
        .map((task) => ({ taskId: task.taskId, hung: task.hung }));
      const input = traceRateAt(trace, t);
      // A managed service's rescale stops the job until its new instance is up (baselines/msf-builtin.ts).
      const outage = clock.ms < (controller.outageUntilMs?.() ?? Number.NEGATIVE_INFINITY);
      const step = model.step(clock.ms, dt, input, outage ? [] : tms);
      // Every TaskManager's agent sidecar scrapes its /metrics at its own offset in the interval.
      for (const tm of tms) {
        if (!agent.isDue(tm.taskId, t + dt, dt)) continue;
        const samples = model.scrape(tm.taskId);
        if (!samples) continue;
        options.instrument?.onScrape?.(samples, clock.ms + dt * 1000);
        for (const d of agent.collect(samples, clock.ms + dt * 1000)) cloud.cloudwatch.put(d);
      }
      // The topic's own metric, as Amazon MSK publishes it at the PER_TOPIC_PER_BROKER level:
      // MessagesInPerSec of each broker (the partitions it leads, round-robin), one per minute.
      sourceRecords += input * dt;
      if ((t + dt) % 60 === 0) {
        const minuteStart = SIM_EPOCH_MS + (t + dt - 60) * 1000;
        SIM_KAFKA_BROKERS.forEach((broker, b) => {
          cloud.cloudwatch.put({
            namespace: METRIC_NAMES.msk.namespace,
            metricName: METRIC_NAMES.msk.messagesInPerSec,
            dimensions: {
              'Cluster Name': SIM_KAFKA_CLUSTER,
              [METRIC_DIMENSIONS.mskBrokerId]: broker,
              Topic: scenarioTopic(scenario),
            },
            timestampMs: minuteStart,
            value: (sourceRecords * (brokerShares[b] as number)) / 60,
            unit: 'Count/Second',
            visibleAtMs: minuteStart + (60 + INGESTION_DELAY_SECONDS) * 1000,
          });
        });
        sourceRecords = 0;
      }
      const loads = model.taskManagerLoads();
      alarms.observe(step, loads.length > 0 ? Math.max(...loads.map((l) => l.busy)) : 0);

      const tEnd = t + dt;
      clock.ms = SIM_EPOCH_MS + tEnd * 1000;
      if (tEnd % SCHEDULE_SECONDS === 0) {
        for (const change of alarms.evaluate()) {
          cloud.cloudwatch.alarms.setState(
            change.alarm.name,
            change.state,
            `simulated ${change.alarm.metric} crossed ${change.alarm.threshold}`,
            clock.ms,
          );
          await invoke(tEnd, alarmEvent(clock.ms, change.alarm, change.state), 'alarm');
        }
        await invoke(tEnd, scheduledEvent(clock.ms, ++ticks), 'schedule');
        await failoverTracker.reconcile();
      }
      for (const m of scenario.manual.filter((x) => x.atSeconds > t && x.atSeconds <= tEnd)) {
        const before = desiredNow();
        try {
          const d = await handler(m.payload);
          acc.decision(tEnd, 'manual', d);
          acc.manual.push({ atSeconds: m.atSeconds, accepted: true, reason: d.reason });
        } catch (error) {
          acc.manual.push({ atSeconds: m.atSeconds, accepted: false, error: (error as Error).message });
        } finally {
          acc.desiredChanged(tEnd, before, desiredNow());
        }
      }
      await failoverTracker.stepEnd(dt);

      const all = cloud.ecs.tasks({ cluster: SIM_CLUSTER, serviceName: SIM_SERVICE });
      acc.step({
        t: tEnd,
        dt,
        input,
        capacity: step.capacity,
        desired: desiredNow(),
        running: step.running,
        provisioned: all.filter((task) => task.lastStatus !== 'STOPPED').length,
        backlog: step.backlog,
        lagSeconds: step.lagSeconds,
        physicalMinimum: model.physicalMinimum(input, minimumSearch),
      });
      const pct = Math.floor((100 * (i + 1)) / steps);
      if (options.onProgress && pct !== lastProgress) {
        lastProgress = pct;
        options.onProgress(mode, (i + 1) / steps);
      }
      await options.pace?.(tEnd);
    }
    // Conservation over the run: every record that arrived was processed or is still waiting (replays counted back).
    const totals = model.totals();
    const balance =
      totals.input - (totals.processed + (totals.backlog - totals.initialBacklog) - totals.replayed);
    if (Math.abs(balance) > 1e-6 * Math.max(1, totals.input)) {
      throw new FlinkModelError(
        `records not conserved: input − (processed + Δbacklog − replayed) = ${balance}`,
      );
    }
    const failover = failoverTracker.summary();
    failoverTracker.close();
    const requests: Record<string, number> = {};
    for (const r of cloud.requests)
      requests[`${r.service}:${r.operation}`] = (requests[`${r.service}:${r.operation}`] ?? 0) + 1;
    return {
      run: acc.finish(failover, options.timeline ?? false),
      physicalMinimumHours: acc.physicalMinimumHours(),
      requests,
    };
  } finally {
    await harness.close();
  }
}

/** Runs each policy over the scenario (in process, or `workers` at a time in worker threads) and assembles the output contract. */
export async function simulate(
  loaded: LoadedScenario,
  policies: readonly PolicyName[],
  options: SimulateOptions = {},
): Promise<SimulationRun> {
  const runs: PolicyRun[] = [];
  const requestCounts: Record<string, Record<string, number>> = {};
  let physicalMinimumTaskManagerHours = 0;
  const live = options.onStart !== undefined || options.pace !== undefined || options.signal !== undefined;
  const workers = Math.min(options.workers ?? 1, policies.length);
  const outcomes =
    workers > 1 && !live
      ? await simulateInWorkers(loaded, policies, {
          concurrency: workers,
          timeline: options.timeline ?? false,
          decisionLog: options.decisionLog ?? false,
          transport: options.transport ?? 'in-process',
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        })
      : undefined;
  for (const [i, policy] of policies.entries()) {
    const r = outcomes?.[i] ?? (await simulatePolicy(loaded, policy, options));
    runs.push(r.run);
    requestCounts[policy] = r.requests;
    physicalMinimumTaskManagerHours = r.physicalMinimumHours;
  }
  return {
    output: {
      scenario: loaded.scenario.name,
      durationSeconds: loaded.scenario.durationSeconds,
      sloLagSeconds: loaded.scenario.sloLagSeconds,
      physicalMinimumTaskManagerHours,
      results: runs.map((r) => r.result),
    },
    runs,
    requestCounts,
  };
}

export type { RunEvent };
