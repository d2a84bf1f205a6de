/**
 * `flink-ecs-autoscaler local up`: the local cloud (ECS + CloudWatch), dynalite and the
 * simulated Flink cluster of playground/src/engine, run in accelerated real time (the simulated
 * clock advances `speed`× wall time), with the real scaler handler behind a
 * Lambda-compatible invoke endpoint on 127.0.0.1. One port serves all four services: Lambda
 * by its REST paths, ECS and CloudWatch (JSON) by X-Amz-Target, CloudWatch's query protocol
 * by its form's Action, and DynamoDB (X-Amz-Target DynamoDB_20120810.*) passed through to
 * dynalite — so the operator CLI, the AWS SDKs and the AWS CLI all work against it with the
 * `AWS_ENDPOINT_URL_<SERVICE>` variables it prints. The scaler's schedule ticks, alarms and the
 * failover function run inside the engine as in `simulate`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AutoscalerError } from 'flink-ecs-autoscaler/lib/core/errors';
import { scalerMode } from './baselines/controller';
import type { LocalCloud } from './cloud/local-cloud';
import {
  type LiveRun,
  SIM_CLUSTER,
  SIM_EPOCH_MS,
  SIM_SERVICE,
  SIM_TABLE,
  scenarioAppConfig,
  simulatePolicy,
} from './engine';
import { type LambdaEndpoint, startLambdaEndpoint } from './lambda-endpoint';
import {
  type LoadedScenario,
  parseScenario,
  type ScenarioInput,
  scenarioTrace,
  traceRateAt,
} from './scenario';

export const LOCAL_FUNCTION_NAME = 'flink-ecs-autoscaler-local';
export const LOCAL_REGION = 'us-east-1';
export const DEFAULT_SPEED = 60;
export const MAX_SPEED = 10_000;
export const LOCAL_POLICIES = ['rate', 'threshold'] as const;
export type LocalPolicy = (typeof LOCAL_POLICIES)[number];

/**
 * The built-in playground: a week of daily swells (1,500 to 5,000 records/s, ±5% noise) on
 * 32 partitions, 2 slots and 500 records/s per slot: 2 to 6 TaskManagers, bounds 1 to 24.
 */
export const PLAYGROUND_SCENARIO: ScenarioInput = {
  name: 'local-playground',
  description: 'A week of daily swells for the operator CLI to play with',
  seed: 11,
  durationSeconds: 7 * 86_400,
  stepSeconds: 10,
  trace: {
    shapes: [
      { shape: 'diurnal', base: 1500, peak: 5000, periodSeconds: 86_400, peakAtSeconds: 14 * 3600 },
      { shape: 'noise', noisePct: 5, everySeconds: 300 },
    ],
  },
  cluster: {
    partitions: 32,
    slotsPerTaskManager: 2,
    recordsPerSecondPerSlot: 500,
    initialTaskManagers: 2,
    minTaskManagers: 1,
    maxTaskManagers: 24,
    startupSeconds: 60,
    restartSeconds: 30,
    checkpointIntervalSeconds: 60,
  },
  sloLagSeconds: 60,
  // An alarm, so that DescribeAlarms shows one and the scaler gets alarm-triggered evaluations.
  alarms: [{ name: 'local-playground-lag-high', metric: 'lagSeconds', threshold: 60, evaluationPeriods: 3 }],
};

export function playgroundScenario(): LoadedScenario {
  const scenario = parseScenario(PLAYGROUND_SCENARIO, 'built-in local playground');
  return { path: '(built-in)', scenario, trace: scenarioTrace(scenario) };
}

/** The state of the simulated service at a moment, for progress lines. */
export interface LocalSnapshot {
  readonly simSeconds: number;
  readonly at: Date;
  readonly inputRate: number;
  readonly desired: number;
  readonly running: number;
  readonly pending: number;
}

export interface LocalUpOptions {
  /** Port of the Lambda endpoint on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** Simulated seconds per wall second. @default 60 */
  readonly speed?: number;
  /** @default the built-in playground (playgroundScenario) */
  readonly scenario?: LoadedScenario;
  /** The name the scaler function is served under. @default 'flink-ecs-autoscaler-local' */
  readonly functionName?: string;
  /** @default 'rate' */
  readonly policy?: LocalPolicy;
  /** Called every `reportEverySeconds` of simulated time. */
  readonly onReport?: (snapshot: LocalSnapshot) => void;
  /** @default 600 */
  readonly reportEverySeconds?: number;
}

export interface LocalUpEnd {
  /** `stopped`: close() was called; `ended`: the scenario's duration was reached. */
  readonly reason: 'stopped' | 'ended';
  readonly simSeconds: number;
}

/** The endpoint of each service (all the same listener). */
export interface LocalEndpoints {
  readonly ecs: string;
  readonly cloudwatch: string;
  readonly dynamodb: string;
  readonly lambda: string;
}

export interface LocalUp {
  /** The endpoint of every service, e.g. http://127.0.0.1:9500 */
  readonly endpoint: string;
  readonly endpoints: LocalEndpoints;
  /** The simulated ECS cluster and TaskManager service, and the DynamoDB table. */
  readonly cluster: string;
  readonly service: string;
  readonly tableName: string;
  readonly port: number;
  readonly functionName: string;
  readonly region: string;
  readonly speed: number;
  readonly scenario: LoadedScenario;
  readonly cloud: LocalCloud;
  readonly lambda: LambdaEndpoint;
  /** Simulated seconds since the start. */
  simSeconds(): number;
  snapshot(): LocalSnapshot;
  /** Resolves when the run is over (stopped, or the scenario ended); rejects if the engine failed. */
  readonly done: Promise<LocalUpEnd>;
  /** Stops accepting invokes (those in flight finish), stops the clock, closes everything. Idempotent. */
  close(): Promise<LocalUpEnd>;
}

/** local up could not start (a bad option, or the port is taken). */
export class LocalUpError extends AutoscalerError {}

function checkOptions(speed: number, port: number): void {
  if (!Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
    throw new LocalUpError(`speed: must be a number above 0 and at most ${MAX_SPEED} (got ${speed})`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalUpError(`port: must be a whole number from 0 to 65535 (got ${port})`);
  }
}

/** Starts everything; resolves once the Lambda endpoint answers invokes. */
export async function startLocalUp(options: LocalUpOptions = {}): Promise<LocalUp> {
  const speed = options.speed ?? DEFAULT_SPEED;
  const port = options.port ?? 0;
  checkOptions(speed, port);
  const loaded = options.scenario ?? playgroundScenario();
  const functionName = options.functionName ?? LOCAL_FUNCTION_NAME;
  const reportEvery = options.reportEverySeconds ?? 600;
  const policy = options.policy ?? 'rate';
  // What GetFunctionConfiguration reports: the environment the engine gives the scaler handler.
  const environment = {
    AUTOSCALER_CONFIG: JSON.stringify(scenarioAppConfig(loaded.scenario, scalerMode(policy))),
    TABLE_NAME: SIM_TABLE,
  };
  // The functions' structured logs and EMF metrics would drown the playground's output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const abort = new AbortController();
  let live: LiveRun | undefined;
  let lambda: LambdaEndpoint | undefined;
  let wallStart = 0;
  let simNow = 0;
  const snapshot = (): LocalSnapshot => {
    const counts = live?.cloud.ecs.serviceCounts(SIM_CLUSTER, SIM_SERVICE);
    return {
      simSeconds: simNow,
      at: new Date(SIM_EPOCH_MS + simNow * 1000),
      inputRate: traceRateAt(loaded.trace, simNow),
      desired: counts?.desiredCount ?? 0,
      running: counts?.runningCount ?? 0,
      pending: counts?.pendingCount ?? 0,
    };
  };

  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const run = simulatePolicy(loaded, policy, {
    signal: abort.signal,
    onStart: async (l) => {
      live = l;
      try {
        lambda = await startLambdaEndpoint({
          functions: { [functionName]: l.scaler },
          environments: { [functionName]: environment },
          port,
          region: LOCAL_REGION,
          fallback: (req, res) => l.cloud.handle(req, res),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw code === 'EADDRINUSE' || code === 'EACCES'
          ? new LocalUpError(
              `port ${port}: ${code === 'EADDRINUSE' ? 'already in use' : 'not allowed'} on 127.0.0.1`,
              {
                cause: error,
              },
            )
          : error;
      }
      wallStart = performance.now();
      ready();
    },
    pace: async (simSeconds) => {
      simNow = simSeconds;
      if (options.onReport && simSeconds % reportEvery === 0) options.onReport(snapshot());
      if (simSeconds >= loaded.scenario.durationSeconds) {
        // The last step: no invoke may be in flight when the engine closes the cloud.
        await lambda?.close();
        return;
      }
      const wait = wallStart + (simSeconds * 1000) / speed - performance.now();
      // Far behind (a slow machine, a suspended laptop): drop the debt instead of sprinting.
      if (wait < -2000) wallStart -= wait;
      if (wait > 0) await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined);
    },
  });

  let stopping = false;
  const done: Promise<LocalUpEnd> = run.then(
    async () => {
      await lambda?.close();
      return { reason: stopping ? 'stopped' : 'ended', simSeconds: simNow };
    },
    async (error: unknown) => {
      // The engine failed: nothing may keep serving invokes against a closed cloud.
      await lambda?.close();
      throw error;
    },
  );
  // Until the endpoint is up, a failure of the run is a failure to start.
  await Promise.race([
    started,
    done.then(() => Promise.reject(new LocalUpError('the simulation ended before it started'))),
  ]);
  const endpoint = lambda as LambdaEndpoint | undefined;
  const cloud = live?.cloud;
  if (!endpoint || !cloud) throw new LocalUpError('the simulation did not start');
  done.catch(() => undefined);

  let closing: Promise<LocalUpEnd> | undefined;
  return {
    endpoint: endpoint.endpoint,
    endpoints: {
      ecs: endpoint.endpoint,
      cloudwatch: endpoint.endpoint,
      dynamodb: endpoint.endpoint,
      lambda: endpoint.endpoint,
    },
    cluster: SIM_CLUSTER,
    service: SIM_SERVICE,
    tableName: SIM_TABLE,
    port: endpoint.port,
    functionName,
    region: LOCAL_REGION,
    speed,
    scenario: loaded,
    cloud,
    lambda: endpoint,
    simSeconds: () => simNow,
    snapshot,
    done,
    close() {
      closing ??= (async () => {
        stopping = true;
        await endpoint.close();
        abort.abort();
        return done;
      })();
      return closing;
    },
  };
}
