/**
 * The local CloudWatch in both protocols AWS serves: the query protocol (form POST, XML
 * replies and errors), as awscli 2.9 and the CloudWatch agent speak it, and the JSON protocol
 * of the current SDK; ListMetrics and DescribeAlarms in both.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  InvalidParameterCombinationException,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseQueryForm } from '../../src/cloud/cloudwatch-query';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;
let now = T0;
let cloud: LocalCloud;
let cloudwatch: CloudWatchClient;

async function query(
  params: Record<string, string>,
): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(cloud.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2010-08-01', ...params }).toString(),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

beforeEach(async () => {
  now = T0;
  cloud = await startLocalCloud({ clock: () => now });
  cloudwatch = new CloudWatchClient({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  cloud.cloudwatch.alarms.define(
    {
      name: 'lag-high',
      namespace: 'Playground',
      metricName: 'LagSeconds',
      dimensions: { ClusterName: 'flink' },
      statistic: 'Average',
      periodSeconds: 60,
      evaluationPeriods: 3,
      threshold: 60,
      comparison: 'GreaterThanThreshold',
    },
    T0,
  );
  cloud.cloudwatch.alarms.define(
    {
      name: 'busy-high',
      namespace: 'Playground',
      metricName: 'MaxBusyFraction',
      dimensions: {},
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 0.9,
      comparison: 'GreaterThanOrEqualToThreshold',
    },
    T0,
  );
});

afterEach(async () => {
  cloudwatch.destroy();
  await cloud.close();
});

describe('Function: parseQueryForm', () => {
  it('turns member lists and nested structures into the JSON request shape, with numbers and booleans', () => {
    const form = parseQueryForm(
      new URLSearchParams({
        Action: 'GetMetricData',
        Version: '2010-08-01',
        'MetricDataQueries.member.1.Id': 'q',
        'MetricDataQueries.member.1.ReturnData': 'false',
        'MetricDataQueries.member.1.MetricStat.Period': '60',
        'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name': 'B',
        'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name': 'A',
        'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value': 'x',
        'MetricData.member.1.Values.member.1': '1.5',
        'MetricData.member.1.Value': 'NaN',
        StartTime: '2026-01-01T00:00:00Z',
      }).toString(),
    );
    expect(form).toEqual({
      action: 'GetMetricData',
      version: '2010-08-01',
      input: {
        MetricDataQueries: [
          {
            Id: 'q',
            ReturnData: false,
            MetricStat: { Period: 60, Metric: { Dimensions: [{ Name: 'A', Value: 'x' }, { Name: 'B' }] } },
          },
        ],
        MetricData: [{ Values: [1.5], Value: 'NaN' }],
        StartTime: '2026-01-01T00:00:00Z',
      },
    });
  });
});

describe('Local CloudWatch: the query protocol', () => {
  it('stores PutMetricData and answers GetMetricData in XML, timestamps in ISO-8601', async () => {
    // Act
    const put = await query({
      Action: 'PutMetricData',
      Namespace: 'Test',
      'MetricData.member.1.MetricName': 'load',
      'MetricData.member.1.Value': '3',
      'MetricData.member.1.Timestamp': new Date(T0 - 5 * MIN).toISOString(),
      'MetricData.member.1.Dimensions.member.1.Name': 'TaskId',
      'MetricData.member.1.Dimensions.member.1.Value': 'tm-1',
    });
    const got = await query({
      Action: 'GetMetricData',
      StartTime: new Date(T0 - 10 * MIN).toISOString(),
      EndTime: new Date(T0).toISOString(),
      'MetricDataQueries.member.1.Id': 'q',
      'MetricDataQueries.member.1.MetricStat.Metric.Namespace': 'Test',
      'MetricDataQueries.member.1.MetricStat.Metric.MetricName': 'load',
      'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name': 'TaskId',
      'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value': 'tm-1',
      'MetricDataQueries.member.1.MetricStat.Period': '60',
      'MetricDataQueries.member.1.MetricStat.Stat': 'Sum',
    });

    // Assess
    expect(put).toMatchObject({ status: 200, type: 'text/xml' });
    expect(put.body).toMatch(
      /^<PutMetricDataResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/PutMetricDataResponse>$/,
    );
    expect(got.status).toBe(200);
    expect(got.body).toContain(
      '<GetMetricDataResult><MetricDataResults><member><Id>q</Id><Label>load</Label>' +
        `<Timestamps><member>${new Date(T0 - 5 * MIN).toISOString()}</member></Timestamps>` +
        '<Values><member>3</member></Values><StatusCode>Complete</StatusCode><Messages></Messages></member></MetricDataResults>',
    );
  });

  it('answers errors as XML ErrorResponse documents with Type, Code and Message', async () => {
    const bad = await query({
      Action: 'PutMetricData',
      Namespace: 'AWS/EC2',
      'MetricData.member.1.MetricName': 'm',
      'MetricData.member.1.Value': '1',
    });
    const unknown = await query({ Action: 'Frobnicate' });
    const resolution = await query({
      Action: 'PutMetricData',
      Namespace: 'Test',
      'MetricData.member.1.MetricName': 'm',
      'MetricData.member.1.Value': '1',
      'MetricData.member.1.StorageResolution': '5',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(
      /^<ErrorResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><Error><Type>Sender<\/Type><Code>InvalidParameterValue<\/Code><Message>The value AWS\/ for parameter Namespace is invalid\.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect(unknown.body).toContain(
      '<Code>InvalidAction</Code><Message>The action Frobnicate is not valid for this web service.</Message>',
    );
    expect(resolution.body).toContain('<Code>InvalidParameterValue</Code>');
    expect(cloud.requests.map((r) => [r.operation, r.status, r.errorCode])).toEqual([
      ['PutMetricData', 400, 'InvalidParameterValue'],
      ['Frobnicate', 400, 'UnknownOperationException'],
      ['PutMetricData', 400, 'InvalidParameterValue'],
    ]);
  });

  it('lists the alarms with DescribeAlarms, filtered by state, in XML', async () => {
    cloud.cloudwatch.alarms.setState('lag-high', 'ALARM', 'lag above 60 s', T0 + MIN);
    const all = await query({ Action: 'DescribeAlarms' });
    const alarming = await query({ Action: 'DescribeAlarms', StateValue: 'ALARM' });
    expect(all.body.match(/<AlarmName>([^<]+)<\/AlarmName>/g)).toEqual([
      '<AlarmName>busy-high</AlarmName>',
      '<AlarmName>lag-high</AlarmName>',
    ]);
    expect(alarming.body).toContain('<AlarmName>lag-high</AlarmName>');
    expect(alarming.body).not.toContain('busy-high');
    expect(alarming.body).toContain(
      `<StateValue>ALARM</StateValue><StateReason>lag above 60 s</StateReason><StateUpdatedTimestamp>${new Date(T0 + MIN).toISOString()}</StateUpdatedTimestamp>`,
    );
  });
});

describe('Local CloudWatch: ListMetrics and DescribeAlarms over JSON', () => {
  it('lists metrics with a point in the last two weeks, filtered by namespace, name and dimensions', async () => {
    // Prepare
    const metric = (name: string, dims: Record<string, string>, at: number) => ({
      MetricName: name,
      Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      Timestamp: new Date(at),
      Value: 1,
    });
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Flink',
        MetricData: [
          metric('busy', { TaskId: 'a', Cluster: 'c' }, T0 - MIN),
          metric('busy', { TaskId: 'b', Cluster: 'c' }, T0 - 4 * 3_600_000),
          metric('lag', { Cluster: 'c' }, T0 - MIN),
        ],
      }),
    );
    await cloudwatch.send(
      new PutMetricDataCommand({ Namespace: 'Other', MetricData: [metric('busy', {}, T0 - MIN)] }),
    );

    // Act
    const flink = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'Flink' }));
    const busyB = await cloudwatch.send(
      new ListMetricsCommand({ MetricName: 'busy', Dimensions: [{ Name: 'TaskId', Value: 'b' }] }),
    );
    const withTask = await cloudwatch.send(new ListMetricsCommand({ Dimensions: [{ Name: 'TaskId' }] }));
    const recent = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Flink', RecentlyActive: 'PT3H' }),
    );
    now = T0 + 15 * 86_400_000;
    const later = await cloudwatch.send(new ListMetricsCommand({}));

    // Assess
    expect(flink.Metrics?.map((m) => m.MetricName)).toEqual(['busy', 'busy', 'lag']);
    expect(busyB.Metrics).toEqual([
      {
        Namespace: 'Flink',
        MetricName: 'busy',
        Dimensions: [
          { Name: 'Cluster', Value: 'c' },
          { Name: 'TaskId', Value: 'b' },
        ],
      },
    ]);
    expect(withTask.Metrics).toHaveLength(2);
    expect(recent.Metrics?.map((m) => m.Dimensions?.find((d) => d.Name === 'TaskId')?.Value ?? '-')).toEqual([
      'a',
      '-',
    ]);
    expect(later.Metrics).toEqual([]);
  });

  it('describes alarms by name or prefix, and refuses names and prefix together', async () => {
    const byName = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['lag-high'] }));
    const byPrefix = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'busy' }));
    expect(byName.MetricAlarms?.[0]).toMatchObject({
      AlarmName: 'lag-high',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:lag-high',
      StateValue: 'INSUFFICIENT_DATA',
      Namespace: 'Playground',
      MetricName: 'LagSeconds',
      Dimensions: [{ Name: 'ClusterName', Value: 'flink' }],
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 60,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(byName.MetricAlarms?.[0]?.StateUpdatedTimestamp).toEqual(new Date(T0));
    expect(byPrefix.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['busy-high']);
    await expect(
      cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['lag-high'], AlarmNamePrefix: 'lag' })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
  });
});
