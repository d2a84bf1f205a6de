/**
 * Measures how long the failover function takes to give a killed or a hung TaskManager's
 * partitions a live owner again, in simulation (the real failover handler on the local ECS,
 * whose task events carry no health, as AWS's do). Faults are spread over the minute so the
 * schedule's tick (every 60 s) is hit at every phase.
 *
 *   npx tsx playground/bench/failover-detection.ts                    # with the containers' health check
 *   npx tsx playground/bench/failover-detection.ts --no-health-check  # the metric heartbeat alone
 */
import { simulatePolicy } from '../src/engine';
import { failoverScenario } from './failover-scenario';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const PHASES = [0, 10, 20, 30, 40, 50];
const faults = PHASES.flatMap((phase, i) => [
  { atSeconds: 600 + i * 1200 + phase, kind: 'kill' as const },
  { atSeconds: 1200 + i * 1200 + phase, kind: 'hang' as const },
]);
const loaded = failoverScenario('failover-detection', 600 + PHASES.length * 1200 + 600, faults);
const healthCheck = !process.argv.includes('--no-health-check');
const { run } = await simulatePolicy(loaded, 'rate', { healthCheck });
console.log(
  healthCheck ? 'with the containers’ health check' : 'without a health check: the metric heartbeat alone',
);
const f = run.result.failover;
for (const kind of ['kill', 'hang']) {
  const times = f.events.filter((e) => e.kind === kind).map((e) => e.reassignedAfterSeconds);
  const known = times.filter((t): t is number => t !== null);
  console.log(
    `${kind}: reassigned after ${times.map((t) => (t === null ? 'never' : `${t} s`)).join(', ')}` +
      ` (min ${Math.min(...known)} s, max ${Math.max(...known)} s)`,
  );
}
console.log(
  `max unowned ${f.maxUnownedSeconds} s, double-owned partition-seconds ${f.doubleOwnedPartitionSeconds}`,
);
