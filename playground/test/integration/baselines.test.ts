/**
 * The baselines run on the engine's ticks through the same SDK clients as the scaler: they
 * read CloudWatch with GetMetricData and set the absolute count with UpdateService.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { baselineSetup } from '../../src/baselines/controller';
import { staticPeakCount } from '../../src/baselines/static-peak';
import { simulate } from '../../src/engine';
import { loadScenario } from '../../src/scenario';

const SCENARIO = fileURLToPath(new URL('../fixtures/short.json', import.meta.url));

beforeAll(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});

describe('Integration: baselines on the engine', () => {
  it('read CloudWatch and write ECS through the SDK, one UpdateService per rescale', async () => {
    // Prepare
    const loaded = await loadScenario(SCENARIO);
    // Act
    const { output, runs, requestCounts } = await simulate(loaded, ['aas-target-tracking', 'static-peak']);
    // Assess
    const [aas, peak] = output.results;
    const aasCalls = requestCounts['aas-target-tracking'] ?? {};
    const peakCalls = requestCounts['static-peak'] ?? {};
    expect(aasCalls['cloudwatch:GetMetricData']).toBeGreaterThanOrEqual(7200 / 60 - 1);
    expect(aasCalls['ecs:UpdateService'] ?? 0).toBe(aas?.rescales);
    expect(aas?.rescales).toBeGreaterThan(0);
    // static-peak: set once, to the count that covers the peak at 70%.
    expect(peak?.rescales).toBe(1);
    expect(peakCalls['ecs:UpdateService']).toBe(1);
    const expected = staticPeakCount(baselineSetup(loaded.scenario, loaded.trace));
    expect(expected).toBeGreaterThan(loaded.scenario.cluster.initialTaskManagers);
    expect(runs[1]?.timeline.at(-1)?.desired).toBe(expected);
  }, 120_000);

  it('policies run in worker threads give byte-identical results, in the order asked', async () => {
    // Prepare
    const loaded = await loadScenario(SCENARIO);
    const policies = ['static-peak', 'rate', 'aas-target-tracking'] as const;
    const progress: string[] = [];
    // Act
    const [inProcess, inWorkers] = await Promise.all([
      simulate(loaded, policies, { timeline: true }),
      simulate(loaded, policies, {
        timeline: true,
        workers: 2,
        onProgress: (policy, fraction) => {
          if (fraction === 1) progress.push(policy);
        },
      }),
    ]);
    // Assess
    expect(JSON.stringify(inWorkers.output)).toBe(JSON.stringify(inProcess.output));
    expect(JSON.stringify(inWorkers.runs)).toBe(JSON.stringify(inProcess.runs));
    expect(inWorkers.requestCounts).toEqual(inProcess.requestCounts);
    expect(inWorkers.output.results.map((r) => r.policy)).toEqual([...policies]);
    expect([...progress].sort()).toEqual([...policies].sort());
  }, 180_000);
});
