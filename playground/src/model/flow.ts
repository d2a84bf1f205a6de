/**
 * The physics of one job attempt: where every subtask runs, how much each can process, and
 * what the job's throughput and every subtask's busy / back-pressured / idle time are at a
 * given moment. Pure functions over plain arrays (the step loop calls them thousands of
 * times: no allocation in `solveFlow`).
 *
 * Placement (reactive mode, slot sharing): every vertex runs at parallelism
 * p_v = min(N·S, maxParallelism_v); subtask i of every vertex shares slot i, and slot i
 * belongs to TaskManager floor(i / S) in task-id order.
 *
 * Segments: the chain is cut before every hash or rebalance edge (all-to-all: every
 * upstream subtask sends to every downstream one); a forward edge keeps subtask i feeding
 * subtask i. Segment 0 starts at the source.
 *
 * Capacity of a subtask (input records/s at 100% busy), on TaskManager m:
 *     cap = max(0, 1 − γ_m − o_TM − o_ch·channels) / (cost·η + ρ·c_remote)
 * with γ_m the share of the step TaskManager m spends in absorbed GC pauses, o the fixed and
 * per-channel overheads, η the step's cost noise, ρ the share of its input that comes from
 * other TaskManagers and c_remote the extra cost of such a record.
 *
 * Throughput (records/s read from Kafka), with reach_v = Π_{u<v} σ_u the records entering
 * vertex v per record read and a_i the share of its segment's input subtask i gets (key
 * groups for a hash edge, 1/p for rebalance):
 * - segment 0, per source subtask i:  C0_i = min_v cap_{v,i} / reach_v
 * - every later segment bounds the total through its hottest subtask (credit-based flow
 *   control: a full channel to it blocks every upstream subtask):
 *       B_k = min_{v,i} cap_{v,i} / (reach_v · a_i),   B = min_k B_k
 * - the source subtasks' demands D_i = min(C0_i·A, available_i) share B·A max-min fairly
 *   (water-filling: the hot channel is served round robin, so a blocked upstream subtask
 *   gets an equal share and one that needs less keeps what it needs).
 * Busy fraction of a subtask with input rate x: b = (x·(cost·η + ρ·c_remote) + o) / (1 − γ)
 * (GC pause time counts as whatever the thread was doing, in proportion), capped at 1.
 * The rest is back-pressured time for every subtask upstream of the binding one, idle time
 * for the others: busy + backPressured + idle = 1000 ms/s.
 */
import { subtaskShares } from './assignment';
import type { EdgeKind, JobSpec, VertexSpec } from './job';

export interface VertexTopology {
  readonly index: number;
  readonly spec: VertexSpec;
  readonly parallelism: number;
  /** The edge Flink uses: a forward edge between different parallelisms becomes rebalance. */
  readonly edge: 'source' | EdgeKind;
  readonly segment: number;
  /** Records entering this vertex per record read from Kafka. */
  readonly reach: number;
  /** Share of the segment's input per subtask (segment 0: the expected share, from the partition weights). */
  readonly share: Float64Array;
  /** Share of each subtask's input that arrives from another TaskManager. */
  readonly remote: Float64Array;
  /** Network channels (in + out) of a subtask. */
  readonly channels: number;
  /** TaskManager index of each subtask. */
  readonly tm: Int32Array;
  /** Share of the vertex's keyed state per subtask. */
  readonly stateShare: Float64Array;
}

export interface Segment {
  readonly first: number;
  readonly last: number;
}

export interface Topology {
  readonly taskManagers: number;
  readonly slotsPerTaskManager: number;
  readonly vertices: readonly VertexTopology[];
  readonly segments: readonly Segment[];
  /** Partitions per source subtask. */
  readonly splits: readonly (readonly number[])[];
}

/** Key-group traffic and key shares for a maxParallelism (memoized by the caller). */
export type KeySpace = (maxParallelism: number) => {
  readonly traffic: readonly number[];
  readonly keysIn: readonly number[];
};

const isAllToAll = (edge: VertexTopology['edge']): boolean => edge === 'hash' || edge === 'rebalance';

/** Places the job on `taskManagers` TaskManagers with the given source splits. */
export function buildTopology(
  job: JobSpec,
  taskManagers: number,
  splits: readonly (readonly number[])[],
  keySpace: KeySpace,
): Topology {
  const S = job.slotsPerTaskManager;
  const slots = taskManagers * S;
  const vertices: VertexTopology[] = [];
  const segments: Segment[] = [];
  let reach = 1;
  let segment = 0;
  const parallelisms = job.vertices.map((v) => Math.max(1, Math.min(slots, v.maxParallelism)));
  const edges: VertexTopology['edge'][] = job.vertices.map((v, i) => {
    if (i === 0) return 'source';
    const input = v.input ?? 'forward';
    return input === 'forward' && parallelisms[i] !== parallelisms[i - 1] ? 'rebalance' : input;
  });
  job.vertices.forEach((spec, vi) => {
    const p = parallelisms[vi] as number;
    const edge = edges[vi] as VertexTopology['edge'];
    if (vi > 0 && isAllToAll(edge)) {
      segments.push({
        first: segments.length === 0 ? 0 : (segments.at(-1) as Segment).last + 1,
        last: vi - 1,
      });
      segment++;
    }
    const tm = new Int32Array(p);
    for (let i = 0; i < p; i++) tm[i] = Math.floor(i / S);
    const previous = vertices[vi - 1];
    let share: Float64Array;
    let stateShare: Float64Array;
    if (edge === 'source') {
      share = new Float64Array(p);
      splits.forEach((list, i) => {
        if (i < p)
          for (const partition of list) share[i] = (share[i] ?? 0) + (job.partitionWeights[partition] ?? 0);
      });
      stateShare = new Float64Array(p).fill(1 / p);
    } else if (edge === 'hash') {
      const keys = keySpace(spec.maxParallelism);
      share = Float64Array.from(subtaskShares(keys.traffic, p));
      stateShare = Float64Array.from(subtaskShares(keys.keysIn, p));
    } else if (edge === 'rebalance') {
      share = new Float64Array(p).fill(1 / p);
      stateShare = new Float64Array(p).fill(1 / p);
    } else {
      share = Float64Array.from((previous as VertexTopology).share);
      stateShare = Float64Array.from((previous as VertexTopology).stateShare);
    }
    const remote = new Float64Array(p);
    if (previous && isAllToAll(edge)) {
      // Output of the upstream vertex per TaskManager: each of its subtasks sends its share to every downstream subtask.
      const out = new Float64Array(taskManagers);
      let total = 0;
      for (let i = 0; i < previous.parallelism; i++) {
        out[previous.tm[i] as number] = (out[previous.tm[i] as number] ?? 0) + (previous.share[i] ?? 0);
        total += previous.share[i] ?? 0;
      }
      for (let i = 0; i < p; i++) remote[i] = total > 0 ? 1 - (out[tm[i] as number] ?? 0) / total : 0;
    }
    const inChannels = edge === 'source' ? 0 : isAllToAll(edge) ? (parallelisms[vi - 1] as number) : 1;
    const next = edges[vi + 1];
    const outChannels = next === undefined ? 0 : isAllToAll(next) ? (parallelisms[vi + 1] as number) : 1;
    vertices.push({
      index: vi,
      spec,
      parallelism: p,
      edge,
      segment,
      reach,
      share,
      remote,
      channels: inChannels + outChannels,
      tm,
      stateShare,
    });
    reach *= spec.selectivity;
  });
  segments.push({
    first: segments.length === 0 ? 0 : (segments.at(-1) as Segment).last + 1,
    last: job.vertices.length - 1,
  });
  return { taskManagers, slotsPerTaskManager: S, vertices, segments, splits };
}

/**
 * Max-min fair shares of `limit` among `demands` (water-filling): each gets min(demand, θ)
 * with θ such that the shares add up to `limit` (or everyone gets its demand when they fit).
 * Writes into `out`; returns the total allocated.
 */
export function waterFill(demands: ArrayLike<number>, limit: number, out: Float64Array): number {
  const n = demands.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += demands[i] as number;
  if (total <= limit) {
    for (let i = 0; i < n; i++) out[i] = demands[i] as number;
    return total;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (demands[a] as number) - (demands[b] as number),
  );
  let left = Math.max(0, limit);
  let k = 0;
  while (k < n) {
    const d = demands[order[k] as number] as number;
    const fair = left / (n - k);
    if (d > fair) break;
    out[order[k] as number] = d;
    left -= d;
    k++;
  }
  const level = k < n ? left / (n - k) : 0;
  for (; k < n; k++) out[order[k] as number] = level;
  return Math.max(0, limit);
}

/** What the solver reads for one step, besides the topology. */
export interface FlowInput {
  /** Seconds the job processes in the step (restart and whole-job stalls excluded). */
  readonly activeSeconds: number;
  /** Records each source subtask could read in the step (its partitions' backlog + arrivals). */
  readonly available: ArrayLike<number>;
  /** Per TaskManager: share of the step lost to absorbed GC pauses. */
  readonly gcLoss: ArrayLike<number>;
  /** Per TaskManager: frozen (processes nothing). */
  readonly hung: ArrayLike<boolean>;
  /** Per vertex, per subtask: the step's cost multiplier η. */
  readonly noise: readonly ArrayLike<number>[];
}

/** Per-subtask results of a step, as fractions of the active seconds (per vertex arrays). */
export interface FlowState {
  /** Records each source subtask read. */
  readonly read: Float64Array;
  /** Input records/s of each subtask during the active seconds. */
  readonly rate: Float64Array[];
  readonly busy: Float64Array[];
  readonly backPressured: Float64Array[];
  readonly idle: Float64Array[];
  /** Records/s the job could read now (noise and GC of the step included). */
  capacity: number;
  /** True when a later segment's hottest subtask limited the source. */
  downstreamBound: boolean;
  /** Input records/s of the binding subtask, when downstream-bound. */
  bindingRate: number;
  /** Input channels of the binding subtask (for checkpoint alignment). */
  bindingChannels: number;
}

export function newFlowState(topology: Topology): FlowState {
  const per = () => topology.vertices.map((v) => new Float64Array(v.parallelism));
  return {
    read: new Float64Array(topology.vertices[0]?.parallelism ?? 0),
    rate: per(),
    busy: per(),
    backPressured: per(),
    idle: per(),
    capacity: 0,
    downstreamBound: false,
    bindingRate: 0,
    bindingChannels: 0,
  };
}

const TOLERANCE = 1e-9;

/** Scratch arrays of a topology, reused across steps. */
export interface FlowScratch {
  readonly cap: Float64Array[];
  readonly chainCap: Float64Array;
  /** Per source subtask: vertex index of its chain's bottleneck in segment 0. */
  readonly chainBottleneck: Int32Array;
  readonly demand: Float64Array;
  /** Per segment-k subtask: vertex index of the first binding vertex of its chain, −1 for none. */
  readonly binding: Int32Array;
}

export function newFlowScratch(topology: Topology): FlowScratch {
  const p0 = topology.vertices[0]?.parallelism ?? 0;
  const maxP = Math.max(0, ...topology.vertices.map((v) => v.parallelism));
  return {
    cap: topology.vertices.map((v) => new Float64Array(v.parallelism)),
    chainCap: new Float64Array(p0),
    chainBottleneck: new Int32Array(p0),
    demand: new Float64Array(p0),
    binding: new Int32Array(maxP),
  };
}

/** Per-subtask capacities (input records/s at 100% busy) for a step. */
export function subtaskCapacities(
  topology: Topology,
  job: JobSpec,
  gcLoss: ArrayLike<number>,
  hung: ArrayLike<boolean>,
  noise: readonly ArrayLike<number>[],
  out: Float64Array[],
): void {
  for (const v of topology.vertices) {
    const cap = out[v.index] as Float64Array;
    const eta = noise[v.index];
    const overhead = job.taskManagerOverhead + job.channelOverhead * v.channels;
    for (let i = 0; i < v.parallelism; i++) {
      const m = v.tm[i] as number;
      if (hung[m]) {
        cap[i] = 0;
        continue;
      }
      const free = 1 - (gcLoss[m] as number) - overhead;
      const perRecord =
        v.spec.costSeconds * (eta ? (eta[i] as number) : 1) +
        (v.remote[i] as number) * job.remoteRecordSeconds;
      cap[i] = free > 0 ? free / perRecord : 0;
    }
  }
}

/** The throughput bound of segment 0 per source subtask, and of every later segment (source records/s). */
function bounds(topology: Topology, scratch: FlowScratch): { B: number; kStar: number } {
  const { vertices, segments } = topology;
  const source = vertices[0] as VertexTopology;
  const seg0 = segments[0] as Segment;
  for (let i = 0; i < source.parallelism; i++) {
    let best = Number.POSITIVE_INFINITY;
    let at = 0;
    for (let vi = seg0.first; vi <= seg0.last; vi++) {
      const v = vertices[vi] as VertexTopology;
      if (v.reach <= 0) continue;
      const c = ((scratch.cap[vi] as Float64Array)[i] as number) / v.reach;
      if (c < best) {
        best = c;
        at = vi;
      }
    }
    scratch.chainCap[i] = (topology.splits[i]?.length ?? 0) > 0 ? best : 0;
    scratch.chainBottleneck[i] = at;
  }
  let B = Number.POSITIVE_INFINITY;
  let kStar = -1;
  for (let k = 1; k < segments.length; k++) {
    const seg = segments[k] as Segment;
    const head = vertices[seg.first] as VertexTopology;
    let Bk = Number.POSITIVE_INFINITY;
    for (let vi = seg.first; vi <= seg.last; vi++) {
      const v = vertices[vi] as VertexTopology;
      const cap = scratch.cap[vi] as Float64Array;
      for (let i = 0; i < v.parallelism; i++) {
        const load = v.reach * (head.share[i] as number);
        if (load <= 0) continue;
        const c = (cap[i] as number) / load;
        if (c < Bk) Bk = c;
      }
    }
    if (Bk <= B * (1 + TOLERANCE)) {
      kStar = k;
      B = Math.min(B, Bk);
    }
  }
  return { B, kStar };
}

/** The records/s the topology could read with these capacities and no shortage of input. */
export function topologyCapacity(topology: Topology, scratch: FlowScratch): number {
  const { B } = bounds(topology, scratch);
  let sum = 0;
  for (let i = 0; i < scratch.chainCap.length; i++) sum += scratch.chainCap[i] as number;
  return Math.min(sum, B);
}

/**
 * Solves one step: reads per source subtask, every subtask's rate and time split. The
 * capacities must be in `scratch.cap` (subtaskCapacities).
 */
export function solveFlow(
  topology: Topology,
  job: JobSpec,
  input: FlowInput,
  scratch: FlowScratch,
  state: FlowState,
): void {
  const { vertices, segments } = topology;
  const A = input.activeSeconds;
  const { B, kStar } = bounds(topology, scratch);
  const source = vertices[0] as VertexTopology;
  const p0 = source.parallelism;
  let demandTotal = 0;
  let chainTotal = 0;
  for (let i = 0; i < p0; i++) {
    const d = Math.min((scratch.chainCap[i] as number) * A, input.available[i] ?? 0);
    scratch.demand[i] = Math.max(d, 0);
    demandTotal += scratch.demand[i] as number;
    chainTotal += scratch.chainCap[i] as number;
  }
  state.capacity = Math.min(chainTotal, B);
  const limit = B * A;
  const downstreamBound = A > 0 && demandTotal > limit * (1 + TOLERANCE);
  state.downstreamBound = downstreamBound;
  if (downstreamBound) waterFill(scratch.demand, limit, state.read);
  else for (let i = 0; i < p0; i++) state.read[i] = scratch.demand[i] as number;
  let total = 0;
  for (let i = 0; i < p0; i++) total += state.read[i] as number;
  const Y = A > 0 ? total / A : 0;

  // The binding chain of segment kStar: the first vertex of each chain at the bound.
  state.bindingRate = 0;
  state.bindingChannels = 0;
  const bound = downstreamBound ? (segments[kStar] as Segment | undefined) : undefined;
  if (bound) {
    const head = vertices[bound.first] as VertexTopology;
    scratch.binding.fill(-1);
    for (let i = 0; i < head.parallelism; i++) {
      for (let vi = bound.first; vi <= bound.last; vi++) {
        const v = vertices[vi] as VertexTopology;
        const load = v.reach * (head.share[i] as number);
        if (load <= 0) continue;
        if (((scratch.cap[vi] as Float64Array)[i] as number) / load <= B * (1 + 1e-6)) {
          scratch.binding[i] = vi;
          const rate = Y * load;
          if (rate > state.bindingRate) {
            state.bindingRate = rate;
            state.bindingChannels = vi === bound.first ? (vertices[vi - 1]?.parallelism ?? 1) : 1;
          }
          break;
        }
      }
    }
  }

  for (const v of vertices) {
    const k = v.segment;
    const rate = state.rate[v.index] as Float64Array;
    const busy = state.busy[v.index] as Float64Array;
    const bp = state.backPressured[v.index] as Float64Array;
    const idle = state.idle[v.index] as Float64Array;
    const eta = input.noise[v.index];
    const overhead = job.taskManagerOverhead + job.channelOverhead * v.channels;
    const head = vertices[(segments[k] as Segment).first] as VertexTopology;
    for (let i = 0; i < v.parallelism; i++) {
      const m = v.tm[i] as number;
      if (input.hung[m]) {
        rate[i] = 0;
        busy[i] = 0;
        bp[i] = 0;
        idle[i] = 0;
        continue;
      }
      const x =
        k === 0
          ? A > 0
            ? ((state.read[i] as number) / A) * v.reach
            : 0
          : Y * v.reach * (head.share[i] as number);
      rate[i] = x;
      const perRecord =
        v.spec.costSeconds * (eta ? (eta[i] as number) : 1) +
        (v.remote[i] as number) * job.remoteRecordSeconds;
      const free = 1 - (input.gcLoss[m] as number);
      const b = free > 0 ? Math.min(1, (x * perRecord + overhead) / free) : 1;
      busy[i] = b;
      let blocked: boolean;
      if (k === 0) {
        const d = scratch.demand[i] as number;
        const throttled = downstreamBound && (state.read[i] as number) < d * (1 - TOLERANCE);
        const atOwn =
          (state.read[i] as number) > 0 &&
          (state.read[i] as number) >= (scratch.chainCap[i] as number) * A * (1 - 1e-6);
        blocked = throttled || (atOwn && v.index < (scratch.chainBottleneck[i] as number));
      } else if (!downstreamBound) {
        blocked = false;
      } else if (k < kStar) {
        blocked = true;
      } else if (k === kStar) {
        const q = scratch.binding[i] as number;
        blocked = q >= 0 && v.index < q;
      } else {
        blocked = false;
      }
      bp[i] = blocked ? 1 - b : 0;
      idle[i] = blocked ? 0 : 1 - b;
    }
  }
}

/** Whether a vertex has an all-to-all edge after it (its subtasks are back-pressured during a whole-job stall). */
export function feedsShuffle(topology: Topology, vertexIndex: number): boolean {
  const next = topology.vertices[vertexIndex + 1];
  return next !== undefined && isAllToAll(next.edge);
}
