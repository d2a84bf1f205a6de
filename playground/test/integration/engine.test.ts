/**
 * The engine drives the real handler through the SDK: the local cloud's request log shows
 * every ECS and CloudWatch call the scaler makes.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/engine';
import { loadScenario } from '../../src/scenario';

const SCENARIO = fileURLToPath(new URL('../fixtures/short.json', import.meta.url));

describe('Function: simulate', () => {
  it.each(['in-process', 'http'] as const)(
    'the handler reached the local cloud through the SDK (%s transport)',
    async (transport) => {
      // Prepare
      process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      const loaded = await loadScenario(SCENARIO);
      // Act
      const { requestCounts, output } = await simulate(loaded, ['rate'], { transport });
      // Assess: one scheduled tick a minute, each reading the service, the tasks and the metrics.
      const ticks = 7200 / 60;
      const calls = requestCounts.rate ?? {};
      expect(calls['ecs:DescribeServices']).toBeGreaterThanOrEqual(ticks);
      expect(calls['ecs:ListTasks']).toBeGreaterThanOrEqual(ticks);
      expect(calls['cloudwatch:GetMetricData']).toBeGreaterThanOrEqual(ticks - 5);
      expect(calls['ecs:UpdateService']).toBe(output.results[0]?.rescales);
    },
    120_000,
  );
});
