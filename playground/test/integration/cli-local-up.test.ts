/**
 * `local up` (playground/src/local-up) on its own: the clock follows the wall clock at the given
 * speed, the run ends with its scenario, and a taken port fails the start with one sentence.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startLocalUp } from '../../src/local-up';
import { loadScenario } from '../../src/scenario';

const SHORT = fileURLToPath(new URL('../fixtures/short.json', import.meta.url));

describe('Function: startLocalUp', () => {
  it('advances the simulated clock at about speed × wall time', async () => {
    // Prepare
    const up = await startLocalUp({ port: 0, speed: 600 });
    try {
      const [sim0, wall0] = [up.simSeconds(), performance.now()];
      // Act
      await new Promise((r) => setTimeout(r, 1500));
      // Assess
      const simulated = up.simSeconds() - sim0;
      const expected = ((performance.now() - wall0) / 1000) * 600;
      expect(simulated).toBeLessThanOrEqual(expected + 20);
      expect(simulated).toBeGreaterThan(expected / 4);
    } finally {
      await up.close();
    }
    await expect(up.done).resolves.toMatchObject({ reason: 'stopped' });
  });

  it('ends with its scenario and closes the endpoint', async () => {
    // Prepare
    const scenario = await loadScenario(SHORT);
    const reports: number[] = [];
    // Act
    const up = await startLocalUp({
      port: 0,
      speed: 10_000,
      scenario,
      reportEverySeconds: 1800,
      onReport: (s) => reports.push(s.simSeconds),
    });
    const end = await up.done;
    // Assess
    expect(end).toEqual({ reason: 'ended', simSeconds: scenario.scenario.durationSeconds });
    expect(reports).toEqual([1800, 3600, 5400, 7200]);
    await expect(
      fetch(`${up.endpoint}/2015-03-31/functions/${up.functionName}/invocations`, { method: 'POST' }),
    ).rejects.toThrow();
  });

  it('fails to start on a port in use, naming the port', async () => {
    // Prepare
    const first = await startLocalUp({ port: 0, speed: 60 });
    try {
      // Act / Assess
      await expect(startLocalUp({ port: first.port, speed: 60 })).rejects.toThrow(
        `port ${first.port}: already in use on 127.0.0.1`,
      );
    } finally {
      await first.close();
    }
  });

  it('rejects a speed or port out of range before starting anything', async () => {
    await expect(startLocalUp({ speed: 0 })).rejects.toThrow(
      'speed: must be a number above 0 and at most 10000 (got 0)',
    );
    await expect(startLocalUp({ port: 70_000 })).rejects.toThrow(
      'port: must be a whole number from 0 to 65535',
    );
  });
});
