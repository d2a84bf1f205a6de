import { describe, expect, it } from 'vitest';
import { metricIdsInRequestBody, queryKind } from '../../../bench/cost-meter';

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
