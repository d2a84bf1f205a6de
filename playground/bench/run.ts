/**
 * `npm run bench`: every policy (`simulate --policy all`: the scaler's `rate` and `threshold`,
 * and every baseline of playground/src/baselines in its default and tuned form) on the training
 * set (playground/bench/scenarios: what `rate`'s defaults were tuned on) and on the test set
 * (playground/bench/test-scenarios: real public traces and one synthetic step, never used for
 * tuning, no per-scenario settings). Progress on stderr; the tables, scores and goal checks on
 * stdout; docs/benchmarks.md gets the same text, playground/bench/analysis.md and the test set's
 * charts.
 *
 *     npm run bench                 # both sets, writes docs/benchmarks.md
 *     npm run bench -- --set train  # one set (training or test), prints only
 *     npm run bench -- --set test --only flights-day --policies rate,fko-tuned
 *     npm run bench -- --set train --policies rate --policy targetUtilization=0.85,utilizationTolerance=0.05
 *
 * `--policy` overrides the scaler's policy config (AppConfig.policy, what `rate` and `threshold`
 * read) on every scenario of the run: a training trial of a knob, reproducible from its command
 * line (playground/bench/analysis.md lists them). The product's config schema validates them.
 * With it, as with --only and --policies, docs/benchmarks.md is not written.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isPolicyName, POLICY_NAMES, type PolicyName } from '../src/baselines/controller';
import { simulate } from '../src/engine';
import { loadScenario } from '../src/scenario';
import {
  benchTable,
  checkGoals,
  goalsTable,
  type ScenarioOutcome,
  SLO_MINUTE_PRICE_TM_HOURS,
  scenarioCharts,
} from './summary';

const SETS = {
  train: fileURLToPath(new URL('./scenarios/', import.meta.url)),
  test: fileURLToPath(new URL('./test-scenarios/', import.meta.url)),
} as const;
type SetName = keyof typeof SETS;
const ANALYSIS = fileURLToPath(new URL('./analysis.md', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

async function scenarioFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

type PolicyOverrides = Record<string, number | boolean | string>;

/** `k=v,k=v` → overrides; a number or boolean where the text is one, else the string. */
function parsePolicyOverrides(text: string): PolicyOverrides {
  const out: PolicyOverrides = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    if (eq <= 0 || raw === '') throw new Error(`--policy: expected key=value, got "${pair}"`);
    const n = Number(raw);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(n) ? n : raw;
  }
  return out;
}

async function runSet(
  set: SetName,
  policies: readonly PolicyName[],
  only: readonly string[],
  overrides: PolicyOverrides,
  started: number,
): Promise<ScenarioOutcome[]> {
  const err = process.stderr;
  const tty = Boolean(err.isTTY);
  const files = (await scenarioFiles(SETS[set])).filter((f) => only.length === 0 || only.includes(f));
  const total = files.length * policies.length;
  const outcomes: ScenarioOutcome[] = [];
  let done = 0;
  for (const name of files) {
    const file = await loadScenario(join(SETS[set], `${name}.json`));
    const loaded = {
      ...file,
      scenario: { ...file.scenario, policy: { ...file.scenario.policy, ...overrides } },
    };
    const t0 = Date.now();
    const quarter = new Map<string, number>();
    const { output, runs } = await simulate(loaded, policies, {
      workers: availableParallelism(),
      onProgress: (policy, fraction) => {
        const pct = Math.round(fraction * 100);
        if (pct === 100) done++;
        const line = `[${set} ${done}/${total} done] ${loaded.scenario.name} · ${policy} ${pct}% (${((Date.now() - started) / 1000).toFixed(0)} s)`;
        if (tty) err.write(`\r${line}\x1b[K`);
        else if (Math.floor(pct / 25) !== quarter.get(policy)) {
          quarter.set(policy, Math.floor(pct / 25));
          err.write(`${line}\n`);
        }
      },
    });
    const wallSeconds = (Date.now() - t0) / 1000;
    if (tty) err.write('\n');
    err.write(`${loaded.scenario.name}: ${policies.length} policies in ${wallSeconds.toFixed(1)} s\n`);
    const dir = set === 'train' ? 'scenarios' : 'test-scenarios';
    outcomes.push({ file: `playground/bench/${dir}/${name}.json`, output, runs, wallSeconds });
  }
  return outcomes;
}

function section(
  title: string,
  outcomes: readonly ScenarioOutcome[],
): { text: string; held: number; total: number } {
  const checks = outcomes.flatMap((o) => checkGoals(o.output));
  const held = checks.filter((c) => c.holds).length;
  const text = `## ${title}\n\n${benchTable(outcomes)}\n\n### \`rate\` against issue 16 item 5's goals (${held}/${checks.length} hold)\n\n${goalsTable(checks)}`;
  return { text, held, total: checks.length };
}

async function main(): Promise<void> {
  // The functions' structured logs and EMF metrics would drown the output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The SDK's notice that its 2027 releases need Node 22, once per worker thread otherwise (README, toolchain).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      set: { type: 'string', default: 'all' },
      only: { type: 'string' },
      policies: { type: 'string' },
      policy: { type: 'string' },
    },
  });
  const sets: SetName[] = values.set === 'all' ? ['train', 'test'] : [values.set as SetName];
  if (!sets.every((s) => s in SETS)) throw new Error(`--set must be train, test or all, got ${values.set}`);
  const only = values.only ? values.only.split(',') : [];
  const policies = values.policies ? values.policies.split(',') : [...POLICY_NAMES];
  const bad = policies.filter((p) => !isPolicyName(p));
  if (bad.length > 0) throw new Error(`unknown policies: ${bad.join(', ')}`);
  const overrides = values.policy ? parsePolicyOverrides(values.policy) : {};
  const started = Date.now();
  const results = new Map<SetName, ScenarioOutcome[]>();
  for (const set of sets)
    results.set(set, await runSet(set, policies as PolicyName[], only, overrides, started));
  const wall = (Date.now() - started) / 1000;
  const train = results.get('train');
  const test = results.get('test');
  const parts = [
    ...(test
      ? [section('Test set (real public traces and one synthetic step; not used for tuning)', test)]
      : []),
    ...(train ? [section("Training set (what `rate`'s defaults were tuned on)", train)] : []),
  ];
  const footer = `${[...results.values()].flat().length} scenarios × ${policies.length} policies in ${wall.toFixed(1)} s wall; score = TaskManager-hours + ${SLO_MINUTE_PRICE_TM_HOURS} TaskManager-hour per SLO-violation minute${values.policy ? `; policy overrides ${values.policy}` : ''}`;
  process.stdout.write(`${parts.map((p) => p.text).join('\n\n')}\n\n${footer}\n`);
  if (!(train && test) || only.length > 0 || values.policies || values.policy) return;

  const analysis = await readFile(ANALYSIS, 'utf8');
  const charts = test
    .map(
      (o) =>
        `### ${o.output.scenario}\n\n\`${o.file}\`: ${o.output.durationSeconds / 3600} h simulated, physical minimum ${o.output.physicalMinimumTaskManagerHours.toFixed(1)} TaskManager-hours, ${o.wallSeconds.toFixed(1)} s wall for all policies.\n\n${scenarioCharts(o)}`,
    )
    .join('\n\n');
  const doc = `# Benchmarks: \`rate\` against the autoscalers users would pick instead

Generated by \`npm run bench\` (playground/bench/run.ts). Every policy runs on every scenario through
the same engine: the same ground-truth Flink job (docs/simulator.md), the same CloudWatch metrics
with the same ingestion delay, the same 60 s schedule and the same UpdateService call. \`rate\` and
\`threshold\` are the real scaler Lambda handler; the others are the baselines in
playground/src/baselines, each in its default form and, where its documentation says what to set
for a 60 s lag SLO and the job's restart time, its \`-tuned\` form (each file cites its sources;
docs/research/baselines.md has the derivations).

**Protocol.** \`rate\`'s defaults (lib/core/config.ts, the policy block) were chosen on the
**training set** (playground/bench/scenarios: bursty-day, diurnal, failure-storm, flash-spike,
launch-step, noise, partition-bound, short-nights, slow-ramp, step-down) only. The **test set** (playground/bench/test-scenarios:
flights-day, flights-week-as-day, earthquakes-week-as-day — real public traces from the npm package
vega-datasets, playground/src/traces/SOURCES.md — and step-up, synthetic) was run with those
defaults frozen and no per-scenario settings for any policy (no \`baselines\` block); no test trace
was used for tuning. Two leaks are stated where they happened: short-nights was added to the
training set after the test set's flights-week-as-day had shown the failure it trains against
(nightly scale-ins), and launch-step after the test set's step-up had shown two scale-outs where
issue 16 item 5 asks for one (the rest of the training set never reached the scale-out step
limit), so the test set is no longer blind to those two mechanisms (see "How the knobs were
chosen").

**Columns.** cost ratio = TaskManager-hours / the physical minimum's (the model's smallest count
that covers the input at 100% busy, moment by moment); SLO violation = time with lag above the
scenario's SLO (60 s); score = TaskManager-hours + ${SLO_MINUTE_PRICE_TM_HOURS} TaskManager-hour per
SLO-violation minute (the price and why: playground/bench/summary.ts, \`SLO_MINUTE_PRICE_TM_HOURS\`:
one minute late costs what one TaskManager costs for an hour, about $0.05 on Fargate), lower is
better, the best of a scenario in bold; Pareto = no other policy is at most as costly and at most as
long over the SLO and better on one of them; rescales and flaps (a scale-in followed by a scale-out
within 15 minutes) per simulated day; job downtime = time the job processed nothing while input
arrived. "Beats" means dominates; "ties" means a score within 5%.

${parts.map((p) => p.text).join('\n\n')}

${footer}

${analysis.trim()}

## Charts (test set)

${charts}
`;
  await writeFile(DOC, doc);
  process.stderr.write(`written ${DOC}\n`);
}

await main();
