/**
 * A real-Flink run on the real clock: the local cloud (ECS with the TaskManager service run
 * by real TaskManager JVMs, CloudWatch fed by the agent's scrapes) and dynalite, the product's
 * scaler and failover handlers unmodified (their SDK clients over HTTP to the local cloud and
 * dynalite), an EventBridge-like schedule every `scheduleSeconds`, ECS task state change
 * events delivered to the failover function as they happen, a load that follows a trace, and
 * faults (SIGKILL of a TaskManager). Everything it measures is read from the real parts:
 * ECS task records, the TaskManager processes, Flink's REST API, the TaskManagers' Prometheus
 * endpoints, the load tool's consumer-group lag and the DynamoDB items.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScalerHandler, type ScalerHandler } from 'flink-ecs-autoscaler/functions/scaler';
import { type AwsClients, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { DynamoDbStateStore } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import { createTable } from 'flink-ecs-autoscaler/lib/aws/table';
import { type AppConfigInput, parseConfig } from 'flink-ecs-autoscaler/lib/core/config';
import {
  FLINK_METRICS,
  type FlinkMetricsDefinition,
  flinkMetricsDefinition,
} from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { loadScalerRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import { type LocalCloud, startLocalCloud } from '../cloud/local-cloud';
import { type DynaliteHandle, startDynalite } from '../dynalite';
import { FailoverTracker } from '../failover-tracker';
import { type LambdaEndpoint, startLambdaEndpoint } from '../lambda-endpoint';
import type { PrometheusSample } from '../model/metrics';
import { type PolicyRun, RunAccumulator, type TimelinePoint } from '../results';
import { Rng } from '../rng';
import { type FlinkCluster, startFlinkCluster, waitFor } from './cluster';
import { type LagReading, type LoadTool, rateAt, startLoadTool, type TraceStep } from './load';
import { TaskManagerProcessRuntime, type TaskProcessRecord } from './process-runtime';
import type { JobView } from './rest';
import { PrometheusScraper } from './scraper';

export const REAL_CLUSTER = 'flink-real';
export const REAL_SERVICE = 'taskmanager';
export const REAL_TABLE = 'flink-ecs-autoscaler';
export const REAL_TASK_FAMILY = 'flink-taskmanager';

export interface RealFault {
  readonly atSeconds: number;
  readonly kind: 'kill';
}

export interface RealFlinkRunOptions {
  readonly name: string;
  readonly runDir: string;
  readonly seed?: number;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  /** Task-thread microseconds per record: capacity per slot = 1e6 / workUs. */
  readonly workUs: number;
  readonly checkpointMs: number;
  readonly initialTaskManagers: number;
  /** The product's config (AUTOSCALER_CONFIG); its ecs names are set to the local service. */
  readonly config: AppConfigInput;
  /** The input (records/s) from the load tool's start; held until the end. */
  readonly trace: readonly TraceStep[];
  /** Seconds of trace; undefined: until stop(). */
  readonly durationSeconds?: number;
  readonly faults?: readonly RealFault[];
  /** CloudWatch's delay after the agent's flush (5 s) before a datapoint is visible. */
  readonly ingestionDelaySeconds: number;
  /** Timeline resolution. @default 5 */
  readonly sampleSeconds?: number;
  /** ECS stopTimeout (SIGTERM → SIGKILL). @default 30 */
  readonly stopTimeoutSeconds?: number;
  /** Serve the scaler behind a Lambda endpoint on this port (0: any), with ECS, CloudWatch and DynamoDB on it too. */
  readonly lambda?: { readonly port: number; readonly functionName: string };
  readonly restPort?: number;
  readonly log?: (line: string) => void;
  /** Log every scaler decision with its inputs (the e2e does, to be diagnosable from its output). */
  readonly logTicks?: boolean;
  /** Every `progressEverySeconds` (default 30). */
  readonly onProgress?: (p: RealProgress) => void;
  readonly progressEverySeconds?: number;
}

export interface RealProgress {
  readonly t: number;
  readonly input: number;
  readonly desired: number;
  readonly running: number;
  readonly parallelism: number;
  readonly processing: boolean;
  readonly lag: number;
  readonly note?: string;
}

/** One sample of the real timeline (every sampleSeconds). */
export interface RealSample extends TimelinePoint {
  readonly provisioned: number;
  /** The job's parallelism as Flink REST reports it (0: no job graph). */
  readonly parallelism: number;
  readonly processing: boolean;
  /** Σ FLIP-33 pendingRecords of the source subtasks, latest scrape of each TaskManager. */
  readonly pendingRecords: number;
  /** Σ (log end − the readers' currentOffset + 1), each partition as of its TaskManager's last scrape (readerBacklog). */
  readonly readerBacklog?: number;
  /** The busiest TaskManager's busyTimeMsPerSecond / 1000 (mean of its subtasks), latest scrapes. */
  readonly maxBusy: number;
}

/** A stretch of time during which the job was not processing (restarting or rescaling). */
export interface JobTransition {
  readonly startMs: number;
  readonly endMs: number;
  readonly fromParallelism: number;
  readonly toParallelism: number;
}

export interface KillMeasurement {
  readonly taskId: string;
  readonly killedAtMs: number;
  readonly stoppedEventAtMs?: number;
  readonly partitions: number;
  /** When DynamoDB showed every partition of the victim with another, live owner (FailoverTracker checkpoint). */
  readonly reassignedAtMs?: number;
  /** The newest updatedAt of the victim's partition items after the move. */
  readonly partitionsWrittenAtMs?: number;
  /** Records replayed by the restart: Σ over partitions (last offset emitted before the kill + 1 − the restored start offset). */
  readonly recordsReplayed?: number;
  readonly restartedAtMs?: number;
}

export interface ScaleInVictim {
  readonly taskId: string;
  readonly drainingAtMs?: number;
  readonly partitionsMovedAtMs?: number;
  readonly protectionDroppedAtMs?: number;
  readonly stopRequestedAtMs?: number;
  readonly stoppedAtMs?: number;
  readonly exitCode?: number;
  /** Partitions DynamoDB still gave the victim when its SIGTERM was sent (read at that moment). */
  readonly ownedAtStop?: number;
}

export interface RealFlinkResult {
  readonly run: PolicyRun;
  readonly samples: readonly RealSample[];
  readonly processes: readonly TaskProcessRecord[];
  /** What ECS recorded for each STOPPED task: stopCode and stoppedReason (who stopped it, and why). */
  readonly ecsStops: Readonly<
    Record<string, { readonly stopCode?: string; readonly stoppedReason?: string }>
  >;
  readonly transitions: readonly JobTransition[];
  readonly kills: readonly KillMeasurement[];
  readonly scaleIns: readonly ScaleInVictim[];
  readonly lag: readonly LagReading[];
  /** Epoch ms of the trace's second 0. */
  readonly startedAtMs: number;
  readonly durationSeconds: number;
  readonly physicalMinimumHours: number;
  /** When the scaler's decisions changed the desired count, and the reason (epoch ms). */
  readonly desiredChanges: readonly { atMs: number; from: number; to: number; reason: string }[];
  readonly scrapes: { scrapes: number; failures: number; datums: number };
  readonly config: AppConfigInput;
  readonly agent: FlinkMetricsDefinition;
  readonly requests: Readonly<Record<string, number>>;
}

export interface RealFlinkRun {
  readonly cluster: FlinkCluster;
  readonly cloud: LocalCloud;
  readonly runtime: TaskManagerProcessRuntime;
  readonly scraper: PrometheusScraper;
  readonly scaler: ScalerHandler;
  readonly lambda?: LambdaEndpoint;
  /** The load tool's HTTP endpoint (GET /lag, POST /rate?r=<records/s>). */
  readonly loadUrl: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly config: AppConfigInput;
  /** Epoch ms of the trace's second 0. */
  readonly startedAtMs: number;
  /** Seconds since the trace's start. */
  t(): number;
  /** Resolves with the result when the trace ended or stop() was called; everything is stopped then. */
  readonly done: Promise<RealFlinkResult>;
  /** Ends the run early (the result covers what ran). Idempotent. */
  stop(): Promise<RealFlinkResult>;
  /** The failover tracker (invocation results, fault measurements). */
  readonly failover: FailoverTracker;
  /** Changes the input rate from now on (the load tool's /rate); resolves with the trace second. */
  setRate(rate: number): Promise<number>;
  /** SIGKILL of a RUNNING TaskManager now (the fault), measured as the scenario's faults are. */
  kill(): Promise<string | undefined>;
  /** The newest sample of the timeline. */
  latest(): RealSample | undefined;
}

/** Nominal records/s of `parallelism` slots on P partitions: perSlot × P / ceil(P / parallelism). */
export function nominalCapacity(parallelism: number, perSlot: number, partitions: number): number {
  if (parallelism <= 0) return 0;
  return (perSlot * partitions) / Math.ceil(partitions / parallelism);
}

/** The smallest TaskManager count whose nominal capacity covers `input` (the physical minimum). */
export function physicalMinimum(input: number, perSlot: number, partitions: number, slots: number): number {
  const max = Math.ceil(partitions / slots);
  for (let n = 1; n <= max; n++) if (nominalCapacity(n * slots, perSlot, partitions) >= input) return n;
  return max;
}

/** The agent of the real TaskManagers: the one definition of the Flink metrics, as the demo cluster's and the simulator's. */
export function realAgentConfig(scrapeIntervalSeconds: number): FlinkMetricsDefinition {
  return flinkMetricsDefinition({
    clusterName: REAL_CLUSTER,
    serviceName: REAL_SERVICE,
    scrapeIntervalSeconds,
  });
}

function sum(samples: readonly PrometheusSample[], name: string): number {
  let total = 0;
  for (const s of samples) if (s.name === name && Number.isFinite(s.value)) total += s.value;
  return total;
}

const PENDING = FLINK_METRICS.sourcePendingRecords;
const BUSY = FLINK_METRICS.busyTime;

/** Mean busyTimeMsPerSecond / 1000 of a scrape's subtasks (what the per-TaskManager Average gives). */
function meanBusy(samples: readonly PrometheusSample[]): number {
  const values = samples.filter((m) => m.name === BUSY && Number.isFinite(m.value)).map((m) => m.value);
  return values.length === 0 ? 0 : values.reduce((a, v) => a + v, 0) / values.length / 1000;
}
const CURRENT_OFFSET = FLINK_METRICS.sourceCurrentOffset;

/** Last emitted offset per partition over the scrapes (the greatest when two readers report one). */
function currentOffsets(scrapes: readonly { samples: readonly PrometheusSample[] }[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of scrapes) {
    for (const m of s.samples) {
      if (m.name !== CURRENT_OFFSET || !(m.value >= 0)) continue;
      const p = Number(m.labels.partition);
      out.set(p, Math.max(out.get(p) ?? -1, m.value));
    }
  }
  return out;
}

/**
 * Σ over partitions (log end − the reader's position), each partition as of the last scrape of
 * the TaskManager reading it, with the log end the load tool measured closest to that scrape
 * (log end = committed + lag, per partition). Undefined until every partition was seen.
 */
export function readerBacklog(
  scrapes: readonly { atMs: number; samples: readonly PrometheusSample[] }[],
  readings: readonly LagReading[],
  partitions: number,
): number | undefined {
  const seen = new Set<number>();
  let total = 0;
  for (const s of scrapes) {
    let near: LagReading | undefined;
    for (const r of readings) {
      if (!near || Math.abs(r.epochMs - s.atMs) < Math.abs(near.epochMs - s.atMs)) near = r;
    }
    if (!near?.lagPerPartition || !near.committedPerPartition) return undefined;
    for (const [p, offset] of currentOffsets([s])) {
      if (seen.has(p)) continue;
      seen.add(p);
      const logEnd = (near.committedPerPartition[p] ?? 0) + (near.lagPerPartition[p] ?? 0);
      total += Math.max(0, logEnd - (offset + 1));
    }
  }
  return seen.size === partitions ? total : undefined;
}

/** The first "Adding split(s)" start offset per partition logged by any TaskManager after `afterMs`. */
export function restoredStartOffsets(
  logFiles: readonly string[],
  topic: string,
  afterMs: number,
): Map<number, number> {
  const found = new Map<number, { at: number; offset: number }>();
  const splitRe = new RegExp(`Partition: ${topic}-(\\d+), StartingOffset: (-?\\d+)`, 'g');
  for (const file of logFiles) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('Adding split(s) to reader')) continue;
      const stamp = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3})/.exec(line);
      if (!stamp) continue;
      const at = new Date(`${stamp[1]}T${stamp[2]}.${stamp[3]}`).getTime();
      if (at < afterMs) continue;
      for (const m of line.matchAll(splitRe)) {
        const p = Number(m[1]);
        const offset = Number(m[2]);
        const seen = found.get(p);
        if (offset >= 0 && (!seen || at < seen.at)) found.set(p, { at, offset });
      }
    }
  }
  return new Map([...found].map(([p, v]) => [p, v.offset]));
}

function scheduledEvent(atMs: number, n: number): Record<string, unknown> {
  return {
    version: '0',
    id: `real-tick-${n}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/flink-ecs-autoscaler-tick'],
    detail: {},
  };
}

/** The config with the local service's names (what the deployment's config would name). */
export function withLocalNames(config: AppConfigInput): AppConfigInput {
  return { ...config, ecs: { cluster: REAL_CLUSTER, service: REAL_SERVICE } };
}

/**
 * Starts the cluster (Kafka, the JobManager), the local cloud with the TaskManager service
 * (`initialTaskManagers` JVMs), waits until the job processes at their parallelism, then starts
 * the load, the agent, the schedule and the faults. Resolves once the load runs.
 */
export async function startRealFlinkRun(options: RealFlinkRunOptions): Promise<RealFlinkRun> {
  const log = options.log ?? (() => undefined);
  const config = withLocalNames(options.config);
  const parsed = parseConfig(config);
  const perSlot = 1e6 / options.workUs;
  const P = options.partitions;
  const S = options.slotsPerTaskManager;
  const sampleSeconds = options.sampleSeconds ?? 5;
  const scheduleSeconds = parsed.scheduleSeconds;
  const highResolution = parsed.metrics.periodSeconds < 60;
  // The agent scrapes as the config says (each series gives period / interval datapoints a period).
  const scrapeIntervalSeconds = parsed.metrics.scrapeIntervalSeconds;

  const cluster = await startFlinkCluster({
    runDir: options.runDir,
    partitions: P,
    slotsPerTaskManager: S,
    workUs: options.workUs,
    checkpointMs: options.checkpointMs,
    ...(options.restPort !== undefined ? { restPort: options.restPort } : {}),
    log,
  });
  const cleanups: (() => Promise<void> | void)[] = [() => cluster.stop()];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (error) {
        log(`clean-up: ${(error as Error).message}`);
      }
    }
  };
  try {
    const dynamo: DynaliteHandle = await startDynalite();
    cleanups.push(() => dynamo.close());
    // What each stopped task still owned in DynamoDB when its SIGTERM was sent (read right then).
    const ownedAtSigterm = new Map<string, Promise<number | undefined>>();
    let ownershipStore: DynamoDbStateStore | undefined;
    const runtime = new TaskManagerProcessRuntime({
      onSigterm: (taskId) => {
        const store = ownershipStore;
        if (!store) return;
        ownedAtSigterm.set(
          taskId,
          store
            .readPartitions(parsed.appId)
            .then((items) => items.filter((p) => p.owner === taskId).length)
            .catch(() => undefined),
        );
      },
      rest: cluster.rest,
      env: cluster.env,
      runDir: options.runDir,
      log,
    });
    cleanups.push(() => runtime.close());
    const cloud = await startLocalCloud({
      dynamodbEndpoint: dynamo.endpoint,
      ecs: { seed: options.seed ?? 1 },
    });
    cleanups.push(() => cloud.close());
    const clients: AwsClients = createAwsClients({
      region: 'us-east-1',
      endpoints: { ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint },
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cleanups.push(() => {
      for (const c of Object.values(clients)) c.destroy();
    });
    await createTable(clients.dynamodb, REAL_TABLE);
    const environment = { AUTOSCALER_CONFIG: JSON.stringify(config), TABLE_NAME: REAL_TABLE };
    const scaler = createScalerHandler(
      loadScalerRuntime(
        { ...environment, POWERTOOLS_SERVICE_NAME: 'flink-ecs-autoscaler-real' },
        { clients },
      ),
    );
    // The real clock, read by the tracker at every invocation and checkpoint.
    const clock = {
      get ms() {
        return Date.now();
      },
    };
    const failoverStartMs = Date.now();
    const failover = new FailoverTracker({
      cloud,
      clients,
      config,
      tableName: REAL_TABLE,
      clock,
      startMs: failoverStartMs,
    });
    cleanups.push(() => failover.close());

    cloud.ecs.createCluster(REAL_CLUSTER);
    cloud.ecs.createService({
      cluster: REAL_CLUSTER,
      serviceName: REAL_SERVICE,
      desiredCount: options.initialTaskManagers,
      taskDefinitionFamily: REAL_TASK_FAMILY,
      runtime,
      stopTimeoutSeconds: options.stopTimeoutSeconds ?? 30,
    });
    // The model's own timers (protection expiry, health checks) on the real clock.
    const ecsTicker = setInterval(() => cloud.ecs.advanceTo(Date.now()), 250);
    cleanups.push(() => clearInterval(ecsTicker));

    // ECS events → the failover function, one invocation at a time, as they happen.
    let chain: Promise<void> = Promise.resolve();
    let closing = false;
    const failoverCall = (f: () => Promise<void>): Promise<void> => {
      chain = chain.then(f).catch((error: unknown) => log(`failover: ${(error as Error).message}`));
      return chain;
    };
    const stoppedEvents = new Map<string, number>();
    /** Killed tasks whose STOPPED event has not come yet. */
    const killed = new Set<string>();
    const unsubscribe = cloud.ecs.onTaskStateChange((event) => {
      if (closing || event.detail.group !== `service:${REAL_SERVICE}`) return;
      const taskId = event.detail.taskArn.slice(event.detail.taskArn.lastIndexOf('/') + 1);
      if (event.detail.lastStatus === 'STOPPED' && !stoppedEvents.has(taskId)) {
        stoppedEvents.set(taskId, Date.now());
        if (killed.delete(taskId)) {
          // The tracker notes the victim's partitions now (before this event reaches the failover
          // function) and times their reassignment from here: from the STOPPED event.
          void failoverCall(() => failover.fault('kill', taskId));
        }
      }
      void failoverCall(() => failover.deliver());
    });
    cleanups.push(unsubscribe);

    let job: JobView | undefined;
    const transitions: JobTransition[] = [];
    let notProcessingSince: { atMs: number; parallelism: number } | undefined;
    let lastProcessingParallelism = 0;
    const pollJob = async () => {
      const view = await cluster.rest.jobView().catch(() => undefined);
      const now = Date.now();
      job = view;
      const processing = view?.processing ?? false;
      if (!processing && notProcessingSince === undefined) {
        notProcessingSince = { atMs: now, parallelism: lastProcessingParallelism };
      } else if (processing && view) {
        if (notProcessingSince) {
          transitions.push({
            startMs: notProcessingSince.atMs,
            endMs: now,
            fromParallelism: notProcessingSince.parallelism,
            toParallelism: view.parallelism,
          });
          notProcessingSince = undefined;
        }
        lastProcessingParallelism = view.parallelism;
      }
    };
    const jobTicker = setInterval(() => void pollJob(), 500);
    cleanups.push(() => clearInterval(jobTicker));

    // The first TaskManagers register and the job runs on them.
    const bootStart = Date.now();
    await waitFor(
      `the job to run at parallelism ${options.initialTaskManagers * S}`,
      async () => job?.processing === true && job.parallelism === options.initialTaskManagers * S,
      {
        timeoutMs: 180_000,
        alive: () => {
          const jm = cluster.jobManager.exit();
          return jm ? `the JobManager exited with ${jm.code} (log ${cluster.jobManager.logFile})` : undefined;
        },
      },
    );
    log(
      `job RUNNING at parallelism ${options.initialTaskManagers * S} ${((Date.now() - bootStart) / 1000).toFixed(1)} s after the service was created (Flink web UI ${cluster.webUrl})`,
    );
    await failoverCall(() => failover.reconcile());

    const agent = realAgentConfig(scrapeIntervalSeconds);
    const scraper = new PrometheusScraper({
      cloud,
      agent,
      ingestionDelaySeconds: options.ingestionDelaySeconds,
      highResolution,
      targets: () =>
        cloud.ecs
          .tasks({ cluster: REAL_CLUSTER, serviceName: REAL_SERVICE })
          .filter((t) => t.lastStatus === 'RUNNING')
          .flatMap((t) => {
            const url = runtime.metricsUrl(t.taskId);
            return url ? [{ taskId: t.taskId, url }] : [];
          }),
    });
    scraper.start();
    cleanups.push(() => scraper.stop());

    let lambda: LambdaEndpoint | undefined;
    if (options.lambda) {
      lambda = await startLambdaEndpoint({
        functions: { [options.lambda.functionName]: scaler },
        environments: { [options.lambda.functionName]: environment },
        port: options.lambda.port,
        region: 'us-east-1',
        fallback: (req, res) => cloud.handle(req, res),
      });
      const endpoint = lambda;
      cleanups.push(() => endpoint.close());
    }

    const load: LoadTool = await startLoadTool(cluster, options.trace, options.durationSeconds);
    cleanups.push(() => load.stop());
    const t0 = load.startedAtMs;
    const tNow = () => (Date.now() - t0) / 1000;
    log(`load started: ${options.trace.map((s) => `${s.rate}/s from ${s.atSeconds} s`).join(', ')}`);

    const acc = new RunAccumulator('rate', 60);
    const samples: RealSample[] = [];
    const desiredChanges: { atMs: number; from: number; to: number; reason: string }[] = [];
    const counts = () => cloud.ecs.serviceCounts(REAL_CLUSTER, REAL_SERVICE);

    let ticks = 0;
    const invoke = async (atMs: number, event: unknown, trigger: string) => {
      const before = counts().desiredCount;
      const t = (atMs - t0) / 1000;
      try {
        const d = await scaler(event);
        acc.decision(Math.round(t), trigger, d);
        const after = counts().desiredCount;
        // Every decision with its inputs and problems: what a failed run in CI is diagnosed from.
        if (options.logTicks)
          log(`tick (${trigger}): ${d.reason}, desired ${d.desired} ${JSON.stringify(d.inputs ?? {})}`);
        if (after !== before) {
          desiredChanges.push({ atMs: Date.now(), from: before, to: after, reason: d.reason });
          log(
            `scaler (${trigger}): ${d.reason}, desired ${before} → ${after} ${JSON.stringify(d.inputs ?? {})}`,
          );
        }
        acc.desiredChanged(Math.round(t), before, after);
      } catch (error) {
        log(`scaler: ${(error as Error).message}`);
      }
    };

    const trace: TraceStep[] = [...options.trace];
    const store = new DynamoDbStateStore(clients.dynamodb, REAL_TABLE);
    ownershipStore = store;
    const faults = [...(options.faults ?? [])].sort((a, b) => a.atSeconds - b.atSeconds);
    const faultRng = new Rng(options.seed ?? 1).fork('faults');
    const kills: (KillMeasurement & { restored?: boolean })[] = [];
    const runFault = async (_fault: RealFault): Promise<string | undefined> => {
      const candidates = cloud.ecs
        .tasks({ cluster: REAL_CLUSTER, serviceName: REAL_SERVICE })
        .filter((t) => t.lastStatus === 'RUNNING')
        .map((t) => t.taskId)
        .sort();
      if (candidates.length === 0) return undefined;
      const victim = candidates[faultRng.int(candidates.length)] as string;
      // The readers' positions just before the kill (for the replay), and the victim's partitions.
      const before = await scraper.scrapeAllNow();
      const owned = (await store.readPartitions(parsed.appId).catch(() => [])).filter(
        (p) => p.owner === victim,
      );
      const killedAtMs = Date.now();
      log(`fault: SIGKILL TaskManager ${victim} (pid ${runtime.record(victim)?.pid})`);
      killed.add(victim);
      cloud.ecs.kill(victim);
      const k: KillMeasurement & { before: Map<number, number> } = {
        taskId: victim,
        killedAtMs,
        partitions: owned.length,
        before: currentOffsets(before),
      };
      kills.push(k);
      return victim;
    };

    // Completes the kill measurements: STOPPED event, reassignment, restart, replay.
    const finishKills = async (): Promise<KillMeasurement[]> => {
      const out: KillMeasurement[] = [];
      const summary = failover.summary();
      const partitionItems = await store.readPartitions(parsed.appId).catch(() => []);
      for (const [i, k] of kills.entries()) {
        const ev = summary.events.filter((e) => e.kind === 'kill')[i];
        const moved = partitionItems.filter((p) => p.previousOwner === k.taskId && p.owner !== k.taskId);
        const restart = transitions.find((tr) => tr.endMs > k.killedAtMs);
        const logs = runtime
          .records()
          .map((r) => r.logFile)
          .filter((f): f is string => f !== undefined);
        const before = (k as { before?: Map<number, number> }).before ?? new Map<number, number>();
        const starts = restoredStartOffsets(logs, cluster.topic, k.killedAtMs);
        let replayed: number | undefined;
        if (starts.size > 0 && before.size > 0) {
          replayed = 0;
          for (const [p, last] of before) {
            const start = starts.get(p);
            if (start !== undefined) replayed += Math.max(0, last + 1 - start);
          }
        }
        const { before: _b, ...rest } = k as KillMeasurement & { before?: unknown };
        out.push({
          ...rest,
          ...(stoppedEvents.has(k.taskId) ? { stoppedEventAtMs: stoppedEvents.get(k.taskId) } : {}),
          ...(ev?.reassignedAfterSeconds != null && stoppedEvents.has(k.taskId)
            ? { reassignedAtMs: (stoppedEvents.get(k.taskId) as number) + ev.reassignedAfterSeconds * 1000 }
            : {}),
          ...(moved.length > 0 ? { partitionsWrittenAtMs: Math.max(...moved.map((p) => p.updatedAt)) } : {}),
          ...(restart ? { restartedAtMs: restart.endMs } : {}),
          ...(replayed !== undefined ? { recordsReplayed: replayed } : {}),
        });
      }
      return out;
    };

    const scaleInVictims = async (): Promise<ScaleInVictim[]> => {
      const out = new Map<string, { -readonly [K in keyof ScaleInVictim]: ScaleInVictim[K] }>();
      for (const r of failover.results) {
        const at = Date.parse(r.at);
        for (const id of r.scaleInVictims) if (!out.has(id)) out.set(id, { taskId: id, drainingAtMs: at });
        for (const id of r.protectionDropped) {
          const v = out.get(id);
          if (v && v.protectionDroppedAtMs === undefined) v.protectionDroppedAtMs = at;
        }
        if ((r.movesByReason.Draining ?? 0) > 0) {
          for (const v of out.values()) if ((v.drainingAtMs ?? at) <= at) v.partitionsMovedAtMs ??= at;
        }
      }
      const partitionItems = await store.readPartitions(parsed.appId).catch(() => []);
      for (const v of out.values()) {
        const moved = partitionItems.filter((p) => p.previousOwner === v.taskId && p.owner !== v.taskId);
        if (moved.length > 0) v.partitionsMovedAtMs = Math.max(...moved.map((p) => p.updatedAt));
        const rec = runtime.record(v.taskId);
        if (rec?.stopRequestedAtMs !== undefined) v.stopRequestedAtMs = rec.stopRequestedAtMs;
        if (rec?.stoppedAtMs !== undefined) v.stoppedAtMs = rec.stoppedAtMs;
        if (rec?.exitCode !== undefined) v.exitCode = rec.exitCode;
        const atSigterm = await ownedAtSigterm.get(v.taskId);
        if (atSigterm !== undefined) v.ownedAtStop = atSigterm;
      }
      return [...out.values()];
    };

    let stopRequested = false;
    let resolveStop: () => void = () => undefined;
    const stopSignal = new Promise<void>((resolve) => {
      resolveStop = resolve;
    });
    const durationMs =
      options.durationSeconds === undefined ? Number.POSITIVE_INFINITY : options.durationSeconds * 1000;
    const progressEvery = options.progressEverySeconds ?? 30;

    const sampleNow = (t: number) => {
      const c = counts();
      const all = cloud.ecs.tasks({ cluster: REAL_CLUSTER, serviceName: REAL_SERVICE });
      const input = rateAt(trace, t);
      const j = job;
      const parallelism = j?.parallelism ?? 0;
      const processing = j?.processing ?? false;
      const capacity = processing ? nominalCapacity(parallelism, perSlot, P) : 0;
      const r = load.latest();
      const backlog = r?.lag ?? 0;
      const scrapes = scraper.latest();
      const pending = scrapes.reduce((n, s) => n + sum(s.samples, PENDING), 0);
      // The readings of the last two scrape intervals are enough to find each scrape's nearest one.
      const recent = load.readings.slice(-2 * scrapeIntervalSeconds - 5);
      const atReaders = readerBacklog(scrapes, recent, P);
      const lagSeconds = backlog > 0 ? backlog / Math.max(1, input) : 0;
      const point: RealSample = {
        t,
        input,
        capacity,
        desired: c.desiredCount,
        running: c.runningCount,
        backlog,
        lagSeconds: Number(lagSeconds.toFixed(1)),
        physicalMinimum: physicalMinimum(input, perSlot, P, S),
        provisioned: all.length,
        parallelism,
        processing,
        pendingRecords: pending,
        maxBusy: Number(Math.max(0, ...scrapes.map((x) => meanBusy(x.samples))).toFixed(3)),
        ...(atReaders !== undefined ? { readerBacklog: atReaders } : {}),
      };
      samples.push(point);
      acc.step({
        t,
        dt: sampleSeconds,
        input,
        capacity,
        desired: c.desiredCount,
        running: c.runningCount,
        provisioned: all.length,
        backlog,
        lagSeconds,
        physicalMinimum: point.physicalMinimum,
      });
      if (options.onProgress && t % progressEvery === 0) {
        options.onProgress({
          t,
          input,
          desired: c.desiredCount,
          running: c.runningCount,
          parallelism,
          processing,
          lag: backlog,
        });
      }
    };

    const loop = (async () => {
      let nextSample = sampleSeconds;
      let nextTickMs = Math.ceil(Date.now() / (scheduleSeconds * 1000)) * scheduleSeconds * 1000;
      let faultIndex = 0;
      while (!stopRequested) {
        const now = Date.now();
        const t = (now - t0) / 1000;
        if (t * 1000 >= durationMs) break;
        while (faultIndex < faults.length && (faults[faultIndex]?.atSeconds ?? Infinity) <= t) {
          await runFault(faults[faultIndex] as RealFault);
          faultIndex++;
        }
        if (t >= nextSample) {
          sampleNow(nextSample);
          nextSample += sampleSeconds;
        }
        if (now >= nextTickMs) {
          const at = nextTickMs;
          nextTickMs += scheduleSeconds * 1000;
          await invoke(at, scheduledEvent(at, ++ticks), 'schedule');
          await failoverCall(() => failover.reconcile());
        }
        await Promise.race([sleep(100), stopSignal]);
      }
    })();

    let result: Promise<RealFlinkResult> | undefined;
    const finish = async (): Promise<RealFlinkResult> => {
      let collected: RealFlinkResult;
      try {
        collected = await collect();
      } finally {
        await cleanup();
      }
      // After the clean-up: every process record has its exit.
      const ecsStops: Record<string, { stopCode?: string; stoppedReason?: string }> = {};
      for (const p of runtime.records()) {
        const t = cloud.ecs.task(p.taskId);
        if (t?.lastStatus === 'STOPPED') {
          ecsStops[p.taskId] = {
            ...(t.stopCode ? { stopCode: t.stopCode } : {}),
            ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
          };
        }
      }
      return { ...collected, processes: runtime.records(), ecsStops };
    };
    const collect = async (): Promise<RealFlinkResult> => {
      await loop.catch((error: unknown) => log(`run loop: ${(error as Error).message}`));
      await chain;
      const endT = Math.min(tNow(), durationMs / 1000);
      const killsOut = await finishKills();
      const scaleIns = await scaleInVictims();
      closing = true;
      const processes = runtime.records();
      const requests: Record<string, number> = {};
      for (const q of cloud.requests)
        requests[`${q.service}:${q.operation}`] = (requests[`${q.service}:${q.operation}`] ?? 0) + 1;
      // The tracker counts from its own start (before the boot); the run's seconds count from the load's.
      const summary = failover.summary();
      const shift = (t0 - failoverStartMs) / 1000;
      const run = acc.finish(
        {
          ...summary,
          events: summary.events.map((e) => ({ ...e, atSeconds: Number((e.atSeconds - shift).toFixed(1)) })),
        },
        true,
      );
      return {
        run: { ...run, timeline: samples },
        samples,
        processes,
        ecsStops: {},
        transitions,
        kills: killsOut,
        scaleIns,
        lag: load.readings,
        startedAtMs: t0,
        durationSeconds: Math.round(endT),
        physicalMinimumHours: acc.physicalMinimumHours(),
        desiredChanges,
        scrapes: { ...scraper.counts },
        config,
        agent,
        requests,
      };
    };
    result = loop.catch(() => undefined).then(finish);

    return {
      cluster,
      cloud,
      runtime,
      scraper,
      scaler,
      ...(lambda ? { lambda } : {}),
      dynamodbEndpoint: dynamo.endpoint,
      loadUrl: load.url,
      tableName: REAL_TABLE,
      config,
      startedAtMs: t0,
      t: tNow,
      done: result,
      failover,
      async setRate(rate) {
        const t = await load.setRate(rate);
        trace.splice(0, trace.length, ...trace.filter((step) => step.atSeconds < t), { atSeconds: t, rate });
        log(`load: ${rate} records/s from ${t.toFixed(1)} s`);
        return t;
      },
      kill: () => runFault({ atSeconds: tNow(), kind: 'kill' }),
      latest: () => samples.at(-1),
      stop() {
        stopRequested = true;
        resolveStop();
        return result as Promise<RealFlinkResult>;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
