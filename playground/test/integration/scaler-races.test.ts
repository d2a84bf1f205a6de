/**
 * Issue 11, items 1–3 and 6, and the property "correct at any concurrency", against the real
 * handler, adapters and SDK clients on dynalite and the local cloud. Each item's test sets up
 * the interleaving the adversarial tester found; "Lambda containers" are runtimes with SDK
 * clients of their own, and a gate holds one container's UpdateService on the wire to place it
 * exactly between another's steps (the SDK retrying a throttled call, a slow network).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  baseConfig,
  CLUSTER,
  desiredCount,
  freshTable,
  publishMetrics,
  RequestGate,
  readScaler,
  resetService,
  SERVICE,
  scalerHandler,
  scheduled,
  startWorld,
  updatesSince,
  type World,
} from '../support/scaler-world';

let world: World;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

beforeEach(() => {
  world.cloud.clearFaults();
});

const rescale = (desiredCount: number, holdMinutes: number) => ({
  action: 'rescale',
  desiredCount,
  reason: 'operator',
  holdMinutes,
});

describe('Issue 11: races between the commit and UpdateService', () => {
  it("item 1: an operator's rescale during a tick's throttled, SDK-retried UpdateService wins: ECS, the SCALER item and the next ticks agree", async () => {
    // Prepare: 4 TaskManagers at 95% busy: the tick decides 4 → 8
    const tasks = resetService(world, 4);
    publishMetrics(world, tasks, 0.95, 950);
    const tickGate = new RequestGate('UpdateService');
    const tickClients = world.clients(tickGate);
    const table = await freshTable(world, tickClients);
    const tick = scalerHandler(world, table, { clients: tickClients });
    const operator = scalerHandler(world, table);
    // The tick's first UpdateService is throttled; its SDK retry is held on the wire.
    world.cloud.injectFault({
      service: 'ecs',
      operation: 'UpdateService',
      error: 'ThrottlingException',
      times: 1,
    });
    tickGate.arm(2);

    // Act: the operator asks for 6 with a 30-minute hold while the tick's retry is in flight
    const ticking = tick(scheduled(world));
    await tickGate.reached;
    const manual = await operator(rescale(6, 30));
    tickGate.release();
    const ticked = await ticking;
    world.clock.ms += 60_000;
    const next = await tick(scheduled(world));

    // Assess
    expect(manual).toMatchObject({ reason: 'Applied', desired: 6, applied: true });
    expect(ticked.reason).not.toBe('Applied');
    expect(desiredCount(world)).toBe(6);
    const stored = await readScaler(tickClients, table);
    expect(stored).toMatchObject({ desired: 6, change: { decisionId: manual.decisionId, desired: 6 } });
    expect(stored.change?.appliedAt).toBeDefined();
    expect(next).toMatchObject({ reason: 'Held', current: 6 });
  });

  it('item 1: two operators ask for 6 (slow UpdateService) and 8: the later decision is what ECS holds, and only it reports Applied', async () => {
    const tasks = resetService(world, 4);
    publishMetrics(world, tasks, 0.5, 500);
    const slowGate = new RequestGate('UpdateService');
    const slowClients = world.clients(slowGate);
    const table = await freshTable(world, slowClients);
    const slow = scalerHandler(world, table, { clients: slowClients });
    const fast = scalerHandler(world, table);
    slowGate.arm(1);

    const six = slow(rescale(6, 0));
    await slowGate.reached;
    const eight = await fast(rescale(8, 0));
    slowGate.release();
    const sixDone = await six;

    expect(eight).toMatchObject({ reason: 'Applied', desired: 8, applied: true });
    expect(sixDone).toMatchObject({ reason: 'Superseded', applied: false });
    expect(desiredCount(world)).toBe(8);
    expect((await readScaler(slowClients, table)).change).toMatchObject({
      decisionId: eight.decisionId,
      desired: 8,
    });
  });

  it('item 2: after 10 identical concurrent rescales, an outside change of the desired count is kept by the ticks that follow', async () => {
    resetService(world, 4);
    const clients = world.clients();
    const table = await freshTable(world, clients);
    const handler = scalerHandler(world, table, { clients });
    const results = await Promise.all(Array.from({ length: 10 }, () => handler(rescale(6, 0))));
    expect(results.some((r) => r.reason === 'Applied')).toBe(true);
    expect(desiredCount(world)).toBe(6);

    // Act: someone sets 3 in the console; the ticks that follow have no fresh metrics
    world.cloud.ecs.updateService(CLUSTER, SERVICE, { desiredCount: 3 });
    const since = world.cloud.requests.length;
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      world.clock.ms += 60_000;
      world.cloud.ecs.advanceTo(world.clock.ms);
      reasons.push((await handler(scheduled(world))).reason);
    }

    // Assess: nothing re-applied the old decision
    expect(updatesSince(world, since)).toEqual([]);
    expect(desiredCount(world)).toBe(3);
    expect(reasons).not.toContain('Applied');
  });
});

describe('Issue 11: no scale-in on partial metrics', () => {
  const lenient = {
    ...baseConfig,
    policy: { ...baseConfig.policy, scaleInStabilizationSeconds: 0, scaleInCooldownSeconds: 0 },
  };

  it('item 3: 8 TaskManagers at 30% busy, 2 killed and replaced, 90 s later: no scale-in on the 6 that report', async () => {
    const tasks = resetService(world, 8);
    const clients = world.clients();
    const table = await freshTable(world, clients);
    const handler = scalerHandler(world, table, { clients, config: lenient });
    // Two TaskManagers die; ECS replaces them; 90 s later the replacements have not published yet.
    const [a, b, ...survivors] = tasks;
    world.cloud.ecs.kill(a as string);
    world.cloud.ecs.kill(b as string);
    world.clock.ms += 90_000;
    world.cloud.ecs.advanceTo(world.clock.ms);
    publishMetrics(world, survivors, 0.3, 300);
    expect(world.cloud.ecs.runningTaskIds({ cluster: CLUSTER, serviceName: SERVICE })).toHaveLength(8);

    const d = await handler(scheduled(world));

    expect(d).toMatchObject({ reason: 'InsufficientData', desired: 8 });
    expect(d.inputs?.coverage).toBe('6/8');
    expect(desiredCount(world)).toBe(8);
  });

  it('item 3, control: the same 8 TaskManagers all reporting at 30% busy are scaled in', async () => {
    const tasks = resetService(world, 8);
    const clients = world.clients();
    const table = await freshTable(world, clients);
    const handler = scalerHandler(world, table, { clients, config: lenient });
    publishMetrics(world, tasks, 0.3, 300);
    const d = await handler(scheduled(world));
    expect(d.reason).toBe('Applied');
    expect(desiredCount(world)).toBeLessThan(8);
  });
});

describe('Issue 11: even fault handling', () => {
  it.each(['ListTasks', 'DescribeTasks'])(
    'item 6: a throttled %s ends the tick as Throttled, with nothing changed (not an error the Lambda retries)',
    async (operation) => {
      const tasks = resetService(world, 4);
      publishMetrics(world, tasks, 0.95, 950);
      const clients = world.clients();
      const table = await freshTable(world, clients);
      const handler = scalerHandler(world, table, { clients });
      const since = world.cloud.requests.length;
      world.cloud.injectFault({ service: 'ecs', operation, error: 'ThrottlingException', times: 10 });
      const d = await handler(scheduled(world));
      expect(d).toMatchObject({ reason: 'Throttled', applied: false });
      expect(updatesSince(world, since)).toEqual([]);
      expect((await readScaler(clients, table)).version).toBe(0);
    },
  );
});

describe('Issue 11: correct at any concurrency (32 invocations, no reserved concurrency)', () => {
  it('property: after any mix of concurrent ticks and rescales, some with a throttled UpdateService, ECS holds the last committed change, confirmed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })), { minLength: 8, maxLength: 32 }),
        fc.integer({ min: 0, max: 6 }),
        async (ops, throttles) => {
          const tasks = resetService(world, 4);
          publishMetrics(world, tasks, 0.95, 950);
          const clients = world.clients();
          const table = await freshTable(world, clients);
          // Each invocation in a container of its own (own SDK clients, own connections).
          const event = scheduled(world);
          if (throttles > 0) {
            world.cloud.injectFault({
              service: 'ecs',
              operation: 'UpdateService',
              error: 'ThrottlingException',
              times: throttles,
            });
          }
          await Promise.all(ops.map((to) => scalerHandler(world, table)(to === 0 ? event : rescale(to, 0))));
          world.cloud.clearFaults();
          // Quiescence; then a tick after the pending grace re-applies a change whose UpdateService failed.
          world.clock.ms += 31_000;
          await scalerHandler(world, table)(scheduled(world, `settle-${world.clock.ms}`));
          const stored = await readScaler(clients, table);
          expect(stored.change?.appliedAt).toBeDefined();
          expect(desiredCount(world)).toBe(stored.change?.desired);
        },
      ),
      { numRuns: 6 },
    );
  }, 240_000);
});
