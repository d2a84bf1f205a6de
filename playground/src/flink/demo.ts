/**
 * `npm run demo:flink`: a scenario file run in real time on real Flink (live.ts), the same
 * file `simulate --scenario` runs in the simulator, so the two compare on one definition
 * (docs/real-flink.md). The default scenario is playground/scenarios/flink-step.json: about
 * 15 minutes of low load on one TaskManager, a step to 3× one TaskManager's capacity, one
 * TaskManager killed, the load back down.
 *
 * The scenario's cluster sets the real cluster (partitions, slots, the records' cost: 1e6 /
 * recordsPerSecondPerSlot µs of task-thread time each, checkpoint interval, bounds, initial
 * count), its trace is what the load tool produces, its `kill` faults are SIGKILLs of a
 * TaskManager process, and its `policy` block overrides the autoscaler's policy as in the
 * simulator. What the model alone knows (noise, GC, registration times) comes from the
 * real processes here.
 */
import { fileURLToPath } from 'node:url';
import type { AppConfigInput } from 'flink-ecs-autoscaler/lib/core/config';
import { type LoadedScenario, loadScenario } from '../scenario';
import { realConfig } from './config';
import { type RealFlinkDocument, realFlinkDocument } from './document';
import { buildFlink, checkPrerequisites, FlinkPrerequisiteError, flinkVersions } from './env';
import { type RealFault, type RealFlinkResult, type RealProgress, startRealFlinkRun } from './live';
import type { TraceStep } from './load';

export const FLINK_STEP_SCENARIO = fileURLToPath(new URL('../../scenarios/flink-step.json', import.meta.url));

export interface FlinkDemoOptions {
  /** @default playground/scenarios/flink-step.json */
  readonly scenarioPath?: string;
  /** Where configs, logs, checkpoints and Kafka's data go. */
  readonly runDir: string;
  /** The scaler's schedule and the metric period (the agent scrapes once per period). @default 60 */
  readonly periodSeconds?: number;
  /** CloudWatch's delay after the agent's flush before a datapoint is visible. @default 10 */
  readonly ingestionDelaySeconds?: number;
  /** The JobManager's REST port (web UI); 0: a free one. @default 0 */
  readonly restPort?: number;
  readonly log: (line: string) => void;
  readonly onProgress?: (p: RealProgress, durationSeconds: number) => void;
}

export interface FlinkDemoRun {
  readonly scenario: LoadedScenario;
  readonly config: AppConfigInput;
  readonly result: RealFlinkResult;
  readonly document: RealFlinkDocument;
}

/** The trace of a loaded scenario as the load tool's steps. */
export function traceSteps(loaded: LoadedScenario): TraceStep[] {
  return loaded.trace.times.map((t, i) => ({ atSeconds: t, rate: loaded.trace.rates[i] ?? 0 }));
}

/** The scenario's faults as the real run's (each `kill` of `count` TaskManagers is `count` SIGKILLs). */
export function realFaults(loaded: LoadedScenario): RealFault[] {
  return loaded.scenario.faults.flatMap((f) => {
    if (f.kind !== 'kill') {
      throw new FlinkPrerequisiteError(
        `fault at ${f.atSeconds} s: a real run does SIGKILL faults (kind "kill") only, not "${f.kind}"`,
      );
    }
    return Array.from({ length: f.count }, () => ({ atSeconds: f.atSeconds, kind: 'kill' as const }));
  });
}

/** The product's config for the scenario's real run. */
export function demoConfig(loaded: LoadedScenario, periodSeconds: number): AppConfigInput {
  const c = loaded.scenario.cluster;
  return realConfig({
    appId: 'flink-demo',
    partitions: c.partitions,
    slotsPerTaskManager: c.slotsPerTaskManager,
    minTaskManagers: c.minTaskManagers,
    maxTaskManagers: c.maxTaskManagers,
    periodSeconds,
    restartSeconds: c.restartSeconds,
    checkpointIntervalSeconds: c.checkpointIntervalSeconds,
    ...(loaded.scenario.policy ? { policy: loaded.scenario.policy } : {}),
  });
}

function workUsOf(loaded: LoadedScenario): number {
  return Math.round(1e6 / loaded.scenario.cluster.recordsPerSecondPerSlot);
}

/** Runs the scenario on real Flink to its end; every JVM is stopped when it resolves or rejects. */
export async function runFlinkDemo(options: FlinkDemoOptions): Promise<FlinkDemoRun> {
  const log = options.log;
  const pre = checkPrerequisites();
  const versions = flinkVersions();
  log(`Java ${pre.java}, ${pre.maven}; Flink ${versions.flink}, Kafka ${versions.kafka}`);
  await buildFlink(log);
  const loaded = await loadScenario(options.scenarioPath ?? FLINK_STEP_SCENARIO);
  const s = loaded.scenario;
  const period = options.periodSeconds ?? 60;
  const config = demoConfig(loaded, period);
  const faults = realFaults(loaded);
  const run = await startRealFlinkRun({
    name: s.name,
    runDir: options.runDir,
    seed: s.seed,
    partitions: s.cluster.partitions,
    slotsPerTaskManager: s.cluster.slotsPerTaskManager,
    workUs: workUsOf(loaded),
    checkpointMs: s.cluster.checkpointIntervalSeconds * 1000,
    initialTaskManagers: s.cluster.initialTaskManagers,
    config,
    trace: traceSteps(loaded),
    durationSeconds: s.durationSeconds,
    faults,
    ingestionDelaySeconds: options.ingestionDelaySeconds ?? 10,
    sampleSeconds: 5,
    ...(options.restPort !== undefined ? { restPort: options.restPort } : {}),
    log,
    onProgress: (p) => options.onProgress?.(p, s.durationSeconds),
    progressEverySeconds: 30,
  });
  const result = await run.done;
  const document = realFlinkDocument({
    scenario: s.name,
    sloLagSeconds: s.sloLagSeconds,
    result,
    versions,
    java: pre.java,
    drainedBelowRecords: drainedBelow(loaded),
  });
  return { scenario: loaded, config, result, document };
}

/**
 * The group lag under which the backlog counts as drained: the committed offsets trail by
 * up to one checkpoint interval of the highest input, plus 5 s of it (the commit runs
 * asynchronously after the checkpoint: playground/flink/README.md).
 */
export function drainedBelow(loaded: LoadedScenario): number {
  const peak = Math.max(...loaded.trace.rates);
  return Math.round(peak * (loaded.scenario.cluster.checkpointIntervalSeconds + 5));
}
