import { describe, expect, it } from 'vitest';
import type { PartitionItem, ServiceState, TaskHealthItem, TaskInfo } from '../../../lib/core/domain';
import type { HealthConfig } from '../../../lib/core/health';
import {
  type ClusterView,
  chooseStops,
  describedObservation,
  drainedToStop,
  eventDescribeTargets,
  hotForBalance,
  metricsOutage,
  observationsOf,
  PROTECTION_RENEW_MINUTES,
  PRUNE_AFTER_SECONDS,
  protectionChanges,
  prunable,
  rolesOf,
  scaleInVictims,
  stopReason,
  unlistedTasks,
} from '../../../lib/core/reconcile-rules';
import { healthItem, taskInfo } from '../../support/failover-fakes';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const S = 1000;
const HEALTH: HealthConfig = { heartbeatTimeoutSeconds: 90, missesToDead: 1, maxStopsPerMinute: 1 };

const item = (taskId: string, over: Partial<TaskHealthItem> = {}) => healthItem(taskId, T0, over);
const info = (taskId: string, over: Partial<TaskInfo> = {}) => taskInfo(taskId, T0, over);

function view(
  tasks: TaskInfo[],
  over: Partial<ServiceState> = {},
  rest: Partial<ClusterView> = {},
): ClusterView {
  return {
    atMs: T0,
    tasks,
    service: {
      desiredCount: tasks.length,
      runningCount: tasks.length,
      pendingCount: 0,
      deploymentInProgress: false,
      status: 'ACTIVE',
      ...over,
    },
    heartbeat: new Map(tasks.map((t) => [t.taskId, T0 - 30 * S])),
    loads: {},
    ...rest,
  };
}

const byId = (items: TaskHealthItem[]) => new Map(items.map((t) => [t.taskId, t]));

describe('Rule: unlistedTasks', () => {
  it.each([
    { name: 'a listed task is not unlisted', known: [item('a')], listed: ['a'], expected: [] },
    { name: 'a known task ListTasks did not return is', known: [item('a')], listed: [], expected: ['a'] },
    {
      name: 'a DEAD one is not (fenced for good)',
      known: [item('a', { status: 'DEAD' })],
      listed: [],
      expected: [],
    },
    {
      name: 'one that started after the listing is not (too new for it)',
      known: [item('a', { startedAt: T0 + 5 * S })],
      listed: [],
      expected: [],
    },
    {
      name: 'sorted by id',
      known: [item('c'), item('a'), item('b')],
      listed: ['b'],
      expected: ['a', 'c'],
    },
  ])('$name', ({ known, listed, expected }) => {
    expect(unlistedTasks(known, new Set(listed), T0)).toEqual(expected);
  });
});

describe('Rule: observationsOf', () => {
  it('on an event: only the event’s task, and no heartbeat judged', () => {
    const ecs = { source: 'event', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 7 } as const;
    const obs = observationsOf([item('a'), item('b')], { taskId: 'a', ecs }, undefined, 60);
    expect([...obs.entries()]).toEqual([['a', { ecs, reconcile: false }]]);
  });

  it('on a reconcile: every listed task as described, with its heartbeat where the metrics answered', () => {
    const v = view([info('a'), info('b')], {}, { heartbeat: new Map([['a', T0 - 40 * S]]) });
    const obs = observationsOf([item('a'), item('b')], undefined, v, 60);
    expect(obs.get('a')).toEqual({
      ecs: describedObservation(info('a')),
      reconcile: true,
      reconcileSeconds: 60,
      lastDatapointAt: T0 - 40 * S,
    });
    expect(obs.get('b')).toMatchObject({ reconcile: false });
    expect(obs.get('b')).not.toHaveProperty('lastDatapointAt');
  });

  it.each([
    {
      name: 'an unlisted task DescribeTasks describes: as described',
      rest: { unlisted: new Map([['b', info('b', { desiredStatus: 'STOPPED', version: 5 })]]) },
      expected: { source: 'describe', lastStatus: 'RUNNING', desiredStatus: 'STOPPED', version: 5 },
    },
    {
      name: 'an unlisted task DescribeTasks no longer knows: being stopped',
      rest: { unlisted: new Map() },
      expected: { source: 'describe', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' },
    },
    { name: 'an unlisted task that could not be described: left out', rest: { unconfirmed: new Set(['b']) } },
  ])('$name', ({ rest, expected }) => {
    const obs = observationsOf([item('a'), item('b')], undefined, view([info('a')], {}, rest), 60);
    if (expected === undefined) expect(obs.has('b')).toBe(false);
    else expect(obs.get('b')).toMatchObject({ ecs: expected, reconcile: false });
  });

  it('describes container health and the version, and an event carries neither health nor a default', () => {
    expect(describedObservation(info('a', { healthStatus: 'UNHEALTHY', version: 9 }))).toEqual({
      source: 'describe',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNHEALTHY',
      version: 9,
      startedAt: T0 - 3600 * S,
    });
  });
});

describe('Rule: eventDescribeTargets (AWS events carry no health)', () => {
  const known = [
    item('a'),
    item('b', { status: 'SUSPECT' }),
    item('dead', { status: 'DEAD' }),
    item('gone', { status: 'DRAINING' }),
    item('new'),
  ];
  it.each([
    { lastStatus: 'PROVISIONING', targets: ['a', 'b'] },
    { lastStatus: 'PENDING', targets: ['a', 'b'] },
    { lastStatus: 'RUNNING', targets: [] },
    { lastStatus: 'STOPPED', targets: [] },
  ])('an event of a task that is $lastStatus → describe $targets', ({ lastStatus, targets }) => {
    const event = {
      taskId: 'new',
      ecs: { source: 'event', lastStatus, desiredStatus: 'RUNNING', version: 1 } as const,
    };
    expect(eventDescribeTargets(known, event)).toEqual(targets);
  });

  it('the described tasks join the event’s observations, health only (no heartbeat judged)', () => {
    const ecs = {
      source: 'event',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      version: 1,
    } as const;
    const unhealthy = { ...info('a'), healthStatus: 'UNHEALTHY' };
    const obs = observationsOf([item('a')], { taskId: 'new', ecs }, undefined, 60, [unhealthy]);
    expect(obs.get('a')).toEqual({ ecs: describedObservation(unhealthy), reconcile: false });
    expect(obs.get('new')).toEqual({ ecs, reconcile: false });
  });
});

describe('Rule: metricsOutage', () => {
  /** A task as the evaluation sees it: stale when its heartbeat is past the timeout. */
  interface Seen {
    readonly stale: boolean;
    readonly status?: TaskHealthItem['status'];
    readonly ecsStatus?: TaskHealthItem['ecsStatus'];
    readonly reconcile?: boolean;
  }
  const staleOne = (over: Partial<Seen> = {}): Seen => ({ stale: true, ...over });
  const freshOne = (over: Partial<Seen> = {}): Seen => ({ stale: false, ...over });
  const evaluated = (seen: readonly Seen[]) =>
    seen.map((s, i) => {
      const next = item(`t${i}`, { status: s.status ?? 'HEALTHY', ecsStatus: s.ecsStatus ?? 'RUNNING' });
      return {
        prev: next,
        reconcile: s.reconcile ?? true,
        transition: {
          next,
          verdict: { status: next.status, reason: 'AlreadyDead' as const, message: '', misses: 0 },
          statusChanged: false,
          mustWrite: false,
          ecsEventIgnored: false,
          heartbeatStale: s.stale,
        },
      };
    });
  it.each([
    {
      name: 'one stale of four: a hang, not an outage',
      seen: [staleOne(), freshOne(), freshOne(), freshOne()],
      problem: undefined,
    },
    {
      name: 'two stale of four: not more than half',
      seen: [staleOne(), staleOne(), freshOne(), freshOne()],
      problem: undefined,
    },
    {
      name: 'three stale of four: an outage',
      seen: [staleOne(), staleOne(), staleOne(), freshOne()],
      problem: '3 of 4',
    },
    { name: 'one stale of one: fewer than two is never an outage', seen: [staleOne()], problem: undefined },
    { name: 'two stale of three: an outage', seen: [staleOne(), staleOne(), freshOne()], problem: '2 of 3' },
    {
      name: 'a stored status does not matter: DRAINING and DEAD stale ones count as stale',
      seen: [staleOne({ status: 'DRAINING' }), staleOne({ status: 'DEAD' }), freshOne()],
      problem: '2 of 3',
    },
    {
      name: 'a task whose heartbeat is not judged is in neither count',
      seen: [staleOne(), staleOne(), staleOne({ reconcile: false }), freshOne()],
      problem: '2 of 3',
    },
    {
      name: 'a task ECS does not run is in neither count',
      seen: [staleOne(), staleOne({ ecsStatus: 'STOPPED' }), staleOne({ ecsStatus: 'PENDING' }), freshOne()],
      problem: undefined,
    },
  ])('$name', ({ seen, problem }) => {
    const found = metricsOutage(evaluated(seen));
    if (problem === undefined) expect(found).toBeUndefined();
    else
      expect(found).toBe(
        `${problem} running TaskManagers look stale at once: treated as a metrics outage, heartbeats not judged`,
      );
  });
});

describe('Rule: chooseStops', () => {
  const dead = (taskId: string, over: Partial<TaskHealthItem> = {}) =>
    item(taskId, { status: 'DEAD', lastSeen: T0 - 200 * S, ...over });
  it.each([
    {
      name: 'a hung TaskManager is stopped',
      tasks: [dead('a'), item('b')],
      expected: { stop: [{ taskId: 'a', why: 'hung' }], held: [] },
    },
    {
      name: 'at most maxStopsPerMinute: the longest silent first, the rest held',
      tasks: [dead('a', { lastSeen: T0 - 120 * S }), dead('b', { lastSeen: T0 - 300 * S })],
      expected: { stop: [{ taskId: 'b', why: 'hung' }], held: ['a'] },
    },
    {
      name: 'a stop in the last minute uses the budget',
      tasks: [dead('a'), dead('z', { stopRequestedAt: T0 - 30 * S })],
      expected: { stop: [], held: ['a'] },
    },
    {
      name: 'container-unhealthy ones are not rate-limited',
      tasks: [dead('a'), dead('b', { lastSeen: T0 - 10 * S })],
      unhealthy: ['a', 'b'],
      expected: {
        stop: [
          { taskId: 'a', why: 'unhealthy' },
          { taskId: 'b', why: 'unhealthy' },
        ],
        held: [],
      },
    },
    {
      name: 'DEAD but publishing (declared dead, e.g. by a stale event): fenced, stopped like a hung one',
      tasks: [dead('a', { lastSeen: T0 - 10 * S })],
      expected: { stop: [{ taskId: 'a', why: 'fenced' }], held: [] },
    },
    {
      name: 'one whose StopTask failed in this invocation is held, not retried',
      tasks: [dead('a')],
      stopFailed: ['a'],
      expected: { stop: [], held: ['a'] },
    },
    {
      name: 'one already stopped, or that ECS does not run, is not stopped',
      tasks: [dead('a', { stopRequestedAt: T0 - 600 * S }), dead('b', { ecsStatus: 'STOPPED' })],
      expected: { stop: [], held: [] },
    },
  ])('$name', ({ tasks, unhealthy, stopFailed, expected }) => {
    expect(chooseStops(tasks, new Set(unhealthy ?? []), new Set(stopFailed ?? []), HEALTH, T0)).toEqual(
      expected,
    );
  });

  it('says why in the StopTask reason', () => {
    expect(stopReason('hung', item('a', { lastSeen: T0 - 150 * S }), T0)).toMatch(
      /hung \(no metric datapoint for 150s\)/,
    );
    expect(stopReason('fenced', item('a'), T0)).toMatch(/fenced/);
    expect(stopReason('unhealthy', item('a'), T0)).toMatch(/unhealthy/);
    expect(stopReason('drained', item('a'), T0)).toMatch(/drained/);
  });
});

describe('Rule: scaleInVictims', () => {
  const tasks = byId([item('a'), item('b'), item('c', { startedAt: T0 - 60 * S })]);
  const infos = [info('a'), info('b'), info('c', { startedAt: new Date(T0 - 60 * S) })];
  it.each([
    { name: 'no surplus: none', desired: 3, owned: { a: 1, b: 1, c: 1 }, expected: [] },
    {
      name: 'one surplus: the one with fewest partitions',
      desired: 2,
      owned: { a: 2, b: 1, c: 2 },
      expected: ['b'],
    },
    { name: 'a tie on partitions: the youngest', desired: 2, owned: { a: 2, b: 2, c: 2 }, expected: ['c'] },
    { name: 'two surplus', desired: 1, owned: { a: 3, b: 1, c: 2 }, expected: ['b', 'c'] },
  ])('$name', ({ desired, owned, expected }) => {
    expect(scaleInVictims(view(infos, { desiredCount: desired }), tasks, owned)).toEqual(expected);
  });

  it.each([
    {
      name: 'a surplus already leaving (DRAINING or DEAD) needs no victim',
      tasks: byId([item('a'), item('b', { status: 'DRAINING' }), item('c')]),
      over: { desiredCount: 2 },
    },
    { name: 'none during a deployment', tasks, over: { desiredCount: 2, deploymentInProgress: true } },
  ])('$name', ({ tasks: t, over }) => {
    expect(scaleInVictims(view(infos, over), t, {})).toEqual([]);
  });
});

describe('Rule: rolesOf', () => {
  it('HEALTHY live, SUSPECT and held DEAD frozen, DRAINING draining, other DEAD nothing', () => {
    const tasks = [
      item('a'),
      item('b', { status: 'SUSPECT' }),
      item('c', { status: 'DEAD' }),
      item('d', { status: 'DEAD' }),
      item('e', { status: 'DRAINING' }),
    ];
    expect(rolesOf(tasks, new Set(['d']))).toEqual({ live: ['a'], suspect: ['b', 'd'], draining: ['e'] });
  });
});

describe('Rule: hotForBalance', () => {
  const parts = (updatedAt: number): PartitionItem[] =>
    [0, 1, 2, 3, 4].map((partitionId) => ({
      partitionId,
      owner: partitionId < 3 ? 'a' : 'b',
      epoch: 1,
      state: 'ASSIGNED',
      updatedAt,
    }));
  it.each([
    {
      name: 'a window after the last move: the persistently hot one',
      updatedAt: T0 - 300 * S,
      expected: ['a'],
    },
    {
      name: 'within a window of the last move: none (the loads describe the old assignment)',
      updatedAt: T0 - 60 * S,
      expected: [],
    },
  ])('$name', ({ updatedAt, expected }) => {
    expect(hotForBalance({ a: 0.99, b: 0.05 }, parts(updatedAt), ['a', 'b'], 1.2, 240, T0)).toEqual(expected);
  });
});

describe('Rule: protectionChanges', () => {
  const renewAt = T0 + PROTECTION_RENEW_MINUTES * 60 * S;
  it.each([
    {
      name: 'a new HEALTHY RUNNING TaskManager is protected',
      tasks: [item('a', { protectedUntil: undefined })],
      expected: { drop: [], set: ['a'] },
    },
    {
      name: 'protection is renewed once less than a day is left',
      tasks: [item('a', { protectedUntil: renewAt - S })],
      expected: { drop: [], set: ['a'] },
    },
    { name: 'fresh protection is left alone', tasks: [item('a')], expected: { drop: [], set: [] } },
    {
      name: 'a SUSPECT one is neither protected nor released',
      tasks: [item('a', { status: 'SUSPECT', protectedUntil: undefined })],
      expected: { drop: [], set: [] },
    },
    {
      name: 'a drained victim that owns nothing is released',
      tasks: [item('a', { status: 'DRAINING' })],
      expected: { drop: ['a'], set: [] },
    },
    {
      name: 'a victim that still owns partitions keeps it',
      tasks: [item('a', { status: 'DRAINING' })],
      owns: ['a'],
      expected: { drop: [], set: [] },
    },
    {
      name: 'a DEAD TaskManager ECS still runs (not stopped: held by the rate limit) is released',
      tasks: [item('a', { status: 'DEAD' })],
      expected: { drop: ['a'], set: [] },
    },
    {
      name: 'one being stopped is not (StopTask ignores protection)',
      tasks: [item('a', { status: 'DEAD', stopRequestedAt: T0 })],
      expected: { drop: [], set: [] },
    },
    {
      name: 'during a deployment all is dropped, none set',
      tasks: [item('a'), item('b', { protectedUntil: undefined })],
      deploying: true,
      expected: { drop: ['a'], set: [] },
    },
  ])('$name', ({ tasks, owns, deploying, expected }) => {
    const v = view(
      tasks.map((t) => info(t.taskId)),
      { deploymentInProgress: deploying ?? false },
    );
    expect(protectionChanges(v, byId(tasks), new Set(owns ?? []), T0)).toEqual(expected);
  });

  it('lists only tasks ECS lists (an unlisted one is not touched)', () => {
    const v = view([info('a')]);
    expect(
      protectionChanges(v, byId([item('a'), item('b', { protectedUntil: undefined })]), new Set(), T0),
    ).toEqual({
      drop: [],
      set: [],
    });
  });
});

describe('Rule: drainedToStop', () => {
  const released = item('a', { status: 'DRAINING', protectedUntil: undefined });
  it.each([
    {
      name: 'a released victim ECS no longer needs to stop is stopped',
      tasks: [released, item('b')],
      desired: 2,
      expected: ['a'],
    },
    {
      name: 'with a surplus left, ECS stops it: not',
      tasks: [released, item('b')],
      desired: 1,
      expected: [],
    },
    {
      name: 'one still protected is not',
      tasks: [item('a', { status: 'DRAINING' }), item('b')],
      desired: 2,
      expected: [],
    },
    {
      name: 'one already stopped is not',
      tasks: [{ ...released, stopRequestedAt: T0 - S }, item('b')],
      desired: 2,
      expected: [],
    },
  ])('$name', ({ tasks, desired, expected }) => {
    const v = view(
      tasks.map((t) => info(t.taskId)),
      { desiredCount: desired },
    );
    expect(drainedToStop(v, byId(tasks), new Set())).toEqual(expected);
  });
});

describe('Rule: prunable', () => {
  const gone = (over: Partial<TaskHealthItem> = {}) =>
    item('g', {
      status: 'DEAD',
      ecsStatus: 'STOPPED',
      lastSeen: T0 - (PRUNE_AFTER_SECONDS + 1) * S,
      ...over,
    });
  it.each([
    { name: 'a DEAD TaskManager gone for an hour, owning nothing', task: gone(), expected: ['g'] },
    { name: 'a DRAINING one too', task: gone({ status: 'DRAINING' }), expected: ['g'] },
    { name: 'not within the hour', task: gone({ lastSeen: T0 - 60 * S }), expected: [] },
    {
      name: 'not within the hour of its stop',
      task: gone({ stopRequestedAt: T0 - 60 * S }),
      expected: [],
    },
    { name: 'not while it owns partitions', task: gone(), owns: ['g'], expected: [] },
    { name: 'not while ECS lists it', task: gone(), listed: true, expected: [] },
    { name: 'not a HEALTHY one', task: gone({ status: 'HEALTHY' }), expected: [] },
  ])('$name', ({ task, owns, listed, expected }) => {
    const v = view(listed ? [info('g')] : []);
    expect(prunable(v, [task], new Set(owns ?? []), T0).map((t) => t.taskId)).toEqual(expected);
  });
});
