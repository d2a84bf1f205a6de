/**
 * `flink-ecs-autoscaler simulate`: runs a scenario through the real functions on the local
 * cloud, prints a summary table (or one JSON document with --json) and writes the report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulateCommandOptions } from 'flink-ecs-autoscaler/lib/cli/playground';
import { isPolicyName, POLICY_NAMES, type PolicyName } from '../baselines/controller';
import { simulate } from '../engine';
import { renderReport } from '../report';
import type { PolicyResult, PolicyRun, SimulationOutput } from '../results';
import { loadScenario } from '../scenario';

export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.json', import.meta.url));

export const POLICY_CHOICES = [...POLICY_NAMES, 'all'] as const;

/** `all`: the scaler's policies and every baseline (playground/src/baselines), in POLICY_NAMES order. */
export function policiesFor(choice: string): PolicyName[] {
  if (choice === 'all') return [...POLICY_NAMES];
  if (isPolicyName(choice)) return [choice];
  throw new Error(`--policy: must be one of ${POLICY_CHOICES.join(', ')} (got "${choice}")`);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function summaryTable(out: SimulationOutput): string {
  const cols: [string, (r: PolicyResult) => string][] = [
    ['policy', (r) => r.policy],
    ['TM-hours', (r) => r.taskManagerHours.toFixed(1)],
    ['cost ratio', (r) => r.costRatio.toFixed(2)],
    ['SLO violation s', (r) => String(r.sloViolationSeconds)],
    ['max lag s', (r) => r.maxLagSeconds.toFixed(0)],
    ['rescales', (r) => String(r.rescales)],
    ['flaps', (r) => String(r.flaps)],
    ['downtime s', (r) => String(r.jobDowntimeSeconds)],
    ['backlog at end', (r) => String(r.backlogAtEnd)],
  ];
  const rows = [cols.map(([h]) => h), ...out.results.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const line = (row: string[]) => row.map((c, i) => pad(c, widths[i] as number)).join('  ');
  return [
    `scenario ${out.scenario}: ${(out.durationSeconds / 3600).toFixed(1)} h simulated, physical minimum ${out.physicalMinimumTaskManagerHours.toFixed(1)} TM-hours`,
    line(rows[0] as string[]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/**
 * Every evaluation of every run, one JSON object per line: the run's policy, the simulated
 * second, the trigger, and the record the policy returned (the scaler's decision as its Lambda
 * logs it, whose own `policy` says which rule decided: `manual` for an operator's payload).
 */
export function decisionLines(runs: readonly PolicyRun[]): string {
  return runs
    .flatMap((run) =>
      (run.decisionLog ?? []).map(
        (e) =>
          `${JSON.stringify({ run: run.result.policy, t: e.t, trigger: e.trigger, decision: e.decision })}\n`,
      ),
    )
    .join('');
}

export async function runSimulate(
  opts: SimulateCommandOptions,
  io = { out: process.stdout, err: process.stderr },
): Promise<SimulationOutput> {
  const path = opts.scenario ?? (opts.demo ? DEMO_SCENARIO : undefined);
  if (!path) throw new Error('--scenario: a scenario file is required (or --demo)');
  const policies = policiesFor(opts.policy);
  // Locally the functions' structured logs and EMF metrics would drown the output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The SDK's notice that its 2027 releases need Node 22, once per worker thread otherwise (README, toolchain).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const loaded = await loadScenario(resolve(path));
  const started = Date.now();
  const tty = Boolean((io.err as NodeJS.WriteStream).isTTY);
  // Policies run side by side (one worker thread each, as many as there are cores): one line for all.
  const percent = new Map<string, number>();
  const { output, runs } = await simulate(loaded, policies, {
    timeline: opts.timeline ?? false,
    decisionLog: opts.decisions !== undefined,
    workers: Math.min(availableParallelism(), policies.length),
    onProgress: (policy, fraction) => {
      const pct = Math.round(fraction * 100);
      const previous = percent.get(policy);
      percent.set(policy, pct);
      const elapsed = `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
      const running = [...percent].filter(([, p]) => p < 100).map(([name, p]) => `${name} ${p}%`);
      const finished = [...percent.values()].filter((p) => p === 100).length;
      const line =
        policies.length === 1
          ? `simulating ${loaded.scenario.name} [${policy}] ${pct}% ${elapsed}`
          : `simulating ${loaded.scenario.name}: ${finished}/${policies.length} policies done${running.length > 0 ? `, ${running.join(', ')}` : ''} ${elapsed}`;
      if (tty) io.err.write(`\r${line}\x1b[K`);
      else if (pct % 10 === 0 && pct !== previous) io.err.write(`${line}\n`);
    },
  });
  if (tty) io.err.write('\n');
  if (opts.report) {
    const file = resolve(opts.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, renderReport(output, runs));
    io.err.write(`report written to ${file}\n`);
  }
  if (opts.decisions !== undefined) {
    const file = resolve(opts.decisions);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, decisionLines(runs));
    io.err.write(`decisions written to ${file}\n`);
  }
  if (opts.json) io.out.write(`${JSON.stringify(output)}\n`);
  else io.out.write(`${summaryTable(output)}\n(${((Date.now() - started) / 1000).toFixed(1)} s wall)\n`);
  return output;
}
