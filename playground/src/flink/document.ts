/**
 * What a real-Flink run reports: the `simulate --json` document shape (one policy result,
 * from the same accumulator the simulator uses), plus `realFlink: true`, the versions, one
 * record per TaskManager process and the facts measured on the real parts (start-up,
 * reactive restarts, replay, the fault's path through ECS and DynamoDB). Every number here
 * is read from the run's records; nothing is computed from the model.
 */
import type { PolicyResult, SimulationOutput } from '../results';
import type { FlinkVersions } from './env';
import type { JobTransition, RealFlinkResult } from './live';

/** One TaskManager process (an ECS task), times as ISO strings. */
export interface ProcessRecordOut {
  readonly taskId: string;
  readonly pid: number | null;
  readonly launched: string;
  readonly started: string | null;
  readonly registered: string | null;
  readonly stopRequested: string | null;
  readonly stopped: string | null;
  readonly exitCode: number | null;
  /** ECS's stopCode and stoppedReason of the task, once STOPPED. */
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  /** `kill` (SIGKILL fault), `stop` (ECS stopped it: SIGTERM), `end` (the run's clean-up), or null while it ran. */
  readonly endedBy: 'kill' | 'stop' | 'end' | null;
  /** Spawn → listed by Flink REST /taskmanagers. */
  readonly startupSeconds: number | null;
}

/** A stretch without processing. */
export interface RestartOut {
  /** Seconds of the run (trace time). */
  readonly atSeconds: number;
  /** `start`: the job's first deployment (before the load); `failure`: a TaskManager was lost; `rescale`: the set of TaskManagers changed otherwise. */
  readonly cause: 'start' | 'failure' | 'rescale';
  readonly fromParallelism: number;
  readonly toParallelism: number;
  readonly notProcessingSeconds: number;
}

export interface MeasuredFacts {
  /** Every TaskManager started during the run: process spawn → registered at the JobManager. */
  readonly taskManagerStartupSeconds: readonly number[];
  /** Failure restarts: SIGKILL → every subtask RUNNING again at the lower parallelism. */
  readonly reactiveRestartSeconds: readonly number[];
  /** Every stretch without processing, in order. */
  readonly restarts: readonly RestartOut[];
  /** Per SIGKILL: Σ over partitions (last offset emitted before the kill + 1 − the offset the restored reader started from). */
  readonly recordsReplayedAfterRestart: readonly (number | null)[];
  /** Per SIGKILL: the kill → the task STOPPED in ECS, and the STOPPED event → every partition with a live owner in DynamoDB. */
  readonly kills: readonly {
    readonly taskId: string;
    readonly atSeconds: number;
    readonly killToStoppedSeconds: number | null;
    readonly stoppedEventToReassignedSeconds: number | null;
    readonly partitions: number;
  }[];
  /** Per scale-in victim: DRAINING → partitions moved → protection dropped → SIGTERM → exit. */
  readonly scaleIns: readonly {
    readonly taskId: string;
    readonly partitionsMovedAfterSeconds: number | null;
    readonly protectionDroppedAfterSeconds: number | null;
    readonly sigtermAfterSeconds: number | null;
    readonly exitedAfterSeconds: number | null;
    readonly exitCode: number | null;
    readonly ownedAtStop: number | null;
  }[];
  /** Each change of the desired count: when (s), from, to, the decision's reason. */
  readonly desiredChanges: readonly { atSeconds: number; from: number; to: number; reason: string }[];
  /** Time from the first rise of the input to the first scale-out (s), if both happened. */
  readonly stepToFirstScaleOutSeconds: number | null;
  /** Time from the first rise of the input until the group's lag was back under `drainedBelowRecords`. */
  readonly stepToBacklogDrainedSeconds: number | null;
  readonly drainedBelowRecords: number;
  readonly maxGroupLagRecords: number;
  readonly agentScrapes: { scrapes: number; failures: number; datums: number };
}

export interface RealFlinkDocument extends SimulationOutput {
  readonly realFlink: true;
  readonly flink: FlinkVersions & { readonly java: string };
  readonly processes: readonly ProcessRecordOut[];
  readonly measured: MeasuredFacts;
}

const sec = (ms: number | undefined) => (ms === undefined ? null : Number((ms / 1000).toFixed(2)));
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Seconds from `stepAt` until the backlog, having risen above `below`, was back at or under it
 * while the job processed; undefined if it never was. The one rule for the real runs and the
 * simulator (docs/real-flink.md).
 */
export function drainedAfter(
  samples: readonly { t: number; backlog: number; processing?: boolean }[],
  stepAt: number,
  below: number,
): { seconds: number | undefined; peak: number } {
  let peak = 0;
  for (const s of samples) {
    if (s.t < stepAt) continue;
    peak = Math.max(peak, s.backlog);
    if (peak > below && s.processing !== false && s.backlog <= below) return { seconds: s.t - stepAt, peak };
  }
  return { seconds: undefined, peak };
}

/** The first instant the input rose above its starting rate (trace seconds), if it did. */
function firstStepUp(result: RealFlinkResult): number | undefined {
  const first = result.samples[0]?.input;
  return first === undefined ? undefined : result.samples.find((s) => s.input > first)?.t;
}

function causeOf(tr: JobTransition, killsAtMs: readonly number[]): RestartOut['cause'] {
  if (tr.fromParallelism === 0) return 'start';
  // A failure restart begins within the JobManager's detection time (heartbeat timeout) of a kill.
  return killsAtMs.some((k) => tr.startMs >= k - 1000 && tr.startMs <= k + 10_000) ? 'failure' : 'rescale';
}

export function measuredFacts(result: RealFlinkResult, drainedBelowRecords: number): MeasuredFacts {
  const t0 = result.startedAtMs;
  const kills = result.kills.map((k) => k.killedAtMs);
  const restarts = result.transitions.map(
    (tr): RestartOut => ({
      atSeconds: Number(((tr.startMs - t0) / 1000).toFixed(1)),
      cause: causeOf(tr, kills),
      fromParallelism: tr.fromParallelism,
      toParallelism: tr.toParallelism,
      notProcessingSeconds: Number(((tr.endMs - tr.startMs) / 1000).toFixed(2)),
    }),
  );
  const startups = result.processes
    .filter((p) => p.registeredAtMs !== undefined && p.startedAtMs !== undefined)
    .map((p) => sec((p.registeredAtMs as number) - (p.startedAtMs as number)) as number);
  const stepAt = firstStepUp(result);
  const firstUp = result.desiredChanges.find(
    (c) => c.to > c.from && stepAt !== undefined && c.atMs >= t0 + stepAt * 1000,
  );
  const drained =
    stepAt === undefined ? undefined : drainedAfter(result.samples, stepAt, drainedBelowRecords).seconds;
  return {
    taskManagerStartupSeconds: startups,
    reactiveRestartSeconds: result.kills
      .filter((k) => k.restartedAtMs !== undefined)
      .map((k) => sec((k.restartedAtMs as number) - k.killedAtMs) as number),
    restarts,
    recordsReplayedAfterRestart: result.kills.map((k) => k.recordsReplayed ?? null),
    kills: result.kills.map((k) => ({
      taskId: k.taskId,
      atSeconds: Number(((k.killedAtMs - t0) / 1000).toFixed(1)),
      killToStoppedSeconds: k.stoppedEventAtMs !== undefined ? sec(k.stoppedEventAtMs - k.killedAtMs) : null,
      stoppedEventToReassignedSeconds:
        k.reassignedAtMs !== undefined && k.stoppedEventAtMs !== undefined
          ? sec(k.reassignedAtMs - k.stoppedEventAtMs)
          : null,
      partitions: k.partitions,
    })),
    scaleIns: result.scaleIns.map((v) => {
      const from = v.drainingAtMs;
      const after = (ms: number | undefined) =>
        ms === undefined || from === undefined ? null : sec(ms - from);
      return {
        taskId: v.taskId,
        partitionsMovedAfterSeconds: after(v.partitionsMovedAtMs),
        protectionDroppedAfterSeconds: after(v.protectionDroppedAtMs),
        sigtermAfterSeconds: after(v.stopRequestedAtMs),
        exitedAfterSeconds: after(v.stoppedAtMs),
        exitCode: v.exitCode ?? null,
        ownedAtStop: v.ownedAtStop ?? null,
      };
    }),
    desiredChanges: result.desiredChanges.map((c) => ({
      atSeconds: Number(((c.atMs - t0) / 1000).toFixed(1)),
      from: c.from,
      to: c.to,
      reason: c.reason,
    })),
    stepToFirstScaleOutSeconds:
      firstUp && stepAt !== undefined ? Number(((firstUp.atMs - t0) / 1000 - stepAt).toFixed(1)) : null,
    stepToBacklogDrainedSeconds: drained ?? null,
    drainedBelowRecords,
    maxGroupLagRecords: Math.max(0, ...result.samples.map((s) => s.backlog)),
    agentScrapes: result.scrapes,
  };
}

export function processRecords(result: RealFlinkResult): ProcessRecordOut[] {
  return result.processes.map((p) => ({
    taskId: p.taskId,
    pid: p.pid ?? null,
    launched: new Date(p.launchedAtMs).toISOString(),
    started: iso(p.startedAtMs),
    registered: iso(p.registeredAtMs),
    stopRequested: iso(p.stopRequestedAtMs),
    stopped: iso(p.stoppedAtMs),
    exitCode: p.exitCode ?? null,
    stopCode: result.ecsStops[p.taskId]?.stopCode ?? null,
    stoppedReason: result.ecsStops[p.taskId]?.stoppedReason ?? null,
    endedBy:
      p.stoppedAtMs === undefined
        ? null
        : p.killFault
          ? 'kill'
          : p.stopRequestedAtMs !== undefined && p.stopRequestedAtMs <= p.stoppedAtMs
            ? 'stop'
            : 'end',
    startupSeconds:
      p.registeredAtMs !== undefined && p.startedAtMs !== undefined
        ? sec(p.registeredAtMs - p.startedAtMs)
        : null,
  }));
}

export interface DocumentInput {
  readonly scenario: string;
  readonly sloLagSeconds: number;
  readonly result: RealFlinkResult;
  readonly versions: FlinkVersions;
  readonly java: string;
  /** The group lag under which the backlog counts as drained (uncommitted offsets of one checkpoint interval, and a margin). */
  readonly drainedBelowRecords: number;
}

export function realFlinkDocument(input: DocumentInput): RealFlinkDocument {
  const { result } = input;
  const policy: PolicyResult = result.run.result;
  return {
    scenario: input.scenario,
    durationSeconds: result.durationSeconds,
    sloLagSeconds: input.sloLagSeconds,
    physicalMinimumTaskManagerHours: result.physicalMinimumHours,
    results: [policy],
    realFlink: true,
    flink: { ...input.versions, java: input.java },
    processes: processRecords(result),
    measured: measuredFacts(result, input.drainedBelowRecords),
  };
}
