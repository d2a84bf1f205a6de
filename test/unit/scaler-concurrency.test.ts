/**
 * Issue 11's concurrency properties on the scaler use case, with fast-check's scheduler
 * choosing the order in which every store read and write, every UpdateService (when it lands
 * in ECS and when its response returns) and every outside change of the desired count happen.
 * Up to 32 invocations run at once; nothing relies on reserved concurrency.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../../lib/core/config';
import { PENDING_GRACE_SECONDS } from '../../lib/core/decide';
import type { ScalerState } from '../../lib/core/domain';
import { DependencyError } from '../../lib/core/errors';
import type { Trigger } from '../../lib/core/triggers';
import { Scaler, type ScalerResult } from '../../lib/scaler';
import { FakeEcs, FakeMetrics, flinkFleet, ManualClock, MemoryStore } from '../support/fakes';
import { config, T0 } from '../support/fixtures';

beforeAll(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

type Entry =
  | { readonly kind: 'commit'; readonly state: ScalerState }
  /**
   * `seen` is the write ECS held at the sending invocation's last read of the service, `issuedAt`
   * the length of the history when the request was sent (it lands later).
   */
  | {
      readonly kind: 'scaler-write';
      readonly value: number;
      readonly seen: Entry | undefined;
      /** The latest change in the sending invocation's last read of the SCALER item. */
      readonly readChange: ScalerState['change'];
      /** The last change the sending invocation committed itself. */
      readonly ownChange: ScalerState['change'];
      /** The count the sending invocation sent before this one, if any. */
      readonly sentBefore: number | undefined;
    }
  | { readonly kind: 'outside-write'; readonly value: number };

/** The order things happened in: commits of the SCALER item and writes of ECS's desired count. */
class History {
  readonly entries: Entry[] = [];
  lastWrite: Entry | undefined;
  add(e: Entry): void {
    this.entries.push(e);
    if (e.kind !== 'commit') this.lastWrite = e;
  }
}

/** Per invocation: the write ECS held at its last DescribeServices, the SCALER item at its last read. */
const invocations = new AsyncLocalStorage<{
  seen?: Entry;
  read?: ScalerState;
  own?: ScalerState['change'];
  sent?: number;
}>();

class ScheduledStore extends MemoryStore {
  constructor(
    private readonly s: fc.Scheduler,
    private readonly history: History,
  ) {
    super();
  }
  override readScaler(): Promise<ScalerState> {
    return this.s
      .schedule(Promise.resolve(), 'read')
      .then(() => super.readScaler())
      .then((state) => {
        const invocation = invocations.getStore();
        if (invocation) invocation.read = structuredClone(state);
        return state;
      });
  }
  override commitScaler(appId: string, v: number, next: Omit<ScalerState, 'version'>): Promise<boolean> {
    return this.s
      .schedule(Promise.resolve(), 'commit')
      .then(() => super.commitScaler(appId, v, next))
      .then((ok) => {
        if (ok) this.history.add({ kind: 'commit', state: structuredClone(this.scaler) });
        const invocation = invocations.getStore();
        if (
          ok &&
          invocation &&
          next.change &&
          next.change.decisionId !== invocation.read?.change?.decisionId
        ) {
          invocation.own = next.change;
        }
        return ok;
      });
  }
}

class ScheduledEcs extends FakeEcs {
  constructor(
    private readonly s: fc.Scheduler,
    private readonly history: History,
    private readonly failures: boolean[],
  ) {
    super(4);
  }
  override describeService() {
    return this.s.schedule(Promise.resolve(), 'describe').then(() => {
      const invocation = invocations.getStore();
      if (invocation) invocation.seen = this.history.lastWrite;
      return super.describeService();
    });
  }
  override async setDesiredCount(n: number): Promise<void> {
    // The request lands in ECS (or is throttled) at one step, its response returns at a later one.
    const invocation = invocations.getStore();
    const { seen, read, own, sent: sentBefore } = invocation ?? {};
    if (invocation) invocation.sent = n;
    await this.s.schedule(Promise.resolve(), `update ${n}`);
    if (this.failures.shift()) throw new DependencyError('UpdateService: Rate exceeded', true);
    this.history.add({
      kind: 'scaler-write',
      value: n,
      seen,
      readChange: read?.change,
      ownChange: own,
      sentBefore,
    });
    this.service = { ...this.service, desiredCount: n, runningCount: n };
    await this.s.schedule(Promise.resolve(), `updated ${n}`);
  }
  outside(n: number): void {
    this.history.add({ kind: 'outside-write', value: n });
    this.service = { ...this.service, desiredCount: n, runningCount: n };
  }
}

/** A fleet whose every TaskManager runs at 95% busy, 950 records/s (the size ECS reports running). */
const busyMetrics = (ecs: { readonly service: { readonly runningCount: number } }) =>
  new FakeMetrics(flinkFleet({ busy: 0.95, rate: 950, taskManagers: () => ecs.service.runningCount }));

type Op =
  | { readonly op: 'tick'; readonly id: number }
  | { readonly op: 'rescale'; readonly to: number; readonly hold: number }
  | { readonly op: 'outside'; readonly to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('tick' as const), id: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    op: fc.constant('rescale' as const),
    to: fc.integer({ min: 1, max: 20 }),
    hold: fc.constantFrom(0, 30),
  }),
  fc.record({ op: fc.constant('outside' as const), to: fc.integer({ min: 1, max: 20 }) }),
);

function trigger(op: Op, clock: ManualClock): Trigger {
  if (op.op === 'tick') return { kind: 'schedule', eventTime: clock.now(), id: `ev-${op.id}-${clock.ms}` };
  if (op.op === 'rescale') {
    return {
      kind: 'manual',
      command: { action: 'rescale', desiredCount: op.to, reason: 'op', holdMinutes: op.hold, dryRun: false },
    };
  }
  throw new Error('outside changes are not invocations');
}

async function run(s: fc.Scheduler, ops: readonly Op[], failures: boolean[]) {
  const history = new History();
  const clock = new ManualClock(T0);
  const store = new ScheduledStore(s, history);
  const ecs = new ScheduledEcs(s, history, failures);
  const cfg: AppConfig = config();
  let n = 0;
  const scaler = new Scaler({
    config: cfg,
    store,
    ecs,
    metrics: busyMetrics(ecs),
    clock,
    newId: () => `d${++n}`,
  });
  const results: ScalerResult[] = [];
  const running = ops.map((op) =>
    op.op === 'outside'
      ? s.schedule(Promise.resolve(), `outside ${op.to}`).then(() => ecs.outside(op.to))
      : invocations
          .run({ seen: undefined }, () => scaler.handle(trigger(op, clock)))
          .then((r) => {
            results.push(r);
          }),
  );
  await s.waitFor(Promise.all(running));
  // Quiescence, then one tick after the grace with a healthy ECS: a change whose
  // UpdateService failed is re-applied by it.
  failures.length = 0;
  clock.advance(PENDING_GRACE_SECONDS + 1);
  const settle = invocations.run({}, () =>
    scaler.handle({ kind: 'schedule', eventTime: clock.now(), id: 'settle' }),
  );
  await s.waitFor(settle);
  return { history, store, ecs, results };
}

describe('Property: the scaler at any concurrency (issue 11)', () => {
  it('after quiescence ECS holds the last committed change unless an outside change came after it; no outside change is reverted by a re-apply', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(opArb, { minLength: 2, maxLength: 32 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        async (s, ops, failures) => {
          const { history, store, ecs } = await run(s, ops, [...failures]);
          const change = store.scaler.change;
          const commits = history.entries.flatMap((e, i) => (e.kind === 'commit' ? [i] : []));
          const changeCommits = commits.filter((i) => {
            const e = history.entries[i] as Extract<Entry, { kind: 'commit' }>;
            const prev = commits.filter((j) => j < i).at(-1);
            const prevState = prev === undefined ? undefined : (history.entries[prev] as typeof e).state;
            return e.state.change && e.state.change.decisionId !== prevState?.change?.decisionId;
          });
          const lastChangeCommit = changeCommits.at(-1) ?? -1;
          const lastOutside = history.entries.findLastIndex((e) => e.kind === 'outside-write');
          // (1) Convergence: with no outside write after the last change was committed, ECS holds it, confirmed.
          if (change && lastOutside < lastChangeCommit) {
            expect(ecs.service.desiredCount).toBe(change.desired);
            expect(change.appliedAt).toBeDefined();
          }
          // (2) No revert: an invocation that saw an outside write in ECS (its last read of the
          // service) never sends the count of a change its last read of the SCALER item showed
          // confirmed: it re-applies only changes still pending (never confirmed, or reopened after
          // a failed correction) and its own new decisions. (A request sent before an outside write
          // may land after it: that race between two writers is not a revert.)
          history.entries.forEach((e, i) => {
            if (e.kind !== 'scaler-write' || e.seen?.kind !== 'outside-write') return;
            // An outside write of the very count this invocation had sent is indistinguishable from
            // its own late write: correcting it is not a revert.
            if (e.seen.value === e.sentBefore) return;
            const ownNew = e.ownChange?.desired === e.value;
            const reapplied =
              !ownNew && e.readChange?.desired === e.value && e.readChange.appliedAt !== undefined;
            expect(
              reapplied,
              `write ${e.value} at ${i} re-applies confirmed decision ${e.readChange?.decisionId} over outside write ${e.seen.value}`,
            ).toBe(false);
          });
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('an invocation reports Applied only for its own change while that change is the latest, and ECS then holds it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          opArb.filter((o) => o.op !== 'outside'),
          { minLength: 2, maxLength: 32 },
        ),
        fc.array(fc.boolean(), { maxLength: 40 }),
        async (s, ops, failures) => {
          const { history, store, ecs, results } = await run(s, ops, [...failures]);
          const applied = results.filter((r) => r.reason === 'Applied' && r.applied);
          const latest = store.scaler.change;
          for (const r of applied) {
            // Its change was committed, then confirmed while it was the latest.
            const confirmed = history.entries.some(
              (e) =>
                e.kind === 'commit' &&
                e.state.change?.decisionId === r.decisionId &&
                e.state.change.appliedAt !== undefined,
            );
            expect(confirmed, `Applied ${r.desired} (${r.decisionId}) never confirmed`).toBe(true);
          }
          // Without outside writes, the one change still the latest at the end is what ECS holds.
          if (latest) expect(ecs.service.desiredCount).toBe(latest.desired);
          const superseded = results.filter((r) => r.reason === 'Superseded');
          for (const r of superseded) expect(r.decisionId).not.toBe(latest?.decisionId);
        },
      ),
      { numRuns: 300 },
    );
  });
});
