/**
 * The acceptance test of issue 12 on real Flink (playground/flink/e2e.sh runs it; CI runs that
 * from .ci/run; not part of `npm test`). Real time, real JVMs, the product's functions
 * unmodified:
 *
 * 1. one TaskManager at low load; a step to ~3× its capacity makes the scaler raise the desired
 *    count; the new TaskManager JVMs register; the job's parallelism (Flink REST) follows; the
 *    backlog drains;
 * 2. a TaskManager process killed with SIGKILL is STOPPED in ECS (exit code 137) and its
 *    partitions have new owners in DynamoDB within 5 s of the STOPPED event;
 * 3. the load goes back down: the scale-in's victims are drained (their partitions moved, their
 *    protection dropped) before ECS stops them (SIGTERM, exit 143).
 *
 * Every phase waits for its condition with a deadline; the measured numbers are printed and
 * written as JSON (E2E_RESULTS, default <run dir>/e2e-results.json). Exit code 0 only when
 * every check passed; every JVM is stopped on success, failure and Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_FLUSH_SECONDS } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { realConfig } from './config';
import { buildFlink, checkPrerequisites, FlinkPrerequisiteError, flinkVersions } from './env';
import { type RealFlinkResult, type RealFlinkRun, startRealFlinkRun } from './live';
import { killAllOnSignal, liveProcesses, runMain } from './processes';

const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
const say = (line: string) => process.stdout.write(`[e2e ${elapsed()}s] ${line}\n`);

const PARTITIONS = 12;
const SLOTS = 1;
const WORK_US = 1000;
const PER_TM = (1e6 / WORK_US) * SLOTS;
const LOW = 300;
const HIGH = 3 * PER_TM;
const PERIOD = Number(process.env.E2E_PERIOD_SECONDS ?? 10);
const INGESTION_DELAY = Number(process.env.E2E_INGESTION_DELAY_SECONDS ?? 10);

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}
const checks: Check[] = [];
const check = (name: string, ok: boolean, detail: string) => {
  checks.push({ name, ok, detail });
  say(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
};

async function until<T>(
  what: string,
  timeoutS: number,
  probe: () => T | undefined | false,
  everyMs = 250,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutS * 1000)
      throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const s = (ms: number | undefined) => (ms === undefined ? null : Number((ms / 1000).toFixed(2)));

async function main(): Promise<number> {
  // The functions' structured logs and EMF metrics would drown the output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const pre = checkPrerequisites();
  say(`Java ${pre.java}, ${pre.maven}; Flink ${flinkVersions().flink}`);
  await buildFlink((line) => say(line));
  const runDir = process.env.RUN_DIR ?? mkdtempSync(join(tmpdir(), 'flink-e2e-'));
  say(`run directory ${runDir}`);
  const config = realConfig({
    appId: 'flink-e2e',
    partitions: PARTITIONS,
    slotsPerTaskManager: SLOTS,
    minTaskManagers: 1,
    maxTaskManagers: 6,
    periodSeconds: PERIOD,
    restartSeconds: 5,
    checkpointIntervalSeconds: 10,
    // What this run's CloudWatch really delays (flush + ingestion) plus 5 s, so that every period
    // older than that must be complete (at the product's 60 s no period of the 60 s window is due).
    ingestionDelaySeconds: INGESTION_DELAY + AGENT_FLUSH_SECONDS + 5,
    policy: {
      catchUpSeconds: 60,
      settleSeconds: 30,
      scaleOutCooldownSeconds: 30,
      scaleInCooldownSeconds: 30,
      scaleInStabilizationSeconds: 30,
      // Off: this run steps the load up and down again within ten minutes, the very rise the
      // product's 6 h lookback is built to ride out (no scale-in below what the rise needs,
      // lib/core/absorb.ts riseFloor); what the e2e checks is the scale-in's mechanics on Flink.
      scaleInLookbackSeconds: 0,
    },
  });
  let run: RealFlinkRun | undefined;
  let result: RealFlinkResult | undefined;
  killAllOnSignal(say);
  const facts: Record<string, unknown> = {};
  try {
    run = await startRealFlinkRun({
      name: 'e2e',
      runDir,
      partitions: PARTITIONS,
      slotsPerTaskManager: SLOTS,
      workUs: WORK_US,
      checkpointMs: 10_000,
      initialTaskManagers: 1,
      config,
      trace: [{ atSeconds: 0, rate: LOW }],
      ingestionDelaySeconds: INGESTION_DELAY,
      sampleSeconds: 1,
      log: say,
      logTicks: true,
      onProgress: (p) =>
        say(
          `t=${p.t}s input ${p.input}/s · desired ${p.desired} · running ${p.running} · parallelism ${p.parallelism}${p.processing ? '' : ' (not processing)'} · lag ${p.lag}`,
        ),
      progressEverySeconds: 15,
    });
    const r = run;
    /** The newest sample, if it was taken after `afterMs` (epoch ms). */
    const after = (afterMs: number) => {
      const l = r.latest();
      return l && r.startedAtMs + l.t * 1000 > afterMs ? l : undefined;
    };
    const steady = (afterMs: number) => {
      const l = after(afterMs);
      return l &&
        l.running === l.desired &&
        l.provisioned === l.desired &&
        l.processing &&
        l.parallelism === l.desired * SLOTS
        ? l
        : undefined;
    };

    // 1. Low load, long enough for the scaler to see a window of data, until its count is steady.
    await sleep(Math.max(30, 3 * PERIOD) * 1000);
    let quietSince = Date.now();
    let lastDesired = r.latest()?.desired;
    await until('the count to stay unchanged for two schedule periods at low load', 240, () => {
      const l = steady(Date.now() - 1500);
      if (!l || l.desired !== lastDesired) {
        quietSince = Date.now();
        lastDesired = l?.desired ?? lastDesired;
        return undefined;
      }
      return Date.now() - quietSince >= 2 * PERIOD * 1000 ? l : undefined;
    });
    const low = r.latest()?.desired ?? 1;
    facts.taskManagersAtLowLoad = low;
    const stepAt = Date.now();
    await r.setRate(HIGH);
    const desiredUp = await until('the scaler to raise the desired count', 180, () => {
      const l = after(stepAt);
      return l && l.desired > low ? l.desired : undefined;
    });
    const scaleOutAt = Date.now();
    check(
      'scale-out',
      desiredUp > low,
      `desired ${low} → ${desiredUp} ${s(scaleOutAt - stepAt)} s after the step to ${HIGH}/s`,
    );
    const followed = await until('the new TaskManagers to register and the job to follow', 180, () => {
      const l = steady(scaleOutAt);
      return l && l.desired >= desiredUp ? l : undefined;
    });
    const followedAt = Date.now();
    const started = r.runtime
      .records()
      .filter((p) => p.launchedAtMs >= stepAt && p.registeredAtMs !== undefined);
    if (started.length === 0) throw new Error('no TaskManager was launched after the step');
    const startups = started.map((p) => ((p.registeredAtMs as number) - (p.startedAtMs as number)) / 1000);
    check(
      'parallelism follows',
      followed.parallelism === followed.desired * SLOTS,
      `${started.length} TaskManager JVMs registered (start-up ${Math.min(...startups).toFixed(1)}-${Math.max(...startups).toFixed(1)} s), Flink REST parallelism ${followed.parallelism} ${s(followedAt - scaleOutAt)} s after the scale-out`,
    );
    const drainLimit = HIGH * (10 + 5);
    let peak = 0;
    const drained = await until('the backlog to drain', 240, () => {
      const l = after(stepAt);
      if (!l) return undefined;
      peak = Math.max(peak, l.backlog);
      return peak > drainLimit && l.processing && l.backlog <= drainLimit ? l : undefined;
    });
    const drainedAt = Date.now();
    check(
      'backlog drains',
      drained.backlog <= drainLimit,
      `group lag peaked at ${peak} records, back to ${drained.backlog} (≤ ${drainLimit}: one checkpoint interval of uncommitted offsets + 5 s) ${s(drainedAt - stepAt)} s after the step`,
    );
    Object.assign(facts, {
      stepToScaleOutSeconds: s(scaleOutAt - stepAt),
      scaledOutTo: desiredUp,
      scaleOutToParallelismSeconds: s(followedAt - scaleOutAt),
      taskManagerStartupSeconds: startups,
      stepToDrainedSeconds: s(drainedAt - stepAt),
      peakBacklogRecords: peak,
    });

    // 2. SIGKILL of one TaskManager.
    const victim = await r.kill();
    if (!victim) throw new Error('no RUNNING TaskManager to kill');
    const stopped = await until('the killed task to be STOPPED in ECS', 30, () => {
      const t = r.cloud.ecs.task(victim);
      return t?.lastStatus === 'STOPPED' ? t : undefined;
    });
    const fault = await until('its partitions to be reassigned', 30, () => {
      const e = r.failover.summary().events.at(-1);
      return e?.reassignedAfterSeconds != null ? e : undefined;
    });
    const rec = r.runtime.record(victim);
    const killedAt = rec?.killedAtMs as number;
    const stoppedAt = stopped.stoppedAtMs as number;
    // The tracker times the reassignment from the STOPPED event (live.ts).
    const reassignedAt = stoppedAt + (fault.reassignedAfterSeconds as number) * 1000;
    check(
      'SIGKILL → STOPPED',
      stopped.containers[0]?.exitCode === 137 && stopped.stopCode === 'EssentialContainerExited',
      `task ${victim} STOPPED ${s(stoppedAt - killedAt)} s after SIGKILL, exit code ${stopped.containers[0]?.exitCode}, stoppedReason "${stopped.stoppedReason}"`,
    );
    check(
      'partitions reassigned within 5 s of the event',
      reassignedAt - stoppedAt <= 5000 && fault.partitions > 0,
      `${fault.partitions} partitions had a live owner in DynamoDB ${s(reassignedAt - stoppedAt)} s after the STOPPED event`,
    );
    const back = await until('the replacement to register and the job to run again', 180, () => {
      const replaced = r.runtime
        .records()
        .some((p) => p.launchedAtMs >= killedAt && p.registeredAtMs !== undefined);
      return replaced ? steady(Date.now() - 1500) : undefined;
    });
    const restart = r.runtime.records().find((p) => p.launchedAtMs >= killedAt);
    Object.assign(facts, {
      killedTask: victim,
      killToStoppedSeconds: s(stoppedAt - killedAt),
      stoppedEventToReassignedSeconds: s(reassignedAt - stoppedAt),
      partitionsReassigned: fault.partitions,
      replacementStartupSeconds:
        restart?.registeredAtMs && restart.startedAtMs
          ? s(restart.registeredAtMs - restart.startedAtMs)
          : null,
      parallelismAfterReplacement: back.parallelism,
    });

    // 3. Load back down: scale-in, victims drained before they stop.
    const downAt = Date.now();
    await r.setRate(LOW);
    const before = back.desired;
    const down = await until('the scaler to lower the desired count', 300, () => {
      const l = after(downAt);
      return l && l.desired < before ? l.desired : undefined;
    });
    const scaleInAt = Date.now();
    const settled = await until('the scale-in victims to stop and the job to follow', 180, () =>
      steady(scaleInAt),
    );
    const settledAt = Date.now();
    Object.assign(facts, {
      loadDownToScaleInSeconds: s(scaleInAt - downAt),
      scaledInTo: down,
      scaleInToStoppedSeconds: s(settledAt - scaleInAt),
      parallelismAfterScaleIn: settled.parallelism,
    });
    result = await r.stop();
    run = undefined;
    const victims = result.scaleIns;
    const ordered = victims.filter(
      (v) =>
        v.partitionsMovedAtMs !== undefined &&
        v.protectionDroppedAtMs !== undefined &&
        v.stopRequestedAtMs !== undefined &&
        v.partitionsMovedAtMs <= v.stopRequestedAtMs &&
        v.protectionDroppedAtMs <= v.stopRequestedAtMs &&
        v.ownedAtStop === 0,
    );
    check(
      'scale-in drains its victims before ECS stops them',
      victims.length >= before - down && ordered.length === victims.length,
      victims
        .map(
          (v) =>
            `${v.taskId.slice(0, 8)}: draining +0, partitions moved +${s((v.partitionsMovedAtMs ?? Number.NaN) - (v.drainingAtMs ?? 0))} s, protection dropped +${s((v.protectionDroppedAtMs ?? Number.NaN) - (v.drainingAtMs ?? 0))} s, SIGTERM +${s((v.stopRequestedAtMs ?? Number.NaN) - (v.drainingAtMs ?? 0))} s, exit ${v.exitCode} +${s((v.stoppedAtMs ?? Number.NaN) - (v.drainingAtMs ?? 0))} s`,
        )
        .join('; '),
    );
    facts.scaleInVictims = victims;
    const restarts = result.transitions.map((tr) => ({
      fromParallelism: tr.fromParallelism,
      toParallelism: tr.toParallelism,
      notProcessingSeconds: s(tr.endMs - tr.startMs),
    }));
    facts.jobTransitions = restarts;
    facts.recordsReplayedAfterKill = result.kills[0]?.recordsReplayed ?? null;
    const left = liveProcesses();
    check(
      'no JVM left',
      left.size === 0,
      left.size === 0 ? 'every process of the run exited' : [...left.values()].join(', '),
    );
    const out = process.env.E2E_RESULTS ?? join(runDir, 'e2e-results.json');
    writeFileSync(
      out,
      `${JSON.stringify({ checks, facts, processes: result.processes, wallSeconds: s(Date.now() - t0) }, null, 2)}\n`,
    );
    say(`measured: ${JSON.stringify(facts)}`);
    const f = facts as Record<string, unknown>;
    const sigterms = victims
      .filter((v) => v.stopRequestedAtMs !== undefined && v.drainingAtMs !== undefined)
      .map((v) => ((v.stopRequestedAtMs as number) - (v.drainingAtMs as number)) / 1000);
    const rows: [string, string][] = [
      ['step → scale-out', `${f.stepToScaleOutSeconds} s (desired ${low} → ${f.scaledOutTo})`],
      [
        'new TaskManager: spawn → registered',
        `${(f.taskManagerStartupSeconds as number[]).map((x) => x.toFixed(1)).join(', ')} s`,
      ],
      ['scale-out → Flink REST parallelism follows', `${f.scaleOutToParallelismSeconds} s`],
      ['step → backlog drained', `${f.stepToDrainedSeconds} s (group lag peak ${f.peakBacklogRecords})`],
      ['SIGKILL → STOPPED in ECS (exit 137)', `${f.killToStoppedSeconds} s`],
      [
        'STOPPED event → partitions reassigned',
        `${f.stoppedEventToReassignedSeconds} s (${f.partitionsReassigned} partitions)`,
      ],
      ['records replayed after the SIGKILL', `${f.recordsReplayedAfterKill ?? '—'}`],
      ['load down → scale-in', `${f.loadDownToScaleInSeconds} s (desired → ${f.scaledInTo})`],
      [
        'victims drained → SIGTERM',
        sigterms.length > 0
          ? `+${Math.min(...sigterms).toFixed(2)}–${Math.max(...sigterms).toFixed(2)} s (${sigterms.length} victims)`
          : '—',
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    say(`summary:\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`);
    say(`results written to ${out}`);
    if (!process.env.RUN_DIR && checks.every((c) => c.ok)) rmSync(runDir, { recursive: true, force: true });
    return checks.every((c) => c.ok) ? 0 : 1;
  } catch (error) {
    if (error instanceof FlinkPrerequisiteError) throw error;
    say(`FAILED: ${(error as Error).message}`);
    if (run) result = await run.stop().catch(() => undefined);
    say(`logs kept in the run directory (see above)`);
    return 1;
  }
}

runMain('e2e', main);
