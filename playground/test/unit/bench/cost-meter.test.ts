import { describe, expect, it } from 'vitest';
import { CostMeter, metricIdsInRequestBody, queryKind } from '../../../bench/cost-meter';
import { emfLogLine, scrapeToEmf, taskManagerScrape } from '../../../src/collector';
import { SIM_EPOCH_MS, simAgentConfig } from '../../../src/engine';

const stat = { Metric: { Namespace: 'N', MetricName: 'm' }, Period: 60, Stat: 'Sum' };

describe('Function: metricIdsInRequestBody', () => {
  it.each([
    {
      name: 'JSON: the queries with a MetricStat, not the expressions',
      body: JSON.stringify({
        MetricDataQueries: [
          { Id: 'h0', MetricStat: stat },
          { Id: 'h1', MetricStat: stat },
          { Id: 'e', Expression: 'h0 + h1' },
        ],
      }),
      ids: ['h0', 'h1'],
    },
    { name: 'JSON: no queries', body: '{}', ids: [] },
    {
      name: 'query protocol: one metric per member with MetricStat fields',
      body: new URLSearchParams({
        Action: 'GetMetricData',
        'MetricDataQueries.member.1.Id': 'fh',
        'MetricDataQueries.member.1.MetricStat.Metric.Namespace': 'N',
        'MetricDataQueries.member.1.MetricStat.Metric.MetricName': 'm',
        'MetricDataQueries.member.1.MetricStat.Period': '60',
        'MetricDataQueries.member.1.MetricStat.Stat': 'SampleCount',
        'MetricDataQueries.member.2.Id': 'x',
        'MetricDataQueries.member.2.Expression': 'fh * 2',
        'MetricDataQueries.member.3.Id': 'jb',
        'MetricDataQueries.member.3.MetricStat.Stat': 'Maximum',
      }).toString(),
      ids: ['fh', 'jb'],
    },
  ])('$name → $ids', ({ body, ids }) => {
    expect(metricIdsInRequestBody(body)).toEqual(ids);
  });
});

describe('Function: queryKind', () => {
  it.each([
    { id: 'h12', kind: 'h' },
    { id: 'fbmax', kind: 'fbmax' },
    { id: 'fh', kind: 'fh' },
    { id: 'b0', kind: 'b' },
  ])('$id → $kind', ({ id, kind }) => {
    expect(queryKind(id)).toBe(kind);
  });
});

describe('Class: CostMeter, the agents’ log events', () => {
  const def = simAgentConfig();
  const samples = taskManagerScrape({ taskId: 'tm-a', busyMs: 600, sourceRate: 400 });
  const HOUR = 3_600_000;

  it('counts the EMF events of the scrapes that close the first minute of an hour, from the count start on', () => {
    // Prepare
    const meter = new CostMeter(SIM_EPOCH_MS + HOUR, def);
    const lines = scrapeToEmf(samples, def, 0).map((e) => emfLogLine(e, def));
    // Act: before the count start; the first minute of hour 1 (twice); its second minute.
    meter.onScrape(samples, SIM_EPOCH_MS + 30_000);
    meter.onScrape(samples, SIM_EPOCH_MS + HOUR + 30_000);
    meter.onScrape(samples, SIM_EPOCH_MS + HOUR + 60_000);
    meter.onScrape(samples, SIM_EPOCH_MS + HOUR + 90_000);
    // Assess
    expect(meter.agentLogs.sampledMinutes.size).toBe(1);
    expect(meter.agentLogs.events).toBe(2 * lines.length);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const bytes = scrapeToEmf(samples, def, SIM_EPOCH_MS + HOUR + 30_000)
      .concat(scrapeToEmf(samples, def, SIM_EPOCH_MS + HOUR + 60_000))
      .reduce((a, e) => a + Buffer.byteLength(emfLogLine(e, def)), 0);
    expect(meter.agentLogs.bytes).toBe(bytes);
  });

  it('counts nothing without the agents’ definition', () => {
    const meter = new CostMeter(SIM_EPOCH_MS);
    meter.onScrape(samples, SIM_EPOCH_MS + 30_000);
    expect(meter.agentLogs.events).toBe(0);
  });
});
