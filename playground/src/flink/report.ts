/**
 * The report of a real-Flink run: the simulation report's charts (input vs capacity,
 * TaskManagers vs the physical minimum with the decisions, lag vs the SLO) drawn from the
 * real run's samples, plus what only a real cluster has: the job's parallelism as Flink's
 * REST API reports it, the backlog three ways (the group's lag from Kafka, Σ FLIP-33
 * pendingRecords from the TaskManagers' scrapes, log end − the readers' positions), the
 * busiest TaskManager's busy time, and tables of the processes and the measured facts.
 */
import { escapeHtml, renderReport } from '../report';
import type { RealFlinkDocument } from './document';
import type { RealFlinkResult } from './live';

const n = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '—' : v.toFixed(digits);
const range = (vs: readonly number[]) =>
  vs.length === 0 ? '—' : `${Math.min(...vs).toFixed(1)}–${Math.max(...vs).toFixed(1)} s (${vs.length})`;
const seconds = (iso: string | null, t0: number) =>
  iso === null ? '—' : `${((Date.parse(iso) - t0) / 1000).toFixed(1)}`;

function appendix(doc: RealFlinkDocument, result: RealFlinkResult): string {
  const m = doc.measured;
  const t0 = result.startedAtMs;
  const facts: [string, string][] = [
    [
      'Flink / Kafka connector / Kafka / Java',
      `${doc.flink.flink} / ${doc.flink.kafkaConnector} / ${doc.flink.kafka} / ${doc.flink.java}`,
    ],
    ['TaskManager start-up (process spawn → registered)', range(m.taskManagerStartupSeconds)],
    ['reactive restart after SIGKILL (kill → every subtask RUNNING)', range(m.reactiveRestartSeconds)],
    [
      'records replayed after the restart',
      m.recordsReplayedAfterRestart.map((r) => (r === null ? '—' : r.toLocaleString('en-US'))).join(', ') ||
        '—',
    ],
    ['SIGKILL → STOPPED in ECS', m.kills.map((k) => `${n(k.killToStoppedSeconds, 2)} s`).join(', ') || '—'],
    [
      'STOPPED event → partitions reassigned in DynamoDB',
      m.kills
        .map((k) => `${n(k.stoppedEventToReassignedSeconds, 2)} s (${k.partitions} partitions)`)
        .join(', ') || '—',
    ],
    ['step → first scale-out', `${n(m.stepToFirstScaleOutSeconds)} s`],
    [
      `step → backlog drained (group lag ≤ ${m.drainedBelowRecords.toLocaleString('en-US')})`,
      `${n(m.stepToBacklogDrainedSeconds, 0)} s`,
    ],
    ['max group lag', `${m.maxGroupLagRecords.toLocaleString('en-US')} records`],
    [
      'agent scrapes (failed) / datums put',
      `${m.agentScrapes.scrapes} (${m.agentScrapes.failures}) / ${m.agentScrapes.datums}`,
    ],
  ];
  const processes = doc.processes
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.taskId.slice(0, 12))}</code></td><td>${p.pid ?? '—'}</td><td>${seconds(p.started, t0)}</td><td>${seconds(p.registered, t0)}</td><td>${n(p.startupSeconds)}</td><td>${seconds(p.stopRequested, t0)}</td><td>${seconds(p.stopped, t0)}</td><td>${p.exitCode ?? '—'}</td><td>${p.endedBy ?? 'running'}</td><td>${escapeHtml(p.stoppedReason ?? '—')}</td></tr>`,
    )
    .join('');
  const restarts = m.restarts
    .map(
      (r) =>
        `<tr><td>${r.atSeconds.toFixed(1)}</td><td>${r.cause}</td><td>${r.fromParallelism} → ${r.toParallelism}</td><td>${r.notProcessingSeconds.toFixed(2)}</td></tr>`,
    )
    .join('');
  const changes = m.desiredChanges
    .map(
      (c) =>
        `<tr><td>${c.atSeconds.toFixed(1)}</td><td>${c.from} → ${c.to}</td><td>${escapeHtml(c.reason)}</td></tr>`,
    )
    .join('');
  return `<section>
<h2>Measured on the real cluster</h2>
<table>${facts.map(([k, v]) => `<tr><th style="text-align:left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<h3>Desired count changes (the scaler's decisions)</h3>
<table><tr><th>s</th><th>desired</th><th>reason</th></tr>${changes}</table>
<h3>The job not processing (Flink REST: a vertex not at the parallelism, or a subtask not RUNNING)</h3>
<table><tr><th>s</th><th>cause</th><th>parallelism</th><th>not processing s</th></tr>${restarts}</table>
<h3>TaskManager processes (one per ECS task; seconds of the run)</h3>
<table><tr><th>task id</th><th>pid</th><th>spawned</th><th>registered</th><th>start-up s</th><th>stop requested</th><th>exited</th><th>exit code</th><th>ended by</th><th>ECS stoppedReason</th></tr>${processes}</table>
</section>`;
}

export function renderRealFlinkReport(doc: RealFlinkDocument, result: RealFlinkResult): string {
  const policy = result.run.result.policy;
  const sm = result.samples;
  return renderReport(doc, [result.run], {
    title: `Real Flink run: ${doc.scenario}`,
    intro: `${Math.round(doc.durationSeconds / 60)} minutes in real time on real Apache Flink ${doc.flink.flink} (reactive application cluster; every ECS task a TaskManager JVM) and Kafka ${doc.flink.kafka}, with the product's scaler and failover functions unmodified against the local ECS, CloudWatch (fed by the agent's scrapes of the TaskManagers' Prometheus endpoints) and DynamoDB. Every series is measured: capacity is the nominal rate of the parallelism Flink REST reports while the job processes, the backlog is the consumer group's lag from Kafka. Physical minimum: ${doc.physicalMinimumTaskManagerHours.toFixed(2)} TaskManager-hours.`,
    charts: {
      [policy]: [
        {
          title:
            'Job parallelism as Flink REST reports it (0 while the job is not processing) vs TaskManagers RUNNING in ECS',
          yLabel: 'slots / TaskManagers',
          series: [
            {
              name: 'parallelism (Flink REST)',
              color: '#1f77b4',
              points: sm.map((s) => [s.t, s.processing ? s.parallelism : 0]),
              step: true,
            },
            {
              name: 'ECS running',
              color: '#2ca02c',
              points: sm.map((s) => [s.t, s.running]),
              step: true,
              dashed: true,
            },
            {
              name: 'ECS desired',
              color: '#ff7f0e',
              points: sm.map((s) => [s.t, s.desired]),
              step: true,
              dashed: true,
            },
          ],
        },
        {
          title:
            "Backlog: the group's lag (Kafka: log end − committed) vs Σ FLIP-33 pendingRecords (TaskManagers' scrapes) vs log end − the readers' positions (each at its TaskManager's last scrape)",
          yLabel: 'records',
          series: [
            { name: 'group lag (Kafka)', color: '#d62728', points: sm.map((s) => [s.t, s.backlog]) },
            { name: 'Σ pendingRecords', color: '#9467bd', points: sm.map((s) => [s.t, s.pendingRecords]) },
            {
              name: "log end − readers' positions",
              color: '#8c564b',
              points: sm.flatMap((s) =>
                s.readerBacklog === undefined ? [] : [[s.t, s.readerBacklog] as const],
              ),
              dashed: true,
            },
          ],
        },
        {
          title:
            "Busiest TaskManager's busyTimeMsPerSecond / 1000 (Flink's own 60 s moving average, latest scrape)",
          yLabel: 'busy fraction',
          series: [{ name: 'max busy', color: '#17becf', points: sm.map((s) => [s.t, s.maxBusy]) }],
        },
      ],
    },
    appendixHtml: appendix(doc, result),
  });
}
