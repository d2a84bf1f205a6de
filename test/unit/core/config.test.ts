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
    { preset: 'seed', numerator: 'task_duration', denominator: 'task_interval', scale: 1, rate: undefined },
    {
      preset: 'flink-prometheus',
      numerator: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
      denominator: undefined,
      scale: 0.001,
      rate: 'flink_taskmanager_job_task_numRecordsInPerSecond',
    },
    {
      preset: 'container-insights-cpu',
      numerator: 'CpuUtilized',
      denominator: 'CpuReserved',
      scale: 1,
      rate: undefined,
    },
  ] as const)('preset $preset', ({ preset, numerator, denominator, scale, rate }) => {
    const r = resolveMetrics(parseConfig({ ...valid, metrics: { preset } }).metrics);
    expect(r.load).toEqual({ numerator, ...(denominator ? { denominator } : {}), scale });
    expect(r.processedRate).toBe(rate);
  });

  it.each([
    { preset: 'msk-consumer-lag', namespace: 'AWS/Kafka', metricName: 'SumOffsetLag', unit: 'records' },
    {
      preset: 'kinesis-iterator-age',
      namespace: 'AWS/Kinesis',
      metricName: 'GetRecords.IteratorAgeMilliseconds',
      unit: 'seconds',
    },
    {
      preset: 'flink-pending-records',
      namespace: 'ECS/ContainerInsights/Prometheus',
      metricName: 'flink_jobmanager_job_pendingRecords',
      unit: 'records',
    },
  ] as const)('backlog preset $preset', ({ preset, namespace, metricName, unit }) => {
    const r = resolveMetrics(
      parseConfig({ ...valid, metrics: { backlog: { preset, dimensions: { Topic: 'orders' } } } }).metrics,
    );
    expect(r.backlog).toMatchObject({
      ref: { namespace, metricName, dimensions: { Topic: 'orders' } },
      unit,
    });
  });

  it('overrides win over the preset', () => {
    const r = resolveMetrics(
      parseConfig({
        ...valid,
        metrics: { preset: 'seed', namespace: 'Mine', loadMetric: 'busy', loadDenominatorMetric: 'wall' },
      }).metrics,
    );
    expect(r).toMatchObject({ namespace: 'Mine', load: { numerator: 'busy', denominator: 'wall' } });
  });
});
