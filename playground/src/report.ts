/**
 * The simulation report: one self-contained HTML file with inline SVG charts (no scripts,
 * no network). Input vs capacity, TaskManagers desired/running vs the physical minimum with
 * the decisions marked by reason code, and lag vs the SLO, per policy. A real-Flink run
 * (playground/src/flink) adds its own charts (the job's parallelism as Flink REST reports it,
 * what the metric presets saw) and a title and introduction of its own (ReportExtras).
 */
import type { PolicyRun, SimulationOutput, TimelinePoint } from './results';

const COLORS = {
  input: '#d62728',
  capacity: '#1f77b4',
  desired: '#ff7f0e',
  running: '#2ca02c',
  minimum: '#7f7f7f',
  lag: '#9467bd',
  slo: '#d62728',
};

const REASON_COLORS: Readonly<Record<string, string>> = {
  Applied: '#2ca02c',
  ApplyFailed: '#d62728',
  Held: '#8c564b',
  Paused: '#8c564b',
  Cooldown: '#bcbd22',
  Stabilizing: '#17becf',
  InsufficientData: '#e377c2',
  DeploymentInProgress: '#7f7f7f',
  BacklogPresent: '#9467bd',
  AtMax: '#d62728',
};

/** Reasons marked on the TaskManager chart when a scheduled tick produced them. */
const MARKED_REASONS: ReadonlySet<string> = new Set(['Applied', 'ApplyFailed', 'DryRun']);

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
  readonly step?: boolean;
}

interface Marker {
  readonly t: number;
  readonly label: string;
  readonly color: string;
}

const W = 960;
const H = 260;
const PAD = { left: 64, right: 16, top: 16, bottom: 36 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}`;
}

/** An SVG line chart over simulated time (seconds). */
export function lineChart(
  title: string,
  yLabel: string,
  series: readonly Series[],
  durationS: number,
  markers: readonly Marker[] = [],
): string {
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.points.map((p) => p[1])), 0));
  const x = (t: number) => PAD.left + (t / Math.max(durationS, 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(v)}</text>`,
    );
  }
  const ticks = 8;
  for (let i = 0; i <= ticks; i++) {
    const t = (durationS * i) / ticks;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${clock(t)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="11">${escapeHtml(yLabel)}</text>`,
  );
  for (const m of markers) {
    parts.push(
      `<line x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${m.color}" stroke-opacity="0.55" stroke-width="1.5"><title>${escapeHtml(m.label)}</title></line>`,
    );
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d: string[] = [];
    const last = s.points.length - 1;
    s.points.forEach(([t, v], i) => {
      const px = x(t).toFixed(1);
      const py = y(v).toFixed(1);
      if (i === 0) d.push(`M${px},${py}`);
      else if (s.step) {
        // A step line needs a point only where the value changes (and at the end).
        if (v !== s.points[i - 1]?.[1] || i === last) d.push(`H${px}V${py}`);
      } else d.push(`L${px},${py}`);
    });
    parts.push(
      `<path d="${d.join('')}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,4"' : ''}><title>${escapeHtml(s.name)}</title></path>`,
    );
  }
  const legend = series
    .map((s) => `<span class="key"><i style="background:${s.color}"></i>${escapeHtml(s.name)}</span>`)
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><div class="legend">${legend}</div><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

const pts = (tl: readonly TimelinePoint[], f: (p: TimelinePoint) => number) =>
  tl.map((p) => [p.t, f(p)] as const);

/** A chart of its own below a run's charts. */
export interface ExtraChart {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
}

/** What a report of something other than a simulation says and shows in addition. */
export interface ReportExtras {
  /** @default "Simulation report: <scenario>" */
  readonly title?: string;
  /** Replaces the paragraph under the title (plain text). */
  readonly intro?: string;
  /** Charts per policy, after the standard ones. */
  readonly charts?: Readonly<Record<string, readonly ExtraChart[]>>;
  /** Sections of HTML appended at the end (already escaped). */
  readonly appendixHtml?: string;
}

function policySection(out: SimulationOutput, run: PolicyRun, extras: ReportExtras = {}): string {
  const tl = run.timeline;
  // Only what changed something, or came from outside (alarms, operators), is marked; every
  // reason is still counted in the legend below the chart.
  const markers: Marker[] = run.events
    .filter((e) => MARKED_REASONS.has(e.reason) || e.trigger !== 'schedule')
    .map((e) => ({
      t: e.t,
      label: `${clock(e.t)} ${e.trigger} ${e.reason}${e.desired !== undefined ? ` → ${e.desired}` : ''}`,
      color: REASON_COLORS[e.reason] ?? '#999',
    }));
  for (const f of run.result.failover.events) {
    markers.push({ t: f.atSeconds, label: `${clock(f.atSeconds)} fault: ${f.kind}`, color: '#000' });
  }
  const reasons = Object.entries(run.result.decisions)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([k, v]) =>
        `<span class="key"><i style="background:${REASON_COLORS[k] ?? '#999'}"></i>${escapeHtml(k)}: ${v}</span>`,
    )
    .join('');
  const r = run.result;
  const faults = r.failover.events
    .map(
      (e) =>
        `<li>${clock(e.atSeconds)} ${escapeHtml(e.kind)}: ${e.partitions} partitions reassigned after ${e.reassignedAfterSeconds ?? '—'} s</li>`,
    )
    .join('');
  const manual = r.manual
    .map(
      (m) =>
        `<li>${clock(m.atSeconds)} ${m.accepted ? `accepted (${escapeHtml(m.reason ?? '')})` : `rejected: ${escapeHtml(m.error ?? '')}`}</li>`,
    )
    .join('');
  return `<section>
<h2>Policy <code>${escapeHtml(run.result.policy)}</code></h2>
<table class="kpi"><tr><th>TaskManager-hours</th><th>cost ratio</th><th>SLO violation</th><th>max lag</th><th>rescales</th><th>flaps</th><th>job downtime</th><th>backlog at end</th></tr>
<tr><td>${r.taskManagerHours.toFixed(1)}</td><td>${r.costRatio.toFixed(2)}</td><td>${r.sloViolationSeconds} s</td><td>${r.maxLagSeconds.toFixed(0)} s</td><td>${r.rescales}</td><td>${r.flaps}</td><td>${r.jobDowntimeSeconds} s</td><td>${fmt(r.backlogAtEnd)}</td></tr></table>
${lineChart(
  'Input rate vs processing capacity (records/s)',
  'records/s',
  [
    { name: 'input', color: COLORS.input, points: pts(tl, (p) => p.input) },
    { name: 'capacity', color: COLORS.capacity, points: pts(tl, (p) => p.capacity), step: true },
  ],
  out.durationSeconds,
)}
${lineChart(
  'TaskManagers: desired and running vs the physical minimum (lines: rescales, alarms and manual invocations by reason colour; black: faults)',
  'TaskManagers',
  [
    { name: 'desired', color: COLORS.desired, points: pts(tl, (p) => p.desired), step: true },
    { name: 'running', color: COLORS.running, points: pts(tl, (p) => p.running), step: true },
    {
      name: 'physical minimum',
      color: COLORS.minimum,
      points: pts(tl, (p) => p.physicalMinimum),
      step: true,
      dashed: true,
    },
  ],
  out.durationSeconds,
  markers,
)}
<div class="legend">${reasons}</div>
${lineChart(
  `Lag vs SLO (${out.sloLagSeconds} s)`,
  'seconds',
  [
    { name: 'lag', color: COLORS.lag, points: pts(tl, (p) => p.lagSeconds) },
    {
      name: 'SLO',
      color: COLORS.slo,
      points:
        tl.length > 0
          ? [
              [0, out.sloLagSeconds],
              [out.durationSeconds, out.sloLagSeconds],
            ]
          : [],
      dashed: true,
    },
  ],
  out.durationSeconds,
)}
${(extras.charts?.[run.result.policy] ?? []).map((c) => lineChart(c.title, c.yLabel, c.series, out.durationSeconds)).join('\n')}
${faults ? `<h3>Faults</h3><ul>${faults}</ul>` : ''}
${manual ? `<h3>Manual invocations</h3><ul>${manual}</ul>` : ''}
</section>`;
}

export function renderReport(
  out: SimulationOutput,
  runs: readonly PolicyRun[],
  extras: ReportExtras = {},
): string {
  const title = extras.title ?? `Simulation report: ${out.scenario}`;
  const intro =
    extras.intro === undefined
      ? `${clock(out.durationSeconds)} simulated (h:mm). Physical minimum: ${out.physicalMinimumTaskManagerHours.toFixed(1)} TaskManager-hours (the smallest count whose capacity covers the input at 100% busy, moment by moment).`
      : escapeHtml(extras.intro);
  const rows = runs
    .map(
      ({ result: r }) =>
        `<tr><td><code>${escapeHtml(r.policy)}</code></td><td>${r.costRatio.toFixed(2)}</td><td>${r.sloViolationSeconds}</td><td>${r.maxLagSeconds.toFixed(0)}</td><td>${r.rescales}</td><td>${r.flaps}</td><td>${r.jobDowntimeSeconds}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-top:1px solid #ddd;padding-top:16px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f5f5f5}
figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin:2px 0}.key i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${intro}</p>
<table><tr><th>policy</th><th>cost ratio</th><th>SLO violation s</th><th>max lag s</th><th>rescales</th><th>flaps</th><th>job downtime s</th></tr>${rows}</table>
${runs.map((r) => policySection(out, r, extras)).join('\n')}
${extras.appendixHtml ?? ''}
</body></html>
`;
}
