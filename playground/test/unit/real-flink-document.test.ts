/**
 * The pure parts of a real-Flink run's report (playground/src/flink): the drain rule shared with
 * the simulator's side of docs/real-flink.md, the first scale-out after the step, and the
 * backlog at the readers' positions from scrapes and the load tool's per-partition offsets.
 */
import { describe, expect, it } from 'vitest';
import { firstScaleOutAfter } from '../../bench/sim-vs-real';
import { drainedAfter } from '../../src/flink/document';
import { readerBacklog } from '../../src/flink/live';
import type { LagReading } from '../../src/flink/load';

const OFFSET = 'flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset';
const scrape = (atMs: number, offsets: Record<number, number>) => ({
  atMs,
  samples: Object.entries(offsets).map(([p, v]) => ({ name: OFFSET, labels: { partition: p }, value: v })),
});
const reading = (epochMs: number, committed: number[], lag: number[]): LagReading => ({
  t: 0,
  epochMs,
  rate: 0,
  produced: 0,
  logEnd: 0,
  committed: 0,
  lag: 0,
  committedPerPartition: committed,
  lagPerPartition: lag,
});

describe('Function: drainedAfter', () => {
  it.each([
    ['never above the threshold: not a drain', [0, 10, 20], undefined],
    ['rises above, back under while processing', [0, 500, 900, 80], 30],
    ['still above at the end', [0, 500, 900, 400], undefined],
  ])('%s', (_case, backlogs, expected) => {
    const samples = backlogs.map((b, i) => ({ t: 100 + i * 10, backlog: b }));
    expect(drainedAfter(samples, 100, 100).seconds).toBe(expected);
  });

  it('does not count a moment the job was not processing (a restart reads as an empty backlog)', () => {
    const samples = [
      { t: 0, backlog: 500 },
      { t: 10, backlog: 50, processing: false },
      { t: 20, backlog: 60, processing: true },
    ];
    expect(drainedAfter(samples, 0, 100)).toEqual({ seconds: 20, peak: 500 });
  });

  it('ignores what came before the step', () => {
    expect(
      drainedAfter(
        [
          { t: 0, backlog: 900 },
          { t: 10, backlog: 0 },
        ],
        5,
        100,
      ).seconds,
    ).toBeUndefined();
  });
});

describe('Function: firstScaleOutAfter', () => {
  it('takes the first raise at or after the step, not an earlier one nor a lowering', () => {
    const changes = [
      { atSeconds: 120, from: 1, to: 2 },
      { atSeconds: 200, from: 2, to: 1 },
      { atSeconds: 260, from: 1, to: 4 },
    ];
    expect(firstScaleOutAfter(changes, 150)).toBe(110);
    expect(firstScaleOutAfter(changes, 300)).toBeNull();
  });
});

describe('Function: readerBacklog', () => {
  it('sums log end − (position + 1) per partition, each with the reading nearest its TaskManager’s scrape', () => {
    const readings = [reading(1000, [10, 20], [5, 5]), reading(61_000, [100, 200], [50, 50])];
    // TaskManager 1 reads partition 0, scraped at 2 s; TaskManager 2 reads partition 1, scraped at 60 s.
    const scrapes = [scrape(2000, { 0: 12 }), scrape(60_000, { 1: 239 })];
    // p0: log end 15 − 13 = 2; p1: log end 250 − 240 = 10.
    expect(readerBacklog(scrapes, readings, 2)).toBe(12);
  });

  it('is undefined until every partition was seen, or without per-partition readings', () => {
    const readings = [reading(1000, [10, 20], [5, 5])];
    expect(readerBacklog([scrape(1000, { 0: 1 })], readings, 2)).toBeUndefined();
    const bare = { ...readings[0], lagPerPartition: undefined } as unknown as LagReading;
    expect(readerBacklog([scrape(1000, { 0: 1, 1: 1 })], [bare], 2)).toBeUndefined();
  });
});
