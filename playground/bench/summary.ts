/**
 * The benchmark's side-by-side table, the scoring (Pareto front, a scalar score) and the goal
 * checks of issue 16 item 5, and the charts, as text.
 * Pure: `npm run bench` (playground/bench/run.ts) prints these strings and writes the same strings
 * into docs/benchmarks.md, so the document holds exactly what the run printed.
 */
import { lineChart } from '../src/report';
import type { PolicyResult, PolicyRun, SimulationOutput, TimelinePoint } from '../src/results';

export interface ScenarioOutcome {
  readonly file: string;
  readonly output: SimulationOutput;
  readonly runs: readonly PolicyRun[];
  readonly wallSeconds: number;
}

/**
 * The price of a minute above the lag SLO, in TaskManager-hours: the scalar score of a run is
 * TaskManager-hours + SLO_MINUTE_PRICE_TM_HOURS × SLO-violation minutes. One minute late costs
 * what one TaskManager costs for an hour (Fargate, 1 vCPU / 4 GB in us-east-1: about $0.05 an
 * hour, so $0.05 per minute late, $3 per hour late): a streaming job whose lag SLO is 60 s is
 * one whose user pays for headroom to stay within it, and at this price one hour of the whole
 * 24-TaskManager maximum costs as much as 24 minutes above the SLO.
 */
export const SLO_MINUTE_PRICE_TM_HOURS = 1;
/** "Ties": within this fraction of the other's score. */
export const TIE_FRACTION = 0.05;
/** Issue 16 item 5: at most this many rescales per simulated day. */
export const MAX_RESCALES_PER_DAY = 6;

export function score(r: PolicyResult): number {
  return r.taskManagerHours + (SLO_MINUTE_PRICE_TM_HOURS * r.sloViolationSeconds) / 60;
}

/** a dominates b: no worse on cost ratio and SLO violation, better on one. */
export function dominates(a: PolicyResult, b: PolicyResult): boolean {
  const noWorse = a.costRatio <= b.costRatio && a.sloViolationSeconds <= b.sloViolationSeconds;
  return noWorse && (a.costRatio < b.costRatio || a.sloViolationSeconds < b.sloViolationSeconds);
}

/** The policies no other policy dominates on (cost ratio, SLO-violation seconds). */
export function paretoFront(results: readonly PolicyResult[]): Set<string> {
  return new Set(results.filter((r) => !results.some((o) => dominates(o, r))).map((r) => r.policy));
}

const minutes = (s: number) => (s / 60).toFixed(2);
const perDay = (n: number, durationSeconds: number) => (n * 86_400) / durationSeconds;

const COLUMNS: readonly (readonly [
  string,
  (r: PolicyResult, o: SimulationOutput, front: Set<string>) => string,
])[] = [
  ['policy', (r) => `\`${r.policy}\``],
  ['TM-hours', (r) => r.taskManagerHours.toFixed(1)],
  ['cost ratio', (r) => r.costRatio.toFixed(2)],
  ['SLO violation min', (r) => minutes(r.sloViolationSeconds)],
  ['score', (r) => score(r).toFixed(1)],
  ['Pareto', (r, _o, front) => (front.has(r.policy) ? 'yes' : '')],
  ['rescales/day', (r, o) => perDay(r.rescales, o.durationSeconds).toFixed(1)],
  ['flaps/day', (r, o) => perDay(r.flaps, o.durationSeconds).toFixed(1)],
  ['max lag s', (r) => r.maxLagSeconds.toFixed(0)],
  ['job downtime s', (r) => String(r.jobDowntimeSeconds)],
];

/** One markdown table: a block of rows per scenario, one row per policy; the best score in bold. */
export function benchTable(outcomes: readonly ScenarioOutcome[]): string {
  const header = ['scenario', ...COLUMNS.map(([h]) => h)];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const { output } of outcomes) {
    const front = paretoFront(output.results);
    const best = Math.min(...output.results.map(score));
    output.results.forEach((r, i) => {
      const scenario = i === 0 ? `**${output.scenario}**` : '';
      const cells = COLUMNS.map(([h, f]) => {
        const v = f(r, output, front);
        return h === 'score' && score(r) === best ? `**${v}**` : v;
      });
      lines.push(`| ${[scenario, ...cells].join(' | ')} |`);
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

/** Issue 16 item 5's goals for `rate` on one scenario. */
export function checkGoals(output: SimulationOutput): GoalCheck[] {
  const rate = output.results.find((r) => r.policy === 'rate');
  if (!rate) return [];
  const scenario = output.scenario;
  const others = output.results.filter((r) => r.policy !== 'rate');
  const dominating = others.filter((o) => dominates(o, rate));
  const best = others.reduce<PolicyResult | undefined>(
    (a, b) => (a === undefined || score(b) < score(a) ? b : a),
    undefined,
  );
  // "Per simulated day": a scenario shorter than a day is part of one day (its budget is 6).
  const days = Math.max(1, output.durationSeconds / 86_400);
  const rescales = rate.rescales / days;
  const checks: GoalCheck[] = [
    {
      scenario,
      goal: 'on the Pareto front (no policy dominates it)',
      holds: dominating.length === 0,
      detail:
        dominating.length === 0
          ? `rate: cost ${rate.costRatio.toFixed(2)}, SLO violation ${rate.sloViolationSeconds} s`
          : `dominated by ${dominating.map((b) => `${b.policy} (${b.costRatio.toFixed(2)}, ${b.sloViolationSeconds} s)`).join(', ')}`,
    },
  ];
  if (best) {
    checks.push({
      scenario,
      goal: `score within ${TIE_FRACTION * 100}% of the best other policy`,
      holds: score(rate) <= score(best) * (1 + TIE_FRACTION),
      detail: `rate ${score(rate).toFixed(1)}, best ${best.policy} ${score(best).toFixed(1)}`,
    });
  }
  checks.push(
    {
      scenario,
      goal: `at most ${MAX_RESCALES_PER_DAY} rescales per simulated day`,
      holds: rescales <= MAX_RESCALES_PER_DAY,
      detail:
        days > 1
          ? `${rescales.toFixed(1)} a day`
          : `${rate.rescales} in ${(output.durationSeconds / 3600).toFixed(0)} h`,
    },
    { scenario, goal: 'no flap', holds: rate.flaps === 0, detail: String(rate.flaps) },
  );
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
  'aas-target-tracking-tuned': '#ffbb78',
  'msf-builtin': '#2ca02c',
  'msf-sample-stepscaling': '#98df8a',
  'msf-sample-stepscaling-tuned': '#17becf',
  fko: '#9467bd',
  'fko-tuned': '#c5b0d5',
  ds2: '#e377c2',
  'ds2-tuned': '#f7b6d2',
  'lag-target': '#bcbd22',
  'lag-target-tuned': '#dbdb8d',
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
