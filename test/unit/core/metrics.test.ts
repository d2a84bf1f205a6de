import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/core/config';
import type { MetricSeries, TaskInfo } from '../../../lib/core/domain';
import {
  JOB_QUERY_IDS as J,
  jobQueries,
  resolveMetrics,
  scalerQueries,
  sourcesShort,
  summarizeJob,
  summarizeMetrics,
  summarizePerTask,
} from '../../../lib/core/metrics';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
const base = { appId: 'a', ecs: { cluster: 'c', service: 's' }, partitions: 8 };
const flink = resolveMetrics(
  parseConfig({ ...base, metrics: { backlog: { preset: 'flink-pending-records' } } }),
);
const seed = resolveMetrics(parseConfig({ ...base, metrics: { preset: 'seed' } }));

function series(
  id: string,
  points: [number, number][],
  status: MetricSeries['status'] = 'Complete',
): MetricSeries {
  return { id, timestamps: points.map(([m]) => NOW - m * MIN), values: points.map(([, v]) => v), status };
}

function task(id: string, startedMinutesAgo = 60): TaskInfo {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:1:task/c/${id}`,
    taskId: id,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    startedAt: new Date(NOW - startedMinutesAgo * MIN),
  };
}

const tasks = [task('t1'), task('t2'), task('t3')];
const fleet = { tasks, runningCount: 3 };

/**
 * Three TaskManagers scraped twice a period (k = 2) for the periods starting 3, 2 and 1 minutes
 * ago: the bottleneck at 600 ms/s, 300 records/s each, a backlog of 1,000 then 1,600 then 2,200
 * records over 6 source subtasks. `patch` replaces one series.
 */
function fleetSeries(patch: Partial<Record<string, MetricSeries>> = {}): MetricSeries[] {
  const out: Record<string, MetricSeries> = {
    [J.busy]: series(J.busy, [
      [3, 600],
      [2, 600],
      [1, 600],
    ]),
    [J.throughput]: series(J.throughput, [
      [3, 1800],
      [2, 1800],
      [1, 1800],
    ]),
    [J.heartbeat]: series(J.heartbeat, [
      [3, 6],
      [2, 6],
      [1, 6],
    ]),
    [J.backlogSum]: series(J.backlogSum, [
      [3, 2000],
      [2, 3200],
      [1, 4400],
    ]),
    [J.backlogCount]: series(J.backlogCount, [
      [3, 12],
      [2, 12],
      [1, 12],
    ]),
    ...patch,
  } as Record<string, MetricSeries>;
  return Object.values(out);
}

describe('Function: jobQueries / scalerQueries', () => {
  it('asks for the bottleneck’s busy time, the throughput, the heartbeat count and the backlog of the service', () => {
    const q = jobQueries(flink);
    expect(q.map((x) => `${x.id}:${x.stat}`)).toEqual([
      'jb:Maximum',
      'jt:Sum',
      'jh:SampleCount',
      'bs:Sum',
      'bc:SampleCount',
    ]);
    expect(new Set(q.map((x) => JSON.stringify(x.dimensions)))).toEqual(
      new Set([JSON.stringify({ ClusterName: 'c', ServiceName: 's' })]),
    );
  });

  it.each([3, 50, 500])('a rate tick asks for as many metrics at %i TaskManagers as at one', (n) => {
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    expect(scalerQueries(flink, 'rate', ids)).toEqual(scalerQueries(flink, 'rate', ['t0']));
  });

  it('the threshold rule (per TaskManager by definition) asks for each TaskManager’s busiest subtask', () => {
    const q = scalerQueries(flink, 'threshold', ['t1', 't2']);
    expect(q.map((x) => `${x.id}:${x.stat}:${x.dimensions.TaskId}`)).toEqual([
      'n0:Maximum:t1',
      'n1:Maximum:t2',
    ]);
  });

  it('the seed preset has no job-level series: numerator and denominator per TaskManager', () => {
    const q = scalerQueries(seed, 'rate', ['t1']);
    expect(q.map((x) => `${x.id}:${x.metricName}`)).toEqual(['n0:task_duration', 'd0:task_interval']);
  });
});

/** t3 gone after the oldest period (2 TaskManagers scraped since), the job's sources reporting `restartPeriod` samples in the period after. */
function lostOne(restartPeriod: number): Partial<Record<string, MetricSeries>> {
  return {
    [J.heartbeat]: series(J.heartbeat, [
      [3, 6],
      [2, 4],
      [1, 4],
    ]),
    [J.backlogCount]: series(J.backlogCount, [
      [3, 12],
      [2, restartPeriod],
      [1, 8],
    ]),
  };
}

describe('Function: summarizeJob', () => {
  it('turns the sums and counts of complete periods into the job’s throughput, bottleneck and backlog', () => {
    const s = summarizeJob(flink, fleetSeries(), fleet, NOW);
    expect(s.complete).toBe(true);
    expect(s.samples).toEqual([
      { at: NOW - 3 * MIN, processed: 900, maxBusy: 0.6, reporting: 3, backlog: 1000 },
      { at: NOW - 2 * MIN, processed: 900, maxBusy: 0.6, reporting: 3, backlog: 1600 },
      { at: NOW - MIN, processed: 900, maxBusy: 0.6, reporting: 3, backlog: 2200 },
    ]);
    expect(s.coverage).toEqual({ covered: 3, expected: 3 });
  });

  it.each([
    {
      name: 'the newest period not fully visible yet (one TaskManager’s scrapes missing)',
      patch: {
        [J.heartbeat]: series(J.heartbeat, [
          [3, 6],
          [2, 6],
          [1, 4],
        ]),
        [J.backlogSum]: series(J.backlogSum, [
          [3, 2000],
          [2, 3200],
          [1, 2900],
        ]),
      },
      complete: true,
      newest: { at: NOW - 2 * MIN, backlog: 1600 },
    },
    {
      name: 'a period that should be visible missing a TaskManager',
      patch: {
        [J.heartbeat]: series(J.heartbeat, [
          [3, 6],
          [2, 5],
          [1, 6],
        ]),
      },
      complete: false,
      newest: { at: NOW - MIN, backlog: 2200 },
    },
    {
      name: 'the backlog reported by fewer source subtasks than before (a restart)',
      patch: {
        [J.backlogCount]: series(J.backlogCount, [
          [3, 12],
          [2, 7],
          [1, 12],
        ]),
      },
      complete: false,
      // The period after a restart is partial too: the rate meters fill their 60 s window again.
      newest: { at: NOW - 3 * MIN, backlog: 1000 },
    },
    {
      name: 'a restart while the fleet shrank (4 source samples in 4 scrapes, 2 a scrape before)',
      patch: lostOne(4),
      // The period before it holds the gone TaskManager's scrapes (not usable), the one after it the meters filling again.
      running: [task('t1'), task('t2')],
      complete: false,
      newest: undefined,
    },
    {
      name: 'a TaskManager gone and the job restarted on the rest: the scrapes and the sources shrink together',
      patch: lostOne(8),
      running: [task('t1'), task('t2')],
      complete: true,
      newest: { at: NOW - MIN, backlog: 2200, reporting: 2 },
    },
    {
      name: 'one TaskManager scraped a third time in a period (a late scrape of the one before): its sums hold it twice, not used',
      patch: {
        [J.heartbeat]: series(J.heartbeat, [
          [3, 6],
          [2, 7],
          [1, 6],
        ]),
        [J.backlogCount]: series(J.backlogCount, [
          [3, 12],
          [2, 14],
          [1, 12],
        ]),
      },
      complete: true,
      newest: { at: NOW - MIN, backlog: 2200 },
      unused: NOW - 2 * MIN,
    },
    {
      name: 'no backlog datapoint in a period (the sources not running)',
      patch: {
        [J.backlogSum]: series(J.backlogSum, [
          [3, 2000],
          [1, 4400],
        ]),
      },
      complete: false,
      newest: { at: NOW - 3 * MIN, backlog: 1000 },
    },
    {
      name: 'the heartbeat count PartialData',
      patch: {
        [J.heartbeat]: series(
          J.heartbeat,
          [
            [3, 6],
            [2, 6],
            [1, 6],
          ],
          'PartialData',
        ),
      },
      complete: false,
      newest: undefined,
    },
    {
      name: 'the throughput missing from the answer',
      patch: { [J.throughput]: { id: 'unrelated', timestamps: [], values: [], status: 'Complete' as const } },
      complete: false,
      newest: undefined,
    },
  ])('$name → complete $complete', ({ patch, complete, newest, running, unused }) => {
    const view = running ? { tasks: running, runningCount: running.length } : fleet;
    const s = summarizeJob(flink, fleetSeries(patch), view, NOW);
    if (unused) expect(s.samples.map((x) => x.at)).not.toContain(unused);
    expect(s.complete).toBe(complete);
    if (newest) expect(s.samples.at(-1)).toMatchObject(newest);
    else expect(s.samples).toEqual([]);
  });

  it('a TaskManager started during a period is not expected in it, but the snapshot is partial until it is measured', () => {
    const young = { tasks: [...tasks, task('t4', 0.9)], runningCount: 4 };
    const s = summarizeJob(flink, fleetSeries(), young, NOW);
    expect(s.samples).toHaveLength(3);
    expect(s.complete).toBe(false);
    expect(s.coverage).toEqual({ covered: 3, expected: 4 });
  });

  it('ECS counting more TaskManagers running than ListTasks lists makes it partial', () => {
    expect(summarizeJob(flink, fleetSeries(), { tasks, runningCount: 4 }, NOW).complete).toBe(false);
  });

  it('a stale newest period is not fresh data', () => {
    const old = summarizeJob(flink, fleetSeries(), fleet, NOW + 4 * MIN);
    expect(old.complete).toBe(false);
  });

  it('ignores the periods before notBeforeMs (settling)', () => {
    const s = summarizeJob(flink, fleetSeries(), fleet, NOW, { notBeforeMs: NOW - 2 * MIN });
    expect(s.samples.map((x) => x.at)).toEqual([NOW - 2 * MIN, NOW - MIN]);
  });
});

describe('Function: sourcesShort', () => {
  it.each([
    // [source samples, TaskManager scrapes, most sources a scrape in the window, short]
    [12, 6, 2, false], // every scrape carried its 2 sources
    [10, 6, 2, true], // one scrape without its sources (a restart began before it)
    [11, 6, 2, true], // one source subtask missing from one scrape (region failover restarts it alone)
    [8, 4, 2, false], // two TaskManagers fewer (a kill): both counts shrink
    [1, 2, 1, true], // one TaskManager: its second scrape found no source (restarting)
    [2, 2, 1, false],
    [28, 4, 8, true], // 8 sources a TaskManager, one of them missing from 4 scrapes
    [20, 12, 10 / 6, false], // 10 sources on 6 TaskManagers
    [0, 0, 2, true], // nothing scraped
  ])(
    '%i source samples in %i scrapes at most %d a scrape → short %s',
    (samples, scrapes, perScrape, short) => {
      expect(sourcesShort(samples, scrapes, perScrape)).toBe(short);
    },
  );
});

describe('Function: summarizeJob / summarizeMetrics with the Kafka source’s offsets', () => {
  const offsetsConfig = resolveMetrics(
    parseConfig({
      ...base,
      metrics: { backlog: { preset: 'flink-pending-records' }, inputRate: { preset: 'flink-kafka-offsets' } },
    }),
  );
  /** Σ currentOffset per period (k = 2 samples of the sum each); the other series as fleetSeries gives them. */
  const withOffsets = (offsets: [number, number][], patch: Partial<Record<string, MetricSeries>> = {}) =>
    fleetSeries({
      // The period before the window too (queryStartMs asks for it): the first growth starts there.
      [J.busy]: series(
        J.busy,
        [4, 3, 2, 1].map((m) => [m, 600]),
      ),
      [J.heartbeat]: series(
        J.heartbeat,
        [4, 3, 2, 1].map((m) => [m, 6]),
      ),
      [J.backlogSum]: series(J.backlogSum, [
        [4, 800],
        [3, 2000],
        [2, 3200],
        [1, 4400],
      ]),
      [J.backlogCount]: series(
        J.backlogCount,
        [4, 3, 2, 1].map((m) => [m, 12]),
      ),
      [J.offsets]: series(
        J.offsets,
        offsets.map(([m, v]) => [m, 2 * v]),
      ),
      ...patch,
    }).filter((x) => x.id !== J.throughput);

  /** 900 records/s read every minute (offsets 60,000 → 114,000 → 168,000). */
  const steadyReads = (patch: Partial<Record<string, MetricSeries>> = {}) =>
    summarizeMetrics({
      resolved: offsetsConfig,
      mode: 'rate',
      taskIds: ['t1', 't2', 't3'],
      series: withOffsets(
        [
          [4, 6000],
          [3, 60_000],
          [2, 114_000],
          [1, 168_000],
        ],
        patch,
      ),
      fleet,
      nowMs: NOW,
    });

  it('asks for the offsets instead of the throughput meter', () => {
    expect(jobQueries(offsetsConfig).map((q) => q.id)).toEqual(['jb', 'jh', 'bs', 'bc', 'jo']);
  });

  it('measures the throughput as the offsets’ growth, and the input as the log end’s', () => {
    // Offsets 60,000 → 114,000 → 168,000: 900 records/s read; the backlog grows 600 a minute: 10/s more arrive.
    const snap = steadyReads();
    expect(snap.job?.map((x) => x.processed)).toEqual([900, 900, 900]);
    expect(snap.inputRate).toEqual({ mean: 910, latest: 910, previous: 910 });
    expect(snap.complete).toBe(true);
    // The newest period is complete: no floor beyond it.
    expect(snap.backlogFloor).toBeUndefined();
  });

  it('a step in the input: the newest reading, and the one before it', () => {
    // The newest period's backlog is 120,000 higher (2,000 records/s more for a minute): log ends
    // 61,000 → 115,600 → 290,200.
    const snap = steadyReads({
      [J.backlogSum]: series(J.backlogSum, [
        [4, 800],
        [3, 2000],
        [2, 3200],
        [1, 244_400],
      ]),
    });
    expect(snap.inputRate).toEqual({ mean: 1910, latest: 2910, previous: 910 });
  });

  it('a restart’s rewind moves records back into the backlog: no throughput across it, and no input', () => {
    // At 2 minutes ago the job restarted from a checkpoint 30,000 records back (the source subtasks were
    // missing for part of it); a minute later it reads again.
    const snap = summarizeMetrics({
      resolved: offsetsConfig,
      mode: 'rate',
      taskIds: ['t1', 't2', 't3'],
      series: withOffsets(
        [
          [4, 6000],
          [3, 60_000],
          [2, 30_000],
          [1, 84_000],
        ],
        {
          [J.backlogSum]: series(J.backlogSum, [
            [4, 800],
            [3, 2000],
            [2, 63_200],
            // The log end 170,200 = 84,000 read + 86,200 waiting.
            [1, 172_400],
          ]),
          [J.backlogCount]: series(J.backlogCount, [
            [4, 12],
            [3, 12],
            [2, 7],
            [1, 12],
          ]),
        },
      ),
      fleet,
      nowMs: NOW,
    });
    // Neither the restart period nor the next has a throughput to report; the log end moved 910/s all along.
    expect(snap.job?.map((x) => x.at)).toEqual([NOW - 3 * MIN]);
    // The period before the window gives the reading before the newest.
    expect(snap.inputRate).toEqual({ mean: 910, latest: 910, previous: 910 });
    expect(snap.complete).toBe(false);
    // The newest period is not usable, but its sources report 172,400 / 2 records waiting at least.
    expect(snap.backlogFloor).toEqual({ at: NOW - MIN, records: 86_200 });
  });
});

describe('Function: summarizeMetrics', () => {
  it('the Flink backlog is the newest complete period’s, its slope over the complete ones', () => {
    const snap = summarizeMetrics({
      resolved: flink,
      mode: 'rate',
      taskIds: ['t1', 't2', 't3'],
      series: fleetSeries(),
      fleet,
      nowMs: NOW,
    });
    expect(snap.complete).toBe(true);
    expect(snap.backlog).toEqual({ latest: 2200, at: NOW - MIN, unit: 'records', slopePerSecond: 10 });
    expect(snap.job).toHaveLength(3);
  });
});

describe('Function: summarizePerTask', () => {
  const perTaskFlink = resolveMetrics(parseConfig({ ...base }));

  it('turns busyTimeMsPerSecond into a busy fraction', () => {
    const s = summarizePerTask(
      perTaskFlink,
      ['t1'],
      [
        series('n0', [
          [3, 500],
          [2, 700],
          [1, 900],
        ]),
      ],
      NOW,
    );
    expect(s.taskManagers[0]?.load).toBeCloseTo(0.7, 9);
    expect(s.taskManagers[0]?.samples.at(-1)).toEqual({ at: NOW - MIN, load: 0.9 });
  });

  it('divides task_duration by task_interval (the seed load)', () => {
    const s = summarizePerTask(seed, ['t1'], [series('n0', [[1, 30]]), series('d0', [[1, 60]])], NOW);
    expect(s.taskManagers[0]?.load).toBe(0.5);
  });

  it.each([
    { name: 'PartialData', s: [series('n0', [[1, 500]], 'PartialData')] },
    { name: 'no result for a query', s: [] },
    { name: 'stale datapoints only', s: [series('n0', [[5, 500]])] },
    { name: 'no datapoints', s: [series('n0', [])] },
  ])('a TaskManager with $name is missing', ({ s }) => {
    const out = summarizePerTask(perTaskFlink, ['t1'], s, NOW);
    expect(out.missing).toEqual(['t1']);
    expect(out.taskManagers).toEqual([]);
  });

  it('ignores non-finite values and zero denominators', () => {
    const out = summarizePerTask(
      seed,
      ['t1'],
      [
        series('n0', [
          [2, 30],
          [1, Number.NaN],
        ]),
        series('d0', [
          [2, 0],
          [1, 60],
        ]),
      ],
      NOW,
    );
    expect(out.missing).toEqual(['t1']);
  });
});
