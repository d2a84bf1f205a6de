/**
 * Flink's meters and timers as its metric system computes them (MeterView, TimerGauge,
 * TaskIOMetricGroup#getBusyTimePerSecond), at 10 s updates, and the Prometheus text format.
 */
import { describe, expect, it } from 'vitest';
import {
  filterLabelValue,
  javaDouble,
  renderPrometheusText,
  SubtaskMeters,
} from '../../../src/model/metrics';

describe('Class: SubtaskMeters', () => {
  it('rates records over the last 60 s, counting the time before the metric existed as 0 (MeterView)', () => {
    // Prepare: 6 updates of 10 s make the window.
    const m = new SubtaskMeters(6, 10);

    // Act & Assess: 1,000 records every 10 s (100/s) ramp up: 1000/60, 2000/60, … then 100.
    const rates: number[] = [];
    for (let k = 0; k < 8; k++) {
      m.update(1000, 500, 0, 0);
      rates.push(m.numRecordsInPerSecond);
    }
    expect(rates).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 6000, 6000].map((c) => c / 60));
    expect(m.numRecordsOutPerSecond).toBe(50);
  });

  it('averages idle and back-pressured time over the filled part of the window, as integers (TimerGauge)', () => {
    const m = new SubtaskMeters(6, 10);
    m.update(0, 0, 4000, 2500); // 10 s: 400 ms/s idle, 250 ms/s back-pressured
    expect([m.idleTimeMsPerSecond, m.backPressuredTimeMsPerSecond, m.busyTimeMsPerSecond]).toEqual([
      400, 250, 350,
    ]);
    m.update(0, 0, 0, 3333); // second 10 s: busy except 333.3 ms/s back-pressured
    // idle (4000 + 0) / 20 = 200; bp (2500 + 3333) / 20 = 291.65 → 291; busy 1000 − 491.
    expect([m.idleTimeMsPerSecond, m.backPressuredTimeMsPerSecond, m.busyTimeMsPerSecond]).toEqual([
      200, 291, 509,
    ]);
  });

  it('reports 1000 ms/s busy while neither timer runs (a task INITIALIZING)', () => {
    const m = new SubtaskMeters(6, 10);
    m.update(0, 0, 0, 0);
    expect(m.busyTimeMsPerSecond).toBe(1000);
    for (let k = 0; k < 6; k++) m.update(0, 0, 10_000, 0);
    expect(m.busyTimeMsPerSecond).toBe(0); // the window has forgotten the initialization
  });
});

describe('Function: renderPrometheusText', () => {
  it('prints HELP, TYPE gauge and the series with the simpleclient’s trailing comma and Java doubles', () => {
    const text = renderPrometheusText([
      {
        name: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
        labels: { tm_id: 'a', subtask_index: '0' },
        value: 250,
      },
      {
        name: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
        labels: { tm_id: 'a', subtask_index: '1' },
        value: 0.5,
      },
    ]);
    expect(text).toBe(
      [
        '# HELP flink_taskmanager_job_task_busyTimeMsPerSecond busyTimeMsPerSecond (scope: taskmanager_job_task)',
        '# TYPE flink_taskmanager_job_task_busyTimeMsPerSecond gauge',
        'flink_taskmanager_job_task_busyTimeMsPerSecond{tm_id="a",subtask_index="0",} 250.0',
        'flink_taskmanager_job_task_busyTimeMsPerSecond{tm_id="a",subtask_index="1",} 0.5',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [0, '0.0'],
    [1000, '1000.0'],
    [12.5, '12.5'],
    [1e7, '1.0E7'],
    [2.5e-4, '2.5E-4'],
    [Number.NaN, 'NaN'],
  ])('Double.toString(%d) = %s', (v, s) => {
    expect(javaDouble(v)).toBe(s);
  });

  it('filters label values as the reporter does by default (only [a-zA-Z0-9:_] survive)', () => {
    expect(filterLabelValue('Source: kafka-source')).toBe('Source:_kafka_source');
    expect(filterLabelValue('diurnal-day')).toBe('diurnal_day');
  });
});
