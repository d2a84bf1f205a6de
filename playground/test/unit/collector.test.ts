/**
 * The collector: Prometheus scrape → relabel → EMF → CloudWatch datapoints as the demo
 * cluster's CloudWatch agent does it, checked against the agent configuration the infra
 * synthesizes, a real Flink 2.2.1 scrape, and the local CloudWatch's statistics.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CloudWatchStore, type MetricDatum } from '../../src/cloud/cloudwatch-store';
import {
  agentLabels,
  CloudWatchAgent,
  DEMO_SCRAPED_METRICS,
  demoAgentConfig,
  emfToDatums,
  extractedDimensions,
  parsePrometheusText,
  relabel,
  SOURCE_PENDING_RECORDS,
  scrapeToEmf,
  TaskManagerMinuteMetrics,
  withSourcePendingRecords,
} from '../../src/collector';
import { FlinkJobModel } from '../../src/model/cluster';
import { resolveJob } from '../../src/model/job';
import { FLINK_PROMETHEUS as F, renderPrometheusText } from '../../src/model/metrics';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const REAL_SCRAPE = readFileSync(
  fileURLToPath(new URL('../fixtures/flink-taskmanager-scrape.txt', import.meta.url)),
  'utf8',
);

const config = demoAgentConfig('flink-sim', 60);
const busySeries = (tm: string, subtask: string, value: number, task = 'work') => ({
  name: F.busyTimeMsPerSecond,
  labels: { job_id: 'j', task_name: task, tm_id: tm, subtask_index: subtask },
  value,
});

/** A model of the default DAG on two TaskManagers after a minute at 2,000 records/s. */
function modelScrape(): { model: FlinkJobModel; text: string } {
  const model = new FlinkJobModel(
    resolveJob(
      {
        partitions: 8,
        slotsPerTaskManager: 2,
        recordsPerSecondPerSlot: 500,
        restartSeconds: 30,
        checkpointIntervalSeconds: 60,
      },
      {},
      { jobName: 'orders-job', seed: 2 },
    ),
  );
  const tms = [
    { taskId: 'aaaa1111', hung: false },
    { taskId: 'bbbb2222', hung: false },
  ];
  for (let k = 0; k < 6; k++) model.step(k * 10_000, 10, 2000, tms);
  return { model, text: renderPrometheusText(model.scrape('aaaa1111') ?? []) };
}

describe('Function: relabel (metric_relabel_configs, action replace)', () => {
  it.each([
    [{ tm_id: 'abc' }, [{ sourceLabels: ['tm_id'], targetLabel: 'TaskId' }], { tm_id: 'abc', TaskId: 'abc' }],
    [{ tm_id: '' }, [{ sourceLabels: ['tm_id'], targetLabel: 'TaskId' }], { tm_id: '' }],
    [{ a: 'x', b: 'y' }, [{ sourceLabels: ['a', 'b'], targetLabel: 'ab' }], { a: 'x', b: 'y', ab: 'x;y' }],
    [
      { a: 'task-17' },
      [{ sourceLabels: ['a'], regex: 'task-(\\d+)', replacement: 'T$1', targetLabel: 'n' }],
      { a: 'task-17', n: 'T17' },
    ],
    [
      { a: 'xtask-17' },
      [{ sourceLabels: ['a'], regex: 'task-(\\d+)', replacement: 'T$1', targetLabel: 'n' }],
      { a: 'xtask-17' },
    ],
  ])('%j with %j → %j', (labels, configs, expected) => {
    expect(relabel(labels, configs)).toEqual(expected);
  });
});

describe('Function: extractedDimensions (metric_declaration)', () => {
  const labels = agentLabels({ tm_id: 'abc', job_name: 'orders', subtask_index: '0' }, config);

  it('adds the scrape job, the target and the static labels, then TaskId from tm_id', () => {
    expect(labels).toMatchObject({
      job: 'flink-taskmanager',
      instance: 'localhost:9249',
      ClusterName: 'flink-sim',
      TaskId: 'abc',
    });
  });

  it.each([
    [F.busyTimeMsPerSecond, [{ ClusterName: 'flink-sim', TaskId: 'abc' }]],
    [F.numRecordsInPerSecond, [{ ClusterName: 'flink-sim', TaskId: 'abc' }]],
    [F.idleTimeMsPerSecond, []], // not selected: stays in the log group only
    [SOURCE_PENDING_RECORDS, []],
  ])('%s is extracted under %j by the demo declaration', (name, dims) => {
    expect(extractedDimensions(name, labels, config.declarations)).toEqual(dims);
  });

  it('drops a dimension set whose labels the series lacks, and a series whose job does not match', () => {
    expect(
      extractedDimensions(
        F.busyTimeMsPerSecond,
        { job: 'flink-taskmanager', ClusterName: 'c' },
        config.declarations,
      ),
    ).toEqual([]);
    expect(
      extractedDimensions(
        F.busyTimeMsPerSecond,
        { job: 'other', ClusterName: 'c', TaskId: 't' },
        config.declarations,
      ),
    ).toEqual([]);
  });

  it('extracts the source’s pendingRecords under [ClusterName, JobName] once the declaration is added', () => {
    const extended = withSourcePendingRecords(config);
    const l = agentLabels({ tm_id: 'abc', job_name: 'orders' }, extended);
    expect(extractedDimensions(SOURCE_PENDING_RECORDS, l, extended.declarations)).toEqual([
      { ClusterName: 'flink-sim', JobName: 'orders' },
    ]);
  });
});

describe('Function: scrapeToEmf / emfToDatums', () => {
  it('merges one label set into one EMF event and makes each series of a TaskManager its own datapoint', () => {
    const samples = [
      busySeries('abc', '0', 200),
      { ...busySeries('abc', '0', 0), name: F.numRecordsInPerSecond, value: 50 },
      busySeries('abc', '1', 800),
      busySeries('abc', '0', 30, 'Source: in'),
    ];
    const events = scrapeToEmf(samples, config, 60_000);
    expect(events).toHaveLength(3);
    expect(events[0]?.metrics).toEqual({ [F.busyTimeMsPerSecond]: 200, [F.numRecordsInPerSecond]: 50 });
    const datums = emfToDatums(events, config, 60_000, 95_000);
    expect(datums).toEqual([
      {
        namespace: 'ECS/ContainerInsights/Prometheus',
        metricName: F.busyTimeMsPerSecond,
        dimensions: { ClusterName: 'flink-sim', TaskId: 'abc' },
        timestampMs: 60_000,
        values: [200, 800, 30],
        unit: 'None',
        visibleAtMs: 95_000,
      },
      {
        namespace: 'ECS/ContainerInsights/Prometheus',
        metricName: F.numRecordsInPerSecond,
        dimensions: { ClusterName: 'flink-sim', TaskId: 'abc' },
        timestampMs: 60_000,
        value: 50,
        unit: 'None',
        visibleAtMs: 95_000,
      },
    ]);
  });

  it('lets CloudWatch aggregate them: a TaskManager’s Average is the mean over its subtasks of every vertex', () => {
    const store = new CloudWatchStore();
    const datums = emfToDatums(
      scrapeToEmf(
        [busySeries('abc', '0', 200), busySeries('abc', '1', 800), busySeries('abc', '0', 20, 'Source: in')],
        config,
        60_000,
      ),
      config,
      60_000,
      60_000,
    );
    for (const d of datums) store.put(d);
    const q = (stat: string) =>
      store.query({
        namespace: config.namespace,
        metricName: F.busyTimeMsPerSecond,
        dimensions: { ClusterName: 'flink-sim', TaskId: 'abc' },
        stat,
        periodSeconds: 60,
        startMs: 0,
        endMs: 120_000,
      }).values;
    expect(q('Average')).toEqual([340]);
    expect(q('Maximum')).toEqual([800]);
    expect(q('Sum')).toEqual([1020]);
    expect(q('SampleCount')).toEqual([3]);
  });
});

describe('Class: CloudWatchAgent', () => {
  it('scrapes each target once per interval at its own offset (in whole steps)', () => {
    const agent = new CloudWatchAgent(config, { ingestionDelaySeconds: 30 });
    for (const id of ['a', 'b', 'c0ffee', '9f2d']) {
      const due = Array.from({ length: 36 }, (_, k) => (k + 1) * 10).filter((end) =>
        agent.isDue(id, end, 10),
      );
      expect(due).toHaveLength(6);
      expect(due.every((end, i) => i === 0 || end - (due[i - 1] as number) === 60)).toBe(true);
      expect(due[0]).toBe(agent.offsetSeconds(id, 10) === 0 ? 60 : agent.offsetSeconds(id, 10));
    }
  });

  it('produces what the reference pipeline produces, from a model scrape, visible after flush + ingestion', () => {
    const { model } = modelScrape();
    const agent = new CloudWatchAgent(withSourcePendingRecords(config), { ingestionDelaySeconds: 30 });
    const samples = model.scrape('aaaa1111') ?? [];
    const got = agent.collect(samples, 60_000);
    const reference = emfToDatums(scrapeToEmf(samples, agent.config, 60_000), agent.config, 60_000, 95_000);
    expect(got).toEqual(reference);
    // 2 slots × 2 tasks ("Source: kafka-source", "aggregate -> sink: Writer") = 4 series per task metric;
    // the 2 source subtasks report pendingRecords.
    expect(got.map((d) => [d.metricName, 'values' in d ? d.values.length : 1])).toEqual([
      [F.busyTimeMsPerSecond, 4],
      [F.numRecordsInPerSecond, 4],
      [SOURCE_PENDING_RECORDS, 2],
    ]);
    expect(got[0]?.dimensions).toEqual({ ClusterName: 'flink-sim', TaskId: 'aaaa1111' });
    expect(got[2]?.dimensions).toEqual({ ClusterName: 'flink-sim', JobName: 'orders_job' });
  });
});

describe('Fidelity: the demo cluster’s agent configuration', () => {
  const infra = readFileSync(`${ROOT}/infra/constructs/demo-flink-cluster.ts`, 'utf8');

  it('selects the metrics, job, port, relabelling and dimensions the infra synthesizes', () => {
    const selected = [
      ...(/SCRAPED_METRICS = \[([^\]]*)\]/.exec(infra)?.[1] ?? '').matchAll(/'([^']+)'/g),
    ].map((m) => m[1]);
    expect(selected).toEqual([...DEMO_SCRAPED_METRICS]);
    expect(infra).toContain(`const SCRAPE_JOB = '${config.scrapeJob}'`);
    expect(infra).toContain(`const PROMETHEUS_PORT = ${config.target.split(':')[1]}`);
    expect(infra).toContain("'      - source_labels: [tm_id]'");
    expect(infra).toContain("'        target_label: TaskId'");
    expect(infra).toContain("dimensions: [['ClusterName', 'TaskId']]");
    expect(infra).toContain('force_flush_interval: 5');
    expect(config.forceFlushSeconds).toBe(5);
  });
});

describe('Fidelity: a model scrape against a real Flink 2.2.1 TaskManager scrape', () => {
  const real = parsePrometheusText(REAL_SCRAPE);
  const { text } = modelScrape();
  const ours = parsePrometheusText(text);

  it('uses exactly the real metric names and label names, in the real label order', () => {
    const names = new Set(ours.map((s) => s.name));
    expect(names).toEqual(new Set(Object.values(F)));
    for (const name of names) {
      const r = real.find((s) => s.name === name);
      const o = ours.find((s) => s.name === name);
      expect(r, name).toBeDefined();
      expect(Object.keys(o?.labels ?? {}), name).toEqual(Object.keys(r?.labels ?? {}));
    }
  });

  it('formats label values and lines as the reporter does', () => {
    const shape = (s: { labels: Record<string, string> }) => ({
      job_id: /^[0-9a-f]{32}$/.test(s.labels.job_id ?? ''),
      task_attempt_id: /^[0-9a-f]{32}_[0-9a-f]{32}_\d+_\d+$/.test(s.labels.task_attempt_id ?? ''),
      filtered: Object.values(s.labels).every((v) => /^[a-zA-Z0-9:_]*$/.test(v)),
    });
    for (const s of [...real, ...ours])
      expect(shape(s)).toEqual({ job_id: true, task_attempt_id: true, filtered: true });
    // A source task's head operator carries the vertex's id, in both.
    for (const set of [real, ours]) {
      const pending = set.find((s) => s.name === F.operatorPendingRecords);
      expect(pending?.labels.operator_id).toBe(pending?.labels.task_id);
    }
    const helpLines = (t: string) =>
      t
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('# HELP flink_taskmanager_job_task_busyTimeMsPerSecond') ||
            l.startsWith('# TYPE flink_taskmanager_job_task_busyTimeMsPerSecond'),
        );
    expect(helpLines(text)).toEqual(helpLines(REAL_SCRAPE));
    expect(text).toMatch(/,subtask_index="\d+",\} \d+\.\d+/); // the trailing comma and Java doubles
  });

  it('reports whole milliseconds for the timers and busy + idle + back-pressured = 1000, as the real one does', () => {
    for (const set of [real, ours]) {
      const byTask = new Map<string, number[]>();
      for (const s of set) {
        if (
          ![F.busyTimeMsPerSecond, F.idleTimeMsPerSecond, F.backPressuredTimeMsPerSecond].includes(
            s.name as never,
          )
        )
          continue;
        expect(Number.isInteger(s.value)).toBe(true);
        const key = s.labels.task_attempt_id ?? '';
        byTask.set(key, [...(byTask.get(key) ?? []), s.value]);
      }
      for (const values of byTask.values()) expect(values.reduce((a, v) => a + v, 0)).toBe(1000);
    }
  });
});

describe('Class: TaskManagerMinuteMetrics', () => {
  const usage = (taskId: string, busy: number, max: number, hung = false) => ({
    taskId,
    inJob: true,
    hung,
    threads: 6,
    busyThreadSeconds: busy,
    maxThreadBusySeconds: max,
    gcSeconds: 0,
  });

  it('publishes the seed’s busiest-thread seconds and Container Insights CPU per TaskManager per minute', () => {
    const m = new TaskManagerMinuteMetrics({
      clusterName: 'c',
      taskDefinitionFamily: 'tm',
      taskCpuUnits: 1024,
      cpuPerBusySecond: 1,
      backgroundCores: 0.05,
      ingestionDelaySeconds: 30,
    });
    const out: MetricDatum[] = [];
    // 6 steps of 10 s: the TaskManager's threads are busy 6 s in all per step, the busiest 4 s.
    for (let k = 0; k < 6; k++)
      out.push(...m.observe(k * 10_000, 10, [usage('a', 6, 4), usage('b', 0, 0, true)]));
    const by = (name: string, id: string) =>
      out.find((d) => d.metricName === name && d.dimensions.TaskId === id);
    expect(by('task_duration', 'a')).toMatchObject({
      value: 24,
      timestampMs: 0,
      visibleAtMs: 90_000,
      unit: 'Seconds',
    });
    expect(by('task_interval', 'a')).toMatchObject({ value: 60 });
    // (36 busy thread seconds / 60 s + 0.05 cores) × 1024 = 665.6 CPU units.
    expect(by('CpuUtilized', 'a')).toMatchObject({ value: expect.closeTo(665.6, 9) });
    expect(by('CpuReserved', 'a')).toMatchObject({ value: 1024 });
    // A frozen TaskManager reports nothing of its own, while the container's CPU still reads 0.
    expect(by('task_duration', 'b')).toBeUndefined();
    expect(by('CpuUtilized', 'b')).toMatchObject({ value: 0 });
  });
});
