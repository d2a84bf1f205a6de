/**
 * Capacity of a Flink job with P partitions spread over N TaskManagers of S slots each.
 *
 * Flink gives each slot ceil(P / (N*S)) partitions at most; the busiest slot limits the
 * whole job (backpressure), so with partitions of equal rate the job processes at most
 *     perSlotRate * P / ceil(P / (N*S))     records/s.
 * When N*S >= P only P slots have work: extra TaskManagers add nothing.
 */
export function jobCapacity(
  taskManagers: number,
  perSlotRate: number,
  partitions: number,
  slotsPerTaskManager: number,
): number {
  if (taskManagers <= 0 || perSlotRate <= 0 || partitions <= 0 || slotsPerTaskManager <= 0) return 0;
  const slots = taskManagers * slotsPerTaskManager;
  return (perSlotRate * partitions) / Math.ceil(partitions / slots);
}

/**
 * The smallest TaskManager count in [1, max] whose capacity covers `requiredRate`, or
 * `max` when none does. Because capacity is a step function of N, the smallest such N is
 * always aligned with the partitions (no TaskManager that adds no capacity).
 */
export function smallestCountFor(
  requiredRate: number,
  perSlotRate: number,
  partitions: number,
  slotsPerTaskManager: number,
  max: number,
): number {
  return smallestCountWith(
    requiredRate,
    (n) => jobCapacity(n, perSlotRate, partitions, slotsPerTaskManager),
    max,
  );
}

/** The smallest count in [1, max] whose `capacityOf` covers `requiredRate`, or `max` when none does. */
export function smallestCountWith(
  requiredRate: number,
  capacityOf: (n: number) => number,
  max: number,
): number {
  for (let n = 1; n <= max; n++) if (capacityOf(n) >= requiredRate) return n;
  return max;
}
