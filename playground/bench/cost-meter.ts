/**
 * What the controller's functions send to AWS while the engine runs them, counted from what
 * was served and written (playground/bench/controller-cost.ts prices it):
 * - every request of an invocation: the local cloud's request log (ECS, CloudWatch, with the
 *   GetMetricData bodies kept to count the metrics each one asked for) and a logging wrapper
 *   around dynalite's in-process dispatch that asks dynalite for the capacity each request
 *   consumed (ReturnConsumedCapacity, computed by item size as DynamoDB bills it);
 * - the duration of each invocation (wall time in this process);
 * - what the functions' Powertools Logger and Metrics print: the bytes of every line, and the
 *   EMF directives (each metric name × dimension values is a custom metric, billed for the
 *   hours it is sent in).
 * Requests outside an invocation (the engine reading partitions for its own measurements) are
 * not counted.
 *
 * Also what the user's own Flink metrics cost to publish: the EMF log events the CloudWatch
 * agent sidecars write for the scrapes they read (playground/src/collector.ts, from the one
 * definition), sampled in the first minute of every hour (the bytes of every event of every
 * scrape in it) and scaled by 60.
 */
import db from 'dynalite/db/index.js';
import type { FlinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import type { LocalCloud, RequestLogEntry } from '../src/cloud/local-cloud';
import { emfLogLine, scrapeToEmf } from '../src/collector';
import type { InProcessDispatch, Instrumentation } from '../src/engine';
import type { PrometheusSample } from '../src/model/metrics';

export type FunctionName = 'scaler' | 'failover';

export interface InvocationRecord {
  readonly fn: FunctionName;
  readonly atMs: number;
  readonly durationMs: number;
  /** AWS requests it sent (local cloud + DynamoDB). */
  readonly requests: number;
  /** Metrics its GetMetricData requests asked for. */
  readonly metricsRequested: number;
  readonly getMetricDataRequests: number;
  readonly logBytes: number;
}

export interface DynamoRecord {
  readonly operation: string;
  readonly readUnits: number;
  readonly writeUnits: number;
}

/**
 * The query ids of the metrics one GetMetricData request body asks for (JSON, or the query
 * protocol's form): each query with a MetricStat is one metric requested, as CloudWatch bills it.
 */
export function metricIdsInRequestBody(body: string): string[] {
  const text = body.trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as { MetricDataQueries?: { Id?: string; MetricStat?: unknown }[] };
    return (parsed.MetricDataQueries ?? []).filter((q) => q.MetricStat !== undefined).map((q) => q.Id ?? '');
  }
  const members = new Map<string, string>();
  const form = new URLSearchParams(text);
  for (const [key] of form) {
    const m = /^MetricDataQueries\.member\.(\d+)\.MetricStat\./.exec(key);
    if (m) members.set(m[1] as string, form.get(`MetricDataQueries.member.${m[1]}.Id`) ?? '');
  }
  return [...members.values()];
}

/** The metrics one GetMetricData request body asks for. */
export function metricsInRequestBody(body: string): number {
  return metricIdsInRequestBody(body).length;
}

/** What a query id reads, by its prefix: `h12` → `h` (lib/core/metrics.ts and heartbeat.ts name them). */
export function queryKind(id: string): string {
  return /^[a-z]+(?=\d+$)/.exec(id)?.[0] ?? id;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
]);

interface Current {
  readonly fn: FunctionName;
  readonly atMs: number;
  readonly firstRequest: number;
  dynamoRequests: number;
  logBytes: number;
}

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
}

export class CostMeter implements Instrumentation {
  readonly invocations: InvocationRecord[] = [];
  readonly dynamo: DynamoRecord[] = [];
  /** Custom metric key → the simulated hours (epoch hour numbers) it was sent in. */
  readonly customMetrics = new Map<string, Set<number>>();
  /** ECS and CloudWatch requests of invocations, by `service:operation`. */
  readonly requestsByOperation: Record<string, number> = {};
  /** Metrics requested, by function and query kind (`failover:h`: per-TaskManager heartbeats). */
  readonly metricsByQuery: Record<string, number> = {};
  /** The agents' EMF log events in the sampled minutes (the first of each counted hour): how many, their bytes. */
  readonly agentLogs = { sampledMinutes: new Set<number>(), events: 0, bytes: 0 };
  private cloud: LocalCloud | undefined;
  private current: Current | undefined;
  private restore: (() => void) | undefined;
  private muted = false;

  /**
   * @param countFromMs invocations and scrapes before this simulated time (the bootstrap) are not counted
   * @param agent the agent sidecars' definition (their log events are counted when given)
   */
  constructor(
    private readonly countFromMs = Number.NEGATIVE_INFINITY,
    private readonly agent?: FlinkMetricsDefinition,
  ) {}

  /**
   * The custom metrics of `namespace` that reached the local CloudWatch from the count start
   * on, each as its share of `hours` (the hours it has datapoints in; CloudWatch prorates a
   * custom metric by the hour): what the agents' metrics cost to store, counted from what was
   * published.
   */
  publishedCustomMetrics(namespace: string, hours: number): number {
    const cloud = this.cloud;
    if (!cloud) throw new Error('CostMeter: the local cloud is not up yet');
    const active = cloud.cloudwatch.activeHours(namespace, this.countFromMs, Number.POSITIVE_INFINITY);
    let metrics = 0;
    for (const h of active.values()) metrics += Math.min(1, h.size / hours);
    return metrics;
  }

  /** A scrape of a TaskManager's agent: in the first minute of an hour, the bytes of the EMF events it writes. */
  readonly onScrape = (samples: readonly PrometheusSample[], timestampMs: number): void => {
    const def = this.agent;
    if (def === undefined || timestampMs < this.countFromMs) return;
    // Scrapes at the end of a step: the minute is the one the scrape closes, (t - 1 ms).
    const minute = Math.floor((timestampMs - 1) / MINUTE_MS);
    if (minute % 60 !== 0) return;
    this.agentLogs.sampledMinutes.add(minute);
    for (const event of scrapeToEmf(samples, def, timestampMs)) {
      this.agentLogs.events++;
      // Priced by its message bytes, as the functions' own log lines are.
      this.agentLogs.bytes += Buffer.byteLength(emfLogLine(event, def));
    }
  };

  readonly recordBodies = (service: RequestLogEntry['service'], operation: string): boolean =>
    service === 'cloudwatch' && operation === 'GetMetricData';

  readonly onCloud = (cloud: LocalCloud): void => {
    this.cloud = cloud;
  };

  /** Captures what the functions print (and keeps it off the terminal) until `stop`. */
  start(): void {
    const write = process.stdout.write.bind(process.stdout);
    let pending = '';
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      const current = this.current;
      if (this.muted) {
        (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
        return true;
      }
      if (current === undefined) return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      current.logBytes += Buffer.byteLength(text);
      pending += text;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        this.line(pending.slice(0, nl), current.atMs);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
    this.restore = () => {
      process.stdout.write = write as typeof process.stdout.write;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /** An EMF line: every metric × dimension set of its directives is a custom metric, sent this hour. */
  private line(text: string, atMs: number): void {
    if (!text.includes('"_aws"')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const aws = parsed._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const dims of directive.Dimensions) {
        const values = dims.map((d) => `${d}=${String(parsed[d])}`).join(',');
        for (const metric of directive.Metrics) {
          const key = `${directive.Namespace}/${metric.Name}{${values}}`;
          const hours = this.customMetrics.get(key) ?? new Set<number>();
          hours.add(Math.floor(atMs / HOUR_MS));
          this.customMetrics.set(key, hours);
        }
      }
    }
  }

  readonly invoke = async <T>(fn: FunctionName, run: () => Promise<T>, nowMs: number): Promise<T> => {
    const cloud = this.cloud;
    if (!cloud) throw new Error('CostMeter: the local cloud is not up yet');
    if (nowMs < this.countFromMs) {
      // Not counted, and kept off the terminal all the same.
      this.muted = true;
      try {
        return await run();
      } finally {
        this.muted = false;
      }
    }
    const current: Current = {
      fn,
      atMs: nowMs,
      firstRequest: cloud.requests.length,
      dynamoRequests: 0,
      logBytes: 0,
    };
    this.current = current;
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      const durationMs = performance.now() - t0;
      this.current = undefined;
      const served = cloud.requests.slice(current.firstRequest);
      let metricsRequested = 0;
      let getMetricDataRequests = 0;
      for (const r of served) {
        const key = `${r.service}:${r.operation}`;
        this.requestsByOperation[key] = (this.requestsByOperation[key] ?? 0) + 1;
        if (r.operation === 'GetMetricData' && r.body !== undefined) {
          getMetricDataRequests++;
          for (const id of metricIdsInRequestBody(r.body)) {
            metricsRequested++;
            const kind = `${fn}:${queryKind(id)}`;
            this.metricsByQuery[kind] = (this.metricsByQuery[kind] ?? 0) + 1;
          }
        }
      }
      this.invocations.push({
        fn,
        atMs: nowMs,
        durationMs,
        requests: served.length + current.dynamoRequests,
        metricsRequested,
        getMetricDataRequests,
        logBytes: current.logBytes,
      });
    }
  };

  readonly dynamodb =
    (dispatch: InProcessDispatch): InProcessDispatch =>
    async (request) => {
      const current = this.current;
      const target =
        Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
      const operation = target.split('.').pop() ?? '';
      if (current === undefined || !CAPACITY_OPERATIONS.has(operation)) return dispatch(request);
      current.dynamoRequests++;
      const input = JSON.parse(request.body || '{}') as Record<string, unknown>;
      const response = await dispatch({
        ...request,
        body: JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' }),
      });
      const write = !['GetItem', 'Query', 'Scan', 'BatchGetItem'].includes(operation);
      let units = 0;
      if (response.status === 200) {
        const out = JSON.parse(response.body || '{}') as {
          ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
        };
        const consumed = out.ConsumedCapacity;
        units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
          (a, c) => a + (c.CapacityUnits ?? 0),
          0,
        );
      } else if (write) {
        // A conditional write that fails still consumes write units: the item's size for a put, 1 otherwise.
        units = operation === 'PutItem' && input.Item ? db.capacityUnits(input.Item, false) : 1;
      }
      this.dynamo.push({ operation, readUnits: write ? 0 : units, writeUnits: write ? units : 0 });
      return response;
    };
}
