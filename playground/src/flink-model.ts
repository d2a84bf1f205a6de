/**
 * A fluid model of one Flink job in reactive mode on the TaskManagers an ECS service runs
 * (DESIGN §6). Records are a continuous quantity; time advances in steps.
 *
 * - Partition p goes to slot p mod (N·S); slot s belongs to the TaskManager floor(s / S)
 *   in taskId order. Partitions have equal rates, so the busiest slot limits the job:
 *   capacity = jobCapacity(N, perSlotRate, P, S) (lib/core/capacity.ts).
 * - Any change of the running set (a TaskManager joins, leaves or dies) restarts the
 *   job: nothing is processed for restartSeconds from the change, and the records
 *   processed since the last completed checkpoint go back to the backlog (replayed).
 * - A checkpoint completes after every checkpointIntervalSeconds of processing (not
 *   during a restart, not while the job is stalled).
 * - A hung TaskManager stays in the running set (ECS still reports it RUNNING) but
 *   processes nothing; backpressure stalls the whole job until ECS replaces it, and that
 *   change of the running set restarts the job. A hung TaskManager publishes no metrics.
 * - Metrics: at the end of every simulated minute, one datapoint per metric per
 *   TaskManager (the minute's average) for each preset, and the job's pending records.
 *
 * Conservation: input = processed + (backlog change) − replayed, exactly, at every step.
 * Pure: no I/O, time passed in.
 */
import { jobCapacity, smallestCountFor } from 'flink-ecs-autoscaler/lib/core/capacity';
import type { MetricPreset } from 'flink-ecs-autoscaler/lib/core/config';
import { AutoscalerError } from 'flink-ecs-autoscaler/lib/core/errors';
import { METRIC_DIMENSIONS, METRIC_NAMES, type MetricUnit } from 'flink-ecs-autoscaler/lib/core/metric-names';

/** The model was driven with impossible inputs (time going backwards, duplicate task ids…). */
export class FlinkModelError extends AutoscalerError {}

export interface FlinkClusterParams {
  readonly partitions: number;
  readonly slotsPerTaskManager: number;
  /** Records/s one slot processes at 100% busy. */
  readonly recordsPerSecondPerSlot: number;
  readonly restartSeconds: number;
  readonly checkpointIntervalSeconds: number;
  /**
   * CPU units of a TaskManager task (Container Insights CpuReserved).
   * @default 1024
   */
  readonly taskCpuUnits?: number;
}

/** The dimension values the published metrics carry. */
export interface FlinkMetricNames {
  readonly clusterName: string;
  readonly jobName: string;
  readonly taskDefinitionFamily: string;
}

export interface FlinkJobModelOptions {
  readonly names: FlinkMetricNames;
  /**
   * The presets whose per-TaskManager metrics are published (the job's pending records
   * always are).
   * @default all three
   */
  readonly presets?: readonly MetricPreset[];
  /**
   * Records waiting at the start.
   * @default 0
   */
  readonly initialBacklog?: number;
  /**
   * CPU a TaskManager uses when idle, as a fraction of its reservation.
   * @default 0.02
   */
  readonly idleCpuFraction?: number;
}

/** A TaskManager ECS reports RUNNING at the moment of a step. */
export interface RunningTaskManager {
  readonly taskId: string;
  readonly hung: boolean;
}

/** A CloudWatch datapoint as PutMetricData takes it. */
export interface MetricDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Start of the minute the value averages. */
  readonly timestampMs: number;
  readonly value: number;
  readonly unit: MetricUnit;
}

/** What happened during one step [tMs, tMs + dtSeconds). */
export interface FlinkStepResult {
  readonly tMs: number;
  readonly dtSeconds: number;
  /** Records/s arriving during the step. */
  readonly inputRate: number;
  /** Records that arrived during the step. */
  readonly input: number;
  /** Records processed during the step. */
  readonly processed: number;
  /** Records put back into the backlog by a restart at the start of the step. */
  readonly replayed: number;
  /** Records/s the running TaskManagers can process now; 0 while the job restarts or is stalled. */
  readonly capacity: number;
  /** Records waiting at the end of the step. */
  readonly backlog: number;
  /** backlog / input rate (an input below 1 record/s counts as 1); 0 without backlog. */
  readonly lagSeconds: number;
  /** The job is restarting at the start of the step. */
  readonly restarting: boolean;
  /** A hung TaskManager blocks the job. */
  readonly stalled: boolean;
  /** TaskManagers in the running set (hung ones included). */
  readonly running: number;
  readonly hung: number;
  /** Seconds of the step during which the job processed; the rest was downtime. */
  readonly activeSeconds: number;
  /** Datapoints published at the end of the step (only when a minute ends). */
  readonly metrics: readonly MetricDatum[];
}

/** One TaskManager's share of the job during the last step. */
export interface TaskManagerLoad {
  readonly taskId: string;
  readonly hung: boolean;
  /** Partitions on its slots. */
  readonly partitions: number;
  /** Busy fraction of its busiest slot (0..1). */
  readonly busy: number;
  /** Records/s it processed while the job was up. */
  readonly processedRate: number;
}

export interface FlinkTotals {
  readonly input: number;
  readonly processed: number;
  readonly replayed: number;
  readonly initialBacklog: number;
  readonly backlog: number;
  /** Job restarts (changes of the running set after the first step). */
  readonly restarts: number;
  readonly checkpoints: number;
}

/**
 * The smallest TaskManager count whose capacity covers `inputRate` at 100% busy (at
 * least 1; at most the count that gives every partition its own slot, beyond which
 * capacity no longer grows).
 */
export function physicalMinimum(
  inputRate: number,
  cluster: Pick<FlinkClusterParams, 'partitions' | 'slotsPerTaskManager' | 'recordsPerSecondPerSlot'>,
): number {
  const { partitions, slotsPerTaskManager, recordsPerSecondPerSlot } = cluster;
  const useful = Math.ceil(partitions / slotsPerTaskManager);
  return smallestCountFor(inputRate, recordsPerSecondPerSlot, partitions, slotsPerTaskManager, useful);
}

/** Per-TaskManager sums over the current minute. */
interface MinuteSums {
  presentSeconds: number;
  busySeconds: number;
  records: number;
}

/** A TaskManager of the current running set. */
interface Member {
  readonly taskId: string;
  /** Partitions on its slots. */
  readonly partitions: number;
  /** Partitions on its busiest slot. */
  readonly busiestSlot: number;
  readonly sums: MinuteSums;
  hung: boolean;
  seenInStep: number;
}

const ALL_PRESETS: readonly MetricPreset[] = ['seed', 'flink-prometheus', 'container-insights-cpu'];
const MINUTE_MS = 60_000;

export class FlinkJobModel {
  private readonly partitions: number;
  private readonly slots: number;
  private readonly perSlotRate: number;
  private readonly restartMs: number;
  private readonly checkpointInterval: number;
  private readonly cpuUnits: number;
  private readonly idleCpu: number;
  private readonly names: FlinkMetricNames;
  private readonly presets: ReadonlySet<MetricPreset>;

  /** The running set in taskId order. */
  private members: Member[] = [];
  private memberById = new Map<string, Member>();
  /** Counts steps; a member stamped with the current step was already listed in it. */
  private stepCount = 0;
  private capacityUp = 0;
  private started = false;
  private restartUntilMs = Number.NEGATIVE_INFINITY;
  private nextStepMs: number | undefined;

  private backlog: number;
  private readonly initialBacklog: number;
  private totalInput = 0;
  private totalProcessed = 0;
  private totalReplayed = 0;
  private restarts = 0;
  private checkpoints = 0;
  /** Processing seconds since the last completed checkpoint. */
  private sinceCheckpointSeconds = 0;
  /** Records processed since the last completed checkpoint (replayed on a restart). */
  private sinceCheckpointRecords = 0;

  /** Processing rate of the last step while the job was up (records/s), for the loads. */
  private lastRate = 0;
  private lastStalled = false;

  private minute: number | undefined;
  private minuteBacklogSeconds = 0;
  private minuteSeconds = 0;

  constructor(cluster: FlinkClusterParams, options: FlinkJobModelOptions) {
    const {
      partitions,
      slotsPerTaskManager,
      recordsPerSecondPerSlot,
      restartSeconds,
      checkpointIntervalSeconds,
    } = cluster;
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new FlinkModelError('partitions: must be an integer ≥ 1');
    if (!Number.isInteger(slotsPerTaskManager) || slotsPerTaskManager < 1) {
      throw new FlinkModelError('slotsPerTaskManager: must be an integer ≥ 1');
    }
    if (!(recordsPerSecondPerSlot > 0)) throw new FlinkModelError('recordsPerSecondPerSlot: must be > 0');
    if (!(restartSeconds >= 0)) throw new FlinkModelError('restartSeconds: must be ≥ 0');
    if (!(checkpointIntervalSeconds > 0)) throw new FlinkModelError('checkpointIntervalSeconds: must be > 0');
    this.partitions = partitions;
    this.slots = slotsPerTaskManager;
    this.perSlotRate = recordsPerSecondPerSlot;
    this.restartMs = restartSeconds * 1000;
    this.checkpointInterval = checkpointIntervalSeconds;
    this.cpuUnits = cluster.taskCpuUnits ?? 1024;
    this.idleCpu = options.idleCpuFraction ?? 0.02;
    this.names = options.names;
    this.presets = new Set(options.presets ?? ALL_PRESETS);
    this.initialBacklog = options.initialBacklog ?? 0;
    if (!(this.initialBacklog >= 0)) throw new FlinkModelError('initialBacklog: must be ≥ 0');
    this.backlog = this.initialBacklog;
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
    const dtMs = dtSeconds * 1000;
    const endMs = tMs + dtMs;
    this.nextStepMs = endMs;

    // Metrics of a minute that ended in a gap between steps are published now.
    const metrics: MetricDatum[] = [];
    const stepMinute = Math.floor(tMs / MINUTE_MS);
    if (this.minute !== undefined && stepMinute > this.minute) this.publishMinute(metrics, stepMinute);
    const minute = this.minute ?? stepMinute;
    this.minute = minute;

    // 1. The running set: any change restarts the job.
    let replayed = 0;
    if (this.setChanged(taskManagers)) {
      this.rebuild(taskManagers);
      if (this.started) replayed = this.restart(tMs);
    }
    this.started = true;
    let hung = 0;
    for (const m of this.members) if (m.hung) hung++;
    const stalled = hung > 0;
    const running = this.members.length;

    // 2. Processing.
    const restarting = tMs < this.restartUntilMs;
    const up = running > 0 && !stalled;
    const activeSeconds = up ? Math.max(0, endMs - Math.max(tMs, this.restartUntilMs)) / 1000 : 0;
    const input = inputRate * dtSeconds;
    const available = this.backlog + input;
    const processed = activeSeconds > 0 ? Math.min(this.capacityUp * activeSeconds, available) : 0;
    this.backlog = available - processed;
    this.totalInput += input;
    this.totalProcessed += processed;
    this.advanceCheckpoints(activeSeconds, processed);

    // 3. Per-TaskManager load, summed over the minute.
    const rate = activeSeconds > 0 ? processed / activeSeconds : 0;
    this.lastRate = rate;
    this.lastStalled = stalled;
    const busyPerPartition = rate / (this.partitions * this.perSlotRate);
    const recordsPerPartition = processed / this.partitions;
    for (const m of this.members) {
      if (m.hung) continue;
      m.sums.presentSeconds += dtSeconds;
      m.sums.busySeconds += Math.min(1, m.busiestSlot * busyPerPartition) * activeSeconds;
      m.sums.records += m.partitions * recordsPerPartition;
    }
    this.minuteBacklogSeconds += this.backlog * dtSeconds;
    this.minuteSeconds += dtSeconds;
    if (endMs >= (minute + 1) * MINUTE_MS) this.publishMinute(metrics, minute + 1);

    return {
      tMs,
      dtSeconds,
      inputRate,
      input,
      processed,
      replayed,
      capacity: restarting || !up ? 0 : this.capacityUp,
      backlog: this.backlog,
      lagSeconds: this.backlog > 0 ? this.backlog / Math.max(inputRate, 1) : 0,
      restarting,
      stalled,
      running,
      hung,
      activeSeconds,
      metrics,
    };
  }

  /** Cumulative counters since construction. */
  totals(): FlinkTotals {
    return {
      input: this.totalInput,
      processed: this.totalProcessed,
      replayed: this.totalReplayed,
      initialBacklog: this.initialBacklog,
      backlog: this.backlog,
      restarts: this.restarts,
      checkpoints: this.checkpoints,
    };
  }

  /** Each running TaskManager's share during the last step, in taskId order. */
  taskManagerLoads(): TaskManagerLoad[] {
    const busyPerPartition = this.lastRate / (this.partitions * this.perSlotRate);
    return this.members.map((m) => ({
      taskId: m.taskId,
      hung: m.hung,
      partitions: m.partitions,
      busy: m.hung || this.lastStalled ? 0 : Math.min(1, m.busiestSlot * busyPerPartition),
      processedRate: m.hung ? 0 : (m.partitions * this.lastRate) / this.partitions,
    }));
  }

  /** Records/s `count` healthy TaskManagers can process (the capacity formula). */
  capacityOf(count: number): number {
    return jobCapacity(count, this.perSlotRate, this.partitions, this.slots);
  }

  /** Compares the listed TaskManagers with the running set, and takes their hung flags. */
  private setChanged(taskManagers: readonly RunningTaskManager[]): boolean {
    if (!this.started || taskManagers.length !== this.members.length) return true;
    const stamp = ++this.stepCount;
    for (const tm of taskManagers) {
      const m = this.memberById.get(tm.taskId);
      if (m === undefined || m.seenInStep === stamp) return true; // new, or listed twice (rebuild rejects it)
      m.seenInStep = stamp;
      m.hung = tm.hung;
    }
    return false;
  }

  /** New running set: Flink's round-robin of partitions over slots, slots over TaskManagers in taskId order. */
  private rebuild(taskManagers: readonly RunningTaskManager[]): void {
    const sorted = [...taskManagers].sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0));
    const previous = this.memberById;
    const n = sorted.length;
    const totalSlots = n * this.slots;
    const base = n > 0 ? Math.floor(this.partitions / totalSlots) : 0;
    const extra = n > 0 ? this.partitions % totalSlots : 0; // slots [0, extra) hold one more
    const members: Member[] = [];
    for (let i = 0; i < n; i++) {
      const { taskId, hung } = sorted[i] as RunningTaskManager;
      if (i > 0 && sorted[i - 1]?.taskId === taskId) {
        throw new FlinkModelError(`taskId ${taskId} appears twice in the running set`);
      }
      const first = i * this.slots;
      const withExtra = Math.max(0, Math.min(extra, first + this.slots) - first);
      members.push({
        taskId,
        partitions: base * this.slots + withExtra,
        busiestSlot: base + (withExtra > 0 ? 1 : 0),
        sums: previous.get(taskId)?.sums ?? { presentSeconds: 0, busySeconds: 0, records: 0 },
        hung,
        seenInStep: 0,
      });
    }
    this.members = members;
    this.memberById = new Map(members.map((m) => [m.taskId, m]));
    this.capacityUp = this.capacityOf(n);
  }

  /** Restart at tMs: replay since the last checkpoint, no processing for restartSeconds. */
  private restart(tMs: number): number {
    const replayed = this.sinceCheckpointRecords;
    this.backlog += replayed;
    this.totalReplayed += replayed;
    this.sinceCheckpointRecords = 0;
    this.sinceCheckpointSeconds = 0;
    this.restartUntilMs = tMs + this.restartMs;
    this.restarts++;
    return replayed;
  }

  /** Checkpoints complete every checkpointInterval seconds of processing; processing is even within a step. */
  private advanceCheckpoints(activeSeconds: number, processed: number): void {
    if (activeSeconds <= 0) return;
    const interval = this.checkpointInterval;
    const toNext = interval - this.sinceCheckpointSeconds;
    if (activeSeconds < toNext) {
      this.sinceCheckpointSeconds += activeSeconds;
      this.sinceCheckpointRecords += processed;
      return;
    }
    const completed = 1 + Math.floor((activeSeconds - toNext) / interval);
    const after = activeSeconds - (toNext + (completed - 1) * interval);
    this.checkpoints += completed;
    this.sinceCheckpointSeconds = after;
    this.sinceCheckpointRecords = (processed * after) / activeSeconds;
  }

  /** Publishes the minute being summed and starts summing `nextMinute`. */
  private publishMinute(out: MetricDatum[], nextMinute: number): void {
    const minute = this.minute;
    if (minute === undefined) return;
    const timestampMs = minute * MINUTE_MS;
    const { clusterName, jobName, taskDefinitionFamily } = this.names;
    const D = METRIC_DIMENSIONS;
    for (const m of this.members) {
      const { presentSeconds, busySeconds, records } = m.sums;
      m.sums.presentSeconds = 0;
      m.sums.busySeconds = 0;
      m.sums.records = 0;
      if (m.hung || presentSeconds <= 0) continue;
      const busy = busySeconds / presentSeconds;
      const datum = (
        namespace: string,
        metricName: string,
        dimensions: Record<string, string>,
        value: number,
        unit: MetricUnit,
      ) => out.push({ namespace, metricName, dimensions, timestampMs, value, unit });
      if (this.presets.has('seed')) {
        const dims = { [D.taskId]: m.taskId };
        datum(METRIC_NAMES.seed.namespace, METRIC_NAMES.seed.taskDuration, dims, busySeconds, 'Seconds');
        datum(
          METRIC_NAMES.seed.namespace,
          METRIC_NAMES.seed.taskInterval,
          { ...dims },
          presentSeconds,
          'Seconds',
        );
      }
      if (this.presets.has('flink-prometheus')) {
        const dims = { [D.clusterName]: clusterName, [D.taskId]: m.taskId };
        datum(
          METRIC_NAMES.flink.namespace,
          METRIC_NAMES.flink.busyTimeMsPerSecond,
          dims,
          busy * 1000,
          'None',
        );
        datum(
          METRIC_NAMES.flink.namespace,
          METRIC_NAMES.flink.numRecordsInPerSecond,
          { ...dims },
          records / presentSeconds,
          'Count/Second',
        );
      }
      if (this.presets.has('container-insights-cpu')) {
        const dims = {
          [D.clusterName]: clusterName,
          [D.taskDefinitionFamily]: taskDefinitionFamily,
          [D.taskId]: m.taskId,
        };
        const utilized = this.cpuUnits * (this.idleCpu + (1 - this.idleCpu) * busy);
        datum(
          METRIC_NAMES.containerInsights.namespace,
          METRIC_NAMES.containerInsights.cpuUtilized,
          dims,
          utilized,
          'None',
        );
        datum(
          METRIC_NAMES.containerInsights.namespace,
          METRIC_NAMES.containerInsights.cpuReserved,
          { ...dims },
          this.cpuUnits,
          'None',
        );
      }
    }
    if (this.minuteSeconds > 0) {
      out.push({
        namespace: METRIC_NAMES.flink.namespace,
        metricName: METRIC_NAMES.flink.pendingRecords,
        dimensions: { [D.clusterName]: clusterName, [D.jobName]: jobName },
        timestampMs,
        value: this.minuteBacklogSeconds / this.minuteSeconds,
        unit: 'Count',
      });
    }
    this.minuteBacklogSeconds = 0;
    this.minuteSeconds = 0;
    this.minute = nextMinute;
  }
}
