/**
 * The cluster the failover measurements run on (playground/bench/failover-detection.ts and the
 * simulate-failover test): 32 partitions on 4 TaskManagers of 2 slots, a constant 3,000
 * records/s, 60 s startup, with the given faults.
 */
import { type FaultSpec, type LoadedScenario, parseScenario, scenarioTrace } from '../src/scenario';

export function failoverScenario(
  name: string,
  durationSeconds: number,
  faults: readonly Pick<FaultSpec, 'atSeconds' | 'kind'>[],
): LoadedScenario {
  const scenario = parseScenario({
    name,
    seed: 7,
    durationSeconds,
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
  return { path: 'inline', scenario, trace: scenarioTrace(scenario) };
}
