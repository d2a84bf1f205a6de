/**
 * `npm run demo:flink [-- --json] [-- --report FILE] [-- --scenario FILE] [-- --period S] [-- --run-dir DIR]`:
 * the real-Flink demo (playground/src/flink/demo.ts) in real time, about 15 minutes with the
 * default scenario. Progress goes to stderr; the report to out/flink-demo.html (or --report);
 * with --json, stdout gets one document: the `simulate --json` shape plus `realFlink: true`,
 * the versions, the TaskManager processes and the measured facts.
 *
 * Needs Java 17+ and Maven; the first run fetches Flink and Kafka from Maven Central into
 * ~/.cache/flink-ecs-autoscaler (playground/flink/build.sh), later runs reuse the cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runFlinkDemo } from '../flink/demo';
import { FlinkPrerequisiteError } from '../flink/env';
import { killAllOnSignal, runMain } from '../flink/processes';
import { renderRealFlinkReport } from '../flink/report';

const USAGE =
  'usage: npm run demo:flink -- [--json] [--report FILE] [--scenario FILE] [--period SECONDS] [--run-dir DIR]';

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      report: { type: 'string', default: 'out/flink-demo.html' },
      scenario: { type: 'string' },
      period: { type: 'string', default: '60' },
      'run-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const period = Number(values.period);
  if (![10, 30].includes(period) && !(Number.isInteger(period) && period >= 60 && period % 60 === 0)) {
    throw new FlinkPrerequisiteError(`--period: 10, 30 or a multiple of 60 seconds (got "${values.period}")`);
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = Date.now();
  const say = (line: string) =>
    process.stderr.write(`[flink-demo ${clock((Date.now() - started) / 1000)}] ${line}\n`);
  const ownDir = values['run-dir'] === undefined;
  const runDir = values['run-dir'] ? resolve(values['run-dir']) : mkdtempSync(join(tmpdir(), 'flink-demo-'));
  say(`run directory ${runDir} (configs, logs, checkpoints, Kafka's data; kept if the run fails)`);
  killAllOnSignal(say);
  const demo = await runFlinkDemo({
    ...(values.scenario ? { scenarioPath: resolve(values.scenario) } : {}),
    runDir,
    periodSeconds: period,
    log: say,
    onProgress: (p, duration) =>
      say(
        `${clock(p.t)}/${clock(duration)} input ${p.input}/s · desired ${p.desired} · running ${p.running} · parallelism ${p.parallelism}${p.processing ? '' : ' (not processing)'} · group lag ${p.lag.toLocaleString('en-US')}`,
      ),
  });
  const file = resolve(values.report);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderRealFlinkReport(demo.document, demo.result));
  say(`report written to ${file}`);
  const m = demo.document.measured;
  const r = demo.document.results[0];
  say(
    `done in ${clock((Date.now() - started) / 1000)}: ${r?.taskManagerHours.toFixed(3)} TaskManager-hours, ${r?.rescales} rescales, first scale-out ${m.stepToFirstScaleOutSeconds ?? '—'} s after the step, backlog drained ${m.stepToBacklogDrainedSeconds ?? '—'} s after it, max lag ${r?.maxLagSeconds} s; TaskManager start-up ${m.taskManagerStartupSeconds.join(', ')} s; restart after SIGKILL ${m.reactiveRestartSeconds.join(', ')} s; replayed ${m.recordsReplayedAfterRestart.join(', ')} records`,
  );
  if (values.json) process.stdout.write(`${JSON.stringify(demo.document)}\n`);
  if (ownDir) rmSync(runDir, { recursive: true, force: true });
  return 0;
}

runMain('flink-demo', main, (error) =>
  String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS') ? USAGE : undefined,
);
