import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/core/config';
import type { MetricSeries, TaskHealthItem, TaskInfo } from '../../../lib/core/domain';
import {
  FLEET_BUSY_IDS,
  FLEET_HEARTBEAT_ID,
  fleetBusyQueries,
  fleetHeartbeatQuery,
  heartbeatEvidence,
  heartbeatMetrics,
  loadsCadence,
  loadsIntervalSeconds,
  loadsVerdict,
  periodContributors,
  readTaskHeartbeats,
  taskHeartbeatQueries,
  vouchForFleet,
} from '../../../lib/core/heartbeat';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
const cfg = parseConfig({ appId: 'a', ecs: { cluster: 'c', service: 's' }, partitions: 16 });
const resolved = heartbeatMetrics(cfg);

function task(id: string, startedAt = T0 - 3_600_000, lastStatus = 'RUNNING'): TaskInfo {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:1:task/c/${id}`,
    taskId: id,
    lastStatus,
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    startedAt: new Date(startedAt),
  };
}

function item(id: string, extra: Partial<TaskHealthItem> = {}): TaskHealthItem {
  return {
    taskId: id,
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: 2,
    misses: 0,
    lastSeen: T0 - 3_600_000,
    startedAt: T0 - 3_600_000,
    version: 1,
    ...extra,
  };
}

/** The fleet count per period (minutes before T0 → SampleCount). */
function counts(points: [number, number][], status: MetricSeries['status'] = 'Complete'): MetricSeries {
  return {
    id: FLEET_HEARTBEAT_ID,
    timestamps: points.map(([m]) => T0 - m * MIN),
    values: points.map(([, v]) => v),
    status,
  };
}

const three = [task('a'), task('b'), task('c')];
const known = three.map((t) => item(t.taskId));

describe('Function: fleetHeartbeatQuery / taskHeartbeatQueries', () => {
  it('asks for the heartbeat’s SampleCount of the service, and per TaskManager only when told to', () => {
    expect(fleetHeartbeatQuery(resolved)).toMatchObject({
      metricName: 'flink_taskmanager_Status_JVM_CPU_Load',
      dimensions: { ClusterName: 'c', ServiceName: 's' },
      stat: 'SampleCount',
    });
    expect(taskHeartbeatQueries(resolved, ['a', 'b']).map((q) => [q.id, q.dimensions])).toEqual([
      ['h0', { ClusterName: 'c', TaskId: 'a' }],
      ['h1', { ClusterName: 'c', TaskId: 'b' }],
    ]);
  });

  it('has no fleet count for the presets without one', () => {
    const seed = heartbeatMetrics(parseConfig({ ...cfg, metrics: { preset: 'seed' } }));
    expect(fleetHeartbeatQuery(seed)).toBeUndefined();
    expect(taskHeartbeatQueries(seed, ['a']).map((q) => q.id)).toEqual(['n0', 'd0']);
  });
});

describe('Function: periodContributors', () => {
  const start = T0 - 2 * MIN;
  const end = start + MIN;
  const ids = (tasks: TaskInfo[], items: TaskHealthItem[]) => periodContributors(tasks, items, start, end);
  it.each([
    { name: 'the same TaskManagers all along', tasks: three, known, out: ['a', 'b', 'c'] },
    {
      name: 'one started during the period (it may have answered)',
      tasks: [...three, task('d', start + 10_000)],
      known,
      out: ['a', 'b', 'c', 'd'],
    },
    {
      name: 'one started after the period (it cannot have answered)',
      tasks: [...three, task('d', end)],
      known,
      out: ['a', 'b', 'c'],
    },
    {
      name: 'one gone before the period began',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED', goneAt: start })],
      out: ['a', 'b', 'c'],
    },
    {
      name: 'one gone after the period began (it may have answered)',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED', goneAt: start + 1 })],
      out: ['a', 'b', 'c', 'x'],
    },
    {
      name: 'one gone, recorded before goneAt existed',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED' })],
      out: ['a', 'b', 'c', 'x'],
    },
    {
      name: 'one leaving (no longer listed, not gone yet)',
      tasks: three,
      known: [...known, item('x', { status: 'DRAINING', ecsStatus: 'RUNNING' })],
      out: ['a', 'b', 'c', 'x'],
    },
    {
      name: 'one still provisioning (never RUNNING)',
      tasks: [...three, task('p', T0, 'PROVISIONING')],
      known: [
        ...known,
        { ...item('p', { status: 'SUSPECT', ecsStatus: 'PROVISIONING' }), startedAt: undefined },
      ],
      out: ['a', 'b', 'c'],
    },
  ])('$name → $out', ({ tasks, known: items, out }) => {
    expect(ids(tasks, items)).toEqual(out);
  });
});

describe('Function: vouchForFleet', () => {
  const vouch = (
    series: MetricSeries | undefined,
    tasks = three,
    items = known,
    runningCount = tasks.length,
  ) => vouchForFleet({ resolved, series, tasks, runningCount, known: items, timeoutSeconds: 90, nowMs: T0 });

  it('vouches for every RUNNING TaskManager through the newest period whose count covers them all', () => {
    expect(
      vouch(
        counts([
          [3, 6],
          [2, 6],
          [1, 2],
        ]),
      ),
    ).toEqual({ kind: 'vouched', heartbeatAt: T0 - MIN, taskIds: ['a', 'b', 'c'], unvouched: [] });
    // The newer period already complete: vouched through its end.
    expect(
      vouch(
        counts([
          [2, 6],
          [1, 6],
        ]),
      ),
    ).toMatchObject({ kind: 'vouched', heartbeatAt: T0 });
  });

  it.each([
    { name: 'a short count', series: counts([[2, 5]]), reason: /5 < 2×3/ },
    { name: 'no period since the timeout', series: counts([[3, 6]]), reason: /no period/ },
    { name: 'the count PartialData', series: counts([[2, 6]], 'PartialData'), reason: /PartialData/ },
    { name: 'the count not read', series: undefined, reason: /not read/ },
  ])('$name → per TaskManager ($reason)', ({ series, reason }) => {
    const v = vouch(series);
    expect(v.kind).toBe('per-task');
    if (v.kind === 'per-task') expect(v.reason).toMatch(reason);
  });

  it('a period older than the heartbeat timeout never vouches (its end would read as stale)', () => {
    // Ends 2 min before T0: 120 s > 90 s.
    expect(vouch(counts([[3, 6]])).kind).toBe('per-task');
    expect(
      vouchForFleet({
        resolved,
        series: counts([[3, 6]]),
        tasks: three,
        runningCount: 3,
        known,
        timeoutSeconds: 120,
        nowMs: T0,
      }),
    ).toMatchObject({ kind: 'vouched', heartbeatAt: T0 - 2 * MIN });
  });

  it('a TaskManager that left during the period counts as if it answered every scrape', () => {
    const leaving = [...known, item('x', { status: 'DRAINING', ecsStatus: 'RUNNING' })];
    // x answered both scrapes (8 = 2 × 4): everyone did.
    expect(vouch(counts([[2, 8]]), three, leaving)).toMatchObject({
      kind: 'vouched',
      taskIds: ['a', 'b', 'c'],
    });
    // 7: one of the four missed one, maybe a listed one that hung while x still answered.
    expect(vouch(counts([[2, 7]]), three, leaving).kind).toBe('per-task');
  });

  it('before a TaskManager joined, the older period vouches for the others and the newcomer is read alone', () => {
    const joined = [...three, task('d', T0 - MIN)];
    // [T0-2m, T0-1m) ended as d started: 6 = 2 × 3 vouches for a, b, c; [T0-1m, T0) has d at 1 scrape.
    expect(
      vouch(
        counts([
          [2, 6],
          [1, 7],
        ]),
        joined,
      ),
    ).toEqual({ kind: 'vouched', heartbeatAt: T0 - MIN, taskIds: ['a', 'b', 'c'], unvouched: ['d'] });
  });

  it('a hung TaskManager’s gap is not filled by one that joined or left (each counts at most k)', () => {
    const joined = [...three, task('d', T0 - 2 * MIN + 10_000)];
    // c hung: a, b answer 2 each, d joined and answered 2 → 6 < 2 × 4.
    expect(vouch(counts([[2, 6]]), joined).kind).toBe('per-task');
  });

  it('never vouches when ECS counts more RUNNING tasks than it listed', () => {
    expect(vouch(counts([[1, 6]]), three, known, 4)).toMatchObject({ kind: 'per-task', reason: /counts 4/ });
  });
});

describe('Function: heartbeatEvidence', () => {
  const start = T0 - 2 * MIN;
  it.each([
    { name: 'both scrapes of the period', value: 2, at: start + MIN },
    {
      name: 'the first scrape only (then hung, or the second not visible yet)',
      value: 1,
      at: start + 30_000,
    },
    { name: 'more than k (capped at the period end)', value: 3, at: start + MIN },
    { name: 'a non-finite value', value: Number.NaN, at: start + MIN },
  ])('$name → $at', ({ value, at }) => {
    expect(heartbeatEvidence(resolved, start, value)).toBe(at);
  });

  it('the seed’s per-minute metrics: the period’s end', () => {
    const seed = heartbeatMetrics(parseConfig({ ...cfg, metrics: { preset: 'seed' } }));
    expect(heartbeatEvidence(seed, start, 1)).toBe(start + MIN);
  });
});

describe('Function: readTaskHeartbeats', () => {
  it('the evidence of each TaskManager’s newest period, null without one, absent when not complete', () => {
    const view = readTaskHeartbeats(
      resolved,
      ['a', 'b', 'c', 'd'],
      [
        { id: 'h0', timestamps: [T0 - 3 * MIN, T0 - 2 * MIN], values: [2, 2], status: 'Complete' },
        { id: 'h1', timestamps: [], values: [], status: 'Complete' },
        { id: 'h2', timestamps: [T0 - 2 * MIN], values: [2], status: 'PartialData' },
        { id: 'h3', timestamps: [T0 - 3 * MIN, T0 - 2 * MIN], values: [2, 1], status: 'Complete' },
      ],
    );
    expect([...view.heartbeat.entries()]).toEqual([
      ['a', T0 - MIN],
      ['b', null],
      ['d', T0 - 2 * MIN + 30_000],
    ]);
  });
});

describe('Function: loadsIntervalSeconds', () => {
  it.each([
    { name: 'unset, before the table is read', live: undefined, every: undefined, interval: 900 },
    { name: 'unset, 10 TaskManagers', live: 10, every: undefined, interval: 900 },
    { name: 'unset, 15 TaskManagers (a metric per reconcile)', live: 15, every: undefined, interval: 900 },
    { name: 'unset, 16 TaskManagers', live: 16, every: undefined, interval: 1800 },
    { name: 'unset, 48 TaskManagers', live: 48, every: undefined, interval: 3600 },
    { name: 'unset, 500 TaskManagers', live: 500, every: undefined, interval: 30_600 },
    { name: 'configured, kept whatever the fleet', live: 500, every: 300, interval: 300 },
  ])('$name → $interval s', ({ live, every, interval }) => {
    const r = heartbeatMetrics(
      parseConfig({
        ...cfg,
        metrics: { ...cfg.metrics, ...(every ? { taskManagerLoadEverySeconds: every } : {}) },
      }),
    );
    expect(
      loadsIntervalSeconds({ resolved: r, scheduleSeconds: 60, ...(live === undefined ? {} : { live }) }),
    ).toBe(interval);
  });

  it('costs at most about one metric per reconcile by default, whatever the fleet', () => {
    const r = heartbeatMetrics(parseConfig(cfg));
    for (const live of [1, 7, 15, 16, 50, 99, 500, 2000]) {
      const readsPerReconcile = 60 / loadsIntervalSeconds({ resolved: r, scheduleSeconds: 60, live });
      expect(live * readsPerReconcile).toBeLessThanOrEqual(1);
    }
  });
});

describe('Function: loadsCadence', () => {
  it.each([
    { minute: 15, live: undefined, due: true },
    { minute: 16, live: undefined, due: false },
    { minute: 30, live: undefined, due: true },
    { minute: 30, live: 48, due: false },
    { minute: 60, live: 48, due: true },
  ])('minute $minute, $live live → $due', ({ minute, live, due }) => {
    expect(
      loadsCadence({
        resolved,
        nowMs: T0 + minute * MIN,
        scheduleSeconds: 60,
        ...(live === undefined ? {} : { live }),
      }),
    ).toBe(due);
  });

  it('the seed preset reads its loads with its heartbeats, every reconcile', () => {
    const seed = heartbeatMetrics(parseConfig({ ...cfg, metrics: { preset: 'seed' } }));
    expect(loadsCadence({ resolved: seed, nowMs: T0 + 16 * MIN, scheduleSeconds: 60 })).toBe(true);
  });
});

describe('Function: loadsVerdict', () => {
  /** The fleet's busy time (ms/s) over the last four periods: [Maximum, Average] each. */
  const busy = (points: [number, number][], status: MetricSeries['status'] = 'Complete'): MetricSeries[] => {
    const times = points.map((_, i) => T0 - (points.length - i) * MIN);
    return [
      { id: FLEET_BUSY_IDS.maximum, timestamps: times, values: points.map(([m]) => m), status },
      { id: FLEET_BUSY_IDS.average, timestamps: times, values: points.map(([, a]) => a), status },
    ];
  };
  const even: [number, number][] = [
    [650, 600],
    [660, 610],
    [640, 600],
  ];
  const verdict = (extra: Partial<Parameters<typeof loadsVerdict>[0]> = {}) =>
    loadsVerdict({
      resolved,
      cadence: true,
      partitions: 16,
      live: 5,
      loadFactor: 1.2,
      fleetBusy: busy(even),
      nowMs: T0,
      ...extra,
    });

  it('asks the fleet’s busiest and mean subtask, two queries whatever the fleet', () => {
    expect(fleetBusyQueries(resolved).map((q) => [q.id, q.stat, q.dimensions])).toEqual([
      [FLEET_BUSY_IDS.maximum, 'Maximum', { ClusterName: 'c', ServiceName: 's' }],
      [FLEET_BUSY_IDS.average, 'Average', { ClusterName: 'c', ServiceName: 's' }],
    ]);
  });

  it.each([
    { name: 'a choice, the busiest within 1.2 × the mean: none can be hot', extra: {}, read: false },
    { name: 'off the cadence', extra: { cadence: false }, read: false },
    { name: 'no choice (16 on 4)', extra: { live: 4 }, read: false },
    { name: 'nobody live', extra: { live: 0 }, read: false },
    {
      name: 'one period with the busiest above 1.2 × the mean',
      extra: {
        fleetBusy: busy([
          [650, 600],
          [900, 600],
          [640, 600],
        ]),
      },
      read: true,
    },
    { name: 'the fleet’s busy time partial', extra: { fleetBusy: busy(even, 'PartialData') }, read: true },
    { name: 'the fleet’s busy time not read', extra: { fleetBusy: undefined }, read: true },
    { name: 'no period in the window', extra: { fleetBusy: busy([]) }, read: true },
  ])('$name → read $read', ({ extra, read }) => {
    expect(verdict(extra).read).toBe(read);
  });

  it('the presets without fleet series read them on the cadence when there is a choice', () => {
    const ci = heartbeatMetrics(parseConfig({ ...cfg, metrics: { preset: 'container-insights-cpu' } }));
    expect(fleetBusyQueries(ci)).toEqual([]);
    expect(verdict({ resolved: ci, fleetBusy: undefined }).read).toBe(true);
    expect(verdict({ resolved: ci, cadence: false }).read).toBe(false);
  });
});
