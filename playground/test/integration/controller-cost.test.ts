/**
 * The controller-cost bench counts what the local cloud and dynalite served (playground/bench/
 * cost-meter.ts). Cross-checked here against two views it does not use: what the functions'
 * SDK clients sent (a middleware on each client, per attempt), and the local cloud's request
 * log read by the simulated time of one tick.
 */
import type { AwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costScenario } from '../../bench/controller-cost';
import { CostMeter, type FunctionName } from '../../bench/cost-meter';
import type { LocalCloud } from '../../src/cloud/local-cloud';
import { type Instrumentation, SIM_EPOCH_MS, simAgentConfig, simulatePolicy } from '../../src/engine';

const MIN = 60_000;
const COUNT_FROM_MINUTE = 10;

/** What the SDK clients sent during one invocation. */
interface Sent {
  readonly fn: FunctionName;
  readonly atMs: number;
  /** By `service:operation`, every attempt. */
  readonly byOperation: Record<string, number>;
  /** MetricDataQueries with a MetricStat, over the GetMetricData commands. */
  metrics: number;
}

/** Runs a small fleet through the engine with the meter and an SDK-side count of every request. */
async function run(taskManagers: number) {
  const meter = new CostMeter(SIM_EPOCH_MS + COUNT_FROM_MINUTE * MIN);
  const sent: Sent[] = [];
  let current: Sent | undefined;
  let cloud: LocalCloud | undefined;
  /** A finalizeRequest middleware (below the retry middleware: every attempt is a request sent). */
  const counter =
    (service: string) =>
    <A extends { input: unknown }, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
    async (args: A): Promise<R> => {
      if (current) {
        const op = `${service}:${String(context.commandName).replace(/Command$/, '')}`;
        current.byOperation[op] = (current.byOperation[op] ?? 0) + 1;
        const input = args.input as { MetricDataQueries?: { MetricStat?: unknown }[] };
        if (op === 'cloudwatch:GetMetricData')
          current.metrics += (input.MetricDataQueries ?? []).filter((q) => q.MetricStat).length;
      }
      return next(args);
    };
  const at = { step: 'finalizeRequest', priority: 'low', name: 'countSentMiddleware' } as const;
  const watch = (clients: AwsClients) => {
    clients.ecs.middlewareStack.add(counter('ecs'), at);
    clients.cloudwatch.middlewareStack.add(counter('cloudwatch'), at);
    clients.dynamodb.middlewareStack.add(counter('dynamodb'), at);
  };
  const instrument: Instrumentation = {
    recordBodies: meter.recordBodies,
    dynamodb: meter.dynamodb,
    onCloud: (c) => {
      cloud = c;
      meter.onCloud(c);
    },
    onClients: watch,
    invoke: async (fn, body, nowMs) => {
      const s: Sent = { fn, atMs: nowMs, byOperation: {}, metrics: 0 };
      current = s;
      try {
        return await meter.invoke(fn, body, nowMs);
      } finally {
        current = undefined;
        if (nowMs >= SIM_EPOCH_MS + COUNT_FROM_MINUTE * MIN) sent.push(s);
      }
    },
  };
  const loaded = costScenario({ taskManagers, partitions: 48, hours: 0.4, slotsPerTaskManager: 2 });
  await simulatePolicy(loaded, 'rate', { instrument });
  if (!cloud) throw new Error('the local cloud never came up');
  return { meter, sent, requests: (cloud as LocalCloud).requests };
}

const total = (byOperation: Record<string, number>, prefix = '') =>
  Object.entries(byOperation)
    .filter(([k]) => k.startsWith(prefix))
    .reduce((a, [, v]) => a + v, 0);

describe('Class: CostMeter (the controller-cost bench’s counts)', () => {
  const env = { level: process.env.POWERTOOLS_LOG_LEVEL, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  let small: Awaited<ReturnType<typeof run>>;
  let large: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    small = await run(4);
    large = await run(12);
  }, 120_000);

  afterAll(() => {
    if (env.level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = env.level;
    if (env.disabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = env.disabled;
  });

  it('counts, per invocation, exactly the requests and metrics its SDK clients sent', () => {
    // Prepare: the invocations counted (from minute 10 on), in order.
    const { meter, sent } = small;
    // Assess
    expect(meter.invocations.length).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(2 * 10);
    meter.invocations.forEach((counted, i) => {
      const s = sent[i] as Sent;
      expect({ fn: counted.fn, atMs: counted.atMs }).toEqual({ fn: s.fn, atMs: s.atMs });
      expect(counted.requests).toBe(total(s.byOperation));
      expect(counted.getMetricDataRequests).toBe(s.byOperation['cloudwatch:GetMetricData'] ?? 0);
      expect(counted.metricsRequested).toBe(s.metrics);
    });
    // The DynamoDB requests: those dynalite served for the functions, every one with its capacity.
    expect(meter.dynamo.length).toBe(sent.reduce((a, s) => a + total(s.byOperation, 'dynamodb:'), 0));
    expect(meter.dynamo.every((d) => d.readUnits + d.writeUnits > 0)).toBe(true);
  });

  it('one tick’s count is what the local cloud’s request log holds for that minute', () => {
    // Prepare: the last scheduled tick of the run (scaler and failover invoked at its minute).
    const { meter, sent, requests } = small;
    const tick = Math.max(...meter.invocations.filter((i) => i.atMs % MIN === 0).map((i) => i.atMs));
    const logged: Record<string, number> = {};
    for (const r of requests.filter((r) => r.atMs === tick)) {
      const key = `${r.service}:${r.operation}`;
      logged[key] = (logged[key] ?? 0) + 1;
    }
    const counted: Record<string, number> = {};
    for (const s of sent.filter((s) => s.atMs === tick)) {
      for (const [op, n] of Object.entries(s.byOperation)) {
        if (!op.startsWith('dynamodb:')) counted[op] = (counted[op] ?? 0) + n;
      }
    }
    const metered = meter.invocations
      .filter((i) => i.atMs === tick)
      .reduce((a, i) => ({ requests: a.requests + i.requests, metrics: a.metrics + i.metricsRequested }), {
        requests: 0,
        metrics: 0,
      });
    // Assess: the same operations, the same number of each; the meter adds only the DynamoDB ones.
    expect(logged).toEqual(counted);
    expect(logged['cloudwatch:GetMetricData']).toBeGreaterThanOrEqual(2);
    const dynamo = sent
      .filter((s) => s.atMs === tick)
      .reduce((a, s) => a + total(s.byOperation, 'dynamodb:'), 0);
    expect(metered.requests).toBe(total(logged) + dynamo);
    expect(metered.metrics).toBe(sent.filter((s) => s.atMs === tick).reduce((a, s) => a + s.metrics, 0));
  });

  it('counts the custom metrics the agents published, per dimension set of the definition', () => {
    // Assess: [ClusterName, TaskId] × 2 per TaskManager, [ClusterName, ServiceName] × 5.
    const namespace = simAgentConfig().namespace;
    expect(small.meter.publishedCustomMetrics(namespace, 0.25)).toBe(2 * 4 + 5);
    expect(large.meter.publishedCustomMetrics(namespace, 0.25)).toBe(2 * 12 + 5);
  });

  it('asks for as many metrics per tick at 12 TaskManagers as at 4', () => {
    // Assess: the steady state reads job-level series only (the same queries whatever the fleet).
    const perTick = (r: typeof small) => {
      const byMinute = new Map<number, number>();
      for (const i of r.meter.invocations)
        byMinute.set(i.atMs, (byMinute.get(i.atMs) ?? 0) + i.metricsRequested);
      return [...byMinute.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
    };
    expect(perTick(large)).toEqual(perTick(small));
  });
});
