import { describe, expect, it } from 'vitest';
import { type AppConfig, parseConfig } from '../../lib/core/config';
import type { PartitionChange, PartitionItem } from '../../lib/core/domain';
import { DependencyError } from '../../lib/core/errors';
import {
  Failover,
  type FailoverTrigger,
  MAX_ATTEMPTS,
  MAX_WRITES_IN_FLIGHT,
  PROTECTION_MINUTES,
  PROTECTION_RENEW_MINUTES,
  PRUNE_AFTER_SECONDS,
} from '../../lib/failover';
import { FakeHeartbeats, FakeService, RoundStore } from '../support/failover-fakes';
import { ManualClock, MemoryStore } from '../support/fakes';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const IDS = ['tm-a', 'tm-b', 'tm-c', 'tm-d'];

function config(over: Record<string, unknown> = {}): AppConfig {
  return parseConfig({
    appId: 'orders',
    ecs: { cluster: 'flink', service: 'taskmanager' },
    partitions: 16,
    ...over,
  });
}

interface World {
  readonly failover: Failover;
  readonly store: MemoryStore;
  readonly ecs: FakeService;
  readonly metrics: FakeHeartbeats;
  readonly clock: ManualClock;
}

function world(
  ids: readonly string[] = IDS,
  over: Record<string, unknown> = {},
  store = new MemoryStore(),
): World {
  const clock = new ManualClock(T0);
  const ecs = new FakeService(ids, T0 - 3_600_000);
  const metrics = new FakeHeartbeats();
  const failover = new Failover({ config: config(over), store, ecs, metrics, clock });
  return { failover, store, ecs, metrics, clock };
}

const schedule = (w: World): FailoverTrigger => ({
  kind: 'schedule',
  eventTime: w.clock.now(),
  id: `t${w.clock.ms}`,
});

function taskEvent(
  taskId: string,
  ecs: { lastStatus: string; desiredStatus?: string; version: number; startedAt?: number },
  over: { service?: string; cluster?: string } = {},
): FailoverTrigger {
  return {
    kind: 'task-event',
    eventId: `e-${taskId}-${ecs.version}`,
    eventTime: new Date(T0),
    taskId,
    cluster: over.cluster ?? 'flink',
    service: over.service ?? 'taskmanager',
    ecs: {
      source: 'event',
      lastStatus: ecs.lastStatus,
      desiredStatus: ecs.desiredStatus ?? (ecs.lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING'),
      version: ecs.version,
      ...(ecs.startedAt === undefined ? {} : { startedAt: ecs.startedAt }),
    },
  };
}

/** One minute passes; every TaskManager not listed in `silent` publishes. */
async function tick(w: World, silent: readonly string[] = []) {
  w.clock.advance(60);
  for (const t of w.ecs.tasks) if (!silent.includes(t.taskId)) w.metrics.until.set(t.taskId, w.clock.ms);
  return w.failover.handle(schedule(w));
}

/** The metrics an invocation asked GetMetricData for (what CloudWatch bills). */
async function metricsOf(w: World, act: () => Promise<unknown>): Promise<number> {
  const before = w.metrics.queried.reduce((a, n) => a + n, 0);
  await act();
  return w.metrics.queried.reduce((a, n) => a + n, 0) - before;
}

function owners(store: MemoryStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of store.partitions.values()) if (p.owner !== null) out[p.owner] = (out[p.owner] ?? 0) + 1;
  return out;
}

describe('Class: Failover', () => {
  it('bootstraps on the first reconcile: every partition owned, balanced, every TaskManager protected', async () => {
    // Prepare
    const w = world();
    // Act
    const r = await tick(w);
    // Assess
    expect(r).toMatchObject({ outcome: 'Converged', partitionsMoved: 16, conflicts: 0, attempts: 1 });
    expect(owners(w.store)).toEqual({ 'tm-a': 4, 'tm-b': 4, 'tm-c': 4, 'tm-d': 4 });
    expect(
      [...w.ecs.protection.entries()]
        .filter(([, on]) => on)
        .map(([id]) => id)
        .sort(),
    ).toEqual(IDS);
    expect(
      [...w.store.tasks.values()].every((t) => t.status === 'HEALTHY' && t.protectedUntil !== undefined),
    ).toBe(true);
  });

  it('writes nothing when nothing changed', async () => {
    const w = world();
    await tick(w);
    const writes = w.store.writes;
    const r = await tick(w);
    expect(r).toMatchObject({ partitionsMoved: 0, healthChanges: [], protectionSet: [] });
    expect(w.store.writes).toBe(writes);
  });

  it('moves a stopped TaskManager’s partitions on its event, and only those', async () => {
    // Prepare
    const w = world();
    await tick(w);
    const before = new Map([...w.store.partitions.entries()].map(([id, p]) => [id, { ...p }]));
    // Act
    const stopped = w.ecs.change('tm-b', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    const r = await w.failover.handle(taskEvent('tm-b', { lastStatus: 'STOPPED', version: stopped.version }));
    // Assess
    expect(r).toMatchObject({ outcome: 'Converged', failedOver: ['tm-b'], partitionsMoved: 4 });
    expect(r.healthChanges).toEqual([{ taskId: 'tm-b', from: 'HEALTHY', to: 'DEAD', reason: 'TaskStopped' }]);
    for (const [id, p] of w.store.partitions) {
      const old = before.get(id) as PartitionItem;
      if (old.owner === 'tm-b') expect(p).toMatchObject({ epoch: old.epoch + 1, previousOwner: 'tm-b' });
      else expect(p).toEqual(old);
    }
    expect(Object.values(owners(w.store)).sort()).toEqual([5, 5, 6]);
    // A late duplicate is ignored.
    expect(
      await w.failover.handle(taskEvent('tm-b', { lastStatus: 'STOPPED', version: stopped.version })),
    ).toMatchObject({
      partitionsMoved: 0,
      healthChanges: [],
    });
  });

  it('lets a new RUNNING TaskManager join on its event and take its share', async () => {
    const w = world(['tm-a', 'tm-b']);
    await tick(w);
    const r = await w.failover.handle(
      taskEvent('tm-c', { lastStatus: 'RUNNING', version: 3, startedAt: T0 + 60_000 }),
    );
    expect(r.partitionsMoved).toBe(5);
    expect(Object.values(owners(w.store)).sort()).toEqual([5, 5, 6]);
  });

  it('ignores an event of another service without reading or writing', async () => {
    const w = world();
    const reads = w.store.writes;
    const r = await w.failover.handle(
      taskEvent('x', { lastStatus: 'STOPPED', version: 2 }, { service: 'other' }),
    );
    expect(r.outcome).toBe('Ignored');
    expect(w.store.writes).toBe(reads);
  });

  it('stops a hung TaskManager (no heartbeat) before handing its partitions over, at most one a minute', async () => {
    // Prepare: two TaskManagers stop publishing at the same moment.
    const w = world(['tm-a', 'tm-b', 'tm-c', 'tm-d', 'tm-e']);
    await tick(w);
    w.metrics.until.set('tm-b', w.clock.ms - 10_000);
    w.metrics.until.set('tm-c', w.clock.ms);
    // Act: the first minute they still look fresh; the second they are DEAD.
    const first = await tick(w, ['tm-b', 'tm-c']);
    const second = await tick(w, ['tm-b', 'tm-c']);
    // Assess: the longer silent one is stopped and handed over; the other keeps its partitions.
    expect(first.healthChanges).toEqual([]);
    expect(second.stopped).toEqual(['tm-b']);
    expect(second.stopsDeferred).toEqual(['tm-c']);
    expect(second.failedOver).toEqual(['tm-b']);
    expect(w.ecs.stops.map((s) => s.taskId)).toEqual(['tm-b']);
    expect(w.ecs.stops[0]?.reason).toMatch(/hung \(no metric datapoint for \d+s\)/);
    expect(owners(w.store)['tm-b']).toBeUndefined();
    expect(owners(w.store)['tm-c']).toBeGreaterThan(0);
    // A minute later the rate limit lets the second one go.
    const third = await tick(w, ['tm-b', 'tm-c']);
    expect(third.stopped).toEqual(['tm-c']);
    expect(owners(w.store)['tm-c']).toBeUndefined();
  });

  it('stops a container-unhealthy TaskManager (as DescribeTasks reports it) at once, whatever the rate limit', async () => {
    // Prepare
    const w = world(['tm-a', 'tm-b', 'tm-c'], { health: { maxStopsPerMinute: 0 } });
    await tick(w);
    w.ecs.change('tm-a', { healthStatus: 'UNHEALTHY' });
    // Act
    const r = await tick(w);
    // Assess
    expect(r).toMatchObject({ stopped: ['tm-a'], failedOver: ['tm-a'] });
    expect(r.healthChanges).toEqual([
      { taskId: 'tm-a', from: 'HEALTHY', to: 'DEAD', reason: 'ContainerUnhealthy' },
    ]);
    expect(w.ecs.stops).toEqual([{ taskId: 'tm-a', reason: expect.stringContaining('unhealthy') }]);
  });

  it('takes no health from an ECS event: a healthStatus on one is ignored (AWS sends none)', async () => {
    // Prepare
    const w = world(['tm-a', 'tm-b', 'tm-c']);
    await tick(w);
    const event = taskEvent('tm-a', { lastStatus: 'RUNNING', version: 9 });
    const withHealth = { ...event, ecs: { ...(event as { ecs: object }).ecs, healthStatus: 'UNHEALTHY' } };
    // Act
    const r = await w.failover.handle(withHealth as FailoverTrigger);
    // Assess
    expect(r).toMatchObject({ outcome: 'Converged', stopped: [], failedOver: [], partitionsMoved: 0 });
    expect(w.store.tasks.get('tm-a')?.status).toBe('HEALTHY');
  });

  it('keeps a hung TaskManager’s partitions while StopTask fails', async () => {
    const w = world(['tm-a', 'tm-b', 'tm-c']);
    await tick(w);
    w.ecs.failStops = true;
    w.metrics.until.set('tm-a', w.clock.ms);
    await tick(w, ['tm-a']);
    const r = await tick(w, ['tm-a']);
    expect(r.stopped).toEqual([]);
    expect(r.stopsDeferred).toEqual(['tm-a']);
    expect(owners(w.store)['tm-a']).toBeGreaterThan(0);
    expect(r.problems.join(' ')).toContain('StopTask tm-a failed');
  });

  it('treats most TaskManagers going silent at once as a metrics outage: nobody is declared dead', async () => {
    const w = world();
    await tick(w);
    for (const id of ['tm-a', 'tm-b', 'tm-c']) w.metrics.until.set(id, w.clock.ms);
    await tick(w, ['tm-a', 'tm-b', 'tm-c']);
    const r = await tick(w, ['tm-a', 'tm-b', 'tm-c']);
    expect(r.healthChanges).toEqual([]);
    expect(r.stopped).toEqual([]);
    expect(r.problems.join(' ')).toContain('metrics outage');
  });

  it('judges no heartbeat when the metrics cannot be read', async () => {
    const w = world();
    await tick(w);
    w.metrics.fail = true;
    w.clock.advance(600);
    const r = await w.failover.handle(schedule(w));
    expect(r).toMatchObject({ outcome: 'Converged', healthChanges: [], stopped: [] });
    expect(r.problems.join(' ')).toContain('metrics read failed');
  });

  it('reconciles from the table only when ECS cannot be read, and says so', async () => {
    const w = world();
    await tick(w);
    w.ecs.failReads = true;
    const r = await tick(w);
    expect(r).toMatchObject({ outcome: 'Converged', partitionsMoved: 0, healthChanges: [] });
    expect(r.problems.join(' ')).toContain('ECS read failed');
  });

  it('scale-in: drains the victim (fewest partitions, then youngest) with REVOKING first, then drops its protection', async () => {
    // Prepare: 3 TaskManagers own 6, 5, 5; tm-c started last.
    const w = world(['tm-a', 'tm-b', 'tm-c']);
    w.ecs.task('tm-c').startedAt = T0 - 60_000;
    await tick(w);
    const revokes: PartitionChange[] = [];
    const write = w.store.writePartition.bind(w.store);
    w.store.writePartition = async (appId, change) => {
      if (change.state === 'REVOKING') revokes.push(change);
      return write(appId, change);
    };
    const owned = owners(w.store);
    // Act
    w.ecs.desiredCount = 2;
    const r = await tick(w);
    // Assess
    const victim =
      owned['tm-b'] === owned['tm-c'] ? 'tm-c' : Object.entries(owned).sort((x, y) => x[1] - y[1])[0]?.[0];
    expect(r.scaleInVictims).toEqual([victim]);
    expect(revokes.map((c) => c.from)).toEqual(Array(owned[victim as string]).fill(victim));
    expect(owners(w.store)[victim as string]).toBeUndefined();
    expect(r.protectionDropped).toEqual([victim]);
    expect(w.ecs.protection.get(victim as string)).toBe(false);
    expect(w.store.tasks.get(victim as string)?.status).toBe('DRAINING');
  });

  it('stops a drained victim ECS no longer needs to stop (the count went back up)', async () => {
    const w = world(['tm-a', 'tm-b', 'tm-c']);
    await tick(w);
    w.ecs.desiredCount = 2;
    const drained = await tick(w);
    const victim = drained.scaleInVictims[0] as string;
    // ECS did not stop it yet, and the scaler raises the count again.
    w.ecs.desiredCount = 3;
    const r = await tick(w);
    expect(r.stopped).toEqual([victim]);
    expect(w.ecs.stops.at(-1)?.reason).toContain('drained');
  });

  it('drops all protection during a deployment and chooses no victims', async () => {
    const w = world();
    await tick(w);
    w.ecs.deploymentInProgress = true;
    w.ecs.desiredCount = 3;
    const r = await tick(w);
    expect(r.protectionDropped).toEqual(IDS);
    expect(r.scaleInVictims).toEqual([]);
    // Once it is over, they are protected again.
    w.ecs.deploymentInProgress = false;
    w.ecs.desiredCount = 4;
    expect((await tick(w)).protectionSet).toEqual(IDS);
  });

  it('marks a known task ECS no longer lists as leaving, and prunes its item once it is long gone', async () => {
    const w = world();
    await tick(w);
    w.ecs.task('tm-d').desiredStatus = 'STOPPED';
    const r = await tick(w);
    expect(r.healthChanges).toEqual([
      { taskId: 'tm-d', from: 'HEALTHY', to: 'DRAINING', reason: 'StopRequested' },
    ]);
    expect(owners(w.store)['tm-d']).toBeUndefined();
    w.clock.advance(PRUNE_AFTER_SECONDS);
    const later = await tick(w);
    expect(later.pruned).toEqual(['tm-d']);
    expect(w.store.tasks.has('tm-d')).toBe(false);
  });

  describe('a known task ListTasks does not return (ListTasks is eventually consistent)', () => {
    const cases: [
      string,
      (w: World) => void,
      { status: string; keepsPartitions: boolean; problem?: RegExp },
    ][] = [
      [
        'DescribeTasks says RUNNING: the listing lagged, nothing changes',
        (w) => w.ecs.unlisted.add('tm-d'),
        { status: 'HEALTHY', keepsPartitions: true },
      ],
      [
        'DescribeTasks says it is being stopped: it drains',
        (w) => {
          w.ecs.task('tm-d').desiredStatus = 'STOPPED';
        },
        { status: 'DRAINING', keepsPartitions: false },
      ],
      [
        'DescribeTasks says STOPPED: it is dead',
        (w) => {
          Object.assign(w.ecs.task('tm-d'), { desiredStatus: 'STOPPED', lastStatus: 'STOPPED' });
        },
        { status: 'DEAD', keepsPartitions: false },
      ],
      [
        'ECS no longer knows it (MISSING): it is leaving',
        (w) => {
          w.ecs.tasks.splice(w.ecs.tasks.indexOf(w.ecs.task('tm-d')), 1);
        },
        { status: 'DRAINING', keepsPartitions: false },
      ],
      [
        'DescribeTasks fails: left as it is, and said',
        (w) => {
          w.ecs.unlisted.add('tm-d');
          w.ecs.failDescribe = true;
        },
        { status: 'HEALTHY', keepsPartitions: true, problem: /DescribeTasks of unlisted tasks failed/ },
      ],
    ];
    it.each(cases)('%s', async (_name, arrange, expected) => {
      // Prepare
      const w = world();
      await tick(w);
      const owned = owners(w.store)['tm-d'];
      arrange(w);
      // Act
      const r = await tick(w);
      // Assess
      expect(w.ecs.describeCalls).toEqual([['tm-d']]);
      expect(w.store.tasks.get('tm-d')?.status).toBe(expected.status);
      expect(owners(w.store)['tm-d']).toBe(expected.keepsPartitions ? owned : undefined);
      if (expected.problem) expect(r.problems.join('\n')).toMatch(expected.problem);
    });

    it('a quiet reconcile (every known task listed) describes nothing', async () => {
      const w = world();
      await tick(w);
      await tick(w);
      expect(w.ecs.describeCalls).toEqual([]);
    });
  });

  it('gives a persistently hot TaskManager the smaller share, once a metric window has passed since the last move', async () => {
    // Prepare: 16 partitions on 5 → tm-a holds the larger share (4) and is far busier; the
    // loads are read on every reconcile.
    const w = world(['tm-a', 'tm-b', 'tm-c', 'tm-d', 'tm-e'], {
      metrics: { taskManagerLoadEverySeconds: 60 },
    });
    await tick(w);
    expect(owners(w.store)['tm-a']).toBe(4);
    w.metrics.load.set('tm-a', 0.95);
    for (const id of ['tm-b', 'tm-c', 'tm-d', 'tm-e']) w.metrics.load.set(id, 0.3);
    // Act: within the window nothing moves; after it, one partition leaves tm-a, then it is stable.
    const early = [await tick(w), await tick(w), await tick(w)];
    const settled = await tick(w); // 240 s (the metric window) after the bootstrap's moves
    const after = [await tick(w), await tick(w)];
    // Assess
    expect(early.map((r) => r.partitionsMoved)).toEqual([0, 0, 0]);
    expect(settled).toMatchObject({ partitionsMoved: 1, movesByReason: { Hot: 1 } });
    expect(owners(w.store)['tm-a']).toBe(3);
    expect(after.map((r) => r.partitionsMoved)).toEqual([0, 0]);
  });

  it('reads one metric per reconcile while the fleet’s heartbeat count vouches for every TaskManager', async () => {
    // Prepare: 16 partitions on 4: the balance has no choice, the loads are never needed.
    const w = world();
    await tick(w);
    // Act: 12:02 to 12:21
    const perTick: number[] = [];
    for (let i = 0; i < 20; i++) perTick.push(await metricsOf(w, () => tick(w)));
    // Assess: the fleet's heartbeat count; at 12:15 (the load cadence) its busy time too.
    expect(perTick).toEqual(Array.from({ length: 20 }, (_, i) => (i === 13 ? 3 : 1)));
  });

  it('reads each TaskManager’s heartbeat once the count is short, and finds the silent one', async () => {
    const w = world();
    await tick(w);
    await tick(w);
    // Act: tm-c falls silent.
    const results: Awaited<ReturnType<typeof tick>>[] = [];
    const perTick: number[] = [];
    for (let i = 0; i < 2; i++)
      perTick.push(await metricsOf(w, async () => results.push(await tick(w, ['tm-c']))));
    // Assess: the period it fell silent in is visible at the second reconcile: short, so one
    // query per TaskManager more, which find it silent past the timeout.
    expect(perTick).toEqual([1, 1 + IDS.length]);
    expect(results.flatMap((r) => r.stopped)).toEqual(['tm-c']);
  });

  it('reads the per-TaskManager loads on the cadence only, only when the balance has a choice and someone may be hot', async () => {
    // Prepare: 16 partitions on 5 (a choice), loads every 5 minutes; tm-a far busier.
    const five = ['tm-a', 'tm-b', 'tm-c', 'tm-d', 'tm-e'];
    const w = world(five, { metrics: { taskManagerLoadEverySeconds: 300 } });
    w.metrics.load.set('tm-a', 0.95);
    for (const id of five.slice(1)) w.metrics.load.set(id, 0.3);
    await tick(w);
    // Act: ten minutes of reconciles, from 12:02 to 12:11
    const perTick: number[] = [];
    for (let i = 0; i < 10; i++) perTick.push(await metricsOf(w, () => tick(w)));
    // Assess: the fleet count every minute; at 12:05 and 12:10 the fleet's busy time (2), whose
    // busiest is above 1.2 × its mean, so the 5 loads too.
    expect(perTick).toEqual([1, 1, 1, 8, 1, 1, 1, 1, 8, 1]);
    // Everyone as busy: the fleet's busy time says none can be hot, no loads.
    const calm = world(five, { metrics: { taskManagerLoadEverySeconds: 300 } });
    await tick(calm);
    const calmPerTick: number[] = [];
    for (let i = 0; i < 10; i++) calmPerTick.push(await metricsOf(calm, () => tick(calm)));
    expect(calmPerTick).toEqual([1, 1, 1, 3, 1, 1, 1, 1, 3, 1]);
    // 16 on 4 TaskManagers: no choice, no loads.
    const even = world(IDS, { metrics: { taskManagerLoadEverySeconds: 300 } });
    even.metrics.load.set('tm-a', 0.95);
    await tick(even);
    const evenPerTick: number[] = [];
    for (let i = 0; i < 10; i++) evenPerTick.push(await metricsOf(even, () => tick(even)));
    expect(evenPerTick).toEqual([1, 1, 1, 3, 1, 1, 1, 1, 3, 1]);
  });

  it('re-reads and re-plans after a lost race, and gives up after MAX_ATTEMPTS', async () => {
    // Prepare: a store on which every partition write loses.
    const store = new MemoryStore();
    store.writePartition = async () => {
      store.conflicts++;
      return false;
    };
    const w = world(IDS, {}, store);
    // Act
    const r = await tick(w);
    // Assess
    expect(r.outcome).toBe('Unconverged');
    expect(r.attempts).toBe(MAX_ATTEMPTS);
    expect(r.conflicts).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
  });

  it('converges when concurrent invocations race on the same event', async () => {
    const w = world();
    await tick(w);
    const stopped = w.ecs.change('tm-a', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    const event = taskEvent('tm-a', { lastStatus: 'STOPPED', version: stopped.version });
    const results = await Promise.all(Array.from({ length: 5 }, () => w.failover.handle(event)));
    expect(results.every((r) => r.outcome === 'Converged')).toBe(true);
    expect(results.reduce((n, r) => n + r.partitionsMoved, 0)).toBe(4);
    expect(
      [...w.store.partitions.values()].filter((p) => p.previousOwner === 'tm-a').every((p) => p.epoch === 2),
    ).toBe(true);
  });

  describe('issue 11 item 6: protection writes one task at a time (28.5 s for 48 TaskManagers at 500 ms a write)', () => {
    const ids48 = Array.from({ length: 48 }, (_, i) => `tm-${String(i).padStart(2, '0')}`);
    const rounds = (n: number) => Math.ceil(n / MAX_WRITES_IN_FLIGHT);

    it('bootstraps 48 TaskManagers in parallel, bounded, write rounds (health, moves, protection)', async () => {
      // Prepare
      const store = new RoundStore();
      const w = world(ids48, { partitions: 96 }, store);
      // Act
      const r = await tick(w);
      // Assess: 48 TASK items, 96 partitions, 48 protection records, 16 writes at a time.
      expect(r).toMatchObject({ outcome: 'Converged', partitionsMoved: 96, conflicts: 0 });
      expect(r.protectionSet).toHaveLength(48);
      expect(store.maxInFlight).toBe(MAX_WRITES_IN_FLIGHT);
      expect(store.rounds).toBe(rounds(48) + rounds(96) + rounds(48));
    });

    it('renews the protection of 48 TaskManagers in ceil(48 / 16) = 3 write rounds, not 48', async () => {
      // Prepare: a day after the bootstrap, every protection is due for renewal.
      const store = new RoundStore();
      const w = world(ids48, { partitions: 96 }, store);
      await tick(w);
      w.clock.advance((PROTECTION_MINUTES - PROTECTION_RENEW_MINUTES) * 60);
      store.reset();
      // Act
      const r = await tick(w);
      // Assess: at 500 ms a write round, 1.5 s instead of 24 s.
      expect(r.protectionSet).toEqual(ids48);
      expect(store.rounds).toBe(rounds(48));
      expect(store.maxInFlight).toBe(MAX_WRITES_IN_FLIGHT);
    });
  });

  describe('dependency failures: each reported, none thrown (outcomeOf)', () => {
    it('a failed table read ends the invocation as Failed, naming the cause', async () => {
      // Prepare
      const w = world();
      await tick(w);
      w.store.readApp = async () => {
        throw new DependencyError('DynamoDB Query failed (throttled): ThrottlingException', true);
      };
      // Act
      const r = await tick(w);
      // Assess
      expect(r).toMatchObject({ outcome: 'Failed', partitionsMoved: 0 });
      expect(r.problems.join('\n')).toMatch(/DynamoDB read failed.*ThrottlingException/);
    });

    it('a failed write ends the invocation as Failed after what was written, naming the cause', async () => {
      // Prepare: tm-b stops; every partition write fails.
      const w = world();
      await tick(w);
      w.store.writePartition = async () => {
        throw new DependencyError('DynamoDB PutItem failed: InternalServerError', false);
      };
      const stopped = w.ecs.change('tm-b', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
      // Act
      const r = await w.failover.handle(
        taskEvent('tm-b', { lastStatus: 'STOPPED', version: stopped.version }),
      );
      // Assess: the health write went through; the moves did not; the next trigger carries on.
      expect(r).toMatchObject({ outcome: 'Failed', partitionsMoved: 0 });
      expect(r.healthChanges).toEqual([
        { taskId: 'tm-b', from: 'HEALTHY', to: 'DEAD', reason: 'TaskStopped' },
      ]);
      expect(r.problems.join('\n')).toMatch(/DynamoDB write failed.*InternalServerError/);
    });
  });
});
