/**
 * The job the ground-truth model runs: a chain of operators from a Kafka source to a sink,
 * each with its own per-record cost, selectivity and input edge, plus the cluster facts
 * (partitions, slots, restart and checkpoint settings). `resolveJob` fills every default
 * (model/calibration.ts) into a complete `JobSpec`. Pure; no lib/core import (the model must
 * not know any policy's formulas).
 *
 * Operators are chained into tasks (job vertices) as Flink chains them by default: an
 * operator joins the task of the one before it when their edge is forward and their
 * maxParallelism equal, unless it sets `chain: false` (startNewChain / disableChaining). A
 * task runs its operators on one thread: its cost per input record is Σ cost_k · reach_k
 * (reach_k: records reaching operator k per record entering the task), its selectivity
 * the product of theirs, its name theirs joined with " -> ".
 *
 * The default job (task names as Flink's web UI shows them):
 *   "Source: kafka-source"  --hash (keyBy)-->  "aggregate -> sink: Writer"
 * `recordsPerSecondPerSlot` r of the old cluster spec sets the aggregate operator's cost to
 * 1/r thread-seconds per record: one slot's aggregate on a lone TaskManager processes about
 * r records/s at 100% busy (plus the chained sink's 0.1 × 15 µs). Everything else (the
 * source's cost, remote records, channels, GC, key skew, key-group granularity) makes the
 * job's real capacity lower than N·S·r, and not linear in N.
 */
import { CALIBRATION as C } from './calibration';
import { computeDefaultMaxParallelism } from './hash';

/** The model was configured or driven with impossible inputs. */
export class FlinkModelError extends Error {
  override readonly name = 'FlinkModelError';
}

/** How records reach a vertex from the one before it. */
export type EdgeKind = 'hash' | 'rebalance' | 'forward';

export interface OperatorSpec {
  /** Operator name (Prometheus label operator_name, before Flink's character filter). */
  readonly name: string;
  /** Edge from the previous operator; the first (the Kafka source) has none. */
  readonly input?: EdgeKind;
  /** May be chained to the previous operator (false: startNewChain / disableChaining). */
  readonly chain: boolean;
  /** Task-thread seconds per record it receives (the source: per record read from Kafka). */
  readonly costSeconds: number;
  /** Records emitted per record received. */
  readonly selectivity: number;
  /** maxParallelism: the number of key groups of a keyed operator, and a cap on its parallelism. */
  readonly maxParallelism: number;
  /** Keyed state held by this operator (spread over its key groups like the keys). */
  readonly stateBytes: number;
}

/** A task (job vertex): chained operators on one thread. */
export interface VertexSpec {
  /** The task name: the operators' names joined with " -> " (label task_name, before the filter). */
  readonly name: string;
  readonly operators: readonly OperatorSpec[];
  /** Records reaching each operator per record entering the task. */
  readonly operatorReach: readonly number[];
  /** Edge from the previous task; the source task has none. */
  readonly input?: EdgeKind;
  /** Task-thread seconds per input record: Σ cost · reach over its operators. */
  readonly costSeconds: number;
  /** Records out per record in: the product of its operators'. */
  readonly selectivity: number;
  readonly maxParallelism: number;
  readonly stateBytes: number;
}

/** Chains operators into tasks as Flink does by default. */
export function chainOperators(operators: readonly OperatorSpec[]): VertexSpec[] {
  const groups: OperatorSpec[][] = [];
  for (const op of operators) {
    const last = groups.at(-1);
    const head = last?.[0];
    if (last && head && op.input === 'forward' && op.chain && op.maxParallelism === head.maxParallelism)
      last.push(op);
    else groups.push([op]);
  }
  return groups.map((ops) => {
    const reach: number[] = [];
    let r = 1;
    let cost = 0;
    for (const op of ops) {
      reach.push(r);
      cost += op.costSeconds * r;
      r *= op.selectivity;
    }
    const head = ops[0] as OperatorSpec;
    return {
      name: ops.map((o) => o.name).join(' -> '),
      operators: ops,
      operatorReach: reach,
      ...(head.input !== undefined ? { input: head.input } : {}),
      costSeconds: cost,
      selectivity: r,
      maxParallelism: head.maxParallelism,
      stateBytes: ops.reduce((a, o) => a + o.stateBytes, 0),
    };
  });
}

export interface GcSpec {
  readonly allocatedBytesPerRecord: number;
  readonly baseAllocatedBytesPerSecond: number;
  readonly youngGenBytes: number;
  readonly youngPauseMeanMs: number;
  readonly longPausesPerHour: number;
  readonly longPauseMeanMs: number;
  readonly absorbedPauseMs: number;
}

export interface CheckpointSpec {
  readonly intervalSeconds: number;
  readonly durationSeconds: number;
  readonly timeoutSeconds: number;
  readonly minPauseSeconds: number;
  readonly unaligned: boolean;
  readonly recordBytes: number;
  readonly bufferBytes: number;
  readonly exclusiveBuffersPerChannel: number;
  readonly floatingBuffersPerGate: number;
  readonly maxBuffersPerChannel: number;
}

export interface JobSpec {
  /** Flink job name (label job_name). */
  readonly jobName: string;
  /** The Kafka topic (its name seeds the enumerator's first assignment). */
  readonly topic: string;
  readonly partitions: number;
  /** Share of the input each partition receives (sums to 1). */
  readonly partitionWeights: readonly number[];
  readonly slotsPerTaskManager: number;
  readonly operators: readonly OperatorSpec[];
  /** The tasks the operators chain into. */
  readonly vertices: readonly VertexSpec[];
  readonly keys: number;
  readonly keyZipfExponent: number;
  readonly remoteRecordSeconds: number;
  readonly channelOverhead: number;
  readonly taskManagerOverhead: number;
  readonly busyNoiseCv: number;
  readonly gc: GcSpec;
  /** Fixed part of a restart (cancel, schedule, deploy), before state restore. */
  readonly restartSeconds: number;
  readonly restoreBytesPerSecondPerTaskManager: number;
  readonly checkpoint: CheckpointSpec;
  readonly rescaleCooldownSeconds: number;
  /** A scale-up waits for the next completed checkpoint (Flink 2.x, FLIP-461). */
  readonly rescaleOnCheckpoint: boolean;
  readonly registrationSeconds: number;
  /** Part of restartSeconds before the new attempt's tasks exist (the rest is INITIALIZING). */
  readonly deploySeconds: number;
  readonly heartbeatTimeoutSeconds: number;
  readonly cpuPerBusySecond: number;
  readonly backgroundCores: number;
  /** CPU units of a TaskManager task (1024 per vCPU). */
  readonly taskCpuUnits: number;
  /** Seeds the noise, GC and checkpoint-timing draws. */
  readonly seed: number;
}

/** What a scenario may say about an operator (everything optional but the order). */
export interface OperatorInput {
  readonly name?: string;
  readonly input?: EdgeKind;
  readonly chain?: boolean;
  readonly costSeconds?: number;
  readonly selectivity?: number;
  readonly maxParallelism?: number;
  readonly stateBytes?: number;
}

/** A scenario's optional `job` block: any field left out takes the calibrated default. */
export interface JobInput {
  readonly topic?: string;
  readonly operators?: readonly OperatorInput[];
  readonly keys?: number;
  readonly keyZipfExponent?: number;
  /** Zipf exponent of the partitions' rates (0: equal), or explicit weights. */
  readonly partitionZipfExponent?: number;
  readonly partitionWeights?: readonly number[];
  readonly maxParallelism?: number;
  readonly remoteRecordSeconds?: number;
  readonly channelOverhead?: number;
  readonly taskManagerOverhead?: number;
  readonly busyNoiseCv?: number;
  readonly gc?: Partial<GcSpec>;
  readonly restoreBytesPerSecondPerTaskManager?: number;
  readonly checkpoint?: Partial<Omit<CheckpointSpec, 'intervalSeconds'>>;
  readonly rescaleCooldownSeconds?: number;
  readonly rescaleOnCheckpoint?: boolean;
  readonly registrationSeconds?: number;
  readonly deploySeconds?: number;
  readonly heartbeatTimeoutSeconds?: number;
  readonly cpuPerBusySecond?: number;
  readonly backgroundCores?: number;
}

/** The cluster facts of a scenario that the model needs. */
export interface ClusterInput {
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  /** The old spec's per-slot rate: sets the keyed vertex's cost to 1/r (see the module doc). */
  readonly recordsPerSecondPerSlot?: number;
  readonly restartSeconds: number;
  readonly checkpointIntervalSeconds: number;
  /** @default 1024 */
  readonly taskCpuUnits?: number;
}

export interface ResolveOptions {
  readonly jobName?: string;
  readonly seed?: number;
}

/** Java's default configured parallelism (1) gives maxParallelism 128 in reactive mode. */
export const DEFAULT_MAX_PARALLELISM = computeDefaultMaxParallelism(1);

/** The default operators for an aggregate cost of `keyedCost` seconds per record. */
export function defaultOperators(
  keyedCost: number,
  maxParallelism = DEFAULT_MAX_PARALLELISM,
): OperatorSpec[] {
  return [
    {
      name: 'Source: kafka-source',
      chain: true,
      costSeconds: C.cost.sourceSeconds,
      selectivity: 1,
      maxParallelism,
      stateBytes: 0,
    },
    {
      name: 'aggregate',
      input: 'hash',
      chain: true,
      costSeconds: keyedCost,
      selectivity: C.keyedSelectivity,
      maxParallelism,
      stateBytes: C.keyedStateBytes,
    },
    {
      name: 'sink: Writer',
      input: 'forward',
      chain: true,
      costSeconds: C.cost.sinkSeconds,
      selectivity: 0,
      maxParallelism,
      stateBytes: 0,
    },
  ];
}

function partitionWeightsOf(partitions: number, job: JobInput): number[] {
  if (job.partitionWeights) {
    if (job.partitionWeights.length !== partitions) {
      throw new FlinkModelError(
        `partitionWeights: needs ${partitions} weights, got ${job.partitionWeights.length}`,
      );
    }
    const total = job.partitionWeights.reduce((a, w) => a + w, 0);
    if (!(total > 0) || job.partitionWeights.some((w) => !(w >= 0))) {
      throw new FlinkModelError('partitionWeights: must be ≥ 0 and not all 0');
    }
    return job.partitionWeights.map((w) => w / total);
  }
  const s = job.partitionZipfExponent ?? 0;
  const w = Array.from({ length: partitions }, (_, k) => (k + 1) ** -s);
  const total = w.reduce((a, v) => a + v, 0);
  return w.map((v) => v / total);
}

/** Fills the defaults in; the i-th vertex of the input overrides the i-th default vertex (extra ones start from the sink's). */
export function resolveJob(cluster: ClusterInput, job: JobInput = {}, options: ResolveOptions = {}): JobSpec {
  const { partitions, slotsPerTaskManager } = cluster;
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new FlinkModelError('partitions: must be an integer ≥ 1');
  if (!Number.isInteger(slotsPerTaskManager) || slotsPerTaskManager < 1) {
    throw new FlinkModelError('slotsPerTaskManager: must be an integer ≥ 1');
  }
  const r = cluster.recordsPerSecondPerSlot;
  if (r !== undefined && !(r > 0)) throw new FlinkModelError('recordsPerSecondPerSlot: must be > 0');
  const maxParallelism = job.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
  const defaults = defaultOperators(r !== undefined ? 1 / r : C.cost.keyedSeconds, maxParallelism);
  const given = job.operators ?? [];
  const count = given.length > 0 ? given.length : defaults.length;
  const operators: OperatorSpec[] = [];
  for (let i = 0; i < count; i++) {
    const base = defaults[Math.min(i, defaults.length - 1)] as OperatorSpec;
    const o = given[i] ?? {};
    const op: OperatorSpec = {
      name: o.name ?? (i < defaults.length ? base.name : `operator-${i}`),
      ...(i > 0 ? { input: o.input ?? base.input ?? 'forward' } : {}),
      chain: o.chain ?? true,
      costSeconds: o.costSeconds ?? base.costSeconds,
      selectivity: o.selectivity ?? base.selectivity,
      maxParallelism: o.maxParallelism ?? maxParallelism,
      stateBytes: o.stateBytes ?? (i < defaults.length ? base.stateBytes : 0),
    };
    if (i === 0 && o.input !== undefined)
      throw new FlinkModelError('operators.0.input: the source has no input edge');
    if (!(op.costSeconds > 0)) throw new FlinkModelError(`operators.${i}.costSeconds: must be > 0`);
    if (!(op.selectivity >= 0)) throw new FlinkModelError(`operators.${i}.selectivity: must be ≥ 0`);
    if (!Number.isInteger(op.maxParallelism) || op.maxParallelism < 1 || op.maxParallelism > 32_768) {
      throw new FlinkModelError(`operators.${i}.maxParallelism: must be an integer in [1, 32768]`);
    }
    operators.push(op);
  }
  const gc: GcSpec = { ...C.gc, ...job.gc };
  const checkpoint: CheckpointSpec = {
    intervalSeconds: cluster.checkpointIntervalSeconds,
    ...C.checkpoint,
    ...job.checkpoint,
  };
  if (!(checkpoint.intervalSeconds > 0)) throw new FlinkModelError('checkpointIntervalSeconds: must be > 0');
  if (!(cluster.restartSeconds >= 0)) throw new FlinkModelError('restartSeconds: must be ≥ 0');
  return {
    jobName: options.jobName ?? 'flink-job',
    topic: job.topic ?? 'input',
    partitions,
    partitionWeights: partitionWeightsOf(partitions, job),
    slotsPerTaskManager,
    operators,
    vertices: chainOperators(operators),
    keys: job.keys ?? C.keys,
    keyZipfExponent: job.keyZipfExponent ?? C.keyZipfExponent,
    remoteRecordSeconds: job.remoteRecordSeconds ?? C.remoteRecordSeconds,
    channelOverhead: job.channelOverhead ?? C.channelOverhead,
    taskManagerOverhead: job.taskManagerOverhead ?? C.taskManagerOverhead,
    busyNoiseCv: job.busyNoiseCv ?? C.busyNoiseCv,
    gc,
    restartSeconds: cluster.restartSeconds,
    restoreBytesPerSecondPerTaskManager:
      job.restoreBytesPerSecondPerTaskManager ?? C.restoreBytesPerSecondPerTaskManager,
    checkpoint,
    rescaleCooldownSeconds: job.rescaleCooldownSeconds ?? C.rescale.cooldownSeconds,
    rescaleOnCheckpoint: job.rescaleOnCheckpoint ?? C.rescale.onCheckpoint,
    registrationSeconds: job.registrationSeconds ?? C.rescale.registrationSeconds,
    deploySeconds: Math.min(cluster.restartSeconds, job.deploySeconds ?? C.rescale.deploySeconds),
    heartbeatTimeoutSeconds: job.heartbeatTimeoutSeconds ?? C.rescale.heartbeatTimeoutSeconds,
    cpuPerBusySecond: job.cpuPerBusySecond ?? C.cpu.perBusySecond,
    backgroundCores: job.backgroundCores ?? C.cpu.backgroundCores,
    taskCpuUnits: cluster.taskCpuUnits ?? 1024,
    seed: options.seed ?? 0,
  };
}
