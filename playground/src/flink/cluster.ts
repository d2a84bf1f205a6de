/**
 * The fixed part of a real-Flink run: a KRaft Kafka broker with the demo topic, and the
 * JobManager as a standalone application cluster in reactive mode running the demo job
 * (playground/flink/bin/kafka.sh, jobmanager.sh). It is not an ECS service: the
 * TaskManagers are (process-runtime.ts), started by the local ECS with the environment
 * `taskManagerEnv` gives them. Every port is a free one, so runs do not collide.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { filterLabelValue } from '../model/metrics';
import { FLINK_PLAYGROUND_DIR } from './env';
import { type ManagedProcess, startProcess, stopProcess } from './processes';
import { FlinkRest } from './rest';

export interface FlinkClusterOptions {
  /** Where configs, logs, checkpoints and Kafka's data go (a fresh temporary directory). */
  readonly runDir: string;
  /** Partitions of the demo topic. */
  readonly partitions: number;
  /** Task slots per TaskManager. @default 1 */
  readonly slotsPerTaskManager?: number;
  /** Task-thread microseconds per record (capacity per slot = 1e6 / workUs). @default 1000 */
  readonly workUs?: number;
  /** @default 10000 */
  readonly checkpointMs?: number;
  /** taskmanager.memory.process.size. @default 384m */
  readonly taskManagerProcessSize?: string;
  /** The JobManager's REST port (web UI); 0: a free one. @default 0 */
  readonly restPort?: number;
  readonly topic?: string;
  readonly group?: string;
  /** Log lines of the start-up. */
  readonly log?: (line: string) => void;
}

export interface FlinkCluster {
  readonly runDir: string;
  readonly rest: FlinkRest;
  /** e.g. http://127.0.0.1:43211 — the JobManager's REST API and web UI. */
  readonly webUrl: string;
  readonly kafkaBootstrap: string;
  readonly topic: string;
  readonly group: string;
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  readonly workUs: number;
  readonly checkpointMs: number;
  /** Flink's Prometheus filter of the job name (the `job_name` label, the JobName dimension). */
  readonly jobNameLabel: string;
  readonly kafka: ManagedProcess;
  readonly jobManager: ManagedProcess;
  /** The environment of playground/flink/bin/taskmanager.sh and loadtool.sh for this cluster. */
  readonly env: NodeJS.ProcessEnv;
  /** Kafka and the JobManager: SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** The demo job's name as Flink's Prometheus reporter filters it (the `job_name` label, the JobName dimension). */
export function demoJobNameLabel(workUs: number, topic: string): string {
  return filterLabelValue(`flink-ecs-demo chained work=${workUs}us topic=${topic}`);
}

/** A port no listener on 127.0.0.1 holds right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `check` every `everyMs` until it is true; throws naming `what` after `timeoutMs` or when `alive` fails. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; everyMs?: number; alive?: () => string | undefined },
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const dead = options.alive?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > options.timeoutMs)
      throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
    await sleep(options.everyMs ?? 200);
  }
}

function aliveCheck(p: ManagedProcess): () => string | undefined {
  return () => {
    const exit = p.exit();
    return exit ? `${p.name} exited with ${exit.code} (log: ${p.logFile})` : undefined;
  };
}

/** Starts Kafka, creates the topic, starts the JobManager; resolves once its REST API answers. */
export async function startFlinkCluster(options: FlinkClusterOptions): Promise<FlinkCluster> {
  const log = options.log ?? (() => undefined);
  const runDir = options.runDir;
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const [kafkaPort, controllerPort, rpcPort, blobPort, jmPromPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const restPort = options.restPort || (await freePort());
  const topic = options.topic ?? 'demo';
  const group = options.group ?? 'flink-demo';
  const slots = options.slotsPerTaskManager ?? 1;
  const workUs = options.workUs ?? 1000;
  const checkpointMs = options.checkpointMs ?? 10_000;
  const kafkaBootstrap = `127.0.0.1:${kafkaPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_DIR: runDir,
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_BOOTSTRAP: kafkaBootstrap,
    FLINK_REST_PORT: String(restPort),
    FLINK_RPC_PORT: String(rpcPort),
    FLINK_BLOB_PORT: String(blobPort),
    JM_PROM_PORT: String(jmPromPort),
    TM_SLOTS: String(slots),
    TM_PROCESS_SIZE: options.taskManagerProcessSize ?? '384m',
  };
  const bin = (script: string) => join(FLINK_PLAYGROUND_DIR, 'bin', script);
  const started: ManagedProcess[] = [];
  const stopAll = async () => {
    await Promise.all(started.reverse().map((p) => stopProcess(p)));
  };
  try {
    const kafka = startProcess({
      name: 'kafka',
      command: 'bash',
      args: [bin('kafka.sh')],
      env,
      logFile: join(runDir, 'logs', 'kafka.log'),
    });
    started.push(kafka);
    const kafkaMs = await waitFor('Kafka to listen', () => portOpen(kafkaPort), {
      timeoutMs: 60_000,
      alive: aliveCheck(kafka),
    });
    log(`Kafka ${kafkaBootstrap} up in ${(kafkaMs / 1000).toFixed(1)} s`);
    const create = startProcess({
      name: 'create-topic',
      command: 'bash',
      args: [
        bin('loadtool.sh'),
        'create-topic',
        '--bootstrap',
        kafkaBootstrap,
        '--topic',
        topic,
        '--partitions',
        String(options.partitions),
      ],
      env,
      logFile: join(runDir, 'logs', 'create-topic.log'),
    });
    const created = await create.exited;
    if (created.code !== 0)
      throw new Error(`creating the topic failed (exit ${created.code}, log ${create.logFile})`);
    const jobManager = startProcess({
      name: 'jobmanager',
      command: 'bash',
      args: [
        bin('jobmanager.sh'),
        '--topic',
        topic,
        '--group',
        group,
        '--work-us',
        String(workUs),
        '--checkpoint-ms',
        String(checkpointMs),
      ],
      env,
      logFile: join(runDir, 'logs', 'jobmanager.log'),
    });
    started.push(jobManager);
    const rest = new FlinkRest(`http://127.0.0.1:${restPort}`);
    const jmMs = await waitFor(
      'the JobManager REST API',
      async () => {
        await rest.overview();
        return true;
      },
      { timeoutMs: 90_000, alive: aliveCheck(jobManager) },
    );
    log(`JobManager (reactive application cluster) up in ${(jmMs / 1000).toFixed(1)} s: ${rest.url}`);
    return {
      runDir,
      rest,
      webUrl: rest.url,
      kafkaBootstrap,
      topic,
      group,
      partitions: options.partitions,
      slotsPerTaskManager: slots,
      workUs,
      checkpointMs,
      jobNameLabel: demoJobNameLabel(workUs, topic),
      kafka,
      jobManager,
      env,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
