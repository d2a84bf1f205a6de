/**
 * The ground truth: one Flink job in reactive mode on the TaskManagers an ECS service runs,
 * advanced in steps (DESIGN §6). Records are a continuous quantity. The physics of a step is
 * model/flow.ts; this class keeps what persists between steps:
 *
 * - Membership as the JobManager sees it: a TaskManager offers its slots
 *   `registrationSeconds` after ECS reports it RUNNING; a frozen (hung) one keeps its slots
 *   until the heartbeat timeout, processing nothing (everything that sends to it stalls),
 *   then is given up. A lost TaskManager restarts the job at once; a new one restarts it
 *   once `rescaleCooldownSeconds` have passed since the job last started running
 *   (executing.cooldown-after-rescaling) and, with `rescaleOnCheckpoint` (Flink 2.x), at the
 *   first checkpoint completed after it registered; a change during a restart restarts it again.
 * - A restart: no processing for restartSeconds + the state restore (the busiest
 *   TaskManager's share of the keyed state at restoreBytesPerSecondPerTaskManager, when a
 *   checkpoint exists); every partition rewinds to the offsets of the last completed
 *   checkpoint (those records are replayed); the source splits are redistributed from
 *   that checkpoint's reader state (or assigned afresh by the enumerator when there is
 *   none); every subtask's metrics start over.
 * - Checkpoints: the first is triggered a random time in [minPause, interval) after the
 *   job starts running, then every interval (one at a time); each takes durationSeconds,
 *   plus, with aligned barriers under backpressure, the time the binding subtask needs to
 *   drain the buffers queued ahead of the barrier; one that runs past the timeout fails.
 *   The offsets a checkpoint records are those at its trigger.
 * - Noise and GC: every subtask's per-record cost is multiplied by a normal factor each
 *   step; every TaskManager pauses for young GCs (one per youngGenBytes allocated, i.e.
 *   per records processed) and rare long pauses; the part of a pause the network buffers
 *   absorb slows that TaskManager's threads, the rest stalls the whole job. All draws are
 *   hashes of (seed, what, which, when): the same scenario gives the same run.
 *
 * Conservation, exactly at every step: input = processed + Δbacklog − replayed.
 * Imports nothing of the product.
 */
import { initialSplitAssignment, keyGroupDistribution, repartitionSplitState } from './assignment';
import {
  buildTopology,
  type FlowScratch,
  type FlowState,
  feedsShuffle,
  type KeySpace,
  newFlowScratch,
  newFlowState,
  solveFlow,
  subtaskCapacities,
  type Topology,
  topologyCapacity,
  waterFill,
} from './flow';
import { hashNormal, hashUniform, javaStringHashCode } from './hash';
import { FlinkModelError, type JobSpec } from './job';
import {
  FLINK_PROMETHEUS as F,
  filterLabelValue,
  KAFKA_PARTITION_LABELS,
  OPERATOR_LABELS,
  type PrometheusSample,
  SubtaskMeters,
  TASK_LABELS,
  TASK_MANAGER_LABELS,
} from './metrics';

/** A TaskManager ECS reports RUNNING at the moment of a step. */
export interface RunningTaskManager {
  readonly taskId: string;
  readonly hung: boolean;
}

/** One TaskManager's work during a step, for the metrics that are not Flink's own (seed, CPU). */
export interface TaskManagerUsage {
  readonly taskId: string;
  /** Holds slots of the running job (false while it restarts or before it registered). */
  readonly inJob: boolean;
  readonly hung: boolean;
  /** Task threads on it. */
  readonly threads: number;
  /** Σ over its task threads of their busy seconds in the step. */
  readonly busyThreadSeconds: number;
  /** Busy seconds of its busiest task thread in the step. */
  readonly maxThreadBusySeconds: number;
  /** Seconds of GC pause in the step. */
  readonly gcSeconds: number;
}

/** What happened during one step [tMs, tMs + dtSeconds). */
export interface FlinkStepResult {
  readonly tMs: number;
  readonly dtSeconds: number;
  readonly inputRate: number;
  /** Records that arrived during the step. */
  readonly input: number;
  /** Records read and processed during the step. */
  readonly processed: number;
  /** Records put back into the backlog by a restart at the start of the step. */
  readonly replayed: number;
  /** Records/s the job can process now (noise-free, mean GC); 0 while it restarts or is stalled. */
  readonly capacity: number;
  /** Records waiting in Kafka at the end of the step. */
  readonly backlog: number;
  /** backlog / input rate (an input below 1 record/s counts as 1); 0 without backlog. */
  readonly lagSeconds: number;
  /** The job is restarting at the start of the step. */
  readonly restarting: boolean;
  /** A frozen TaskManager holds slots of the job. */
  readonly stalled: boolean;
  /** TaskManagers ECS reports RUNNING (hung ones included). */
  readonly running: number;
  readonly hung: number;
  /** Seconds of the step during which the job processed (restart and whole-job GC stalls excluded). */
  readonly activeSeconds: number;
  readonly usage: readonly TaskManagerUsage[];
}

/** One TaskManager's share of the job during the last step. */
export interface TaskManagerLoad {
  readonly taskId: string;
  readonly hung: boolean;
  /** Busy fraction of its busiest task thread (0..1). */
  readonly busy: number;
  /** Records/s its source subtasks read. */
  readonly processedRate: number;
}

export interface FlinkTotals {
  readonly input: number;
  readonly processed: number;
  readonly replayed: number;
  readonly initialBacklog: number;
  readonly backlog: number;
  readonly restarts: number;
  readonly checkpoints: number;
  readonly failedCheckpoints: number;
}

export interface FlinkJobModelOptions {
  /** Records waiting at the start (spread over the partitions by their weights). @default 0 */
  readonly initialBacklog?: number;
}

interface EcsView {
  readonly firstSeenMs: number;
  hung: boolean;
  hungSinceMs: number;
}

interface PendingCheckpoint {
  readonly triggerMs: number;
  readonly positions: Float64Array;
  readonly splits: readonly (readonly number[])[];
  completesMs: number;
}

/** Labels of one subtask attempt: task scope, and operator scope per chained operator. */
interface SubtaskLabels {
  readonly task: Readonly<Record<string, string>>;
  readonly operators: readonly Readonly<Record<string, string>>[];
  /** A source subtask's Kafka partitions (its splits of this attempt), each with its reader metric labels. */
  readonly partitions: readonly {
    readonly partition: number;
    readonly labels: Readonly<Record<string, string>>;
  }[];
}

const STREAM_NOISE = 1;
const STREAM_GC = 2;
const STREAM_CHECKPOINT = 3;
const MIN_NOISE = 0.2;

/** 32 hex digits from a string (a deterministic stand-in for Flink's random ids). */
function hexId(text: string): string {
  let out = '';
  for (let i = 0; i < 4; i++) {
    const h = Math.floor(hashUniform(javaStringHashCode(text), i, text.length, 7) * 0x1_0000_0000);
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

/** Poisson(λ) by inversion from one uniform. */
function poisson(lambda: number, u: number): number {
  if (!(lambda > 0)) return 0;
  let p = Math.exp(-lambda);
  let cumulative = p;
  let k = 0;
  while (u > cumulative && k < 64) {
    k++;
    p *= lambda / k;
    cumulative += p;
  }
  return k;
}

/** Key-group distributions by (keys, exponent, maxParallelism): pure, so shared by every model of a process. */
const KEY_SPACES = new Map<string, ReturnType<KeySpace>>();

function keySpaceOf(keys: number, exponent: number): KeySpace {
  return (m) => {
    const key = `${keys}:${exponent}:${m}`;
    let ks = KEY_SPACES.get(key);
    if (!ks) {
      ks = keyGroupDistribution(keys, exponent, m);
      KEY_SPACES.set(key, ks);
    }
    return ks;
  };
}

export class FlinkJobModel {
  readonly job: JobSpec;
  private readonly keySpace: KeySpace;

  private readonly ecs = new Map<string, EcsView>();
  /** Flink's slot pool of the current attempt, in task-id order. */
  private members: string[] = [];
  private memberIndex = new Map<string, number>();
  private topology: Topology | undefined;
  private scratch: FlowScratch | undefined;
  private flow: FlowState | undefined;
  private noise: Float64Array[] = [];
  private gcLoss = new Float64Array(0);
  private gcSeconds = new Float64Array(0);
  private hungFlags: boolean[] = [];
  private tmRecordsRate = new Float64Array(0);
  private available = new Float64Array(0);
  private splits: number[][] = [];
  private capacityNow = 0;
  /** The hung pattern capacityNow was computed for. */
  private capacityHung = '';

  private started = false;
  private restartUntilMs = Number.NEGATIVE_INFINITY;
  /** When the current attempt's tasks were deployed (their metrics exist from then on). */
  private deployedAtMs = Number.NEGATIVE_INFINITY;
  /** The current attempt reached RUNNING (its checkpoints are scheduled). */
  private runningAttempt = false;
  private executingSinceMs = Number.NEGATIVE_INFINITY;
  /** Since when TaskManagers the job does not use yet are registered (a scale-up waits for a checkpoint after it). */
  private joinWaitingSinceMs: number | undefined;
  private lastCheckpointCompletedMs = Number.NEGATIVE_INFINITY;
  private failedCheckpointsAtJoin = 0;
  private nextStepMs: number | undefined;

  private readonly backlogs: Float64Array;
  private readonly arrivals: Float64Array;
  private readonly processedNow: Float64Array;
  /** Records read per partition since the start (rewound on restarts). */
  private readonly positions: Float64Array;
  /** Positions at the last completed checkpoint (the start's offsets until one completes). */
  private checkpointPositions: Float64Array;
  private checkpointSplits: readonly (readonly number[])[] | undefined;
  private pending: PendingCheckpoint | undefined;
  private nextTriggerMs = Number.POSITIVE_INFINITY;

  private meters: SubtaskMeters[][] | undefined;
  private labels: SubtaskLabels[][] = [];
  /** Each TaskManager's own labels (one object per TaskManager, reused by every scrape). */
  private readonly tmLabels = new Map<string, Readonly<Record<string, string>>>();
  /** Each TaskManager's JVM CPU load during the last step (busy thread seconds per second per slot, ≤ 1). */
  private readonly cpuLoads = new Map<string, number>();
  private attempt = 0;
  private readonly jobId: string;

  private readonly initialBacklog: number;
  private totalInput = 0;
  private totalProcessed = 0;
  private totalReplayed = 0;
  private restarts = 0;
  private checkpoints = 0;
  private failedCheckpoints = 0;
  private capacityTable: number[] | undefined;

  constructor(job: JobSpec, options: FlinkJobModelOptions = {}) {
    this.job = job;
    this.keySpace = keySpaceOf(job.keys, job.keyZipfExponent);
    const P = job.partitions;
    this.initialBacklog = options.initialBacklog ?? 0;
    if (!(this.initialBacklog >= 0)) throw new FlinkModelError('initialBacklog: must be ≥ 0');
    this.backlogs = Float64Array.from(job.partitionWeights, (w) => w * this.initialBacklog);
    this.arrivals = new Float64Array(P);
    this.processedNow = new Float64Array(P);
    this.positions = new Float64Array(P);
    this.checkpointPositions = new Float64Array(P);
    this.jobId = hexId(`job:${job.jobName}`);
  }

  /**
   * Advances the job over [tMs, tMs + dtSeconds) at `inputRate` records/s, with
   * `taskManagers` the TaskManagers ECS reports RUNNING at tMs. Steps must not overlap.
   */
  step(
    tMs: number,
    dtSeconds: number,
    inputRate: number,
    taskManagers: readonly RunningTaskManager[],
  ): FlinkStepResult {
    if (!(dtSeconds > 0) || !Number.isFinite(dtSeconds))
      throw new FlinkModelError(`dtSeconds: must be > 0, got ${dtSeconds}`);
    if (!(inputRate >= 0) || !Number.isFinite(inputRate)) {
      throw new FlinkModelError(`inputRate: must be a finite number ≥ 0, got ${inputRate}`);
    }
    if (!Number.isFinite(tMs)) throw new FlinkModelError(`tMs: must be finite, got ${tMs}`);
    if (this.nextStepMs !== undefined && tMs < this.nextStepMs) {
      throw new FlinkModelError(`tMs ${tMs} is before the end of the previous step (${this.nextStepMs})`);
    }
    const endMs = tMs + dtSeconds * 1000;
    this.nextStepMs = endMs;

    // 1. Who is there, as ECS and as the JobManager see it.
    const eligible = this.observe(tMs, taskManagers);
    let replayed = 0;
    if (!this.started) {
      this.started = true;
      this.rebuild(eligible);
      this.restartUntilMs = eligible.length === 0 ? Number.POSITIVE_INFINITY : tMs;
      this.deployedAtMs = this.restartUntilMs;
    } else {
      const now = new Set(eligible);
      const lost = this.members.some((id) => !now.has(id));
      const joined = eligible.some((id) => !this.memberIndex.has(id));
      const restarting = tMs < this.restartUntilMs;
      if (joined && this.joinWaitingSinceMs === undefined) {
        this.joinWaitingSinceMs = tMs;
        this.failedCheckpointsAtJoin = this.failedCheckpoints;
      }
      if (!joined) this.joinWaitingSinceMs = undefined;
      if (lost || (joined && (restarting || this.scaleUpDue(tMs)))) {
        replayed = this.restart(tMs, eligible);
      }
    }
    const restarting = tMs < this.restartUntilMs;
    for (let m = 0; m < this.members.length; m++) {
      this.hungFlags[m] = this.ecs.get(this.members[m] as string)?.hung ?? false;
    }
    const stalled = this.hungFlags.some(Boolean) && this.topology !== undefined;

    // 2. The step's physics.
    const input = inputRate * dtSeconds;
    for (let j = 0; j < this.job.partitions; j++) {
      this.arrivals[j] = input * (this.job.partitionWeights[j] as number);
      this.processedNow[j] = 0;
    }
    if (this.topology && this.meters === undefined && endMs > this.deployedAtMs) this.deploy(dtSeconds);
    const activeFromMs = Math.max(tMs, this.restartUntilMs);
    const activeSeconds0 = this.topology && endMs > activeFromMs ? (endMs - activeFromMs) / 1000 : 0;
    if (activeSeconds0 > 0 && !this.runningAttempt) this.startRunning(activeFromMs);
    let activeSeconds = 0;
    const usage: TaskManagerUsage[] = [];
    if (this.topology && this.scratch && this.flow && activeSeconds0 > 0) {
      activeSeconds = this.physics(tMs, activeSeconds0, dtSeconds, usage);
    } else {
      // INITIALIZING tasks: no idle or back-pressure timer runs, no record moves.
      for (const vm of this.meters ?? []) for (const meter of vm) meter.update(0, 0, 0, 0);
      for (const id of this.members) usage.push(this.idleUsage(id, false));
    }
    for (const [id, view] of this.ecs) {
      if (!this.memberIndex.has(id)) {
        usage.push({
          taskId: id,
          inJob: false,
          hung: view.hung,
          threads: 0,
          busyThreadSeconds: 0,
          maxThreadBusySeconds: 0,
          gcSeconds: 0,
        });
      }
    }
    this.cpuLoads.clear();
    for (const u of usage) {
      this.cpuLoads.set(
        u.taskId,
        Math.min(1, u.busyThreadSeconds / dtSeconds / this.job.slotsPerTaskManager),
      );
    }
    let processed = 0;
    let backlog = 0;
    for (let j = 0; j < this.job.partitions; j++) {
      const b =
        (this.backlogs[j] as number) + (this.arrivals[j] as number) - (this.processedNow[j] as number);
      this.backlogs[j] = Math.max(b, 0);
      this.positions[j] = (this.positions[j] as number) + (this.processedNow[j] as number);
      processed += this.processedNow[j] as number;
      backlog += this.backlogs[j] as number;
    }
    this.totalInput += input;
    this.totalProcessed += processed;
    if (this.topology && activeSeconds0 > 0) this.advanceCheckpoints(tMs, endMs, activeFromMs, stalled);

    return {
      tMs,
      dtSeconds,
      inputRate,
      input,
      processed,
      replayed,
      capacity: restarting || !this.topology ? 0 : this.capacityNow,
      backlog,
      lagSeconds: backlog > 0 ? backlog / Math.max(inputRate, 1) : 0,
      restarting,
      stalled,
      running: taskManagers.length,
      hung: taskManagers.filter((t) => t.hung).length,
      activeSeconds,
      usage,
    };
  }

  /** Cumulative counters since construction. */
  totals(): FlinkTotals {
    let backlog = 0;
    for (const b of this.backlogs) backlog += b;
    return {
      input: this.totalInput,
      processed: this.totalProcessed,
      replayed: this.totalReplayed,
      initialBacklog: this.initialBacklog,
      backlog,
      restarts: this.restarts,
      checkpoints: this.checkpoints,
      failedCheckpoints: this.failedCheckpoints,
    };
  }

  /** The current attempt's placement (undefined with no TaskManager). */
  currentTopology(): Topology | undefined {
    return this.topology;
  }

  /** The partitions each source subtask reads now. */
  currentSplits(): readonly (readonly number[])[] {
    return this.splits;
  }

  /** Each TaskManager of the job's slot pool during the last step, in task-id order. */
  taskManagerLoads(): TaskManagerLoad[] {
    const t = this.topology;
    const flow = this.flow;
    return this.members.map((taskId, m) => {
      const hung = this.hungFlags[m] ?? false;
      let busy = 0;
      let processedRate = 0;
      if (t && flow && this.meters && !hung) {
        for (const v of t.vertices) {
          for (let i = 0; i < v.parallelism; i++) {
            if (v.tm[i] !== m) continue;
            busy = Math.max(busy, (flow.busy[v.index] as Float64Array)[i] as number);
            if (v.index === 0) processedRate += (flow.rate[0] as Float64Array)[i] as number;
          }
        }
      }
      return { taskId, hung, busy, processedRate };
    });
  }

  /**
   * What GET /metrics on the TaskManager returns now: its own JVM CPU load, then its
   * subtasks' task and operator metrics (none while the job restarts or when it holds no
   * slot of the job); undefined when the TaskManager does not answer (frozen, or not running).
   */
  scrape(taskId: string): PrometheusSample[] | undefined {
    const view = this.ecs.get(taskId);
    if (!view || view.hung) return undefined;
    const m = this.memberIndex.get(taskId);
    const t = this.topology;
    const out: PrometheusSample[] = [
      { name: F.cpuLoad, labels: this.taskManagerLabels(taskId), value: this.cpuLoads.get(taskId) ?? 0 },
    ];
    if (m === undefined || !t || !this.meters) return out;
    for (const v of t.vertices) {
      const meters = this.meters[v.index] as SubtaskMeters[];
      const labels = this.labels[v.index] as SubtaskLabels[];
      for (let i = 0; i < v.parallelism; i++) {
        if (v.tm[i] !== m) continue;
        const meter = meters[i] as SubtaskMeters;
        const { task, operators } = labels[i] as SubtaskLabels;
        const recordsIn = meter.numRecordsInPerSecond;
        out.push(
          { name: F.busyTimeMsPerSecond, labels: task, value: meter.busyTimeMsPerSecond },
          { name: F.idleTimeMsPerSecond, labels: task, value: meter.idleTimeMsPerSecond },
          { name: F.backPressuredTimeMsPerSecond, labels: task, value: meter.backPressuredTimeMsPerSecond },
          { name: F.numRecordsInPerSecond, labels: task, value: recordsIn },
          { name: F.numRecordsOutPerSecond, labels: task, value: meter.numRecordsOutPerSecond },
        );
        v.spec.operators.forEach((op, k) => {
          const opLabels = operators[k] as Readonly<Record<string, string>>;
          const opIn = recordsIn * (v.spec.operatorReach[k] as number);
          out.push(
            { name: F.operatorNumRecordsInPerSecond, labels: opLabels, value: opIn },
            { name: F.operatorNumRecordsOutPerSecond, labels: opLabels, value: opIn * op.selectivity },
          );
          if (v.index === 0 && k === 0 && this.runningAttempt) {
            let pending = 0;
            for (const j of this.splits[i] ?? []) pending += this.backlogs[j] as number;
            out.push({ name: F.operatorPendingRecords, labels: opLabels, value: Math.round(pending) });
            for (const p of (labels[i] as SubtaskLabels).partitions) {
              out.push({
                name: F.kafkaCurrentOffset,
                labels: p.labels,
                value: Math.floor(this.positions[p.partition] as number),
              });
            }
          }
        });
      }
    }
    return out;
  }

  private taskManagerLabels(taskId: string): Readonly<Record<string, string>> {
    let labels = this.tmLabels.get(taskId);
    if (!labels) {
      const h = javaStringHashCode(taskId);
      const values: Record<(typeof TASK_MANAGER_LABELS)[number], string> = {
        host: `10.0.${(h >>> 8) & 0xff}.${h & 0xff}`,
        tm_id: taskId,
      };
      const out: Record<string, string> = {};
      for (const k of TASK_MANAGER_LABELS) out[k] = filterLabelValue(values[k]);
      labels = out;
      this.tmLabels.set(taskId, labels);
    }
    return labels;
  }

  /** Records/s `count` healthy TaskManagers can process (enumerator assignment, no noise, mean GC). */
  capacityOf(count: number): number {
    if (count <= 0) return 0;
    const table = this.capacityTable ?? [];
    this.capacityTable = table;
    let c = table[count];
    if (c === undefined) {
      const p0 = Math.min(count * this.job.slotsPerTaskManager, this.job.vertices[0]?.maxParallelism ?? 1);
      const splits = initialSplitAssignment(this.job.topic, this.job.partitions, p0);
      c = expectedCapacity(this.job, buildTopology(this.job, count, splits, this.keySpace), []);
      table[count] = c;
    }
    return c;
  }

  /**
   * The physical minimum for an input: the smallest count in [1, max] whose capacity covers
   * it at 100% busy; when none does, the smallest count with the highest capacity.
   */
  physicalMinimum(inputRate: number, max: number): number {
    let best = 1;
    let bestCapacity = -1;
    for (let n = 1; n <= Math.max(1, max); n++) {
      const c = this.capacityOf(n);
      if (c >= inputRate) return n;
      if (c > bestCapacity * (1 + 1e-12)) {
        best = n;
        bestCapacity = c;
      }
    }
    return best;
  }

  // ------------------------------------------------------------------ membership and restarts

  /** Updates the ECS view and returns the TaskManagers the JobManager can use now, in task-id order. */
  private observe(tMs: number, taskManagers: readonly RunningTaskManager[]): string[] {
    const seen = new Set<string>();
    for (const tm of taskManagers) {
      if (seen.has(tm.taskId))
        throw new FlinkModelError(`taskId ${tm.taskId} appears twice in the running set`);
      seen.add(tm.taskId);
      let view = this.ecs.get(tm.taskId);
      if (!view) {
        view = { firstSeenMs: this.started ? tMs : Number.NEGATIVE_INFINITY, hung: false, hungSinceMs: 0 };
        this.ecs.set(tm.taskId, view);
      }
      if (tm.hung && !view.hung) view.hungSinceMs = tMs;
      view.hung = tm.hung;
    }
    for (const id of [...this.ecs.keys()]) {
      if (seen.has(id)) continue;
      this.ecs.delete(id);
      this.tmLabels.delete(id);
    }
    const registration = this.job.registrationSeconds * 1000;
    const heartbeat = this.job.heartbeatTimeoutSeconds * 1000;
    return [...this.ecs.entries()]
      .filter(([, v]) => tMs - v.firstSeenMs >= registration && !(v.hung && tMs - v.hungSinceMs >= heartbeat))
      .map(([id]) => id)
      .sort();
  }

  /**
   * A running job takes up new TaskManagers once the rescale cooldown has passed since it
   * started running and, with rescaleOnCheckpoint (Flink 2.x, FLIP-461), once a checkpoint
   * completed after they registered (or two failed meanwhile: Flink's
   * rescale-trigger.max-checkpoint-failures), so a scale-up replays almost nothing.
   */
  private scaleUpDue(tMs: number): boolean {
    if (tMs < this.executingSinceMs + this.job.rescaleCooldownSeconds * 1000) return false;
    if (!this.job.rescaleOnCheckpoint) return true;
    const since = this.joinWaitingSinceMs ?? tMs;
    return (
      this.lastCheckpointCompletedMs >= since || this.failedCheckpoints - this.failedCheckpointsAtJoin >= 2
    );
  }

  /** A restart at tMs onto `members`: replay since the last completed checkpoint, downtime, new splits. */
  private restart(tMs: number, members: readonly string[]): number {
    this.joinWaitingSinceMs = undefined;
    let replayed = 0;
    for (let j = 0; j < this.job.partitions; j++) {
      const back = (this.positions[j] as number) - (this.checkpointPositions[j] as number);
      if (back > 0) {
        this.backlogs[j] = (this.backlogs[j] as number) + back;
        replayed += back;
      }
      this.positions[j] = this.checkpointPositions[j] as number;
    }
    this.totalReplayed += replayed;
    this.rebuild(members);
    this.pending = undefined;
    this.meters = undefined;
    this.runningAttempt = false;
    this.nextTriggerMs = Number.POSITIVE_INFINITY;
    this.restarts++;
    this.attempt++;
    const restore = this.checkpointSplits ? this.restoreSeconds() : 0;
    this.restartUntilMs = this.topology
      ? tMs + (this.job.restartSeconds + restore) * 1000
      : Number.POSITIVE_INFINITY;
    this.deployedAtMs = this.topology ? tMs + this.job.deploySeconds * 1000 : Number.POSITIVE_INFINITY;
    return replayed;
  }

  /** A new slot pool: placement, splits from the last completed checkpoint (or the enumerator's), scratch. */
  private rebuild(members: readonly string[]): void {
    this.members = [...members];
    this.memberIndex = new Map(this.members.map((id, i) => [id, i]));
    const n = this.members.length;
    this.hungFlags = new Array<boolean>(n).fill(false);
    this.gcLoss = new Float64Array(n);
    this.gcSeconds = new Float64Array(n);
    this.tmRecordsRate = new Float64Array(n);
    if (n === 0) {
      this.topology = undefined;
      this.scratch = undefined;
      this.flow = undefined;
      this.splits = [];
      this.capacityNow = 0;
      return;
    }
    const p0 = Math.min(n * this.job.slotsPerTaskManager, this.job.vertices[0]?.maxParallelism ?? 1);
    this.splits = this.checkpointSplits
      ? repartitionSplitState(this.checkpointSplits, p0)
      : initialSplitAssignment(this.job.topic, this.job.partitions, p0);
    this.topology = buildTopology(this.job, n, this.splits, this.keySpace);
    this.scratch = newFlowScratch(this.topology);
    this.flow = newFlowState(this.topology);
    this.noise = this.topology.vertices.map((v) => new Float64Array(v.parallelism).fill(1));
    this.available = new Float64Array(this.topology.vertices[0]?.parallelism ?? 0);
    this.capacityNow = expectedCapacity(this.job, this.topology, []);
    this.capacityHung = '0'.repeat(n);
  }

  /** Seconds to restore the keyed state: the TaskManager with the most of it, at the restore rate. */
  private restoreSeconds(): number {
    const t = this.topology;
    if (!t) return 0;
    const perTm = new Float64Array(t.taskManagers);
    for (const v of t.vertices) {
      if (v.spec.stateBytes <= 0) continue;
      for (let i = 0; i < v.parallelism; i++) {
        const m = v.tm[i] as number;
        perTm[m] = (perTm[m] as number) + v.spec.stateBytes * (v.stateShare[i] as number);
      }
    }
    let most = 0;
    for (const b of perTm) most = Math.max(most, b);
    return most / this.job.restoreBytesPerSecondPerTaskManager;
  }

  /** The attempt's tasks exist: fresh metrics and labels (the tasks are INITIALIZING until the restart ends). */
  private deploy(dtSeconds: number): void {
    const t = this.topology;
    if (!t) return;
    const stepSeconds = dtSeconds;
    const window = Math.max(1, Math.round(60 / stepSeconds));
    this.meters = t.vertices.map((v) =>
      Array.from({ length: v.parallelism }, () => new SubtaskMeters(window, stepSeconds)),
    );
    const graph = hexId(`graph:${this.job.jobName}:${this.attempt}`);
    this.labels = t.vertices.map((v) => {
      // The job vertex id; the chain's head operator carries it too.
      const vertexId = hexId(`vertex:${this.job.jobName}:${v.index}:${v.spec.name}`);
      const operatorIds = v.spec.operators.map((op, k) =>
        k === 0 ? vertexId : hexId(`operator:${this.job.jobName}:${v.index}:${k}:${op.name}`),
      );
      return Array.from({ length: v.parallelism }, (_, i) => {
        const taskId = this.members[v.tm[i] as number] as string;
        const h = javaStringHashCode(taskId);
        const values: Record<(typeof TASK_LABELS)[number], string> = {
          job_id: this.jobId,
          task_id: vertexId,
          task_attempt_id: `${graph}_${vertexId}_${i}_0`,
          host: `10.0.${(h >>> 8) & 0xff}.${h & 0xff}`,
          task_name: v.spec.name,
          task_attempt_num: '0',
          job_name: this.job.jobName,
          tm_id: taskId,
          subtask_index: String(i),
        };
        const task: Record<string, string> = {};
        for (const k of TASK_LABELS) task[k] = filterLabelValue(values[k]);
        const operators = v.spec.operators.map((op, k) => {
          const operator: Record<string, string> = {};
          for (const key of TASK_LABELS) {
            operator[key] = task[key] as string;
            if (key === 'host') {
              operator[OPERATOR_LABELS[0]] = operatorIds[k] as string;
              operator[OPERATOR_LABELS[1]] = filterLabelValue(op.name);
            }
          }
          return operator;
        });
        const head = operators[0] as Readonly<Record<string, string>>;
        const partitions =
          v.index === 0
            ? (this.splits[i] ?? []).map((partition) => {
                const values: Record<string, string> = {
                  ...head,
                  partition: String(partition),
                  topic: filterLabelValue(this.job.topic),
                };
                const labels: Record<string, string> = {};
                for (const key of KAFKA_PARTITION_LABELS) labels[key] = values[key] as string;
                return { partition, labels };
              })
            : [];
        return { task, operators, partitions };
      });
    });
  }

  /** The attempt is RUNNING from `atMs`: the rescale cooldown and the checkpoint schedule start. */
  private startRunning(atMs: number): void {
    this.runningAttempt = true;
    this.executingSinceMs = atMs;
    const c = this.job.checkpoint;
    const u = hashUniform(this.job.seed, STREAM_CHECKPOINT, this.attempt, 0);
    const delay = c.minPauseSeconds + Math.max(c.intervalSeconds - c.minPauseSeconds, 0) * u;
    this.nextTriggerMs = atMs + delay * 1000;
  }

  private idleUsage(taskId: string, inJob: boolean): TaskManagerUsage {
    const m = this.memberIndex.get(taskId);
    const threads = this.topology && m !== undefined ? this.threadsOn(m) : 0;
    return {
      taskId,
      inJob,
      hung: this.ecs.get(taskId)?.hung ?? false,
      threads,
      busyThreadSeconds: 0,
      maxThreadBusySeconds: 0,
      gcSeconds: 0,
    };
  }

  private threadsOn(m: number): number {
    let n = 0;
    for (const v of this.topology?.vertices ?? [])
      for (let i = 0; i < v.parallelism; i++) if (v.tm[i] === m) n++;
    return n;
  }

  // ------------------------------------------------------------------ one step of processing

  /** GC, noise, flow, partitions and metrics for an active part of a step; returns the processing seconds. */
  private physics(tMs: number, active: number, dtSeconds: number, usage: TaskManagerUsage[]): number {
    const t = this.topology as Topology;
    const scratch = this.scratch as FlowScratch;
    const flow = this.flow as FlowState;
    const job = this.job;
    const when = Math.floor(tMs / 1000);

    // GC pauses per TaskManager over the active seconds.
    let stall = 0;
    const absorb = job.gc.absorbedPauseMs / 1000;
    for (let m = 0; m < this.members.length; m++) {
      this.gcLoss[m] = 0;
      this.gcSeconds[m] = 0;
      if (this.hungFlags[m]) continue;
      const who = javaStringHashCode(this.members[m] as string);
      const young =
        (job.gc.baseAllocatedBytesPerSecond +
          job.gc.allocatedBytesPerRecord * (this.tmRecordsRate[m] as number)) /
        job.gc.youngGenBytes;
      const pauses = [
        [poisson(young * active, hashUniform(job.seed, STREAM_GC, who, when * 4)), job.gc.youngPauseMeanMs],
        [
          poisson(
            (job.gc.longPausesPerHour / 3600) * active,
            hashUniform(job.seed, STREAM_GC, who, when * 4 + 1),
          ),
          job.gc.longPauseMeanMs,
        ],
      ] as const;
      let local = 0;
      let total = 0;
      let k = 0;
      for (const [count, meanMs] of pauses) {
        for (let c = 0; c < count; c++, k++) {
          const d = -(meanMs / 1000) * Math.log(1 - hashUniform(job.seed, STREAM_GC, who, when * 64 + 8 + k));
          local += Math.min(d, absorb);
          stall += Math.max(0, d - absorb);
          total += d;
        }
      }
      this.gcLoss[m] = Math.min(1, local / active);
      this.gcSeconds[m] = Math.min(active, total);
    }
    const stallSeconds = Math.min(active, stall);
    const A = active - stallSeconds;

    // Cost noise per subtask.
    if (job.busyNoiseCv > 0) {
      for (const v of t.vertices) {
        const eta = this.noise[v.index] as Float64Array;
        for (let i = 0; i < v.parallelism; i++) {
          const z = hashNormal(job.seed, STREAM_NOISE, v.index * 65_536 + i, when);
          eta[i] = Math.max(MIN_NOISE, 1 + job.busyNoiseCv * z);
        }
      }
    }

    // Flow.
    const available = this.available;
    t.splits.forEach((list, i) => {
      let a = 0;
      for (const j of list) a += (this.backlogs[j] as number) + (this.arrivals[j] as number);
      available[i] = a;
    });
    subtaskCapacities(t, job, this.gcLoss, this.hungFlags, this.noise, scratch.cap);
    solveFlow(
      t,
      job,
      { activeSeconds: A, available, gcLoss: this.gcLoss, hung: this.hungFlags, noise: this.noise },
      scratch,
      flow,
    );
    const hungKey = this.hungFlags.map((h) => (h ? '1' : '0')).join('');
    if (hungKey !== this.capacityHung) {
      this.capacityHung = hungKey;
      this.capacityNow = expectedCapacity(job, t, this.hungFlags);
    }

    // Reads per partition: each reader drains its splits max-min fairly.
    t.splits.forEach((list, i) => {
      const r = flow.read[i] as number;
      if (list.length === 0 || r <= 0) return;
      if (list.length === 1) {
        this.processedNow[list[0] as number] = r;
        return;
      }
      const demands = list.map((j) => (this.backlogs[j] as number) + (this.arrivals[j] as number));
      const out = new Float64Array(list.length);
      waterFill(demands, r, out);
      list.forEach((j, k) => {
        this.processedNow[j] = out[k] as number;
      });
    });

    // Metrics and usage.
    const meters = this.meters as SubtaskMeters[][];
    const busyOn = new Float64Array(this.members.length);
    const maxOn = new Float64Array(this.members.length);
    const threads = new Int32Array(this.members.length);
    this.tmRecordsRate.fill(0);
    for (const v of t.vertices) {
      const shuffle = feedsShuffle(t, v.index);
      const rate = flow.rate[v.index] as Float64Array;
      const busy = flow.busy[v.index] as Float64Array;
      const bp = flow.backPressured[v.index] as Float64Array;
      const idle = flow.idle[v.index] as Float64Array;
      const vm = meters[v.index] as SubtaskMeters[];
      for (let i = 0; i < v.parallelism; i++) {
        const m = v.tm[i] as number;
        threads[m] = (threads[m] as number) + 1;
        if (this.hungFlags[m]) continue;
        const x = rate[i] as number;
        const recordsIn = x * A;
        const b = (busy[i] as number) * A;
        busyOn[m] = (busyOn[m] as number) + b;
        maxOn[m] = Math.max(maxOn[m] as number, b);
        this.tmRecordsRate[m] = (this.tmRecordsRate[m] as number) + recordsIn / dtSeconds;
        (vm[i] as SubtaskMeters).update(
          recordsIn,
          recordsIn * v.spec.selectivity,
          1000 * ((idle[i] as number) * A + (shuffle ? 0 : stallSeconds)),
          1000 * ((bp[i] as number) * A + (shuffle ? stallSeconds : 0)),
        );
      }
    }
    this.members.forEach((taskId, m) => {
      usage.push({
        taskId,
        inJob: true,
        hung: this.hungFlags[m] ?? false,
        threads: threads[m] as number,
        busyThreadSeconds: busyOn[m] as number,
        maxThreadBusySeconds: maxOn[m] as number,
        gcSeconds: this.gcSeconds[m] as number,
      });
    });
    return A;
  }

  // ------------------------------------------------------------------ checkpoints

  private advanceCheckpoints(
    stepStartMs: number,
    endMs: number,
    activeFromMs: number,
    stalled: boolean,
  ): void {
    const c = this.job.checkpoint;
    const flow = this.flow as FlowState;
    const span = endMs - activeFromMs;
    for (let guard = 0; guard < 1000; guard++) {
      const p = this.pending;
      if (p) {
        if (stalled) p.completesMs = Number.POSITIVE_INFINITY;
        const failAt = p.triggerMs + c.timeoutSeconds * 1000;
        if (p.completesMs > failAt && failAt <= endMs) {
          this.pending = undefined;
          this.failedCheckpoints++;
          this.nextTriggerMs = Math.max(this.nextTriggerMs, failAt + c.minPauseSeconds * 1000);
          continue;
        }
        if (p.completesMs <= endMs) {
          this.lastCheckpointCompletedMs = p.completesMs;
          this.checkpointPositions = p.positions;
          this.checkpointSplits = p.splits;
          this.checkpoints++;
          this.pending = undefined;
          this.nextTriggerMs = Math.max(this.nextTriggerMs, p.completesMs + c.minPauseSeconds * 1000);
          continue;
        }
        return;
      }
      if (this.nextTriggerMs >= endMs) return;
      const triggerMs = Math.max(this.nextTriggerMs, activeFromMs, stepStartMs);
      const positions = new Float64Array(this.job.partitions);
      const after = span > 0 ? (endMs - triggerMs) / span : 0;
      for (let j = 0; j < this.job.partitions; j++) {
        positions[j] = (this.positions[j] as number) - (this.processedNow[j] as number) * after;
      }
      let duration = c.durationSeconds;
      if (!c.unaligned && flow.downstreamBound) {
        const buffers =
          flow.bindingChannels * (c.exclusiveBuffersPerChannel + c.maxBuffersPerChannel) +
          c.floatingBuffersPerGate;
        const records = (buffers * c.bufferBytes) / c.recordBytes;
        duration += flow.bindingRate > 0 ? records / flow.bindingRate : Number.POSITIVE_INFINITY;
      }
      this.pending = {
        triggerMs,
        positions,
        splits: this.splits.map((l) => [...l]),
        completesMs: stalled ? Number.POSITIVE_INFINITY : triggerMs + duration * 1000,
      };
      this.nextTriggerMs = triggerMs + c.intervalSeconds * 1000;
    }
  }
}

/** Capacity (records/s) of a topology with no noise, mean GC loss and mean whole-job stalls, hung TaskManagers at 0. */
export function expectedCapacity(job: JobSpec, topology: Topology, hung: readonly boolean[]): number {
  const scratch = newFlowScratch(topology);
  const n = topology.taskManagers;
  const hungFlags = Array.from({ length: n }, (_, m) => hung[m] ?? false);
  const ones = topology.vertices.map((v) => new Float64Array(v.parallelism).fill(1));
  const gcLoss = new Float64Array(n);
  const absorb = job.gc.absorbedPauseMs / 1000;
  const expectedPause = (meanMs: number) => {
    const mean = meanMs / 1000;
    return { local: mean * (1 - Math.exp(-absorb / mean)), stall: mean * Math.exp(-absorb / mean) };
  };
  const young = expectedPause(job.gc.youngPauseMeanMs);
  const long = expectedPause(job.gc.longPauseMeanMs);
  let capacity = 0;
  let stallFraction = 0;
  // Two passes: GC depends on the records each TaskManager processes at that capacity.
  for (let pass = 0; pass < 2; pass++) {
    subtaskCapacities(topology, job, gcLoss, hungFlags, ones, scratch.cap);
    capacity = topologyCapacity(topology, scratch);
    const perTm = new Float64Array(n);
    for (const v of topology.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        const rate = capacity * v.reach * (v.share[i] as number);
        perTm[v.tm[i] as number] = (perTm[v.tm[i] as number] as number) + rate;
      }
    }
    stallFraction = 0;
    for (let m = 0; m < n; m++) {
      if (hungFlags[m]) continue;
      const youngRate =
        (job.gc.baseAllocatedBytesPerSecond + job.gc.allocatedBytesPerRecord * (perTm[m] as number)) /
        job.gc.youngGenBytes;
      const longRate = job.gc.longPausesPerHour / 3600;
      gcLoss[m] = youngRate * young.local + longRate * long.local;
      stallFraction += youngRate * young.stall + longRate * long.stall;
    }
  }
  return capacity * Math.max(0, 1 - stallFraction);
}
