/**
 * Measures how long the failover function takes to give a killed or a hung TaskManager's
 * partitions a live owner again, in simulation (the real failover handler on the local ECS,
 * whose task events carry no health, as AWS's do). Faults are spread over the minute so the
 * schedule's tick (every 60 s) is hit at every phase.
 *
 *   npx tsx playground/bench/failover-detection.ts
 */
import { simulatePolicy } from '../src/engine';
import { parseScenario, scenarioTrace } from '../src/scenario';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const PHASES = [0, 10, 20, 30, 40, 50];
const faults = PHASES.flatMap((phase, i) => [
  { atSeconds: 600 + i * 1200 + phase, kind: 'kill' as const },
  { atSeconds: 1200 + i * 1200 + phase, kind: 'hang' as const },
]);
const scenario = parseScenario({
  name: 'failover-detection',
  seed: 7,
  durationSeconds: 600 + PHASES.length * 1200 + 600,
  stepSeconds: 10,
  trace: { shape: 'constant', rate: 3000 },
  cluster: {
    partitions: 32,
    slotsPerTaskManager: 2,
    recordsPerSecondPerSlot: 500,
    initialTaskManagers: 4,
    minTaskManagers: 2,
    maxTaskManagers: 8,
    startupSeconds: 60,
    restartSeconds: 30,
    checkpointIntervalSeconds: 60,
  },
  faults,
});
const { run } = await simulatePolicy({ path: 'inline', scenario, trace: scenarioTrace(scenario) }, 'rate');
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
