import { describe, expect, it } from 'vitest';
import { type AppConfig, parseConfig } from '../../../lib/core/config';
import type { MetricSeries, TaskInfo } from '../../../lib/core/domain';
import { DependencyError } from '../../../lib/core/errors';
import { FLEET_HEARTBEAT_ID, heartbeatMetrics } from '../../../lib/core/heartbeat';
import type { ResolvedMetrics } from '../../../lib/core/metrics';
import {
  type FleetRead,
  fleetQueries,
  fleetReadOf,
  type MetricsRead,
  planTaskMetrics,
  type TaskMetricsPlan,
  taskMetricsOf,
} from '../../../lib/core/reconcile-read';
import type { ClusterView } from '../../../lib/core/reconcile-rules';
import { healthItem, taskInfo } from '../../support/failover-fakes';
import { service } from '../../support/fixtures';

/** On the loads cadence (a multiple of 900 s); a minute later is off it. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;

const cfg = (over: Record<string, unknown> = {}): AppConfig =>
  parseConfig({ appId: 'orders', ecs: { cluster: 'flink', service: 'tm' }, partitions: 15, ...over });
const FLINK = heartbeatMetrics(cfg());
const SEED = heartbeatMetrics(cfg({ metrics: { preset: 'seed' } }));
const CPU = heartbeatMetrics(cfg({ metrics: { preset: 'container-insights-cpu' } }));

const failed = (message: string): MetricsRead => ({ ok: false, error: new DependencyError(message, true) });
const series = (id: string, points: [number, number][], status: MetricSeries['status'] = 'Complete') => ({
  id,
  timestamps: points.map(([t]) => t),
  values: points.map(([, v]) => v),
  status,
});
const ids = (queries: readonly { id: string }[]) => queries.map((q) => q.id);

describe('Function: fleetQueries', () => {
  it.each([
    {
      name: 'the fleet count and, on the cadence, the fleet’s busy time',
      resolved: FLINK,
      nowMs: T0,
      expected: [FLEET_HEARTBEAT_ID, 'fbmax', 'fbavg'],
    },
    {
      name: 'off the cadence: the fleet count alone',
      resolved: FLINK,
      nowMs: T0 + MIN,
      expected: [FLEET_HEARTBEAT_ID],
    },
    { name: 'the seed’s per-TaskManager heartbeats: no first read', resolved: SEED, nowMs: T0, expected: [] },
    { name: 'no heartbeat source (container CPU): no first read', resolved: CPU, nowMs: T0, expected: [] },
  ])('$name', ({ resolved, nowMs, expected }) => {
    expect(ids(fleetQueries(resolved, nowMs, 60))).toEqual(expected);
  });
});

describe('Function: fleetReadOf', () => {
  const answered = [series(FLEET_HEARTBEAT_ID, [[T0 - 2 * MIN, 6]])];
  it.each([
    { name: 'not made', read: undefined, expected: { kind: 'none' } },
    { name: 'answered', read: { ok: true, value: answered }, expected: { kind: 'read', series: answered } },
    {
      name: 'failed',
      read: failed('GetMetricData: Throttling'),
      expected: { kind: 'failed', message: 'GetMetricData: Throttling' },
    },
  ] satisfies { name: string; read: MetricsRead; expected: FleetRead }[])('$name', ({ read, expected }) => {
    expect(fleetReadOf(read)).toEqual(expected);
  });
});

describe('Function: planTaskMetrics', () => {
  /** Scrapes a TaskManager answers per period (60 s at 30 s). */
  const k = FLINK.heartbeat.kind === 'fleet' ? FLINK.heartbeat.scrapesPerPeriod : Number.NaN;
  /** The fleet count of one period ending a minute before `nowMs` (fresh under the 90 s timeout). */
  const count = (n: number, nowMs = T0): FleetRead => ({
    kind: 'read',
    series: [series(FLEET_HEARTBEAT_ID, [[nowMs - 2 * MIN, n]])],
  });
  const three = ['a', 'b', 'c'].map((id) => taskInfo(id, T0));
  const view = (tasks: readonly TaskInfo[]): ClusterView => ({
    atMs: T0,
    tasks,
    service: service(tasks.length),
    heartbeat: undefined,
    loads: {},
  });
  it.each([
    {
      name: 'no RUNNING TaskManager: nothing to read, nothing to judge (a failed fleet read is not reported)',
      tasks: [taskInfo('a', T0, { lastStatus: 'PROVISIONING' })],
      fleet: { kind: 'failed', message: 'Throttling' },
      expected: { running: [], perTask: [], judged: true, loads: false, queries: [], problems: [] },
    },
    {
      name: 'the fleet read failed: no heartbeat judged, said',
      fleet: { kind: 'failed', message: 'Throttling' },
      expected: {
        perTask: [],
        judged: false,
        queries: [],
        problems: ['metrics read failed, heartbeats not judged: Throttling'],
      },
    },
    {
      name: 'a complete fresh count vouches for all: no second read',
      fleet: count(3 * k),
      expected: {
        running: ['a', 'b', 'c'],
        perTask: [],
        judged: true,
        loads: false,
        queries: [],
        problems: [],
      },
    },
    {
      name: 'one that started after the vouching period is read on its own',
      config: cfg({ partitions: 16 }),
      tasks: [...three, taskInfo('d', T0, { startedAt: new Date(T0 - 30 * S) })],
      fleet: count(3 * k),
      expected: { perTask: ['d'], judged: true, loads: false, queries: ['h0'] },
    },
    {
      name: 'a short count (one hung or left early): every RUNNING one is read on its own',
      fleet: count(3 * k - 1),
      expected: { perTask: ['a', 'b', 'c'], judged: true, queries: ['h0', 'h1', 'h2'] },
    },
    {
      name: 'the balance has a choice (16 on 3) on the cadence, no fleet busy time: the loads of every RUNNING one too',
      config: cfg({ partitions: 16 }),
      fleet: count(3 * k),
      expected: { perTask: [], loads: true, queries: ['n0', 'n1', 'n2'] },
    },
    {
      name: 'a choice, but off the cadence: no loads',
      config: cfg({ partitions: 16 }),
      nowMs: T0 + MIN,
      fleet: count(3 * k, T0 + MIN),
      expected: { perTask: [], loads: false, queries: [] },
    },
    {
      name: 'the seed preset: every RUNNING one, its load series its heartbeat',
      resolved: SEED,
      fleet: { kind: 'none' },
      expected: {
        perTask: ['a', 'b', 'c'],
        judged: true,
        loads: true,
        queries: ['n0', 'd0', 'n1', 'd1', 'n2', 'd2'],
      },
    },
    {
      name: 'no heartbeat source: none judged, none read',
      resolved: CPU,
      fleet: { kind: 'none' },
      expected: { perTask: [], judged: false, loads: false, queries: [], problems: [] },
    },
  ] satisfies {
    name: string;
    tasks?: TaskInfo[];
    config?: AppConfig;
    resolved?: ResolvedMetrics;
    nowMs?: number;
    fleet: FleetRead;
    expected: Partial<Omit<TaskMetricsPlan, 'queries'>> & { queries?: string[] };
  }[])('$name', ({ tasks, config, resolved, nowMs, fleet, expected }) => {
    const t = tasks ?? three;
    const plan = planTaskMetrics({
      config: config ?? cfg(),
      resolved: resolved ?? FLINK,
      view: view(t),
      fleet,
      known: t.map((x) => healthItem(x.taskId, T0)),
      nowMs: nowMs ?? T0,
    });
    const { queries, ...rest } = expected;
    expect(plan).toMatchObject(rest);
    if (queries !== undefined) expect(ids(plan.queries)).toEqual(queries);
  });

  it('names what the fleet count said: vouched up to its period’s end', () => {
    const plan = planTaskMetrics({
      config: cfg(),
      resolved: FLINK,
      view: view(three),
      fleet: count(3 * k),
      known: [],
      nowMs: T0,
    });
    expect(plan.verdict).toMatchObject({ kind: 'vouched', heartbeatAt: T0 - MIN, taskIds: ['a', 'b', 'c'] });
  });
});

describe('Function: taskMetricsOf', () => {
  const vouched = (taskIds: string[], unvouched: string[]) =>
    ({ kind: 'vouched', heartbeatAt: T0 - MIN, taskIds, unvouched }) as const;
  const short = { kind: 'per-task', reason: 'fleet heartbeat short' } as const;
  /** By default the fleet count vouched for both RUNNING TaskManagers: nothing of their own to read. */
  const plan = (over: Partial<TaskMetricsPlan>): TaskMetricsPlan => ({
    running: ['a', 'b'],
    verdict: vouched(['a', 'b'], []),
    perTask: [],
    judged: true,
    loads: false,
    queries: [],
    problems: [],
    ...over,
  });
  /** Two full periods (2 scrapes each) of a's own heartbeat: its last answer at the newer one's end. */
  const own = series('h0', [
    [T0 - 3 * MIN, 2],
    [T0 - 2 * MIN, 2],
  ]);
  it.each([
    {
      name: 'all vouched, nothing read: each at the period’s end',
      plan: plan({}),
      read: undefined,
      expected: {
        heartbeat: new Map([
          ['a', T0 - MIN],
          ['b', T0 - MIN],
        ]),
        loads: {},
        problems: [],
      },
    },
    {
      name: 'one unvouched, read: its own newest evidence',
      plan: plan({ verdict: vouched(['b'], ['a']), perTask: ['a'] }),
      read: { ok: true, value: [own] },
      expected: {
        heartbeat: new Map([
          ['b', T0 - MIN],
          ['a', T0 - MIN],
        ]),
        loads: {},
        problems: [],
      },
    },
    {
      name: 'a complete series with no datapoint: null (stale)',
      plan: plan({ verdict: vouched(['b'], ['a']), perTask: ['a'] }),
      read: { ok: true, value: [series('h0', [])] },
      expected: {
        heartbeat: new Map([
          ['b', T0 - MIN],
          ['a', null],
        ]),
        loads: {},
        problems: [],
      },
    },
    {
      name: 'a partial series: that one not judged, said',
      plan: plan({ running: ['a'], verdict: short, perTask: ['a'] }),
      read: { ok: true, value: [series('h0', [[T0 - 2 * MIN, 1]], 'PartialData')] },
      expected: { heartbeat: new Map(), loads: {}, problems: ['a: heartbeat PartialData, not judged'] },
    },
    {
      name: 'the read failed for the unvouched only: the vouched keep theirs, the others not judged',
      plan: plan({ verdict: vouched(['b'], ['a']), perTask: ['a'] }),
      read: failed('Throttling'),
      expected: {
        heartbeat: new Map([['b', T0 - MIN]]),
        loads: {},
        problems: ['per-TaskManager metrics read failed: Throttling', 'a: heartbeat Missing, not judged'],
      },
    },
    {
      name: 'the read failed while every RUNNING one was to be read: no heartbeat judged',
      plan: plan({ verdict: short, perTask: ['a', 'b'], loads: true }),
      read: failed('Throttling'),
      expected: {
        heartbeat: undefined,
        loads: {},
        problems: ['per-TaskManager metrics read failed: Throttling'],
      },
    },
    {
      name: 'not judged (no fleet count, no series of their own): no heartbeat map',
      plan: plan({ verdict: undefined, judged: false }),
      read: undefined,
      expected: { heartbeat: undefined, loads: {}, problems: [] },
    },
    {
      name: 'loads read: each RUNNING one’s busiest subtask as a fraction',
      plan: plan({ loads: true }),
      read: {
        ok: true,
        value: [series('n0', [[T0 - 2 * MIN, 900]]), series('n1', [[T0 - 2 * MIN, 300]])],
      },
      expected: {
        heartbeat: new Map([
          ['a', T0 - MIN],
          ['b', T0 - MIN],
        ]),
        loads: { a: 0.9, b: 0.3 },
        problems: [],
      },
    },
  ] satisfies {
    name: string;
    plan: TaskMetricsPlan;
    read: MetricsRead;
    expected: ReturnType<typeof taskMetricsOf>;
  }[])('$name', ({ plan: p, read, expected }) => {
    expect(taskMetricsOf(FLINK, p, read, T0)).toEqual(expected);
  });
});
