/**
 * The local CloudWatch's operations: PutMetricData, GetMetricData, ListMetrics and
 * DescribeAlarms, validated the way CloudWatch validates them, on request objects of the
 * JSON shape. The current SDK sends that shape as awsJson1_0 in query-compatible mode
 * (X-Amz-Target: GraniteServiceVersion20100801.<Op>, errors named by the x-amzn-query-error
 * header); older SDKs, Debian's awscli and the CloudWatch agent use the query protocol
 * (form POST, XML), which cloudwatch-query.ts turns into the same objects. Errors are thrown
 * as CloudWatchApiError.
 */

import * as z from 'zod';
import type { Alarm } from './cloudwatch-alarms';
import {
  type CloudWatchStore,
  isSupportedStatistic,
  type MetricDatum,
  type MetricQueryResult,
} from './cloudwatch-store';
import { CloudWatchApiError } from './errors';
import {
  decodeToken,
  describeIssue,
  encodeToken,
  epochSeconds,
  fingerprint,
  isMissingMember,
  timestampMs,
} from './wire';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';
export const CLOUDWATCH_CONTENT_TYPE = 'application/x-amz-json-1.0';

/** GetMetricData's default MaxDatapoints. */
export const DEFAULT_MAX_DATAPOINTS = 100_800;
export const MAX_METRIC_DATA_QUERIES = 500;
const MAX_METRIC_DATA = 1000;
const MAX_VALUES = 150;
const MAX_DIMENSIONS = 30;
const TWO_HOURS_MS = 2 * 3_600_000;
const TWO_WEEKS_MS = 14 * 86_400_000;
const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 20, 30];
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
const LIST_METRICS_PAGE = 500;
const MAX_ALARM_RECORDS = 100;

export interface CloudWatchRequestContext {
  /** The clock (epoch ms): default timestamps, visibility of points, timestamp limits. */
  readonly nowMs: number;
  /** Added to nowMs to make PutMetricData points visible (CloudWatch's ingestion delay). */
  readonly ingestionDelayMs: number;
}

/** Numbers may arrive as "NaN" / "Infinity" strings (the SDK's JSON encoding of non-finite doubles). */
const jsonNumber = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? v : Number(v)));
const jsonTimestamp = z.union([z.number(), z.string()]);
const dimension = z.object({ Name: z.string(), Value: z.string() });

const PutMetricDataInput = z.object({
  Namespace: z.string(),
  MetricData: z.array(
    z.object({
      MetricName: z.string(),
      Dimensions: z.array(dimension).optional(),
      Timestamp: jsonTimestamp.optional(),
      Value: jsonNumber.optional(),
      StatisticValues: z
        .object({ SampleCount: jsonNumber, Sum: jsonNumber, Minimum: jsonNumber, Maximum: jsonNumber })
        .optional(),
      Values: z.array(jsonNumber).optional(),
      Counts: z.array(jsonNumber).optional(),
      Unit: z.string().optional(),
      StorageResolution: z.number().int().optional(),
    }),
  ),
});
type PutMetricDataRequest = z.infer<typeof PutMetricDataInput>;

const GetMetricDataInput = z.object({
  MetricDataQueries: z.array(
    z.object({
      Id: z.string(),
      MetricStat: z
        .object({
          Metric: z.object({
            Namespace: z.string().optional(),
            MetricName: z.string().optional(),
            Dimensions: z.array(dimension).optional(),
          }),
          Period: z.number().int(),
          Stat: z.string(),
          Unit: z.string().optional(),
        })
        .optional(),
      Expression: z.string().optional(),
      Label: z.string().optional(),
      ReturnData: z.boolean().optional(),
      Period: z.number().int().optional(),
      AccountId: z.string().optional(),
    }),
  ),
  StartTime: jsonTimestamp,
  EndTime: jsonTimestamp,
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().int().optional(),
});
type GetMetricDataRequest = z.infer<typeof GetMetricDataInput>;

const ListMetricsInput = z.object({
  Namespace: z.string().min(1).max(255).optional(),
  MetricName: z.string().min(1).max(255).optional(),
  Dimensions: z
    .array(z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024).optional() }))
    .max(10)
    .optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.literal('PT3H').optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().optional(),
});

const AlarmStateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const DescribeAlarmsInput = z.object({
  AlarmNames: z.array(z.string().min(1).max(255)).max(100).optional(),
  AlarmNamePrefix: z.string().min(1).max(255).optional(),
  AlarmTypes: z.array(z.enum(['CompositeAlarm', 'MetricAlarm'])).optional(),
  ChildrenOfAlarmName: z.string().optional(),
  ParentsOfAlarmName: z.string().optional(),
  StateValue: AlarmStateValue.optional(),
  ActionPrefix: z.string().min(1).max(1024).optional(),
  MaxRecords: z.number().int().min(1).max(MAX_ALARM_RECORDS).optional(),
  NextToken: z.string().optional(),
});

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const code = isMissingMember(result.error, input) ? 'MissingParameter' : 'InvalidParameterValue';
  throw new CloudWatchApiError(code, describeIssue(result.error));
}

function invalid(message: string): CloudWatchApiError {
  return new CloudWatchApiError('InvalidParameterValue', message);
}

/** Dimensions as a record; duplicate or empty names are invalid, as in CloudWatch. */
export function dimensionRecord(
  dims: readonly { Name: string; Value: string }[],
  path: string,
): Record<string, string> {
  if (dims.length > MAX_DIMENSIONS) {
    throw invalid(`The collection ${path} must not have a size greater than ${MAX_DIMENSIONS}.`);
  }
  const out: Record<string, string> = {};
  dims.forEach((d, i) => {
    if (d.Name === '' || d.Value === '') {
      throw invalid(`The parameter ${path}.member.${i + 1} must have a non-empty Name and Value.`);
    }
    if (Object.hasOwn(out, d.Name))
      throw invalid(`The dimension ${d.Name} is specified more than once in ${path}.`);
    out[d.Name] = d.Value;
  });
  return out;
}

/**
 * True for the periods CloudWatch accepts: 1, 5, 10, 20, 30 or a multiple of 60 seconds
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html). The
 * short ones return sub-minute data only for high-resolution points less than 3 hours old
 * (CloudWatchStore.query).
 */
export function isValidPeriod(seconds: number): boolean {
  return (
    Number.isInteger(seconds) &&
    seconds > 0 &&
    (seconds % 60 === 0 || HIGH_RESOLUTION_PERIODS.includes(seconds))
  );
}

// ------------------------------------------------------------ PutMetricData

function finite(value: number, path: string): number {
  if (!Number.isFinite(value)) throw invalid(`The value ${value} for parameter ${path} is invalid.`);
  return value;
}

/** Validates the whole request first, so a bad datum stores nothing (as CloudWatch does). */
export function metricDataToDatums(
  request: PutMetricDataRequest,
  ctx: CloudWatchRequestContext,
): MetricDatum[] {
  const namespace = request.Namespace;
  if (namespace.length === 0 || namespace.length > 255)
    throw invalid('The parameter Namespace must be 1 to 255 characters.');
  if (namespace.startsWith('AWS/')) throw invalid('The value AWS/ for parameter Namespace is invalid.');
  if (request.MetricData.length === 0) {
    throw new CloudWatchApiError('MissingParameter', 'The parameter MetricData is required.');
  }
  if (request.MetricData.length > MAX_METRIC_DATA) {
    throw invalid(`The collection MetricData must not have a size greater than ${MAX_METRIC_DATA}.`);
  }
  const visibleAtMs = ctx.nowMs + ctx.ingestionDelayMs;
  return request.MetricData.map((d, i): MetricDatum => {
    const path = `MetricData.member.${i + 1}`;
    if (d.MetricName.length === 0) throw invalid(`The parameter ${path}.MetricName must not be empty.`);
    const timestamp = d.Timestamp === undefined ? ctx.nowMs : timestampMs(d.Timestamp);
    if (timestamp === undefined) throw invalid(`The parameter ${path}.Timestamp is not a valid timestamp.`);
    if (timestamp > ctx.nowMs + TWO_HOURS_MS) {
      throw invalid(
        `The parameter ${path}.Timestamp must specify a time no more than two hours in the future.`,
      );
    }
    if (timestamp < ctx.nowMs - TWO_WEEKS_MS) {
      throw invalid(`The parameter ${path}.Timestamp must specify a time within the past two weeks.`);
    }
    const resolution = d.StorageResolution ?? 60;
    if (resolution !== 1 && resolution !== 60) {
      throw invalid(
        `The value ${resolution} for parameter ${path}.StorageResolution is invalid: it must be 1 or 60.`,
      );
    }
    const base = {
      namespace,
      metricName: d.MetricName,
      dimensions: dimensionRecord(d.Dimensions ?? [], `${path}.Dimensions`),
      timestampMs: timestamp,
      unit: d.Unit,
      visibleAtMs,
      storageResolution: resolution,
    } as const;
    const given = [d.Value, d.StatisticValues, d.Values].filter((v) => v !== undefined).length;
    if (given > 1) {
      throw new CloudWatchApiError(
        'InvalidParameterCombination',
        `The parameters ${path}.Value, ${path}.StatisticValues and ${path}.Values are mutually exclusive.`,
      );
    }
    if (d.Value !== undefined) return { ...base, value: finite(d.Value, `${path}.Value`) };
    if (d.StatisticValues !== undefined) {
      const s = d.StatisticValues;
      const statistics = {
        sampleCount: finite(s.SampleCount, `${path}.StatisticValues.SampleCount`),
        sum: finite(s.Sum, `${path}.StatisticValues.Sum`),
        minimum: finite(s.Minimum, `${path}.StatisticValues.Minimum`),
        maximum: finite(s.Maximum, `${path}.StatisticValues.Maximum`),
      };
      if (statistics.sampleCount <= 0 || statistics.minimum > statistics.maximum) {
        throw invalid(`The parameter ${path}.StatisticValues needs SampleCount > 0 and Minimum <= Maximum.`);
      }
      return { ...base, statistics };
    }
    if (d.Values !== undefined) {
      if (d.Values.length === 0 || d.Values.length > MAX_VALUES) {
        throw invalid(`The collection ${path}.Values must have between 1 and ${MAX_VALUES} members.`);
      }
      if (d.Counts !== undefined && d.Counts.length !== d.Values.length) {
        throw invalid(
          `The parameters ${path}.Values and ${path}.Counts must have the same number of members.`,
        );
      }
      const values = d.Values.map((v, j) => finite(v, `${path}.Values.member.${j + 1}`));
      const counts = d.Counts?.map((c, j) => finite(c, `${path}.Counts.member.${j + 1}`));
      if (counts !== undefined && (counts.some((c) => c < 0) || counts.every((c) => c === 0))) {
        throw invalid(`The collection ${path}.Counts must hold non-negative counts, not all zero.`);
      }
      return counts === undefined ? { ...base, values } : { ...base, values, counts };
    }
    throw new CloudWatchApiError(
      'MissingParameter',
      `One of the parameters ${path}.Value, ${path}.StatisticValues or ${path}.Values must be specified.`,
    );
  });
}

// ------------------------------------------------------------ GetMetricData

interface PreparedQuery {
  readonly id: string;
  readonly label: string;
  readonly returnData: boolean;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly periodSeconds: number;
  readonly stat: string;
  readonly unit?: string;
}

interface GetMetricDataToken {
  readonly f: string;
  readonly a: number;
  readonly o: readonly number[];
}

export function prepareQueries(request: GetMetricDataRequest): PreparedQuery[] {
  const queries = request.MetricDataQueries;
  if (queries.length === 0)
    throw new CloudWatchApiError('MissingParameter', 'The parameter MetricDataQueries is required.');
  if (queries.length > MAX_METRIC_DATA_QUERIES) {
    throw new CloudWatchApiError(
      'ValidationError',
      `The collection MetricDataQueries must not have a size greater than ${MAX_METRIC_DATA_QUERIES}.`,
    );
  }
  const seen = new Set<string>();
  return queries.map((q, i) => {
    const path = `MetricDataQueries.member.${i + 1}`;
    if (!QUERY_ID.test(q.Id)) {
      throw new CloudWatchApiError(
        'ValidationError',
        `The value ${q.Id} for parameter ${path}.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.`,
      );
    }
    if (seen.has(q.Id)) {
      throw new CloudWatchApiError(
        'ValidationError',
        'The values for parameter id in MetricDataQueries are not unique.',
      );
    }
    seen.add(q.Id);
    if (q.Expression !== undefined) {
      if (q.MetricStat !== undefined) {
        throw new CloudWatchApiError(
          'ValidationError',
          `Exactly one of ${path}.MetricStat or ${path}.Expression must be set.`,
        );
      }
      throw invalid(`${path}.Expression: metric math expressions are not supported by the local CloudWatch.`);
    }
    const stat = q.MetricStat;
    if (stat === undefined) {
      throw new CloudWatchApiError(
        'ValidationError',
        `Exactly one of ${path}.MetricStat or ${path}.Expression must be set.`,
      );
    }
    if (!stat.Metric.Namespace || !stat.Metric.MetricName) {
      throw new CloudWatchApiError(
        'MissingParameter',
        `${path}.MetricStat.Metric needs a Namespace and a MetricName.`,
      );
    }
    if (!isValidPeriod(stat.Period)) {
      throw invalid(`The parameter ${path}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60.`);
    }
    if (!isSupportedStatistic(stat.Stat))
      throw invalid(`The value ${stat.Stat} for parameter ${path}.MetricStat.Stat is invalid.`);
    return {
      id: q.Id,
      label: q.Label ?? stat.Metric.MetricName,
      returnData: q.ReturnData ?? true,
      namespace: stat.Metric.Namespace,
      metricName: stat.Metric.MetricName,
      dimensions: dimensionRecord(stat.Metric.Dimensions ?? [], `${path}.MetricStat.Metric.Dimensions`),
      periodSeconds: stat.Period,
      stat: stat.Stat,
      unit: stat.Unit,
    };
  });
}

function getMetricData(
  store: CloudWatchStore,
  request: GetMetricDataRequest,
  ctx: CloudWatchRequestContext,
): Record<string, unknown> {
  const queries = prepareQueries(request);
  const startMs = timestampMs(request.StartTime);
  const endMs = timestampMs(request.EndTime);
  if (startMs === undefined || endMs === undefined)
    throw invalid('StartTime and EndTime must be valid timestamps.');
  if (startMs >= endMs) {
    throw new CloudWatchApiError(
      'ValidationError',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
  }
  const maxDatapoints = request.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (maxDatapoints < 1) throw invalid('The parameter MaxDatapoints must be greater than 0.');
  const descending = (request.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
  const returned = queries.filter((q) => q.returnData);
  // Only a paginated request needs the fingerprint that binds its token to it.
  const print = () =>
    fingerprint([request.MetricDataQueries, startMs, endMs, request.ScanBy ?? 'TimestampDescending']);

  let asOfMs = ctx.nowMs;
  let offsets = returned.map(() => 0);
  if (request.NextToken !== undefined) {
    const token = decodeToken(request.NextToken) as Partial<GetMetricDataToken> | undefined;
    const o = token?.o;
    if (
      !token ||
      token.f !== print() ||
      typeof token.a !== 'number' ||
      !Array.isArray(o) ||
      o.length !== returned.length ||
      !o.every((n) => Number.isInteger(n) && n >= 0)
    ) {
      throw new CloudWatchApiError('InvalidNextToken', 'The service cannot process the NextToken.');
    }
    asOfMs = token.a;
    offsets = [...o];
  }

  let budget = maxDatapoints;
  let more = false;
  const results = returned.map((q, i) => {
    const series: MetricQueryResult = store.query({ ...q, startMs, endMs, nowMs: asOfMs });
    if (descending) {
      series.timestamps.reverse();
      series.values.reverse();
    }
    const offset = Math.min(offsets[i] ?? 0, series.timestamps.length);
    const take = Math.min(budget, series.timestamps.length - offset);
    budget -= take;
    offsets[i] = offset + take;
    const complete = offset + take >= series.timestamps.length;
    if (!complete) more = true;
    return {
      Id: q.id,
      Label: q.label,
      Timestamps: series.timestamps.slice(offset, offset + take).map(epochSeconds),
      Values: series.values.slice(offset, offset + take),
      StatusCode: complete ? 'Complete' : 'PartialData',
      Messages: [],
    };
  });
  const nextToken = more
    ? encodeToken({ f: print(), a: asOfMs, o: offsets } satisfies GetMetricDataToken)
    : undefined;
  return { MetricDataResults: results, NextToken: nextToken, Messages: [] };
}

// ------------------------------------------------------------ ListMetrics, DescribeAlarms

function dimensionsToWire(dims: Readonly<Record<string, string>>): { Name: string; Value: string }[] {
  return Object.keys(dims)
    .sort()
    .map((Name) => ({ Name, Value: dims[Name] ?? '' }));
}

/** An offset-and-fingerprint token, as the other list tokens here. */
function pageOffset(token: string | undefined, print: string): number {
  if (token === undefined) return 0;
  const decoded = decodeToken(token) as { o?: unknown; f?: unknown } | undefined;
  if (!decoded || typeof decoded.o !== 'number' || decoded.o < 0 || decoded.f !== print) {
    throw new CloudWatchApiError('InvalidNextToken', 'The service cannot process the NextToken.');
  }
  return decoded.o;
}

function listMetrics(
  store: CloudWatchStore,
  request: z.infer<typeof ListMetricsInput>,
  ctx: CloudWatchRequestContext,
): Record<string, unknown> {
  const all = store
    .listMetrics({
      ...(request.Namespace === undefined ? {} : { namespace: request.Namespace }),
      ...(request.MetricName === undefined ? {} : { metricName: request.MetricName }),
      dimensions: (request.Dimensions ?? []).map((d) => ({
        name: d.Name,
        ...(d.Value === undefined ? {} : { value: d.Value }),
      })),
      recentlyActive: request.RecentlyActive !== undefined,
      nowMs: ctx.nowMs,
    })
    .map((m) => ({
      Namespace: m.namespace,
      MetricName: m.metricName,
      Dimensions: dimensionsToWire(m.dimensions),
    }));
  const print = fingerprint([
    request.Namespace,
    request.MetricName,
    request.Dimensions,
    request.RecentlyActive,
  ]);
  const offset = pageOffset(request.NextToken, print);
  const end = offset + LIST_METRICS_PAGE;
  return {
    Metrics: all.slice(offset, end),
    NextToken: end < all.length ? encodeToken({ o: end, f: print }) : undefined,
  };
}

export function alarmToWire(a: Alarm): Record<string, unknown> {
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    AlarmDescription: a.description,
    AlarmConfigurationUpdatedTimestamp: epochSeconds(a.configurationUpdatedAtMs),
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: [...(a.alarmActions ?? [])],
    InsufficientDataActions: [],
    StateValue: a.state,
    StateReason: a.stateReason,
    StateUpdatedTimestamp: epochSeconds(a.stateUpdatedAtMs),
    StateTransitionedTimestamp: epochSeconds(a.stateUpdatedAtMs),
    MetricName: a.metricName,
    Namespace: a.namespace,
    Statistic: a.statistic,
    Dimensions: dimensionsToWire(a.dimensions),
    Period: a.periodSeconds,
    EvaluationPeriods: a.evaluationPeriods,
    Threshold: a.threshold,
    ComparisonOperator: a.comparison,
    TreatMissingData: 'missing',
  };
}

function describeAlarms(
  store: CloudWatchStore,
  request: z.infer<typeof DescribeAlarmsInput>,
): Record<string, unknown> {
  if (request.AlarmNames !== undefined && request.AlarmNamePrefix !== undefined) {
    throw new CloudWatchApiError(
      'InvalidParameterCombination',
      'AlarmNames and AlarmNamePrefix cannot be specified together.',
    );
  }
  const names = request.AlarmNames === undefined ? undefined : new Set(request.AlarmNames);
  const wantMetric = request.AlarmTypes === undefined || request.AlarmTypes.includes('MetricAlarm');
  const wantComposite = request.AlarmTypes?.includes('CompositeAlarm') ?? false;
  const all = wantMetric
    ? store.alarms
        .list()
        .filter(
          (a) =>
            (names === undefined || names.has(a.name)) &&
            (request.AlarmNamePrefix === undefined || a.name.startsWith(request.AlarmNamePrefix)) &&
            (request.StateValue === undefined || a.state === request.StateValue) &&
            (request.ActionPrefix === undefined ||
              (a.alarmActions ?? []).some((x) => x.startsWith(request.ActionPrefix ?? ''))),
        )
    : [];
  const print = fingerprint([
    request.AlarmNames,
    request.AlarmNamePrefix,
    request.AlarmTypes,
    request.StateValue,
    request.ActionPrefix,
  ]);
  const offset = pageOffset(request.NextToken, print);
  const end = offset + (request.MaxRecords ?? MAX_ALARM_RECORDS);
  return {
    MetricAlarms: all.slice(offset, end).map(alarmToWire),
    ...(request.AlarmTypes === undefined || wantComposite ? { CompositeAlarms: [] } : {}),
    NextToken: end < all.length ? encodeToken({ o: end, f: print }) : undefined,
  };
}

/** Runs one CloudWatch operation. Throws CloudWatchApiError. */
export function handleCloudWatchOperation(
  store: CloudWatchStore,
  operation: string,
  input: unknown,
  ctx: CloudWatchRequestContext,
): Record<string, unknown> {
  switch (operation) {
    case 'PutMetricData': {
      const datums = metricDataToDatums(parse(PutMetricDataInput, input), ctx);
      for (const datum of datums) store.put(datum);
      return {};
    }
    case 'GetMetricData':
      return getMetricData(store, parse(GetMetricDataInput, input), ctx);
    case 'ListMetrics':
      return listMetrics(store, parse(ListMetricsInput, input), ctx);
    case 'DescribeAlarms':
      return describeAlarms(store, parse(DescribeAlarmsInput, input));
    default:
      throw new CloudWatchApiError(
        'UnknownOperationException',
        `Operation ${operation} is not supported by the local CloudWatch.`,
      );
  }
}
