/**
 * The simulator against real Flink on one scenario file (docs/real-flink.md):
 *
 *   npm run demo:flink -- --json > out/flink-demo.json          # ~15 min, real Flink
 *   npx tsx playground/bench/sim-vs-real.ts out/flink-demo.json [more real runs …]
 *
 * Runs the scenario the real document names (playground/scenarios/<scenario>.json, or
 * --scenario FILE) in the simulator with the `rate` policy, then prints one markdown table
 * with the same five figures for both, each computed by the same rule from each side's
 * timeline: TaskManager-minutes, rescales, time from the load step to the first scale-out,
 * time from the step until the backlog is drained, max lag.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simulatePolicy } from '../src/engine';
import { drainedBelow } from '../src/flink/demo';
import { drainedAfter, type RealFlinkDocument } from '../src/flink/document';
import { type LoadedScenario, loadScenario } from '../src/scenario';

export interface Comparable {
  readonly label: string;
  readonly taskManagerMinutes: number;
  readonly rescales: number;
  readonly stepToFirstScaleOutSeconds: number | null;
  readonly stepToDrainedSeconds: number | null;
  readonly maxLagSeconds: number;
  readonly peakBacklog: number;
}

/** The first rise of the trace's rate (s). */
export function stepAt(loaded: LoadedScenario): number {
  const { times, rates } = loaded.trace;
  const i = rates.findIndex((r) => r > (rates[0] ?? 0));
  return i === -1 ? Number.NaN : (times[i] ?? Number.NaN);
}

/** The first raise of the desired count at or after the step, in seconds after it. */
export function firstScaleOutAfter(
  changes: readonly { atSeconds: number; from: number; to: number }[],
  step: number,
): number | null {
  const c = changes.find((x) => x.to > x.from && x.atSeconds >= step);
  return c ? Number((c.atSeconds - step).toFixed(1)) : null;
}

async function simulated(loaded: LoadedScenario): Promise<Comparable> {
  const { run } = await simulatePolicy(loaded, 'rate', { timeline: true, timelineEverySeconds: 10 });
  const step = stepAt(loaded);
  const initial = loaded.scenario.cluster.initialTaskManagers;
  // The desired count after each applied decision, as changes.
  const changes: { atSeconds: number; from: number; to: number }[] = [];
  let desired = initial;
  for (const e of run.events) {
    if (e.reason !== 'Applied' || e.desired === undefined || e.desired === desired) continue;
    changes.push({ atSeconds: e.t, from: desired, to: e.desired });
    desired = e.desired;
  }
  const drained = drainedAfter(
    run.timeline.map((p) => ({ t: p.t, backlog: p.backlog, processing: p.capacity > 0 })),
    step,
    drainedBelow(loaded),
  );
  return {
    label: 'simulator',
    taskManagerMinutes: Number((run.result.taskManagerHours * 60).toFixed(1)),
    rescales: run.result.rescales,
    stepToFirstScaleOutSeconds: firstScaleOutAfter(changes, step),
    stepToDrainedSeconds: drained.seconds ?? null,
    maxLagSeconds: run.result.maxLagSeconds,
    peakBacklog: Math.round(drained.peak),
  };
}

function real(doc: RealFlinkDocument, file: string, loaded: LoadedScenario): Comparable {
  const r = doc.results[0];
  if (!r || doc.realFlink !== true)
    throw new Error(`${file}: not a real-Flink document (npm run demo:flink -- --json)`);
  const step = stepAt(loaded);
  return {
    label: `real Flink ${doc.flink.flink} (${file})`,
    taskManagerMinutes: Number((r.taskManagerHours * 60).toFixed(1)),
    rescales: r.rescales,
    stepToFirstScaleOutSeconds: firstScaleOutAfter(doc.measured.desiredChanges, step),
    stepToDrainedSeconds: doc.measured.stepToBacklogDrainedSeconds,
    maxLagSeconds: r.maxLagSeconds,
    peakBacklog: doc.measured.maxGroupLagRecords,
  };
}

export function table(rows: readonly Comparable[], drained: number): string {
  const v = (x: number | null, unit = '') => (x === null ? '—' : `${x}${unit}`);
  return [
    `| run | TaskManager-minutes | rescales | step → first scale-out | step → backlog ≤ ${drained.toLocaleString('en-US')} | max lag | peak backlog |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.taskManagerMinutes} | ${r.rescales} | ${v(r.stepToFirstScaleOutSeconds, ' s')} | ${v(r.stepToDrainedSeconds, ' s')} | ${r.maxLagSeconds} s | ${r.peakBacklog.toLocaleString('en-US')} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values, positionals } = parseArgs({
    options: { scenario: { type: 'string' } },
    allowPositionals: true,
  });
  const docs = await Promise.all(
    positionals.map(async (f) => ({
      file: f,
      doc: JSON.parse(await readFile(f, 'utf8')) as RealFlinkDocument,
    })),
  );
  const name = docs[0]?.doc.scenario ?? 'flink-step';
  const path = values.scenario ?? fileURLToPath(new URL(`../scenarios/${name}.json`, import.meta.url));
  const loaded = await loadScenario(resolve(path));
  const rows = [await simulated(loaded), ...docs.map(({ file, doc }) => real(doc, file, loaded))];
  process.stdout.write(`${table(rows, drainedBelow(loaded))}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`sim-vs-real: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
