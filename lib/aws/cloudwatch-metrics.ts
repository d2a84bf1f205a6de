/**
 * MetricsSource on CloudWatch GetMetricData: batches of at most 500 queries per call, every
 * NextToken page followed, pages merged per query id.
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { MetricQuery, MetricSeries } from '../core/domain.js';
import { DependencyError, ValidationError } from '../core/errors.js';
import type { MetricsSource } from '../ports.js';
import { chunk } from './chunk.js';
import { callAws } from './errors.js';

/** CloudWatch's limit of queries in one GetMetricData request. */
export const MAX_QUERIES_PER_CALL = 500;
/** A guard against a dependency that keeps handing out NextTokens. */
export const MAX_PAGES_PER_BATCH = 1000;

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;

type SeriesStatus = MetricSeries['status'];

/** Higher is worse; the worst status seen on any page wins. */
const STATUS_RANK: Readonly<Record<SeriesStatus, number>> = {
  Complete: 0,
  PartialData: 1,
  InternalError: 2,
  Forbidden: 3,
  Missing: 4,
};

/** CloudWatch's StatusCode for one page. An absent or unknown code cannot vouch for complete data. */
export function toSeriesStatus(code: string | undefined): SeriesStatus {
  switch (code) {
    case 'Complete':
    case 'PartialData':
    case 'InternalError':
    case 'Forbidden':
      return code;
    default:
      return 'PartialData';
  }
}

export function worseStatus(a: SeriesStatus, b: SeriesStatus): SeriesStatus {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/** Throws ValidationError unless every id is well formed and unique and every period positive. */
export function validateQueries(queries: readonly MetricQuery[]): void {
  const seen = new Set<string>();
  for (const q of queries) {
    if (!QUERY_ID.test(q.id)) {
      throw new ValidationError(`metric query id "${q.id}" must match ${QUERY_ID.source}`);
    }
    if (seen.has(q.id)) {
      throw new ValidationError(`metric query id "${q.id}" is used more than once`);
    }
    seen.add(q.id);
    if (!Number.isInteger(q.periodSeconds) || q.periodSeconds < 1) {
      throw new ValidationError(`metric query "${q.id}": periodSeconds must be a positive integer`);
    }
  }
}

export function toMetricDataQuery(q: MetricQuery): MetricDataQuery {
  return {
    Id: q.id,
    MetricStat: {
      Metric: {
        Namespace: q.namespace,
        MetricName: q.metricName,
        Dimensions: Object.entries(q.dimensions)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([Name, Value]) => ({ Name, Value })),
      },
      Period: q.periodSeconds,
      Stat: q.stat,
    },
    ReturnData: true,
  };
}

/** The datapoints and worst status of one query id, accumulated over pages. */
export interface Accumulated {
  points: { t: number; v: number }[];
  status: SeriesStatus;
}

/** Adds one page's result for a query to what earlier pages gave. */
export function mergeResult(acc: Accumulated | undefined, result: MetricDataResult): Accumulated {
  const next: Accumulated = acc ?? { points: [], status: 'Complete' };
  next.status = worseStatus(next.status, toSeriesStatus(result.StatusCode));
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  const n = Math.min(timestamps.length, values.length);
  for (let i = 0; i < n; i++) {
    const t = timestamps[i];
    const v = values[i];
    if (t !== undefined && v !== undefined) next.points.push({ t: new Date(t).getTime(), v });
  }
  return next;
}

/** One series per query id, time ascending; a query that produced no result at all is Missing. */
export function toSeries(id: string, acc: Accumulated | undefined): MetricSeries {
  if (acc === undefined) return { id, timestamps: [], values: [], status: 'Missing' };
  const points = [...acc.points].sort((a, b) => a.t - b.t);
  return { id, timestamps: points.map((p) => p.t), values: points.map((p) => p.v), status: acc.status };
}

export class CloudWatchMetricsSource implements MetricsSource {
  constructor(private readonly client: CloudWatchClient) {}

  async getMetricData(queries: readonly MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]> {
    validateQueries(queries);
    if (!(start.getTime() < end.getTime())) {
      throw new ValidationError(
        `metric window start (${start.toISOString()}) must be before end (${end.toISOString()})`,
      );
    }
    const merged = new Map<string, Accumulated>();
    for (const batch of chunk(queries, MAX_QUERIES_PER_CALL)) {
      await this.runBatch(batch, start, end, merged);
    }
    return queries.map((q) => toSeries(q.id, merged.get(q.id)));
  }

  private async runBatch(
    batch: readonly MetricQuery[],
    start: Date,
    end: Date,
    merged: Map<string, Accumulated>,
  ): Promise<void> {
    const ids = new Set(batch.map((q) => q.id));
    const metricDataQueries = batch.map(toMetricDataQuery);
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_BATCH; page++) {
      const out = await callAws('CloudWatch GetMetricData', () =>
        this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: metricDataQueries,
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
        ),
      );
      for (const result of out.MetricDataResults ?? []) {
        if (result.Id === undefined || !ids.has(result.Id)) continue;
        merged.set(result.Id, mergeResult(merged.get(result.Id), result));
      }
      nextToken = out.NextToken;
      if (nextToken === undefined || nextToken === '') return;
    }
    throw new DependencyError(
      `CloudWatch GetMetricData returned more than ${MAX_PAGES_PER_BATCH} pages for one batch`,
      false,
    );
  }
}
