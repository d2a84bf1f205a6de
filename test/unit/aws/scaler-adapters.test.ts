/**
 * The scaler through its real adapters, with the SDK clients mocked (aws-sdk-client-mock):
 * what CloudWatch or ECS answer decides what the scaler may do.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricsSource } from '../../../lib/aws/cloudwatch-metrics';
import { EcsServiceController } from '../../../lib/aws/ecs-service';
import { Scaler } from '../../../lib/scaler';
import { flinkFleet, ManualClock, MemoryStore } from '../../support/fakes';
import { config, T0 } from '../../support/fixtures';

const ecsMock = mockClient(ECSClient);
const cwMock = mockClient(CloudWatchClient);
const TASKS = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7', 'h8'];

/** Ticks enough to cover the scale-in stabilization window (a minute each), and two more. */
const TICKS = config().policy.scaleInStabilizationSeconds / 60 + 2;

function scaler(store = new MemoryStore()) {
  const cfg = config();
  return {
    store,
    scaler: new Scaler({
      config: cfg,
      store,
      ecs: new EcsServiceController(new ECSClient({ region: 'eu-west-1' }), 'flink', 'taskmanager'),
      metrics: new CloudWatchMetricsSource(new CloudWatchClient({ region: 'eu-west-1' })),
      clock: new ManualClock(T0),
    }),
  };
}

interface WireQuery {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
}

/** A lightly loaded cluster of 8 (busy 25%, 250 rec/s each): a scale-in on complete data. */
function idleMetrics(status: (id: string) => 'Complete' | 'PartialData' | 'InternalError') {
  // What CloudWatch holds for the Flink definition's series of 8 TaskManagers at 12.5% busy
  // reading 125 records/s each, the last 3 minutes before EndTime.
  const value = flinkFleet({ busy: 0.25, rate: 250, taskManagers: () => TASKS.length });
  cwMock.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: WireQuery[]; EndTime: Date }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => {
      const v = value({
        id: q.Id,
        namespace: q.MetricStat.Metric.Namespace,
        metricName: q.MetricStat.Metric.MetricName,
        dimensions: Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d) => [d.Name, d.Value])),
        stat: q.MetricStat.Stat,
        periodSeconds: q.MetricStat.Period,
      });
      return {
        Id: q.Id,
        StatusCode: status(q.Id),
        Timestamps: [3, 2, 1].map((m) => new Date(input.EndTime.getTime() - m * 60_000)),
        Values: [v, v, v],
      };
    }),
  }));
}

beforeEach(() => {
  ecsMock.reset();
  cwMock.reset();
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'taskmanager',
        desiredCount: 8,
        runningCount: 8,
        pendingCount: 0,
        status: 'ACTIVE',
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
    failures: [],
  });
  ecsMock
    .on(ListTasksCommand)
    .resolves({ taskArns: TASKS.map((t) => `arn:aws:ecs:eu-west-1:123456789012:task/flink/${t}`) });
  ecsMock.on(DescribeTasksCommand).resolves({
    tasks: TASKS.map((t) => ({
      taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/flink/${t}`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'HEALTHY',
      startedAt: new Date(T0 - 3_600_000),
    })),
    failures: [],
  });
  ecsMock.on(UpdateServiceCommand).resolves({});
});

describe('Scaler with mocked SDK clients', () => {
  it('PartialData from GetMetricData → InsufficientData and no UpdateService, tick after tick', async () => {
    // Prepare: the fleet's heartbeat count is partial; the stabilization window would allow a scale-in otherwise.
    idleMetrics((id) => (id === 'jh' ? 'PartialData' : 'Complete'));
    const { scaler: s } = scaler();
    const clock = (s as unknown as { deps: { clock: ManualClock } }).deps.clock;
    const reasons: string[] = [];
    // Act
    for (let i = 0; i < TICKS; i++) {
      reasons.push((await s.handle({ kind: 'schedule', eventTime: clock.now() })).reason);
      clock.advance(60);
    }
    // Assess
    expect(new Set(reasons)).toEqual(new Set(['InsufficientData']));
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
  });

  it('the same metrics complete → the scale-in happens (the test above can fail)', async () => {
    idleMetrics(() => 'Complete');
    const { scaler: s } = scaler();
    const clock = (s as unknown as { deps: { clock: ManualClock } }).deps.clock;
    for (let i = 0; i < TICKS; i++) {
      await s.handle({ kind: 'schedule', eventTime: clock.now() });
      clock.advance(60);
    }
    // 8 × 250 = 2000 rec/s: 2000/0.8 = 2500 → 3 TaskManagers (2667), shedding 67% (≥ the
    // minimum step), in one step (maxScaleInStep 16); see policy.test.ts, 'lightly loaded'.
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'flink',
      service: 'taskmanager',
      desiredCount: 3,
    });
  });

  it('throttling on DescribeServices → Throttled, desired unchanged, nothing written', async () => {
    idleMetrics(() => 'Complete');
    ecsMock.on(DescribeServicesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
      }),
    );
    const { scaler: s, store } = scaler();
    const d = await s.handle({ kind: 'schedule', eventTime: new Date(T0) });
    expect(d.reason).toBe('Throttled');
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
    expect(store.writes).toBe(0);
  });

  it('throttling on GetMetricData → InsufficientData, desired unchanged', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $retryable: { throttling: true } }),
      );
    const { scaler: s } = scaler();
    const d = await s.handle({ kind: 'schedule', eventTime: new Date(T0) });
    expect(d).toMatchObject({ reason: 'InsufficientData', desired: 8 });
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
  });
});
