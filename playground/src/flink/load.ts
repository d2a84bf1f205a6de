/**
 * The load: playground/flink's load tool (LoadTool produce) follows a piecewise-constant trace
 * into the topic's partitions and measures the consumer group's lag itself (Kafka Admin API:
 * log-end offsets minus the group's committed offsets, which the KafkaSource commits on every
 * completed checkpoint): the truth the report compares the product's metrics with. Its
 * latest measurement is read from its /lag endpoint once a second.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FlinkCluster, freePort, waitFor } from './cluster';
import { FLINK_PLAYGROUND_DIR } from './env';
import { type ManagedProcess, startProcess, stopProcess } from './processes';

/** One rate from `atSeconds` on. */
export interface TraceStep {
  readonly atSeconds: number;
  readonly rate: number;
}

/** What the load tool's /lag reports (one measurement). */
export interface LagReading {
  /** Seconds since the load tool started producing. */
  readonly t: number;
  readonly epochMs: number;
  /** The trace's rate now (records/s). */
  readonly rate: number;
  /** Records acknowledged by the broker. */
  readonly produced: number;
  /** Σ log-end offsets. */
  readonly logEnd: number;
  /** Σ the group's committed offsets. */
  readonly committed: number;
  /** Σ max(0, log-end − committed): the group's lag as Kafka (and MSK's SumOffsetLag) reports it. */
  readonly lag: number;
  /** Per partition: max(0, log-end − committed), and the committed offset. */
  readonly lagPerPartition?: readonly number[];
  readonly committedPerPartition?: readonly number[];
}

export interface LoadTool {
  readonly process: ManagedProcess;
  /** The load tool's HTTP endpoint: GET /lag, GET /metrics, POST /rate?r=<records/s>. */
  readonly url: string;
  /** Epoch ms of the trace's second 0. */
  readonly startedAtMs: number;
  /** The newest reading (read every second). */
  latest(): LagReading | undefined;
  /** Every reading, oldest first. */
  readonly readings: readonly LagReading[];
  /** Changes the rate from now on (POST /rate); resolves with the trace second it took effect at. */
  setRate(rate: number): Promise<number>;
  stop(): Promise<void>;
}

/** The trace rate at `t` seconds. */
export function rateAt(trace: readonly TraceStep[], t: number): number {
  let rate = 0;
  for (const s of trace) if (s.atSeconds <= t) rate = s.rate;
  return rate;
}

/** Starts producing `trace` (held for `durationSeconds`, or forever if undefined); resolves at its first reading. */
export async function startLoadTool(
  cluster: FlinkCluster,
  trace: readonly TraceStep[],
  durationSeconds?: number,
): Promise<LoadTool> {
  const port = await freePort();
  const csv = join(cluster.runDir, 'trace.csv');
  writeFileSync(
    csv,
    `seconds,recordsPerSecond\n${trace.map((s) => `${s.atSeconds},${s.rate}`).join('\n')}\n`,
  );
  const args = [
    join(FLINK_PLAYGROUND_DIR, 'bin', 'loadtool.sh'),
    'produce',
    '--bootstrap',
    cluster.kafkaBootstrap,
    '--topic',
    cluster.topic,
    '--group',
    cluster.group,
    '--report-ms',
    '1000',
    '--status-port',
    String(port),
    '--trace',
    csv,
    '--duration-s',
    String(durationSeconds ?? 10 * 365 * 86_400),
  ];
  const p = startProcess({
    name: 'loadtool',
    command: 'bash',
    args,
    env: cluster.env,
    logFile: join(cluster.runDir, 'logs', 'loadtool.log'),
  });
  const readings: LagReading[] = [];
  let stopped = false;
  const read = async (): Promise<LagReading | undefined> => {
    const res = await fetch(`http://127.0.0.1:${port}/lag`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as Partial<LagReading>;
    return typeof body.epochMs === 'number' ? (body as LagReading) : undefined;
  };
  await waitFor('the load tool', async () => (await read()) !== undefined, {
    timeoutMs: 60_000,
    alive: () => (p.exit() ? `load tool exited with ${p.exit()?.code} (log ${p.logFile})` : undefined),
  });
  const first = (await read()) as LagReading;
  readings.push(first);
  void (async () => {
    while (!stopped && !p.exit()) {
      await sleep(1000);
      const r = await read().catch(() => undefined);
      if (r && r.epochMs !== readings.at(-1)?.epochMs) readings.push(r);
    }
  })();
  return {
    process: p,
    url: `http://127.0.0.1:${port}`,
    startedAtMs: first.epochMs - first.t * 1000,
    latest: () => readings.at(-1),
    readings,
    async setRate(rate) {
      const res = await fetch(`http://127.0.0.1:${port}/rate?r=${rate}`, {
        method: 'POST',
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) throw new Error(`load tool /rate: HTTP ${res.status}`);
      return ((await res.json()) as { t: number }).t;
    },
    async stop() {
      stopped = true;
      await stopProcess(p, 5000);
    },
  };
}
