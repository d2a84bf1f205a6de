import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricsSource, MAX_PAGES_PER_BATCH } from '../../../lib/aws/cloudwatch-metrics';
import type { MetricQuery, MetricSeries } from '../../../lib/core/domain';
import { DependencyError, ValidationError } from '../../../lib/core/errors';

const START = new Date('2026-01-01T00:00:00Z');
const END = new Date('2026-01-01T00:03:00Z');
const T0 = START.getTime();

function query(id: string, overrides: Partial<MetricQuery> = {}): MetricQuery {
  return {
    id,
    namespace: 'Flink',
    metricName: 'busyTimeMsPerSecond',
    dimensions: { TaskId: id },
    stat: 'Average',
    periodSeconds: 60,
    ...overrides,
  };
}

function result(id: string, points: readonly [number, number][], status = 'Complete'): MetricDataResult {
  return {
    Id: id,
    Timestamps: points.map(([t]) => new Date(t)),
    Values: points.map(([, v]) => v),
    StatusCode: status as MetricDataResult['StatusCode'],
  };
}

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });
}

describe('Class: CloudWatchMetricsSource', () => {
  const client = new CloudWatchClient({ region: 'us-east-1' });
  const cw = mockClient(client);
  const source = new CloudWatchMetricsSource(client);

  beforeEach(() => {
    cw.reset();
  });

  it('splits 1,200 queries into exactly 3 calls of 500, 500 and 200 and returns every series', async () => {
    // Prepare: each query's single datapoint carries its own index, so a mixed-up merge shows.
    const queries = Array.from({ length: 1200 }, (_, i) => query(`q${i}`));
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) =>
        result(q.Id ?? '', [[T0, Number((q.Id ?? '').slice(1))]]),
      ),
    }));

    // Act
    const series = await source.getMetricData(queries, START, END);

    // Assess
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 3);
    const sizes = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length);
    expect(sizes).toEqual([500, 500, 200]);
    const sentIds = cw
      .commandCalls(GetMetricDataCommand)
      .flatMap((c) => (c.args[0].input.MetricDataQueries ?? []).map((q) => q.Id));
    expect(new Set(sentIds).size).toBe(1200);
    expect(series).toHaveLength(1200);
    series.forEach((s, i) => {
      expect(s).toEqual({ id: `q${i}`, timestamps: [T0], values: [i], status: 'Complete' });
    });
  });

  it('sends each query as a MetricStat over the window, scanning timestamps ascending', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    await source.getMetricData(
      [query('busy', { dimensions: { TaskId: 't1', ClusterName: 'flink' }, stat: 'p90', periodSeconds: 10 })],
      START,
      END,
    );

    // Assess
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: START,
      EndTime: END,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'busy',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'Flink',
              MetricName: 'busyTimeMsPerSecond',
              Dimensions: [
                { Name: 'ClusterName', Value: 'flink' },
                { Name: 'TaskId', Value: 't1' },
              ],
            },
            Period: 10,
            Stat: 'p90',
          },
        },
      ],
    });
  });

  it('follows NextToken and merges the pages of each query in time order', async () => {
    // Prepare: page 1 has the later datapoints of "a"; page 2 the earlier ones and all of "b".
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          result('a', [
            [T0 + 120_000, 3],
            [T0 + 180_000, 4],
          ]),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          result('a', [
            [T0, 1],
            [T0 + 60_000, 2],
          ]),
          result('b', [[T0, 10]]),
        ],
      });

    // Act
    const series = await source.getMetricData([query('a'), query('b')], START, END);

    // Assess
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cw).toHaveReceivedNthCommandWith(GetMetricDataCommand, 2, { NextToken: 'page-2' });
    expect(cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.NextToken).toBeUndefined();
    expect(series).toEqual([
      {
        id: 'a',
        timestamps: [T0, T0 + 60_000, T0 + 120_000, T0 + 180_000],
        values: [1, 2, 3, 4],
        status: 'Complete',
      },
      { id: 'b', timestamps: [T0], values: [10], status: 'Complete' },
    ]);
  });

  it.each<{ name: string; pages: (string | null)[]; expected: MetricSeries['status'] }>([
    { name: 'Complete on every page', pages: ['Complete', 'Complete'], expected: 'Complete' },
    { name: 'PartialData then Complete', pages: ['PartialData', 'Complete'], expected: 'PartialData' },
    { name: 'Complete then PartialData', pages: ['Complete', 'PartialData'], expected: 'PartialData' },
    { name: 'InternalError on one page', pages: ['Complete', 'InternalError'], expected: 'InternalError' },
    {
      name: 'PartialData and InternalError',
      pages: ['InternalError', 'PartialData'],
      expected: 'InternalError',
    },
    { name: 'Forbidden', pages: ['Forbidden', null], expected: 'Forbidden' },
    { name: 'no result on any page', pages: [null, null], expected: 'Missing' },
  ])('reports status $expected when the pages say: $name', async ({ pages, expected }) => {
    // Prepare: "x" gets the listed status per page (null: absent on that page); "y" is always Complete.
    const [first, second] = pages;
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [...(first ? [result('x', [[T0, 1]], first)] : []), result('y', [[T0, 5]])],
        NextToken: 'p2',
      })
      .resolvesOnce({ MetricDataResults: second ? [result('x', [[T0 + 60_000, 2]], second)] : [] });

    // Act
    const [x, y] = await source.getMetricData([query('x'), query('y')], START, END);

    // Assess
    expect(x?.status).toBe(expected);
    expect(y?.status).toBe('Complete');
    if (expected === 'Missing') expect(x).toEqual({ id: 'x', timestamps: [], values: [], status: 'Missing' });
  });

  it('treats a result without a StatusCode as not complete', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'a', Timestamps: [new Date(T0)], Values: [1] }],
    });

    // Act
    const [a] = await source.getMetricData([query('a')], START, END);

    // Assess
    expect(a?.status).toBe('PartialData');
    expect(a?.values).toEqual([1]);
  });

  it.each([
    { name: 'ThrottlingException', error: sdkError('ThrottlingException'), throttled: true },
    { name: 'Throttling (query protocol code)', error: sdkError('Throttling'), throttled: true },
    {
      name: 'an error the SDK marks as throttling',
      error: sdkError('SomethingElse', { $retryable: { throttling: true } }),
      throttled: true,
    },
    { name: 'a name containing Throttl', error: sdkError('RequestThrottledByProxy'), throttled: true },
    { name: 'HTTP 429', error: sdkError('Unknown', { $metadata: { httpStatusCode: 429 } }), throttled: true },
    { name: 'InternalServiceFault', error: sdkError('InternalServiceFault'), throttled: false },
    { name: 'InvalidParameterValue', error: sdkError('InvalidParameterValue'), throttled: false },
    { name: 'a socket timeout', error: sdkError('TimeoutError'), throttled: false },
  ])('maps $name to a DependencyError with throttled=$throttled', async ({ error, throttled }) => {
    // Prepare
    cw.on(GetMetricDataCommand).rejects(error);

    // Act
    const failure = await source.getMetricData([query('a')], START, END).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(DependencyError);
    expect((failure as DependencyError).throttled).toBe(throttled);
    expect((failure as DependencyError).cause).toBe(error);
    expect((failure as DependencyError).message).toContain('GetMetricData');
  });

  it('stops at the first failing batch and reports it', async () => {
    // Prepare
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [] })
      .rejectsOnce(sdkError('ThrottlingException'));
    const queries = Array.from({ length: 1200 }, (_, i) => query(`q${i}`));

    // Act
    const failure = await source.getMetricData(queries, START, END).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(DependencyError);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });

  it.each([
    { name: 'an id starting with a digit', ids: ['1busy'] },
    { name: 'an id starting with a capital', ids: ['Busy'] },
    { name: 'an id with a dash', ids: ['busy-1'] },
    { name: 'an empty id', ids: [''] },
    { name: 'a duplicate id', ids: ['busy', 'lag', 'busy'] },
  ])('rejects $name with a ValidationError before calling CloudWatch', async ({ ids }) => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const failure = await source
      .getMetricData(
        ids.map((id) => query(id)),
        START,
        END,
      )
      .catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(ValidationError);
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('accepts ids with letters, digits and underscores after a lowercase letter', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const series = await source.getMetricData([query('busy_T1'), query('a9')], START, END);

    // Assess
    expect(series.map((s) => s.id)).toEqual(['busy_T1', 'a9']);
  });

  it('rejects an empty or inverted window', async () => {
    // Act
    const failure = await source.getMetricData([query('a')], END, START).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(ValidationError);
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('makes no call for no queries', async () => {
    // Act
    const series = await source.getMetricData([], START, END);

    // Assess
    expect(series).toEqual([]);
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('gives up with a DependencyError when NextToken never ends', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [], NextToken: 'again' });

    // Act
    const failure = await source.getMetricData([query('a')], START, END).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(DependencyError);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, MAX_PAGES_PER_BATCH);
  });
});
