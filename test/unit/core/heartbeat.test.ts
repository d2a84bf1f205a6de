import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/core/config';
import type { MetricSeries, TaskHealthItem, TaskInfo } from '../../../lib/core/domain';
import {
  FLEET_HEARTBEAT_ID,
  fleetHeartbeatQuery,
  heartbeatMetrics,
  loadsDue,
  membershipChange,
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

describe('Function: membershipChange', () => {
  const start = T0 - 2 * MIN;
  it.each([
    { name: 'the same TaskManagers all along', tasks: three, known, changed: false },
    {
      name: 'one started after the period began',
      tasks: [...three, task('d', start + 10_000)],
      known,
      changed: true,
    },
    {
      name: 'one started less than a scrape interval before it',
      tasks: [...three, task('d', start - 20_000)],
      known,
      changed: true,
    },
    {
      name: 'one started a scrape interval before it',
      tasks: [...three, task('d', start - 30_000)],
      known,
      changed: false,
    },
    {
      name: 'one gone before the period began',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED', goneAt: start - 1 })],
      changed: false,
    },
    {
      name: 'one gone after the period began',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED', goneAt: start + 1 })],
      changed: true,
    },
    {
      name: 'one gone, recorded before goneAt existed',
      tasks: three,
      known: [...known, item('x', { status: 'DEAD', ecsStatus: 'STOPPED' })],
      changed: true,
    },
    {
      name: 'one leaving (no longer listed, not gone yet)',
      tasks: three,
      known: [...known, item('x', { status: 'DRAINING', ecsStatus: 'RUNNING' })],
      changed: true,
    },
    {
      name: 'one still provisioning',
      tasks: [...three, task('p', T0, 'PROVISIONING')],
      known: [
        ...known,
        { ...item('p', { status: 'SUSPECT', ecsStatus: 'PROVISIONING' }), startedAt: undefined },
      ],
      changed: false,
    },
  ])('$name → changed $changed', ({ tasks, known: items, changed }) => {
    expect(membershipChange(tasks, items, start, 30) !== undefined).toBe(changed);
  });
});

describe('Function: vouchForFleet', () => {
  const vouch = (series: MetricSeries | undefined, tasks = three, items = known) =>
    vouchForFleet({ resolved, series, tasks, known: items, nowMs: T0 });

  it('vouches for every RUNNING TaskManager through the newest complete period', () => {
    expect(
      vouch(
        counts([
          [3, 6],
          [2, 6],
          [1, 2],
        ]),
      ),
    ).toEqual({ kind: 'vouched', heartbeatAt: T0 - MIN, taskIds: ['a', 'b', 'c'] });
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
    { name: 'no count for the period', series: counts([[3, 6]]), reason: /0 < 2×3/ },
    { name: 'the count PartialData', series: counts([[2, 6]], 'PartialData'), reason: /PartialData/ },
    { name: 'the count not read', series: undefined, reason: /not read/ },
  ])('$name → per TaskManager ($reason)', ({ series, reason }) => {
    const v = vouch(series);
    expect(v.kind).toBe('per-task');
    if (v.kind === 'per-task') expect(v.reason).toMatch(reason);
  });

  it('never vouches while the set of TaskManagers changed, whatever the count says', () => {
    const leaving = [...known, item('x', { status: 'DRAINING', ecsStatus: 'RUNNING' })];
    expect(vouch(counts([[2, 8]]), three, leaving).kind).toBe('per-task');
  });
});

describe('Function: readTaskHeartbeats', () => {
  it('the end of each TaskManager’s newest period, null without one, absent when not complete', () => {
    const view = readTaskHeartbeats(
      resolved,
      ['a', 'b', 'c'],
      [
        { id: 'h0', timestamps: [T0 - 3 * MIN, T0 - 2 * MIN], values: [2, 2], status: 'Complete' },
        { id: 'h1', timestamps: [], values: [], status: 'Complete' },
        { id: 'h2', timestamps: [T0 - 2 * MIN], values: [2], status: 'PartialData' },
      ],
    );
    expect([...view.heartbeat.entries()]).toEqual([
      ['a', T0 - MIN],
      ['b', null],
    ]);
  });
});

describe('Function: loadsDue', () => {
  const at = (minute: number) => T0 + minute * MIN;
  it.each([
    { name: 'a choice, on the cadence', partitions: 16, live: 5, nowMs: at(15), due: true },
    { name: 'a choice, off the cadence', partitions: 16, live: 5, nowMs: at(16), due: false },
    { name: 'no choice (16 on 4)', partitions: 16, live: 4, nowMs: at(15), due: false },
    { name: 'nobody live', partitions: 16, live: 0, nowMs: at(15), due: false },
  ])('$name → $due', ({ partitions, live, nowMs, due }) => {
    expect(loadsDue({ resolved, nowMs, scheduleSeconds: 60, partitions, live })).toBe(due);
  });
});
