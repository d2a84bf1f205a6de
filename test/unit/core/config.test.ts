import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigJson } from '../../../lib/core/config';
import { ConfigError } from '../../../lib/core/errors';
import { resolveMetrics } from '../../../lib/core/metrics';

const valid = { appId: 'orders', ecs: { cluster: 'flink', service: 'tm' }, partitions: 32 };

describe('Function: parseConfig', () => {
  it('fills every default', () => {
    const c = parseConfig(valid);
    expect(c.policy).toMatchObject({
      mode: 'rate',
      targetUtilization: 0.8,
      minRescaleStep: 0.4,
      minTaskManagers: 1,
      maxTaskManagers: 10,
    });
    expect(c.metrics.preset).toBe('flink-prometheus');
    expect(c.dryRun).toBe(false);
  });

  it.each([
    { name: 'missing appId', patch: { appId: undefined }, field: 'appId' },
    { name: 'bad appId', patch: { appId: 'a b' }, field: 'appId' },
    { name: 'missing service', patch: { ecs: { cluster: 'x' } }, field: 'ecs.service' },
    { name: 'zero partitions', patch: { partitions: 0 }, field: 'partitions' },
    { name: 'unknown policy mode', patch: { policy: { mode: 'magic' } }, field: 'policy.mode' },
    {
      name: 'utilization above 1',
      patch: { policy: { targetUtilization: 1.5 } },
      field: 'policy.targetUtilization',
    },
    {
      name: 'min above max',
      patch: { policy: { minTaskManagers: 5, maxTaskManagers: 2 } },
      field: 'policy.minTaskManagers',
    },
    { name: 'unknown preset', patch: { metrics: { preset: 'x' } }, field: 'metrics.preset' },
    { name: 'unknown key (typo)', patch: { polcy: {} }, field: '(root)' },
    {
      name: 'bad backlog preset',
      patch: { metrics: { backlog: { preset: 'nope' } } },
      field: 'metrics.backlog.preset',
    },
    {
      name: 'a scrape interval that does not divide the period',
      patch: { metrics: { scrapeIntervalSeconds: 45 } },
      field: 'metrics.scrapeIntervalSeconds',
    },
    {
      name: 'the Flink backlog without the Flink preset',
      patch: { metrics: { preset: 'seed', backlog: { preset: 'flink-pending-records' } } },
      field: 'metrics.backlog.preset',
    },
  ])('$name → error names $field', ({ patch, field }) => {
    expect(() => parseConfig({ ...valid, ...patch })).toThrow(ConfigError);
    expect(() => parseConfig({ ...valid, ...patch })).toThrow(
      new RegExp(`${field.replace(/[.()]/g, '\\$&')}: `),
    );
  });

  it('reads JSON from the environment variable and says which one is wrong', () => {
    expect(parseConfigJson(JSON.stringify(valid)).appId).toBe('orders');
    expect(() => parseConfigJson(undefined)).toThrow(/AUTOSCALER_CONFIG: is not set/);
    expect(() => parseConfigJson('{nope')).toThrow(/AUTOSCALER_CONFIG: is not valid JSON/);
  });
});

describe('Function: resolveMetrics', () => {
  it.each([
    { preset: 'seed', numerator: 'task_duration', denominator: 'task_interval', scale: 1, stat: 'Average' },
    {
      preset: 'flink-prometheus',
      numerator: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
      denominator: undefined,
      scale: 0.001,
      stat: 'Maximum',
    },
    {
      preset: 'container-insights-cpu',
      numerator: 'CpuUtilized',
      denominator: 'CpuReserved',
      scale: 1,
      stat: 'Average',
    },
  ] as const)('per-TaskManager load of preset $preset', ({ preset, numerator, denominator, scale, stat }) => {
    const r = resolveMetrics(parseConfig({ ...valid, metrics: { preset } }));
    expect(r.perTask.load).toEqual({ numerator, ...(denominator ? { denominator } : {}), scale, stat });
  });

  it.each([
    { preset: 'seed', job: false, heartbeat: 'per-task' },
    { preset: 'flink-prometheus', job: true, heartbeat: 'fleet' },
    { preset: 'container-insights-cpu', job: false, heartbeat: 'none' },
  ] as const)('preset $preset: job-level series $job, heartbeat $heartbeat', ({ preset, job, heartbeat }) => {
    const r = resolveMetrics(parseConfig({ ...valid, metrics: { preset } }));
    expect(r.job !== undefined).toBe(job);
    expect(r.heartbeat.kind).toBe(heartbeat);
  });

  it('the Flink preset reads the job-level series of the service, k scrapes per period', () => {
    const r = resolveMetrics(parseConfig({ ...valid, metrics: { scrapeIntervalSeconds: 15 } }));
    expect(r.job).toMatchObject({
      dimensions: { ClusterName: 'flink', ServiceName: 'tm' },
      busy: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
      throughput: 'flink_taskmanager_job_task_operator_numRecordsOutPerSecond',
      heartbeat: 'flink_taskmanager_Status_JVM_CPU_Load',
      scrapesPerPeriod: 4,
    });
    expect(r.perTask.dimensions).toEqual({ ClusterName: 'flink' });
  });

  it.each([
    { preset: 'msk-consumer-lag', namespace: 'AWS/Kafka', metricName: 'SumOffsetLag', unit: 'records' },
    {
      preset: 'kinesis-iterator-age',
      namespace: 'AWS/Kinesis',
      metricName: 'GetRecords.IteratorAgeMilliseconds',
      unit: 'seconds',
    },
  ] as const)('backlog preset $preset', ({ preset, namespace, metricName, unit }) => {
    const r = resolveMetrics(
      parseConfig({ ...valid, metrics: { backlog: { preset, dimensions: { Topic: 'orders' } } } }),
    );
    expect(r.backlog).toMatchObject({
      kind: 'series',
      ref: { namespace, metricName, dimensions: { Topic: 'orders' } },
      unit,
    });
  });

  it('the Flink backlog is the source’s pendingRecords of the service: Sum with its SampleCount', () => {
    const r = resolveMetrics(
      parseConfig({ ...valid, metrics: { backlog: { preset: 'flink-pending-records' } } }),
    );
    const ref = {
      namespace: 'ECS/ContainerInsights/Prometheus',
      metricName: 'flink_taskmanager_job_task_operator_pendingRecords',
      dimensions: { ClusterName: 'flink', ServiceName: 'tm' },
    };
    expect(r.backlog).toEqual({
      kind: 'flink',
      sum: { ...ref, stat: 'Sum' },
      count: { ...ref, stat: 'SampleCount' },
      unit: 'records',
      scale: 1,
    });
  });

  it('MSK messages in: one series per broker, summed', () => {
    const r = resolveMetrics(
      parseConfig({
        ...valid,
        metrics: {
          inputRate: {
            preset: 'msk-messages-in',
            dimensions: { 'Cluster Name': 'k', Topic: 't' },
            brokerIds: ['1', '2'],
          },
        },
      }),
    );
    const input = r.inputRate;
    expect(input?.kind).toBe('series');
    expect(input?.kind === 'series' ? input.refs.map((ref) => ref.dimensions) : []).toEqual([
      { 'Cluster Name': 'k', Topic: 't', 'Broker ID': '1' },
      { 'Cluster Name': 'k', Topic: 't', 'Broker ID': '2' },
    ]);
  });

  it('the Kafka source’s offsets as the input: one Sum for the service, next to the Flink backlog', () => {
    const r = resolveMetrics(
      parseConfig({
        ...valid,
        metrics: {
          backlog: { preset: 'flink-pending-records' },
          inputRate: { preset: 'flink-kafka-offsets' },
        },
      }),
    );
    expect(r.inputRate).toEqual({
      kind: 'flink-offsets',
      sum: {
        namespace: 'ECS/ContainerInsights/Prometheus',
        metricName: 'flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset',
        dimensions: { ClusterName: 'flink', ServiceName: 'tm' },
        stat: 'Sum',
      },
    });
    expect(() =>
      parseConfig({ ...valid, metrics: { inputRate: { preset: 'flink-kafka-offsets' } } }),
    ).toThrow(/metrics\.inputRate\.preset: flink-kafka-offsets needs/);
  });

  it('overrides win over the preset', () => {
    const r = resolveMetrics(
      parseConfig({
        ...valid,
        metrics: { preset: 'seed', namespace: 'Mine', loadMetric: 'busy', loadDenominatorMetric: 'wall' },
      }),
    );
    expect(r.perTask).toMatchObject({ namespace: 'Mine', load: { numerator: 'busy', denominator: 'wall' } });
  });
});
