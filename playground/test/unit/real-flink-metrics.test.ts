/**
 * The metric names the product queries, checked against real scrapes of a running Flink 2.2.1
 * cluster (playground/flink/fixtures: a TaskManager under load running the chained demo job,
 * and its JobManager at the same moment, saved by playground/flink/smoke.sh). The real-run
 * config (playground/src/flink/config.ts) goes through the agent the real runs use
 * (live.ts realAgentConfig), into the local CloudWatch store, and every query the product
 * builds from it must find the scrape's values there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from 'flink-ecs-autoscaler/lib/core/config';
import { METRIC_NAMES } from 'flink-ecs-autoscaler/lib/core/metric-names';
import { buildMetricQueries, resolveAppMetrics } from 'flink-ecs-autoscaler/lib/core/metrics';
import { describe, expect, it } from 'vitest';
import { CloudWatchStore } from '../../src/cloud/cloudwatch-store';
import { CloudWatchAgent, parsePrometheusText } from '../../src/collector';
import { demoJobNameLabel } from '../../src/flink/cluster';
import { realConfig } from '../../src/flink/config';
import { REAL_CLUSTER, realAgentConfig } from '../../src/flink/live';
import type { PrometheusSample } from '../../src/model/metrics';

const fixture = (name: string) =>
  parsePrometheusText(
    readFileSync(fileURLToPath(new URL(`../../flink/fixtures/${name}`, import.meta.url)), 'utf8'),
  );
const TM = fixture('taskmanager-scrape.txt');
const JM = fixture('jobmanager-scrape.txt');
const names = (samples: readonly PrometheusSample[]) => new Set(samples.map((s) => s.name));
const values = (name: string) => TM.filter((s) => s.name === name).map((s) => s.value);
const mean = (vs: readonly number[]) => vs.reduce((a, v) => a + v, 0) / vs.length;
const PERIOD = 60;
const AT_MS = Date.UTC(2026, 11, 1, 12, 0, 30);

/** The fixture's TaskManager: resource id tm-1, filtered by the reporter to tm_1. */
const TASK_ID = 'tm_1';

function queriesOfRealConfig() {
  const config = parseConfig(
    realConfig({
      appId: 'fixture',
      partitions: 8,
      slotsPerTaskManager: 2,
      jobNameLabel: demoJobNameLabel(1000, 'demo'),
      topic: 'demo',
      minTaskManagers: 1,
      maxTaskManagers: 4,
      periodSeconds: PERIOD,
      restartSeconds: 5,
      checkpointIntervalSeconds: 10,
    }),
  );
  return buildMetricQueries(resolveAppMetrics(config), [TASK_ID]);
}

function storeOfScrape(): CloudWatchStore {
  const store = new CloudWatchStore();
  for (const d of new CloudWatchAgent(realAgentConfig(PERIOD), { ingestionDelaySeconds: 0 }).collect(
    TM,
    AT_MS,
  )) {
    store.put(d);
  }
  return store;
}

describe('Real Flink 2.2.1 scrapes: the metric names the product queries', () => {
  it('the fixture is a real scrape of the demo job under load: two source subtasks with a backlog', () => {
    expect(values(METRIC_NAMES.flink.busyTimeMsPerSecond)).toHaveLength(2);
    expect(TM.find((s) => s.name === METRIC_NAMES.flink.busyTimeMsPerSecond)?.labels.job_name).toBe(
      demoJobNameLabel(1000, 'demo'),
    );
    expect(
      values('flink_taskmanager_job_task_operator_pendingRecords').reduce((a, v) => a + v, 0),
    ).toBeGreaterThan(0);
  });

  it('the flink-prometheus preset names series a TaskManager reports', () => {
    const tm = names(TM);
    expect(tm.has(METRIC_NAMES.flink.busyTimeMsPerSecond)).toBe(true);
    expect(tm.has(METRIC_NAMES.flink.numRecordsInPerSecond)).toBe(true);
  });

  it("the flink-pending-records preset's default name is in neither scrape: FLIP-33 pendingRecords is a source operator's, reported by the TaskManagers", () => {
    expect(names(TM).has(METRIC_NAMES.flink.pendingRecords)).toBe(false);
    expect(names(JM).has(METRIC_NAMES.flink.pendingRecords)).toBe(false);
    expect([...names(JM)].some((n) => n.startsWith('flink_jobmanager_job_'))).toBe(true);
    expect(names(TM).has('flink_taskmanager_job_task_operator_pendingRecords')).toBe(true);
  });

  it('every query of the real-run config finds the scrape in CloudWatch, with the scrape’s values, after the agent', () => {
    const store = storeOfScrape();
    const queries = queriesOfRealConfig();
    // Load, processed rate, backlog; the input rate (MSK MessagesInPerSec) comes from the broker, not a TaskManager.
    expect(queries.map((q) => q.id).sort()).toEqual(['backlog', 'input', 'n0', 'r0']);
    const got = Object.fromEntries(
      queries
        .filter((q) => q.id !== 'input')
        .map((q) => [
          q.id,
          store.query({ ...q, startMs: AT_MS - PERIOD * 1000, endMs: AT_MS + PERIOD * 1000 }).values,
        ]),
    );
    expect(got.n0).toEqual([mean(values(METRIC_NAMES.flink.busyTimeMsPerSecond))]);
    expect(got.r0).toEqual([mean(values(METRIC_NAMES.flink.numRecordsInPerSecond))]);
    expect(got.backlog).toEqual([
      values('flink_taskmanager_job_task_operator_pendingRecords').reduce((a, v) => a + v, 0),
    ]);
  });

  it('a TaskManager whose resource id the reporter rewrites is queried under the rewritten id only', () => {
    const store = storeOfScrape();
    const [n0] = queriesOfRealConfig();
    if (!n0) throw new Error('no query');
    const window = { startMs: AT_MS - PERIOD * 1000, endMs: AT_MS + PERIOD * 1000 };
    expect(
      store.query({ ...n0, ...window, dimensions: { ...n0.dimensions, TaskId: 'tm-1' } }).values,
    ).toEqual([]);
    expect(store.query({ ...n0, ...window }).values).toHaveLength(1);
    expect(n0.dimensions).toEqual({ ClusterName: REAL_CLUSTER, TaskId: TASK_ID });
  });
});
