/**
 * The collector: Prometheus scrape → relabel → EMF → CloudWatch datapoints as the demo
 * cluster's CloudWatch agent does it, checked against the agent configuration the infra
 * synthesizes, a real Flink 2.2.1 scrape, and the local CloudWatch's statistics.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  FLINK_METRICS,
  flinkMetricsDefinition,
  publishedMetricCounts,
} from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import { describe, expect, it } from 'vitest';
import { CloudWatchStore, type MetricDatum } from '../../src/cloud/cloudwatch-store';
import {
  agentLabels,
  CloudWatchAgent,
  collectScrape,
  emfLogLine,
  emfToDatums,
  extractedDimensions,
  parsePrometheusText,
  relabel,
  scrapeToEmf,
  TaskManagerMinuteMetrics,
} from '../../src/collector';
import { FlinkJobModel } from '../../src/model/cluster';
import { resolveJob } from '../../src/model/job';
import { FLINK_PROMETHEUS as F, renderPrometheusText } from '../../src/model/metrics';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');
const REAL_SCRAPE = fixture('flink-taskmanager-scrape.txt');
const REAL_FULL_SCRAPE = fixture('flink-2.2.1-taskmanager-scrape-full.txt');
const REAL_JOBMANAGER_SCRAPE = fixture('flink-2.2.1-jobmanager-scrape-full.txt');

const config = flinkMetricsDefinition({
  clusterName: 'flink-sim',
  serviceName: 'tm',
  scrapeIntervalSeconds: 60,
});
const JOB = { ClusterName: 'flink-sim', ServiceName: 'tm' };
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

describe('Function: relabel (metric_relabel_configs)', () => {
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
    [{ a: 'x' }, [{ action: 'keep' as const, sourceLabels: ['__name__'], regex: 'm|n' }], { a: 'x' }],
    [{ a: 'x' }, [{ action: 'keep' as const, sourceLabels: ['__name__'], regex: 'n' }], undefined],
    [{ a: 'x' }, [{ action: 'drop' as const, sourceLabels: ['a'], regex: 'x' }], undefined],
  ])('%j with %j (metric m) → %j', (labels, configs, expected) => {
    expect(relabel(labels, configs, 'm')).toEqual(expected);
  });
});

describe('Function: extractedDimensions (the definition’s metric_declaration)', () => {
  const task = { tm_id: 'abc', job_name: 'orders', task_name: 'work', subtask_index: '0' };
  const source = { ...task, operator_name: 'Source:_kafka_source' };

  it('adds the scrape job, the target and the static labels, then TaskId from tm_id', () => {
    expect(agentLabels(F.busyTimeMsPerSecond, task, config)).toMatchObject({
      job: 'flink-taskmanager',
      instance: 'localhost:9249',
      ClusterName: 'flink-sim',
      ServiceName: 'tm',
      TaskId: 'abc',
    });
  });

  it.each([
    [F.busyTimeMsPerSecond, task, [{ ClusterName: 'flink-sim', TaskId: 'abc' }, JOB]],
    [F.cpuLoad, { host: 'h', tm_id: 'abc' }, [{ ClusterName: 'flink-sim', TaskId: 'abc' }, JOB]],
    [F.operatorNumRecordsOutPerSecond, source, [JOB]],
    [F.operatorNumRecordsOutPerSecond, { ...task, operator_name: 'aggregate' }, []], // not the source
    [F.operatorPendingRecords, source, [JOB]],
    [F.kafkaCurrentOffset, { ...source, topic: 'demo', partition: '3' }, [JOB]],
  ])('%s is extracted under %j', (name, labels, dims) => {
    const l = agentLabels(name, labels, config);
    expect(extractedDimensions(name, l ?? {}, config.declarations)).toEqual(dims);
  });

  it.each([F.idleTimeMsPerSecond, F.numRecordsInPerSecond, F.operatorNumRecordsInPerSecond])(
    '%s is dropped at the scrape (keep): neither a metric nor a log event',
    (name) => {
      expect(agentLabels(name, task, config)).toBeUndefined();
    },
  );

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
        { job: 'other', ClusterName: 'c', ServiceName: 's', TaskId: 't' },
        config.declarations,
      ),
    ).toEqual([]);
  });
});

describe('Function: scrapeToEmf / emfToDatums', () => {
  it('merges one label set into one EMF event and makes every series its own datapoint', () => {
    const samples = [
      busySeries('abc', '0', 200),
      busySeries('abc', '1', 800),
      busySeries('abc', '0', 30, 'Source: in'),
    ];
    const events = scrapeToEmf(samples, config, 60_000);
    expect(events).toHaveLength(3);
    expect(events[0]?.metrics).toEqual({ [F.busyTimeMsPerSecond]: 200 });
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
        metricName: F.busyTimeMsPerSecond,
        dimensions: JOB,
        timestampMs: 60_000,
        values: [200, 800, 30],
        unit: 'None',
        visibleAtMs: 95_000,
      },
    ]);
  });

  it('lets CloudWatch aggregate them: per TaskManager and for the service, the Maximum is the busiest subtask', () => {
    const store = new CloudWatchStore();
    const scrape = [
      busySeries('abc', '0', 200),
      busySeries('abc', '1', 800),
      busySeries('def', '0', 950, 'aggregate'),
      busySeries('def', '1', 20, 'Source: in'),
    ];
    for (const d of emfToDatums(scrapeToEmf(scrape, config, 60_000), config, 60_000, 60_000)) store.put(d);
    const q = (stat: string, dimensions: Record<string, string>) =>
      store.query({
        namespace: config.namespace,
        metricName: F.busyTimeMsPerSecond,
        dimensions,
        stat,
        periodSeconds: 60,
        startMs: 0,
        endMs: 120_000,
      }).values;
    expect(q('Average', { ClusterName: 'flink-sim', TaskId: 'abc' })).toEqual([500]);
    expect(q('Maximum', { ClusterName: 'flink-sim', TaskId: 'abc' })).toEqual([800]);
    expect(q('Maximum', JOB)).toEqual([950]);
    expect(q('SampleCount', JOB)).toEqual([4]);
  });
});

describe('Function: collectScrape, on a real Flink 2.2.1 TaskManager scrape', () => {
  const datums = collectScrape(REAL_FULL_SCRAPE, config, 60_000, 30);
  const find = (name: string, dims: Record<string, string>) =>
    datums.find((d) => d.metricName === name && JSON.stringify(d.dimensions) === JSON.stringify(dims));
  const values = (d: MetricDatum | undefined): readonly number[] =>
    d === undefined ? [] : 'values' in d ? d.values : 'value' in d ? [d.value] : [];

  it('publishes exactly the defined metrics: every selector matches a real series', () => {
    expect(new Set(datums.map((d) => d.metricName))).toEqual(new Set(Object.values(FLINK_METRICS)));
    // The demo cluster names each TaskManager after its ECS task id; this one was started as tm_1.
    expect(values(find(FLINK_METRICS.heartbeat, { ClusterName: 'flink-sim', TaskId: 'tm_1' }))).toHaveLength(
      1,
    );
  });

  it('gives the job-level sums of the source subtasks: backlog, throughput, log end', () => {
    const JOB_DIMS = { ClusterName: 'flink-sim', ServiceName: 'tm' };
    expect(values(find(FLINK_METRICS.sourcePendingRecords, JOB_DIMS)).reduce((a, v) => a + v, 0)).toBe(
      2804 + 1892,
    );
    // Only the source operator's numRecordsOutPerSecond (its two subtasks), not the writer's or the work operator's.
    expect(values(find(FLINK_METRICS.sourceRecordsOut, JOB_DIMS))).toEqual([
      398.31666666666666, 398.01666666666665,
    ]);
    expect(values(find(FLINK_METRICS.sourceCurrentOffset, JOB_DIMS))).toHaveLength(4);
  });

  it('the definition’s keep rule: the agent writes only the defined series to CloudWatch Logs, not the whole scrape', () => {
    const withoutKeep = { ...config, metricRelabelConfigs: config.metricRelabelConfigs.slice(1) };
    const all = scrapeToEmf(parsePrometheusText(REAL_FULL_SCRAPE), withoutKeep, 0);
    const kept = scrapeToEmf(parsePrometheusText(REAL_FULL_SCRAPE), config, 0);
    const bytes = (events: typeof all) =>
      events.reduce((a, e) => a + Buffer.byteLength(emfLogLine(e, config)), 0);
    const defined = new Set<string>(Object.values(FLINK_METRICS));
    expect(kept.flatMap((e) => Object.keys(e.metrics)).every((n) => defined.has(n))).toBe(true);
    expect(all.flatMap((e) => Object.keys(e.metrics)).some((n) => !defined.has(n))).toBe(true);
    expect(bytes(kept)).toBeLessThan(bytes(all) / 4);
  });

  it('counts 2 custom metrics per TaskManager and 5 per service', () => {
    expect(publishedMetricCounts(config)).toEqual({ perTaskManager: 2, perService: 5 });
  });

  it('the JobManager has no pendingRecords: the backlog is the source subtasks’', () => {
    const names = new Set(parsePrometheusText(REAL_JOBMANAGER_SCRAPE).map((s) => s.name));
    expect(names.has('flink_jobmanager_job_pendingRecords')).toBe(false);
    expect([...names].filter((n) => n.includes('pendingRecords'))).toEqual([]);
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
    const agent = new CloudWatchAgent(config, { ingestionDelaySeconds: 30 });
    const samples = model.scrape('aaaa1111') ?? [];
    const got = agent.collect(samples, 60_000);
    expect(got).toEqual(collectScrape(samples, config, 60_000, 30));
    // The heartbeat; 2 slots × 2 tasks ("Source: kafka-source", "aggregate -> sink: Writer") = 4 busy
    // series; the 2 source subtasks' throughput and pendingRecords, and the offsets of the 4 partitions they read.
    expect(
      got.map((d) => [d.metricName, d.dimensions.TaskId ?? 'job', 'values' in d ? d.values.length : 1]),
    ).toEqual([
      [F.cpuLoad, 'aaaa1111', 1],
      [F.cpuLoad, 'job', 1],
      [F.busyTimeMsPerSecond, 'aaaa1111', 4],
      [F.busyTimeMsPerSecond, 'job', 4],
      [F.operatorNumRecordsOutPerSecond, 'job', 2],
      [F.operatorPendingRecords, 'job', 2],
      [F.kafkaCurrentOffset, 'job', 4],
    ]);
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
    for (const s of [...real, ...ours].filter((x) => x.name !== F.cpuLoad))
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
