/**
 * What the controller itself costs on AWS per month, measured: the real scaler and failover
 * handlers run through the engine (playground/src/engine.ts) against the local cloud and
 * dynalite for a fleet of the given size, with the ground-truth Flink model sized to it, and
 * everything they send is counted from what was served (playground/bench/cost-meter.ts), then
 * scaled from the simulated hours to a month (730 h) and priced from one table
 * (playground/bench/prices.ts).
 *
 *   npx tsx playground/bench/controller-cost.ts --task-managers 50 --partitions 1000 --hours 24 --json
 *
 * The fleet: `--task-managers` TaskManagers of 2 slots reading `--partitions` Kafka partitions
 * at 65% of their capacity (5% noise every 5 minutes), bounds 1 to 2× the fleet: the steady
 * state the controller runs in most of the time; `--load diurnal`: a day from 30% to 85% of
 * that capacity, so that the fleet rescales and TaskManagers join and leave. The first
 * `--warmup-minutes` (30) are run but not counted: the bootstrap assigns every partition and
 * protects every TaskManager once. Progress goes to stderr (a 24 h run at 500 TaskManagers
 * takes 6 to 9 minutes on 2 shared cores). Lambda durations are this process's wall time per
 * invocation plus `--api-latency-ms` per AWS request it sent (the local cloud answers
 * in microseconds, AWS in milliseconds; counted as if sent one after another, an upper bound),
 * billed at the memory size the infra deploys. Not included (fixed, whatever the fleet and
 * the traffic): the control-plane stack's CloudWatch alarms and dashboard.
 *
 * Apart from the controller's bill, `userFlinkMetrics`: what the TaskManagers' own metrics
 * cost to publish through the CloudWatch agent sidecars (lib/core/flink-metrics.ts): the
 * custom metrics of its dimension sets, and the EMF log events the agents write for the
 * scrapes of the run (sampled in the first minute of each hour, playground/bench/cost-meter.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from 'flink-ecs-autoscaler/lib/core/config';
import { publishedMetricCounts } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import {
  SIM_EPOCH_MS,
  scenarioAppConfig,
  scenarioModel,
  simAgentConfig,
  simulatePolicy,
} from '../src/engine';
import { computeDefaultMaxParallelism } from '../src/model/hash';
import { type LoadedScenario, parseScenario, scenarioTrace } from '../src/scenario';
import { CostMeter, type FunctionName } from './cost-meter';
import { HOURS_PER_MONTH, PRICES } from './prices';

export interface CostOptions {
  readonly taskManagers: number;
  readonly partitions: number;
  readonly hours: number;
  readonly slotsPerTaskManager?: number;
  readonly apiLatencyMs?: number;
  readonly memoryMb?: number;
  /** Simulated minutes not counted at the start (the bootstrap assigns every partition once). @default 30 */
  readonly warmupMinutes?: number;
  /** @default 'steady' */
  readonly load?: CostLoad;
  readonly onProgress?: (fraction: number) => void;
}

/** The functions' memory size and log level as the infra deploys them (infra/constructs/flink-autoscaler.ts). */
export function deployedFunctionSettings(): { memoryMb: number; logLevel: string } {
  const root = dirname(createRequire(import.meta.url).resolve('flink-ecs-autoscaler/package.json'));
  const file = join(root, 'infra/constructs/flink-autoscaler.ts');
  const text = readFileSync(file, 'utf8');
  const memory = /memorySize: props\.memorySize \?\? (\d+)/.exec(text)?.[1];
  const logLevel = /logLevel: props\.logLevel \?\? '(\w+)'/.exec(text)?.[1];
  if (memory === undefined || logLevel === undefined) {
    throw new Error(
      `cannot read the functions' default memorySize and logLevel from ${file}: pass --memory-mb`,
    );
  }
  return { memoryMb: Number(memory), logLevel };
}

/**
 * The load of a run: `steady`, 65% of the fleet's capacity (5% noise every 5 minutes), the
 * state the controller runs in most of the time; `diurnal`, a day from 30% to 85% of it
 * (peak at 14:00 of the simulated day, the same noise), so that the fleet rescales and
 * TaskManagers join and leave: what every change of the fleet costs is in the count.
 */
export type CostLoad = 'steady' | 'diurnal';
export const COST_LOADS: readonly CostLoad[] = ['steady', 'diurnal'];

/** The fleet the bench runs: `taskManagers` TaskManagers (at the peak, for `diurnal`). */
export function costScenario(o: {
  taskManagers: number;
  partitions: number;
  hours: number;
  slotsPerTaskManager: number;
  load?: CostLoad;
  /** Seconds of the scenario before the day starts (the uncounted warm-up). @default 0 */
  offsetSeconds?: number;
}): LoadedScenario {
  const cluster = {
    partitions: o.partitions,
    slotsPerTaskManager: o.slotsPerTaskManager,
    recordsPerSecondPerSlot: 500,
    // diurnal: about what the night's load needs (the policy settles it during the warm-up).
    initialTaskManagers:
      o.load === 'diurnal' ? Math.max(1, Math.round(0.5 * o.taskManagers)) : o.taskManagers,
    minTaskManagers: 1,
    maxTaskManagers: 2 * o.taskManagers,
    startupSeconds: 60,
    restartSeconds: 30,
    checkpointIntervalSeconds: 60,
    // Every slot of the fleet can run a subtask (reactive mode: parallelism = min(slots, maxParallelism)).
    job: { maxParallelism: computeDefaultMaxParallelism(o.taskManagers * o.slotsPerTaskManager) },
  };
  const sizing = parseScenario({
    name: 'controller-cost',
    seed: 5,
    durationSeconds: 60,
    stepSeconds: 10,
    trace: { shape: 'constant', rate: 1 },
    cluster,
  });
  const capacity = scenarioModel(sizing).capacityOf(o.taskManagers);
  const load = o.load ?? 'steady';
  const level =
    load === 'steady'
      ? { shape: 'constant' as const, rate: Math.round(0.65 * capacity) }
      : {
          shape: 'diurnal' as const,
          base: Math.round(0.3 * capacity),
          peak: Math.round(0.85 * capacity),
          periodSeconds: 86_400,
          // 14:00 of the counted day (the warm-up runs before it).
          peakAtSeconds: (o.offsetSeconds ?? 0) + 14 * 3600,
        };
  const scenario = parseScenario({
    name: 'controller-cost',
    description:
      load === 'steady'
        ? `${o.taskManagers} TaskManagers at 65% of their capacity`
        : `a day from 30% to 85% of the capacity of ${o.taskManagers} TaskManagers`,
    seed: 5,
    durationSeconds: Math.round(o.hours * 3600),
    stepSeconds: 10,
    trace: { shapes: [level, { shape: 'noise', noisePct: 5, everySeconds: 300 }] },
    cluster,
  });
  return { path: 'inline', scenario, trace: scenarioTrace(scenario) };
}

const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

/** The running fleet over the counted part of a run (timeline points from `fromSeconds` on). */
export function fleetOver(
  timeline: readonly { readonly t: number; readonly desired: number; readonly running: number }[],
  fromSeconds: number,
): { meanRunning: number; minRunning: number; maxRunning: number; desiredChanges: number } {
  const points = timeline.filter((p) => p.t > fromSeconds);
  const running = points.map((p) => p.running);
  let changes = 0;
  for (let i = 1; i < points.length; i++) {
    if ((points[i] as (typeof points)[number]).desired !== (points[i - 1] as (typeof points)[number]).desired)
      changes++;
  }
  return {
    meanRunning: round(running.reduce((a, r) => a + r, 0) / Math.max(1, running.length), 1),
    minRunning: running.length > 0 ? Math.min(...running) : 0,
    maxRunning: running.length > 0 ? Math.max(...running) : 0,
    desiredChanges: changes,
  };
}

export async function measureControllerCost(o: CostOptions) {
  const slots = o.slotsPerTaskManager ?? 2;
  const apiLatencyMs = o.apiLatencyMs ?? 20;
  const deployed = deployedFunctionSettings();
  const memoryMb = o.memoryMb ?? deployed.memoryMb;
  const warmupMinutes = o.warmupMinutes ?? 30;
  const load = o.load ?? 'steady';
  const loaded = costScenario({
    ...o,
    hours: o.hours + warmupMinutes / 60,
    slotsPerTaskManager: slots,
    load,
    offsetSeconds: warmupMinutes * 60,
  });
  const definition = simAgentConfig();
  const meter = new CostMeter(SIM_EPOCH_MS + warmupMinutes * 60_000, definition);
  // The functions log and publish metrics as deployed.
  const env = { level: process.env.POWERTOOLS_LOG_LEVEL, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  process.env.POWERTOOLS_LOG_LEVEL = deployed.logLevel;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  const wallStart = performance.now();
  meter.start();
  let run: Awaited<ReturnType<typeof simulatePolicy>>;
  try {
    run = await simulatePolicy(loaded, 'rate', {
      instrument: meter,
      ...(o.onProgress ? { onProgress: (_p: string, f: number) => o.onProgress?.(f) } : {}),
    });
  } finally {
    meter.stop();
    if (env.level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = env.level;
    if (env.disabled !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = env.disabled;
  }
  const simulatedHours = loaded.scenario.durationSeconds / 3600 - warmupMinutes / 60;
  const perMonth = HOURS_PER_MONTH / simulatedHours;

  const fns: FunctionName[] = ['scaler', 'failover'];
  const byFn = Object.fromEntries(
    fns.map((fn) => {
      const list = meter.invocations.filter((i) => i.fn === fn);
      const durations = list.map((i) => i.durationMs).sort((a, b) => a - b);
      const billedMs = list.reduce((a, i) => a + Math.ceil(i.durationMs + i.requests * apiLatencyMs), 0);
      const metrics = list.reduce((a, i) => a + i.metricsRequested, 0);
      return [
        fn,
        {
          invocations: list.length,
          meanDurationMs: round(durations.reduce((a, d) => a + d, 0) / Math.max(1, list.length)),
          p99DurationMs: round(durations[Math.floor(0.99 * (durations.length - 1))] ?? 0),
          meanRequests: round(list.reduce((a, i) => a + i.requests, 0) / Math.max(1, list.length)),
          billedSeconds: billedMs / 1000,
          getMetricDataRequests: list.reduce((a, i) => a + i.getMetricDataRequests, 0),
          getMetricDataMetrics: metrics,
          metricsPerInvocation: round(metrics / Math.max(1, list.length)),
          logBytes: list.reduce((a, i) => a + i.logBytes, 0),
        },
      ];
    }),
  ) as Record<
    FunctionName,
    {
      invocations: number;
      meanDurationMs: number;
      p99DurationMs: number;
      meanRequests: number;
      billedSeconds: number;
      getMetricDataRequests: number;
      getMetricDataMetrics: number;
      metricsPerInvocation: number;
      logBytes: number;
    }
  >;
  const sum = (f: (x: (typeof byFn)[FunctionName]) => number) => fns.reduce((a, fn) => a + f(byFn[fn]), 0);
  const invocations = sum((x) => x.invocations) * perMonth;
  const gbSeconds = ((sum((x) => x.billedSeconds) * memoryMb) / 1024) * perMonth;
  const getMetricDataMetrics = sum((x) => x.getMetricDataMetrics) * perMonth;
  const ecsByOperation = Object.fromEntries(
    Object.entries(meter.requestsByOperation)
      .filter(([k]) => k.startsWith('ecs:'))
      .map(([k, v]) => [k.slice(4), Math.round(v * perMonth)]),
  );
  const ecsCalls = Object.values(ecsByOperation).reduce((a, v) => a + v, 0);
  const readUnits = meter.dynamo.reduce((a, d) => a + d.readUnits, 0) * perMonth;
  const writeUnits = meter.dynamo.reduce((a, d) => a + d.writeUnits, 0) * perMonth;
  // A custom metric costs its share of the month: the hours it was sent in, of the simulated hours.
  const customMetrics = [...meter.customMetrics.values()].reduce(
    (a, hours) => a + Math.min(1, hours.size / simulatedHours),
    0,
  );
  const logBytes = sum((x) => x.logBytes) * perMonth;
  const P = PRICES;
  const usd = {
    lambdaRequests: (invocations / 1e6) * P.lambda.perMillionRequests,
    lambdaDuration: gbSeconds * P.lambda.perGbSecondArm,
    getMetricData: (getMetricDataMetrics / 1000) * P.cloudwatch.getMetricDataPerThousandMetrics,
    ecs: ecsCalls * P.ecs.perRequest,
    dynamodbReads: (readUnits / 1e6) * P.dynamodb.perMillionReadRequestUnits,
    dynamodbWrites: (writeUnits / 1e6) * P.dynamodb.perMillionWriteRequestUnits,
    customMetrics: customMetrics * P.cloudwatch.customMetricPerMonth,
    logsIngestion: (logBytes / 1e9) * P.cloudwatch.logsIngestionPerGb,
    logsStorage: (logBytes / 1e9) * P.cloudwatch.logsStoragePerGbMonth,
    // Lambda's active tracing records a trace per invocation at this rate (1 a second, then 5%).
    xrayTraces: (invocations / 1e6) * P.xray.perMillionTracesRecorded,
  };
  const usdPerMonth = Object.values(usd).reduce((a, v) => a + v, 0);
  const published = publishedMetricCounts(definition);
  // The agents' EMF log events: the sampled minutes' bytes, per minute of the month.
  const sampled = Math.max(1, meter.agentLogs.sampledMinutes.size);
  const agentLogBytes = (meter.agentLogs.bytes / sampled) * HOURS_PER_MONTH * 60;
  const userCustomMetrics = meter.publishedCustomMetrics(definition.namespace, simulatedHours);
  const userUsd = {
    customMetrics: userCustomMetrics * P.cloudwatch.customMetricPerMonth,
    logsIngestion: (agentLogBytes / 1e9) * P.cloudwatch.logsIngestionPerGb,
    logsStorage: (agentLogBytes / 1e9) * P.cloudwatch.logsStoragePerGbMonth,
  };
  const config = parseConfig(scenarioAppConfig(loaded.scenario, 'rate'));
  return {
    taskManagers: o.taskManagers,
    partitions: o.partitions,
    slotsPerTaskManager: slots,
    simulatedHours,
    warmupMinutesNotCounted: warmupMinutes,
    wallSeconds: round((performance.now() - wallStart) / 1000, 1),
    load,
    fleet: fleetOver(run.run.timeline, warmupMinutes * 60),
    config: {
      policy: config.policy.mode,
      metrics: config.metrics.preset,
      backlog: config.metrics.backlog?.preset ?? null,
      inputRate: config.metrics.inputRate?.preset ?? null,
      scheduleSeconds: config.scheduleSeconds,
    },
    lambda: { memoryMb, architecture: 'arm64', apiLatencyMs },
    perFunction: byFn,
    perMonth: {
      lambdaInvocations: Math.round(invocations),
      lambdaGbSeconds: round(gbSeconds, 1),
      getMetricDataRequests: Math.round(sum((x) => x.getMetricDataRequests) * perMonth),
      getMetricDataMetrics: Math.round(getMetricDataMetrics),
      getMetricDataMetricsByQuery: Object.fromEntries(
        Object.entries(meter.metricsByQuery)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, Math.round(v * perMonth)]),
      ),
      ecsCalls,
      ecsCallsByOperation: ecsByOperation,
      dynamodbRequests: Math.round(meter.dynamo.length * perMonth),
      dynamodbReadRequestUnits: Math.round(readUnits),
      dynamodbWriteRequestUnits: Math.round(writeUnits),
      emfCustomMetrics: round(customMetrics, 2),
      emfCustomMetricNames: [...meter.customMetrics.keys()].sort(),
      logBytes: Math.round(logBytes),
      xrayTraces: Math.round(invocations),
    },
    usd: Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, round(v, 3)])),
    usdPerMonth: round(usdPerMonth, 2),
    getMetricDataMetricsPerMonth: Math.round(getMetricDataMetrics),
    notIncluded:
      'the control-plane stack’s CloudWatch alarms and dashboard (fixed: $0.10 per alarm, $3 per dashboard beyond the first 3, per month); the free tiers',
    userFlinkMetrics: {
      customMetricsPerTaskManager: published.perTaskManager,
      customMetricsPerService: published.perService,
      customMetrics: round(userCustomMetrics, 2),
      agentLogEventsPerMonth: Math.round((meter.agentLogs.events / sampled) * HOURS_PER_MONTH * 60),
      agentLogBytesPerMonth: Math.round(agentLogBytes),
      usd: Object.fromEntries(Object.entries(userUsd).map(([k, v]) => [k, round(v, 2)])),
      usdPerMonth: round(
        Object.values(userUsd).reduce((a, v) => a + v, 0),
        2,
      ),
    },
    prices: { readOn: P.readOn, region: P.region, table: 'playground/bench/prices.ts' },
  };
}

function costLoad(v: string | undefined): CostLoad {
  const load = COST_LOADS.find((l) => l === v);
  if (load === undefined) throw new Error(`--load: must be one of ${COST_LOADS.join(', ')}, got ${v}`);
  return load;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'task-managers': { type: 'string', default: '50' },
      partitions: { type: 'string', default: '1000' },
      hours: { type: 'string', default: '24' },
      slots: { type: 'string', default: '2' },
      'api-latency-ms': { type: 'string', default: '20' },
      'memory-mb': { type: 'string' },
      'warmup-minutes': { type: 'string', default: '30' },
      load: { type: 'string', default: 'steady' },
      json: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: must be a positive number, got ${v}`);
    return n;
  };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let last = -1;
  const t0 = performance.now();
  const result = await measureControllerCost({
    taskManagers: Math.round(number('task-managers', values['task-managers'])),
    partitions: Math.round(number('partitions', values.partitions)),
    hours: number('hours', values.hours),
    slotsPerTaskManager: Math.round(number('slots', values.slots)),
    apiLatencyMs: Number(values['api-latency-ms']),
    ...(values['memory-mb'] ? { memoryMb: number('memory-mb', values['memory-mb']) } : {}),
    warmupMinutes: Number(values['warmup-minutes']),
    load: costLoad(values.load),
    onProgress: (f) => {
      const pct = Math.floor(f * 10) * 10;
      if (pct === last) return;
      last = pct;
      process.stderr.write(`controller-cost: ${pct}% (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    },
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const m = result.perMonth;
  const lines = [
    `controller cost at ${result.taskManagers} TaskManagers, ${result.partitions} partitions (${result.simulatedHours} h simulated, ${result.wallSeconds} s):`,
    `  Lambda        ${m.lambdaInvocations} invocations, ${m.lambdaGbSeconds} GB-s   $${round((result.usd.lambdaRequests ?? 0) + (result.usd.lambdaDuration ?? 0), 3)}`,
    `  GetMetricData ${m.getMetricDataMetrics} metrics in ${m.getMetricDataRequests} requests   $${result.usd.getMetricData}`,
    `  ECS           ${m.ecsCalls} calls   $0`,
    `  DynamoDB      ${m.dynamodbReadRequestUnits} RRU, ${m.dynamodbWriteRequestUnits} WRU   $${round((result.usd.dynamodbReads ?? 0) + (result.usd.dynamodbWrites ?? 0), 3)}`,
    `  EMF           ${m.emfCustomMetrics} custom metrics   $${result.usd.customMetrics}`,
    `  Logs          ${m.logBytes} bytes   $${round((result.usd.logsIngestion ?? 0) + (result.usd.logsStorage ?? 0), 3)}`,
    `  X-Ray         ${m.xrayTraces} traces   $${result.usd.xrayTraces}`,
    `  total         $${result.usdPerMonth} per month`,
    `your Flink metrics (the agent sidecars, not the controller): ${result.userFlinkMetrics.customMetrics} custom metrics, ${round(result.userFlinkMetrics.agentLogBytesPerMonth / 1e9, 1)} GB of EMF log events   $${result.userFlinkMetrics.usdPerMonth} per month`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`controller-cost: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
