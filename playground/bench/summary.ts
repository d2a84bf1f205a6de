/**
 * The benchmark's side-by-side table, the goal checks of issue 6 and the charts, as text.
 * Pure: `npm run bench` (playground/bench/run.ts) prints these strings and writes the same strings
 * into docs/benchmarks.md, so the document holds exactly what the run printed.
 */
import { ADAPTIVE_BASELINES, type PolicyName } from '../src/baselines/controller';
import { lineChart } from '../src/report';
import type { PolicyResult, PolicyRun, SimulationOutput, TimelinePoint } from '../src/results';

export interface ScenarioOutcome {
  readonly file: string;
  readonly output: SimulationOutput;
  readonly runs: readonly PolicyRun[];
  readonly wallSeconds: number;
}

/** The diurnal goals. */
export const DIURNAL_GOALS = {
  maxCostRatio: 1.5,
  maxRescales: 6,
  maxFlaps: 0,
  maxFirstScaleOutDelaySeconds: 120,
} as const;
/** `rate`'s SLO violation may exceed the best adaptive baseline's by at most this. */
export const SLO_SLACK_SECONDS = 60;

const minutes = (s: number) => (s / 60).toFixed(2);

const COLUMNS: readonly (readonly [string, (r: PolicyResult) => string])[] = [
  ['policy', (r) => `\`${r.policy}\``],
  ['TM-hours', (r) => r.taskManagerHours.toFixed(1)],
  ['cost ratio', (r) => r.costRatio.toFixed(2)],
  ['SLO violation min', (r) => minutes(r.sloViolationSeconds)],
  ['max lag s', (r) => r.maxLagSeconds.toFixed(0)],
  ['rescales', (r) => String(r.rescales)],
  ['flaps', (r) => String(r.flaps)],
  ['job downtime s', (r) => String(r.jobDowntimeSeconds)],
  [
    'first scale-out delay s',
    (r) => (r.firstScaleOutDelaySeconds === null ? '—' : String(r.firstScaleOutDelaySeconds)),
  ],
];

/** One markdown table: a block of rows per scenario, one row per policy. */
export function benchTable(outcomes: readonly ScenarioOutcome[]): string {
  const header = ['scenario', ...COLUMNS.map(([h]) => h)];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const { output } of outcomes) {
    output.results.forEach((r, i) => {
      const scenario = i === 0 ? `**${output.scenario}**` : '';
      lines.push(`| ${[scenario, ...COLUMNS.map(([, f]) => f(r))].join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

export interface GoalCheck {
  readonly scenario: string;
  readonly goal: string;
  readonly holds: boolean;
  readonly detail: string;
}

/** The acceptance goals of issue 6 for one scenario. */
export function checkGoals(output: SimulationOutput, diurnal: boolean): GoalCheck[] {
  const rate = output.results.find((r) => r.policy === 'rate');
  if (!rate) return [];
  const adaptive = output.results.filter((r) => ADAPTIVE_BASELINES.includes(r.policy as PolicyName));
  const checks: GoalCheck[] = [];
  const scenario = output.scenario;
  const dominating = adaptive.filter(
    (b) => b.costRatio < rate.costRatio && b.sloViolationSeconds < rate.sloViolationSeconds,
  );
  checks.push({
    scenario,
    goal: 'no adaptive baseline is both cheaper and shorter over the SLO',
    holds: dominating.length === 0,
    detail:
      dominating.length === 0
        ? `rate: cost ${rate.costRatio.toFixed(2)}, SLO violation ${rate.sloViolationSeconds} s`
        : dominating
            .map(
              (b) => `${b.policy}: cost ${b.costRatio.toFixed(2)}, SLO violation ${b.sloViolationSeconds} s`,
            )
            .join('; '),
  });
  const best = adaptive.reduce<PolicyResult | undefined>(
    (a, b) => (a === undefined || b.sloViolationSeconds < a.sloViolationSeconds ? b : a),
    undefined,
  );
  if (best) {
    checks.push({
      scenario,
      goal: `SLO violation within ${SLO_SLACK_SECONDS} s of the best adaptive baseline`,
      holds: rate.sloViolationSeconds <= best.sloViolationSeconds + SLO_SLACK_SECONDS,
      detail: `rate ${rate.sloViolationSeconds} s, best ${best.policy} ${best.sloViolationSeconds} s`,
    });
  }
  if (diurnal) {
    const g = DIURNAL_GOALS;
    const delay = rate.firstScaleOutDelaySeconds;
    checks.push(
      {
        scenario,
        goal: `cost ratio ≤ ${g.maxCostRatio}`,
        holds: rate.costRatio <= g.maxCostRatio,
        detail: rate.costRatio.toFixed(2),
      },
      {
        scenario,
        goal: `at most ${g.maxRescales} rescales`,
        holds: rate.rescales <= g.maxRescales,
        detail: String(rate.rescales),
      },
      { scenario, goal: 'no flap', holds: rate.flaps <= g.maxFlaps, detail: String(rate.flaps) },
      {
        scenario,
        goal: `first scale-out within ${g.maxFirstScaleOutDelaySeconds} s of a sustained overload`,
        holds: delay === null || delay <= g.maxFirstScaleOutDelaySeconds,
        detail: delay === null ? 'no sustained overload (input never above capacity for 60 s)' : `${delay} s`,
      },
    );
  }
  return checks;
}

export function goalsTable(checks: readonly GoalCheck[]): string {
  return [
    '| scenario | goal | holds | numbers |',
    '| --- | --- | --- | --- |',
    ...checks.map((c) => `| ${c.scenario} | ${c.goal} | ${c.holds ? 'yes' : '**no**'} | ${c.detail} |`),
  ].join('\n');
}

const POLICY_COLORS: Readonly<Record<string, string>> = {
  rate: '#1f77b4',
  threshold: '#8c564b',
  'aas-target-tracking': '#ff7f0e',
  'msf-builtin': '#2ca02c',
  fko: '#9467bd',
  'static-peak': '#7f7f7f',
};

/** At most `max` points: every k-th minute, with the bucket's maximum for `peak` values. */
function downsample(
  tl: readonly TimelinePoint[],
  f: (p: TimelinePoint) => number,
  max: number,
  peak: boolean,
): [number, number][] {
  const k = Math.max(1, Math.ceil(tl.length / max));
  const out: [number, number][] = [];
  for (let i = 0; i < tl.length; i += k) {
    const bucket = tl.slice(i, i + k);
    const first = bucket[0] as TimelinePoint;
    out.push([first.t, peak ? Math.max(...bucket.map(f)) : f(first)]);
  }
  return out;
}

const CHART_POINTS = 240;

/** Two inline SVG charts for a scenario: TaskManagers per policy, and lag per policy against the SLO. */
export function scenarioCharts(outcome: ScenarioOutcome): string {
  const { output, runs } = outcome;
  const duration = output.durationSeconds;
  const first = runs[0]?.timeline ?? [];
  const legend = runs.map((r) => `${r.result.policy} ${POLICY_COLORS[r.result.policy] ?? '#000'}`).join(', ');
  const tms = lineChart(
    `${output.scenario}: running TaskManagers per policy (dashed black: physical minimum)`,
    'TaskManagers',
    [
      ...runs.map((r) => ({
        name: r.result.policy,
        color: POLICY_COLORS[r.result.policy] ?? '#000',
        points: downsample(r.timeline, (p) => p.running, CHART_POINTS, false),
        step: true,
      })),
      {
        name: 'physical minimum',
        color: '#000000',
        points: downsample(first, (p) => p.physicalMinimum, CHART_POINTS, true),
        step: true,
        dashed: true,
      },
    ],
    duration,
  );
  const lag = lineChart(
    `${output.scenario}: lag per policy (dashed red: SLO ${output.sloLagSeconds} s; bucket maxima)`,
    'seconds',
    [
      ...runs.map((r) => ({
        name: r.result.policy,
        color: POLICY_COLORS[r.result.policy] ?? '#000',
        points: downsample(r.timeline, (p) => p.lagSeconds, CHART_POINTS, true),
      })),
      {
        name: 'SLO',
        color: '#d62728',
        points: [
          [0, output.sloLagSeconds],
          [duration, output.sloLagSeconds],
        ] as [number, number][],
        dashed: true,
      },
    ],
    duration,
  );
  return `Colours: ${legend}.\n\n${tms}\n\n${lag}`;
}
