/**
 * issue 4 acceptance in simulation: the local ECS delivers its task events to the real
 * failover function (and the schedule reconciles); a killed TaskManager's partitions have a
 * live owner again within 5 simulated seconds of its STOPPED event, a hung one's within the
 * heartbeat timeout + one tick (150 s with the defaults).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { failoverScenario } from '../../bench/failover-scenario';
import { simulatePolicy } from '../../src/engine';
import type { PolicyResult } from '../../src/results';
import type { LoadedScenario } from '../../src/scenario';

const KILL_AT = 600;
const HANG_AT = 1200;

function loaded(): LoadedScenario {
  return failoverScenario('failover-short', 1800, [
    { atSeconds: KILL_AT, kind: 'kill' },
    { atSeconds: HANG_AT, kind: 'hang' },
  ]);
}

describe('Simulation: failover of a killed and a hung TaskManager (30 simulated minutes)', () => {
  let result: PolicyResult;

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    result = (await simulatePolicy(loaded(), 'rate')).run.result;
  }, 60_000);

  it('reports one event per fault with the partitions the victim owned in DynamoDB', () => {
    expect(result.failover.events.map((e) => [e.atSeconds, e.kind])).toEqual([
      [KILL_AT, 'kill'],
      [HANG_AT, 'hang'],
    ]);
    for (const e of result.failover.events) expect(e.partitions).toBeGreaterThan(0);
  });

  it('reassigns a killed TaskManager’s partitions within 5 s of its STOPPED event', () => {
    const kill = result.failover.events.find((e) => e.kind === 'kill');
    expect(kill?.reassignedAfterSeconds).not.toBeNull();
    expect(kill?.reassignedAfterSeconds).toBeLessThanOrEqual(5);
  });

  it('reassigns a hung TaskManager’s partitions within heartbeat timeout + one tick (150 s)', () => {
    const hang = result.failover.events.find((e) => e.kind === 'hang');
    expect(hang?.reassignedAfterSeconds).not.toBeNull();
    expect(hang?.reassignedAfterSeconds).toBeLessThanOrEqual(150);
  });

  it('never hands a partition over while its hung owner still runs, and leaves none unowned for long', () => {
    expect(result.failover.doubleOwnedPartitionSeconds).toBe(0);
    expect(result.failover.maxUnownedSeconds).toBeLessThanOrEqual(150);
    const lost = result.failover.events.reduce((n, e) => n + e.partitions, 0);
    // The bootstrap assigns all 32, each fault moves its victim's, the replacements take their share.
    expect(result.failover.partitionsMoved).toBeGreaterThanOrEqual(32 + lost);
  });
});
