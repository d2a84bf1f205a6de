/**
 * The physics of one step, on small jobs worked by hand. The job of most cases:
 *   source (1 ms/record, σ 1) --hash--> work (4 ms/record, σ 0.5) --forward--> sink (1 ms/record)
 * on 2 TaskManagers of 1 slot, 2 partitions of equal rate (one per source subtask), and a
 * key space of 4 key groups carrying 50%, 20%, 20%, 10% of the records, so that work
 * subtask 0 (groups 0–1) gets 70% of the records and subtask 1 (groups 2–3) 30%.
 */
import { describe, expect, it } from 'vitest';
import {
  buildTopology,
  type KeySpace,
  newFlowScratch,
  newFlowState,
  solveFlow,
  subtaskCapacities,
  topologyCapacity,
  waterFill,
} from '../../../src/model/flow';
import {
  chainOperators,
  type JobInput,
  type JobSpec,
  type OperatorSpec,
  resolveJob,
} from '../../../src/model/job';

const keySpace: KeySpace = () => ({ traffic: [0.5, 0.2, 0.2, 0.1], keysIn: [0.25, 0.25, 0.25, 0.25] });

function handJob(overrides: JobInput = {}, slots = 1): JobSpec {
  return resolveJob(
    { partitions: 2, slotsPerTaskManager: slots, restartSeconds: 30, checkpointIntervalSeconds: 60 },
    {
      maxParallelism: 4,
      operators: [
        { name: 'Source: in', costSeconds: 1e-3, selectivity: 1 },
        { name: 'work', input: 'hash', costSeconds: 4e-3, selectivity: 0.5 },
        { name: 'sink', input: 'forward', chain: false, costSeconds: 1e-3, selectivity: 0 },
      ],
      remoteRecordSeconds: 0,
      channelOverhead: 0,
      taskManagerOverhead: 0,
      busyNoiseCv: 0,
      ...overrides,
    },
  );
}

function solve(
  job: JobSpec,
  opts: { tms?: number; available?: number[]; gcLoss?: number[]; hung?: boolean[]; active?: number } = {},
) {
  const tms = opts.tms ?? 2;
  const topology = buildTopology(job, tms, [[0], [1]], keySpace);
  const scratch = newFlowScratch(topology);
  const state = newFlowState(topology);
  const gcLoss = opts.gcLoss ?? new Array<number>(tms).fill(0);
  const hung = opts.hung ?? new Array<boolean>(tms).fill(false);
  const noise = topology.vertices.map((v) => new Float64Array(v.parallelism).fill(1));
  subtaskCapacities(topology, job, gcLoss, hung, noise, scratch.cap);
  solveFlow(
    topology,
    job,
    { activeSeconds: opts.active ?? 10, available: opts.available ?? [10_000, 10_000], gcLoss, hung, noise },
    scratch,
    state,
  );
  return { topology, scratch, state };
}

const arr = (a: ArrayLike<number>) => Array.from(a);

describe('Function: waterFill', () => {
  it.each([
    [[1, 2, 3], 4.5, [1, 1.75, 1.75]],
    [[5, 5], 4, [2, 2]],
    [[1, 1], 5, [1, 1]],
    [[0, 4, 10], 6, [0, 3, 3]],
  ])('demands %j, limit %d → %j (max-min fair)', (demands, limit, expected) => {
    const out = new Float64Array(demands.length);
    waterFill(demands, limit, out);
    expect(arr(out)).toEqual(expected);
  });
});

describe('Function: buildTopology', () => {
  it('runs every vertex at N·S (capped by maxParallelism), slot i on TaskManager floor(i/S), key shares per range', () => {
    const t = buildTopology(handJob({}, 2), 3, [[0], [1], [], [], [], []], keySpace);
    expect(t.vertices.map((v) => v.parallelism)).toEqual([4, 4, 4]); // 6 slots, maxParallelism 4
    expect(arr(t.vertices[0]?.tm ?? [])).toEqual([0, 0, 1, 1]);
    expect(arr(t.vertices[1]?.share ?? [])).toEqual([0.5, 0.2, 0.2, 0.1]);
    expect(t.vertices.map((v) => v.segment)).toEqual([0, 1, 1]);
    expect(t.vertices.map((v) => v.reach)).toEqual([1, 1, 0.5]);
    // channels: source 0 in + 4 out; work 4 in + 1 out; sink 1 in + 0 out.
    expect(t.vertices.map((v) => v.channels)).toEqual([4, 5, 1]);
  });

  it('gives a hash consumer the share of its input from other TaskManagers: 1 − (upstream output on its own TaskManager)', () => {
    // Source subtask 0 on TM 0 reads partition 0 (50%), subtask 1 on TM 1 partition 1.
    const t = buildTopology(handJob(), 2, [[0], [1]], keySpace);
    expect(arr(t.vertices[1]?.remote ?? [])).toEqual([0.5, 0.5]);
    expect(arr(t.vertices[2]?.remote ?? [])).toEqual([0, 0]); // forward: same slot
    // All partitions on subtask 0 (TM 0): work subtask 0 is all local, subtask 1 all remote.
    const skewed = buildTopology(handJob(), 2, [[0, 1], []], keySpace);
    expect(arr(skewed.vertices[1]?.remote ?? [])).toEqual([0, 1]);
  });

  it('turns a forward edge between different parallelisms into rebalance, as Flink does', () => {
    const job = handJob({
      operators: [
        { name: 'Source: in', costSeconds: 1e-3 },
        { name: 'narrow', input: 'forward', costSeconds: 1e-3, maxParallelism: 1 },
      ],
    });
    const t = buildTopology(job, 2, [[0], [1]], keySpace);
    expect(t.vertices.map((v) => [v.parallelism, v.edge])).toEqual([
      [2, 'source'],
      [1, 'rebalance'],
    ]);
  });
});

describe('Function: solveFlow', () => {
  it('limits the job by the hottest downstream subtask: work 0 gets 70% → 250 / 0.7 = 357.14 records/s', () => {
    // Capacities: source 1000/s each, work 250/s each, sink 1000/s each (it receives half).
    const { state } = solve(handJob());
    expect(state.capacity).toBeCloseTo(250 / 0.7, 9);
    expect(state.downstreamBound).toBe(true);
    // Both sources want 10,000 records; the bound is 3,571.4 over 10 s, shared equally.
    expect(arr(state.read)).toEqual([expect.closeTo(1785.714, 3), expect.closeTo(1785.714, 3)]);
    expect(arr(state.rate[1] ?? [])).toEqual([expect.closeTo(250, 9), expect.closeTo(107.143, 3)]);
    expect(arr(state.rate[2] ?? [])).toEqual([expect.closeTo(125, 9), expect.closeTo(53.571, 3)]);
  });

  it('splits each subtask’s time as Flink does: the bottleneck busy, everything upstream back-pressured, the rest idle', () => {
    const { state } = solve(handJob());
    // Sources: 178.57 records/s × 1 ms = 17.9% busy, blocked the rest of the time.
    expect(arr(state.busy[0] ?? [])).toEqual([expect.closeTo(0.178571, 6), expect.closeTo(0.178571, 6)]);
    expect(arr(state.backPressured[0] ?? [])).toEqual([
      expect.closeTo(0.821429, 6),
      expect.closeTo(0.821429, 6),
    ]);
    // Work 0 is the bottleneck (100% busy); work 1 (107.14/s × 4 ms = 42.9%) waits for input.
    expect(arr(state.busy[1] ?? [])).toEqual([expect.closeTo(1, 9), expect.closeTo(0.428571, 6)]);
    expect(arr(state.idle[1] ?? [])).toEqual([expect.closeTo(0, 9), expect.closeTo(0.571429, 6)]);
    // Sinks downstream of it idle.
    expect(arr(state.idle[2] ?? [])).toEqual([expect.closeTo(0.875, 9), expect.closeTo(0.946429, 6)]);
    for (let v = 0; v < 3; v++) {
      for (let i = 0; i < 2; i++) {
        const sum =
          (state.busy[v]?.[i] ?? 0) + (state.backPressured[v]?.[i] ?? 0) + (state.idle[v]?.[i] ?? 0);
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });

  it('processes all that is available below capacity, every subtask idle when not busy', () => {
    const { state } = solve(handJob(), { available: [1000, 500] }); // 150 records/s over 10 s
    expect(state.downstreamBound).toBe(false);
    expect(arr(state.read)).toEqual([1000, 500]);
    expect(arr(state.rate[1] ?? [])).toEqual([expect.closeTo(105, 9), expect.closeTo(45, 9)]);
    expect(arr(state.backPressured[0] ?? [])).toEqual([0, 0]);
    expect(arr(state.idle[0] ?? [])).toEqual([0.9, 0.95]);
  });

  it('lets a reader that needs less than its fair share keep it (max-min fairness at the hot channel)', () => {
    // Bound 3,571.4 over 10 s: reader 1 needs only 500, reader 0 gets the remaining 3,071.4.
    const { state } = solve(handJob(), { available: [10_000, 500] });
    expect(arr(state.read)).toEqual([expect.closeTo(3071.43, 2), 500]);
    expect(state.backPressured[0]?.[0]).toBeGreaterThan(0);
    expect(state.backPressured[0]?.[1]).toBe(0);
  });

  it('adds overheads and remote records to the per-record cost: work 0 costs 4 + 0.5 × 1 ms, loses 1.3% to overheads', () => {
    const job = handJob({ remoteRecordSeconds: 1e-3, taskManagerOverhead: 0.01, channelOverhead: 0.001 });
    const { scratch } = solve(job);
    // work: 2 input + 1 output channels → 1 − 0.01 − 0.003 = 0.987 free; (4 + 0.5) ms per record.
    expect(scratch.cap[1]?.[0]).toBeCloseTo(0.987 / 4.5e-3, 9);
    // source: 0 in + 2 out channels; no remote input.
    expect(scratch.cap[0]?.[0]).toBeCloseTo(0.988 / 1e-3, 9);
  });

  it('slows a TaskManager’s threads by its GC loss, and counts the pause as busy in proportion', () => {
    const { scratch, state } = solve(handJob(), { gcLoss: [0.2, 0], available: [1000, 1000] });
    expect(scratch.cap[1]?.[0]).toBeCloseTo(200, 9); // 0.8 / 4 ms
    // 200 records/s arrive at 140/s and 60/s; work 0: 140 × 4 ms / 0.8 = 70% busy.
    expect(state.busy[1]?.[0]).toBeCloseTo(0.7, 9);
    expect(state.busy[1]?.[1]).toBeCloseTo(0.24, 9);
  });

  it('stalls everything that sends to a frozen TaskManager: nothing is read, the sources are back-pressured', () => {
    const { state } = solve(handJob(), { hung: [false, true] });
    expect(state.capacity).toBe(0);
    expect(arr(state.read)).toEqual([0, 0]);
    expect(state.backPressured[0]?.[0]).toBeCloseTo(1 - 0, 9);
  });

  it('puts chained operators on one thread: source and work in one task cost 1 + 4 ms per record', () => {
    const job = handJob({
      operators: [
        { name: 'Source: in', costSeconds: 1e-3 },
        { name: 'work', input: 'forward', costSeconds: 4e-3 },
      ],
    });
    const { topology, state } = solve(job);
    expect(topology.vertices.map((v) => v.spec.name)).toEqual(['Source: in -> work']);
    expect(state.capacity).toBeCloseTo(2 / 5e-3, 9);
  });

  it('bounds an embarrassingly parallel job (forward only, chaining off) by each reader’s own chain', () => {
    const job = handJob({
      operators: [
        { name: 'Source: in', costSeconds: 1e-3 },
        { name: 'work', input: 'forward', chain: false, costSeconds: 4e-3 },
      ],
    });
    const { state } = solve(job);
    expect(state.capacity).toBeCloseTo(500, 9); // 2 chains × 250/s
    expect(state.downstreamBound).toBe(false);
    // The source is blocked by its own work subtask (back-pressured), the work busy.
    expect(state.busy[1]?.[0]).toBeCloseTo(1, 9);
    expect(state.backPressured[0]?.[0]).toBeCloseTo(0.75, 9);
  });
});

describe('Function: topologyCapacity', () => {
  it('is the smaller of the readers’ chains and the downstream bound', () => {
    const job = handJob();
    const t = buildTopology(job, 2, [[0], [1]], keySpace);
    const scratch = newFlowScratch(t);
    subtaskCapacities(
      t,
      job,
      [0, 0],
      [false, false],
      t.vertices.map((v) => new Float64Array(v.parallelism).fill(1)),
      scratch.cap,
    );
    expect(topologyCapacity(t, scratch)).toBeCloseTo(250 / 0.7, 9);
  });
});

describe('Function: chainOperators', () => {
  const op = (
    name: string,
    input: 'hash' | 'forward' | 'rebalance' | undefined,
    extra: Partial<OperatorSpec> = {},
  ): OperatorSpec => ({
    name,
    ...(input ? { input } : {}),
    chain: true,
    costSeconds: 1e-3,
    selectivity: 0.5,
    maxParallelism: 128,
    stateBytes: 0,
    ...extra,
  });

  it.each<[string, OperatorSpec[], string[]]>([
    ['forward edges chain', [op('s', undefined), op('a', 'forward'), op('b', 'forward')], ['s -> a -> b']],
    ['a hash edge starts a task', [op('s', undefined), op('a', 'hash'), op('b', 'forward')], ['s', 'a -> b']],
    ['rebalance too', [op('s', undefined), op('a', 'rebalance')], ['s', 'a']],
    ['chain: false starts a task', [op('s', undefined), op('a', 'forward', { chain: false })], ['s', 'a']],
    [
      'a different maxParallelism starts a task',
      [op('s', undefined), op('a', 'forward', { maxParallelism: 4 })],
      ['s', 'a'],
    ],
  ])('%s', (_, operators, names) => {
    expect(chainOperators(operators).map((v) => v.name)).toEqual(names);
  });

  it('sums the chained costs by the records reaching each operator and multiplies the selectivities', () => {
    const [task] = chainOperators([
      op('s', undefined, { costSeconds: 2e-3, selectivity: 0.5 }),
      op('a', 'forward', { costSeconds: 4e-3, selectivity: 0.1, stateBytes: 7 }),
    ]);
    expect(task).toMatchObject({
      costSeconds: 2e-3 + 0.5 * 4e-3,
      selectivity: 0.05,
      operatorReach: [1, 0.5],
      stateBytes: 7,
    });
  });
});
