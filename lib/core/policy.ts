/**
 * How the desired TaskManager count is computed. Two policies, both pure:
 *
 * - `threshold`: the seed's rule, literally. load_i = task_duration_i / task_interval_i,
 *   threshold = load_average * load_factor; a TaskManager above it → add one. Never scales in.
 * - `rate`: sizes the cluster in one step from the processed rate and the busy fraction
 *   (true capacity), the input rate, the backlog to catch up and the replay a restart
 *   costs, at the target utilization, aware of partition skew; and only in steps worth the
 *   restart a rescale costs (minRescaleStep).
 */
import { absorbs, deadTimeSeconds, meanRate, projectTrend, riseFloor } from './absorb.js';
import { jobCapacity, smallestCountFor, smallestCountWith } from './capacity.js';
import type { AppConfig } from './config.js';
import type { BacklogReading, CountRate, Rise } from './domain.js';
import type { JobSample, MetricsSnapshot, TaskManagerMetrics } from './metrics.js';

export interface Recommendation {
  readonly policy: 'rate' | 'threshold';
  /** The count the policy wants, before guards (bounds not applied). */
  readonly desired: number;
  /** True when there is enough data to act at all. */
  readonly hasData: boolean;
  /** The current count is close enough to what is needed: do not rescale for this. */
  readonly withinTolerance: boolean;
  /** A backlog that needs catching up exists (blocks scale-in). */
  readonly backlogPresent: boolean;
  /** The backlog in seconds of input, when the policy measures one (guards.ts, confirmGuard). */
  readonly backlogSeconds?: number;
  /**
   * The count that holds the input without its backlog (at the target utilization, with the
   * restart a rescale costs, in steps worth one): what the scale-in stabilization window
   * remembers (guards.ts). A backlog is drained once; the input is what may come back.
   * Undefined: the window remembers `desired`.
   */
  readonly sustained?: number;
  /**
   * The newest input reading is more than policy.risingInputTolerance above the one before:
   * a step may still be under way, and its first reading (the log end's growth between two
   * period averages) holds only part of it. A scale-out sized on it would need a second one
   * (guards.ts, risingInputGuard).
   */
  readonly risingInput?: boolean;
  /** Learned records/s per busy slot, kept for ticks where it cannot be measured. */
  readonly perSlotRate?: number;
  /** The input this recommendation measured (records/s), from complete periods. */
  readonly inputRate?: number;
  /** The backlog measured with it, at the newest complete period (records). */
  readonly backlog?: BacklogReading;
  readonly hot: readonly string[];
  readonly inputs: Readonly<Record<string, number | string | boolean | readonly string[]>>;
}

export interface SeedLoad {
  readonly average: number;
  readonly threshold: number;
  /** TaskManagers whose load is above the threshold, sorted by id. */
  readonly hot: readonly string[];
}

/** The seed's threshold: load_average * load_factor, and the TaskManagers above it. */
export function seedThreshold(
  loads: readonly { taskId: string; load: number }[],
  loadFactor: number,
): SeedLoad {
  if (loads.length === 0) return { average: 0, threshold: 0, hot: [] };
  const average = loads.reduce((a, l) => a + l.load, 0) / loads.length;
  const threshold = average * loadFactor;
  const hot = loads
    .filter((l) => l.load > threshold)
    .map((l) => l.taskId)
    .sort();
  return { average, threshold, hot };
}

export interface PolicyInput {
  readonly config: AppConfig;
  /** ECS desired count when read. */
  readonly current: number;
  /** TaskManagers ECS reports RUNNING (the job's parallelism is based on them). */
  readonly running: number;
  readonly metrics: MetricsSnapshot;
  /** The last learned per-slot rate, if any. */
  readonly perSlotRate?: number;
  /**
   * The input last measured from complete periods, when recent enough to stand in for it
   * (decide.ts: LAST_INPUT_MAX_AGE_SECONDS) while no period is complete.
   */
  readonly lastInputRate?: number;
  /** The backlog measured with lastInputRate, at its period: the backlog floor's growth is counted from it. */
  readonly lastBacklog?: BacklogReading;
  /**
   * The inputs (records/s, oldest first) the scale-in window's evaluations measured on complete
   * metrics (decide.ts completeInputs); undefined when fewer than half of them had complete metrics.
   */
  readonly windowInputs?: readonly number[];
  /** The input's remembered rises (policy.scaleInLookbackSeconds): a floor on scale-in. */
  readonly rises?: readonly Rise[];
  /** The per-slot rate each count showed lately, recent enough to use (decide.ts, absorb.ts keepCurve). */
  readonly capacityCurve?: readonly CountRate[];
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

/** The seed's rule: any TaskManager above load_average * load_factor → one more. */
export function thresholdPolicy(input: PolicyInput): Recommendation {
  const { metrics, current, config } = input;
  const seed = seedThreshold(metrics.taskManagers, config.policy.loadFactor);
  const hasData = metrics.taskManagers.length > 0;
  return {
    policy: 'threshold',
    desired: hasData && seed.hot.length > 0 ? current + 1 : current,
    hasData,
    withinTolerance: false,
    backlogPresent: false,
    hot: seed.hot,
    inputs: { averageLoad: round(seed.average), threshold: round(seed.threshold), hot: seed.hot },
  };
}

/**
 * Job samples from per-TaskManager samples (the presets without job-level series), by
 * timestamp: the sum of their rates, the busiest one's load.
 */
export function jobSamples(taskManagers: readonly TaskManagerMetrics[]): JobSample[] {
  const byAt = new Map<number, { processed: number; maxBusy: number; reporting: number }>();
  for (const tm of taskManagers) {
    for (const s of tm.samples) {
      const agg = byAt.get(s.at) ?? { processed: 0, maxBusy: 0, reporting: 0 };
      agg.processed += s.processedRate ?? 0;
      agg.maxBusy = Math.max(agg.maxBusy, s.load);
      agg.reporting += 1;
      byAt.set(s.at, agg);
    }
  }
  return [...byAt.entries()].sort((a, b) => a[0] - b[0]).map(([at, v]) => ({ at, ...v }));
}

/**
 * Below this busy fraction the bottleneck is too idle for its rate to tell the capacity (the
 * rate last measured above it stands: PolicyInput.perSlotRate). Where a job is lightly loaded,
 * the busiest subtask's busy time is mostly its noise and fixed costs, and the estimate falls
 * off: on the training set's bursty-day it was a median 0.79 of the model's capacity at 10-20%
 * busy and 0.67 below 10%, against 0.88-0.89 from 20% to 90% (docs/benchmarks.md, fifth round).
 * 0.2 chosen on the training set (0.05 and 0.1 equal, 0.15 and 0.2 better, 0.3 worse).
 */
export const MIN_BUSY_FOR_ESTIMATE = 0.2;

/**
 * Records/s one slot processes at 100% busy. Under equal partition rates the busiest slot
 * holds ceil(P / (N*S)) partitions, so it processes processed * ceil(P/(N*S)) / P records/s
 * at the bottleneck's busy fraction B:  perSlotRate = processed * ceil(P/(N*S)) / (P * B).
 * Averaged over the window's samples; undefined when no sample is busy enough.
 */
export function estimatePerSlotRate(
  samples: readonly JobSample[],
  partitions: number,
  slotsPerTaskManager: number,
): number | undefined {
  const estimates = samples
    .filter((s) => s.maxBusy >= MIN_BUSY_FOR_ESTIMATE && s.processed > 0 && s.reporting > 0)
    .map(
      (s) =>
        (s.processed * Math.ceil(partitions / (s.reporting * slotsPerTaskManager))) /
        (partitions * s.maxBusy),
    );
  if (estimates.length === 0) return undefined;
  return estimates.reduce((a, v) => a + v, 0) / estimates.length;
}

/** Partition-bound ceiling: beyond ceil(P / S) TaskManagers nothing is gained. */
export function usefulMaximum(partitions: number, slotsPerTaskManager: number): number {
  return Math.ceil(partitions / slotsPerTaskManager);
}

/**
 * Rate model. The cluster must hold the input at the target utilization, and drain the
 * backlog within catchUpSeconds; the headroom that the target utilization leaves is what
 * drains it, so the two are not added up:
 *     required = max(input / targetUtilization, input + backlog / catchUpSeconds)
 * When the answer differs from the current count, the rescale's restart costs
 * input * (restartSeconds + checkpointInterval / 2) more records to catch up, and while the
 * new TaskManagers start (settleSeconds - restartSeconds) the current capacity's `shortfall`
 * (input - capacity, records/s) still adds to the backlog: the count is sized for the backlog
 * the new capacity will find, so one step drains it (no second scale-out behind the first).
 * The answer is the smallest count whose skew-aware capacity covers `required`.
 */
export function requiredRate(
  inputRate: number,
  backlogRecords: number,
  policy: AppConfig['policy'],
  restart: boolean,
  shortfall = 0,
): number {
  const restartRecords = restart
    ? inputRate * (policy.restartSeconds + policy.checkpointIntervalSeconds / 2) +
      Math.max(0, shortfall) * Math.max(0, policy.settleSeconds - policy.restartSeconds)
    : 0;
  return Math.max(
    inputRate / policy.targetUtilization,
    inputRate + (backlogRecords + restartRecords) / policy.catchUpSeconds,
  );
}

/**
 * The minimum rescale step (policy.minRescaleStep): a rescale restarts the job, so it must
 * be worth one. A scale-out goes to the smallest count (up to maxCount) with at least
 * (1 + step) × the current capacity, or stays at `desired` when none has; a scale-in
 * happens only when it sheds at least `step` of the capacity or of the TaskManagers (the
 * latter frees TaskManagers that add no capacity), else the count stays.
 */
export function minimumStep(
  desired: number,
  current: number,
  c: {
    perSlotRate: number;
    partitions: number;
    slots: number;
    step: number;
    maxCount: number;
    /** Capacity by count where it is not linear in the per-slot rate (ratePolicy's capacity curve). */
    capacityOf?: (n: number) => number;
  },
): number {
  if (c.step <= 0 || desired === current || current <= 0) return desired;
  const capacity = c.capacityOf ?? ((n: number) => jobCapacity(n, c.perSlotRate, c.partitions, c.slots));
  const now = capacity(current);
  const EPS = 1e-9;
  if (desired > current) {
    for (let n = desired; n <= c.maxCount; n++) if (capacity(n) >= now * (1 + c.step) - EPS) return n;
    return desired;
  }
  const shedsCapacity = capacity(desired) <= now * (1 - c.step) + EPS;
  const shedsTaskManagers = desired <= current * (1 - c.step) + EPS;
  return shedsCapacity || shedsTaskManagers ? desired : current;
}

/**
 * A rising edge of the measured input: the newest period's rate above the one before by more
 * than `tolerance` (a fraction; 0 disables). The input from the Kafka offsets is the growth of
 * the log end between two period averages, so the first reading after a step holds about half
 * of it; the next one holds all of it.
 */
export function isRising(input: MetricsSnapshot['inputRate'], tolerance: number): boolean {
  if (tolerance <= 0 || input?.previous === undefined) return false;
  return input.latest > input.previous * (1 + tolerance);
}

/**
 * The seed's threshold where per-TaskManager loads were read (its inputs and hot TaskManagers
 * for the decision record); with job-level series only, the bottleneck's busy fraction.
 */
function loadInputs(
  metrics: MetricsSnapshot,
  loadFactor: number,
  latest: JobSample | undefined,
): { hot: readonly string[]; inputs: Record<string, number | readonly string[]> } {
  if (metrics.taskManagers.length === 0) {
    return { hot: [], inputs: latest ? { bottleneckBusy: round(latest.maxBusy) } : {} };
  }
  const seed = seedThreshold(metrics.taskManagers, loadFactor);
  return {
    hot: seed.hot,
    inputs: { averageLoad: round(seed.average), threshold: round(seed.threshold), hot: seed.hot },
  };
}

/** minimumStep's limits for this config: the job's capacity model, the minimum step, the useful and configured maximum. */
function stepLimits(
  config: AppConfig,
  perSlotRate: number,
  maxUseful: number,
): Parameters<typeof minimumStep>[2] {
  return {
    perSlotRate,
    partitions: config.partitions,
    slots: config.slotsPerTaskManager,
    step: config.policy.minRescaleStep,
    maxCount: Math.min(maxUseful, config.policy.maxTaskManagers),
  };
}

/**
 * No complete period (a job restarting again and again, a TaskManager's scrapes missing) but a
 * backlog floor (metrics.ts BacklogFloor), the input last measured and the per-slot rate: size
 * for that input plus the floor's catch-up, counting a restart, as the rate policy does with
 * complete data. Only a scale-out comes of it (a count at or below the current one is "no
 * data": the data guard keeps it), so a backlog that grows while nothing can be measured still
 * gets the capacity it needs instead of waiting for the restarts to stop.
 *
 * The input may have moved since it was measured (a spike that lands during a restart). The
 * backlog grows by input - processed, and processed ≥ 0, so the floor's growth since the backlog
 * measured with that input is a lower bound on the input since: the input sized for is the
 * higher of the two. (The floor is itself at most the backlog, so the bound stays one.)
 */
export function backlogFloorScaleOut(
  input: PolicyInput,
  perSlotRate: number | undefined,
): Omit<Recommendation, 'policy' | 'hot'> | undefined {
  const { config, metrics, current, running } = input;
  const { policy, partitions, slotsPerTaskManager: slots } = config;
  const floor = metrics.backlogFloor;
  const last = input.lastBacklog;
  if (!floor || input.lastInputRate === undefined || perSlotRate === undefined || perSlotRate <= 0) {
    return undefined;
  }
  const growth =
    last && floor.at > last.at
      ? Math.max(0, (floor.records - last.records) / ((floor.at - last.at) / 1000))
      : 0;
  const inputRate = Math.max(input.lastInputRate, growth);
  const maxUseful = Math.max(usefulMaximum(partitions, slots), 1);
  const shortfall = inputRate - jobCapacity(Math.max(running, 1), perSlotRate, partitions, slots);
  const required = requiredRate(inputRate, floor.records, policy, true, shortfall);
  const sized = smallestCountFor(required, perSlotRate, partitions, slots, maxUseful);
  const desired = minimumStep(sized, current, stepLimits(config, perSlotRate, maxUseful));
  if (desired <= current) return undefined;
  const backlogSeconds = inputRate > 0 ? floor.records / inputRate : 0;
  return {
    desired,
    hasData: true,
    withinTolerance: false,
    backlogPresent: backlogSeconds > policy.backlogToleranceSeconds,
    backlogSeconds,
    sustained: current,
    inputs: {
      estimate: 'backlog floor',
      inputRate: round(inputRate, 1),
      inputSource: growth > input.lastInputRate ? 'backlog floor growth' : 'last measured',
      backlogRecords: round(floor.records, 0),
      backlogSeconds: round(backlogSeconds, 1),
      requiredRate: round(required, 1),
      sizedCount: sized,
    },
  };
}

export function ratePolicy(input: PolicyInput): Recommendation {
  const { config, metrics, current, running } = input;
  const { policy, partitions, slotsPerTaskManager: slots } = config;
  const samples = metrics.job ? [...metrics.job] : jobSamples(metrics.taskManagers);
  const latest = samples.at(-1);
  const measured = estimatePerSlotRate(samples, partitions, slots);
  // The per-slot rate each count showed lately (absorb.ts keepCurve). The current count's
  // capacity is the highest it showed (the estimate only errs low), this window's estimate when
  // that is higher.
  const measuredAt = new Map((input.capacityCurve ?? []).map((c) => [c.count, c.perSlotRate]));
  const shown = measuredAt.get(current);
  const estimated = measured ?? input.perSlotRate;
  const perSlotRate = estimated === undefined ? shown : Math.max(estimated, shown ?? 0);
  const shownStands = perSlotRate !== undefined && (estimated === undefined || perSlotRate > estimated);
  const load = loadInputs(metrics, policy.loadFactor, latest);
  const base = { policy: 'rate' as const, hot: load.hot };
  if (!latest) {
    const floor = backlogFloorScaleOut(input, perSlotRate);
    if (floor) return { ...base, ...floor };
    return {
      ...base,
      desired: current,
      hasData: false,
      withinTolerance: false,
      backlogPresent: false,
      inputs: {},
    };
  }

  const backlogSlope = metrics.backlog?.slopePerSecond ?? 0;
  const backlogUnit = metrics.backlog?.unit ?? 'records';
  // Input = what was processed + how fast the backlog grew (in records/s).
  let inputRate: number;
  let backlogRecords: number;
  // A balance over one interval: records in = records processed + backlog growth. (The
  // latest minute's processed rate plus the window's slope would count a restart's
  // backlog twice: once as growth, once as catch-up.)
  const meanProcessed = samples.reduce((a, s) => a + s.processed, 0) / samples.length;
  if (metrics.inputRate) {
    // Measured at the source: unaffected by restarts, replays and catch-up. The newest minute
    // wins when it is higher: a rising input is never underestimated by the window's mean.
    inputRate = Math.max(metrics.inputRate.mean, metrics.inputRate.latest);
    backlogRecords = (metrics.backlog?.latest ?? 0) * (backlogUnit === 'records' ? 1 : inputRate);
  } else if (backlogUnit === 'records') {
    inputRate = Math.max(0, meanProcessed + backlogSlope);
    backlogRecords = metrics.backlog?.latest ?? 0;
  } else {
    // Lag in seconds (e.g. Kinesis iterator age): growing lag means input outruns processing.
    inputRate = Math.max(0, meanProcessed * (1 + Math.max(0, backlogSlope)));
    backlogRecords = (metrics.backlog?.latest ?? 0) * inputRate;
  }
  const backlogSeconds = inputRate > 0 ? backlogRecords / inputRate : 0;
  const backlogPresent = backlogSeconds > policy.backlogToleranceSeconds;
  // The job's own backlog in records at its period (the Flink backlog): what a later backlog
  // floor's growth is counted from (backlogFloorScaleOut).
  const read = metrics.backlog;
  const backlog =
    read?.at !== undefined && read.unit === 'records' ? { records: read.latest, at: read.at } : undefined;
  const risingInput = isRising(metrics.inputRate, policy.risingInputTolerance);
  const inputs: Record<string, number | string | boolean | readonly string[]> = {
    ...load.inputs,
    inputRate: round(inputRate, 1),
    inputSource: metrics.inputRate ? 'source' : 'balance',
    backlogRecords: round(backlogRecords, 0),
    backlogSeconds: round(backlogSeconds, 1),
    reporting: latest.reporting,
    ...(risingInput ? { risingInput } : {}),
  };

  if (perSlotRate === undefined || perSlotRate <= 0) {
    // No capacity measurement yet: keep the count unless the bottleneck is saturated.
    const saturated = latest.maxBusy >= policy.targetUtilization + policy.utilizationTolerance;
    return {
      ...base,
      desired: saturated ? current + 1 : current,
      hasData: true,
      withinTolerance: false,
      backlogPresent,
      risingInput,
      inputRate,
      inputs: { ...inputs, estimate: 'none' },
    };
  }

  const maxUseful = Math.max(usefulMaximum(partitions, slots), 1);
  // Below the current count, a per-slot rate measured there before (and higher) stands for it.
  const capacityOf = (n: number) =>
    jobCapacity(
      n,
      n < current ? Math.max(perSlotRate, measuredAt.get(n) ?? 0) : perSlotRate,
      partitions,
      slots,
    );
  // What the running TaskManagers process at the measured per-slot rate.
  const runningCapacity = jobCapacity(Math.max(running, 1), perSlotRate, partitions, slots);
  // The window's inputs, this one included, then their trend over one loop dead time
  // (absorb.ts projectTrend) once half the window is measured: in fewer readings a level step
  // would read as a ramp.
  const window = input.windowInputs ? [...input.windowInputs, inputRate] : undefined;
  const windowSteps = policy.scaleInStabilizationSeconds / config.scheduleSeconds;
  const projected =
    window && window.length * 2 >= windowSteps
      ? projectTrend(window, config.scheduleSeconds, deadTimeSeconds(config))
      : undefined;
  let required = requiredRate(inputRate, backlogRecords, policy, false);
  let desired = smallestCountWith(required, capacityOf, maxUseful);
  if (desired !== current) {
    // A scale-out is sized for the input its capacity meets when it lands: the newest reading
    // carried on the window's trend (a falling trend is not projected, so never below the
    // newest), so a ramp does not need a second scale-out behind the first.
    const sizedFor = desired > current ? (projected?.at(-1) ?? inputRate) : inputRate;
    required = requiredRate(sizedFor, backlogRecords, policy, true, sizedFor - runningCapacity);
    desired = smallestCountWith(required, capacityOf, maxUseful);
  }
  const sized = desired;
  // The minimum step (a rescale must be worth its restart) holds for a scale-in and for a
  // scale-out that catches up a backlog (whose replay during the restart the estimate
  // undercounts). A backlog-free scale-out is sized from the measured rate and its trend:
  // rounding it up to 1.4 times the capacity doubles a 2-TaskManager job where 3 carry it (32
  // partitions on 4, 6 or 8 slots). docs/benchmarks.md, fourth round: training set unchanged.
  const step = {
    ...stepLimits(config, perSlotRate, maxUseful),
    capacityOf,
    ...(desired > current && !backlogPresent ? { step: 0 } : {}),
  };
  // A scale-in goes no lower than the count that survives the input's recent rises (absorb.ts).
  const floor = Math.min(
    current,
    riseFloor(input.rises ?? [], capacityOf, {
      maxCount: maxUseful,
      target: policy.targetUtilization,
      deadSeconds: deadTimeSeconds(config),
      lagSeconds: policy.backlogToleranceSeconds,
    }),
  );
  // The floor is at most the current count: it raises a scale-in only, never a scale-out. The
  // minimum step asks whether the input leaves enough unused to be worth a restart, so it is
  // taken on the count the input needs; the floor then sets how far down that scale-in may go
  // (it may shed less than the step: 4 → 3 where the input needs 2 and a recent rise needs 3).
  // docs/benchmarks.md, fifth round: chosen on the training set (bursty-day 131.3 → 129.4).
  desired = Math.max(minimumStep(desired, current, step), floor);
  // No backlog, and the current count carries the window's inputs (this one included) and then
  // their trend for one loop dead time at its full capacity, the replay building at most
  // backlogToleranceSeconds: a peak, not a need (absorb.ts). The trend needs half the window
  // measured (before that, the window's readings alone: a backlog past the bound still scales
  // out). The training set chose this over replaying through the top of the tolerance band,
  // which scaled out on noise a hotter count rides (docs/benchmarks.md, trials P0 to P15). The
  // Flink Kubernetes operator's default scale-up bound is the same full capacity
  // (job.autoscaler.utilization.max = target + boundary = 1.0: docs/research/baselines.md).
  const absorbedPeak =
    desired > current &&
    !backlogPresent &&
    window !== undefined &&
    absorbs(
      projected ?? window,
      runningCapacity,
      meanRate(window),
      config.scheduleSeconds,
      policy.backlogToleranceSeconds,
    );
  if (absorbedPeak) desired = current;
  const holdsInput = (restart: boolean) =>
    smallestCountWith(requiredRate(inputRate, 0, policy, restart), capacityOf, maxUseful);
  const unstepped = holdsInput(false);
  const sustained = Math.max(
    minimumStep(unstepped === current ? unstepped : holdsInput(true), current, step),
    floor,
  );
  const utilization = inputRate / runningCapacity;
  const { targetUtilization: target, utilizationTolerance: tol } = policy;
  const withinTolerance =
    !backlogPresent &&
    ((desired > current && utilization <= target + tol) ||
      (desired < current && utilization >= target - tol));
  return {
    ...base,
    desired,
    hasData: true,
    withinTolerance,
    backlogPresent,
    risingInput,
    backlogSeconds,
    sustained,
    perSlotRate: measured,
    inputRate,
    ...(backlog ? { backlog } : {}),
    inputs: {
      ...inputs,
      perSlotRate: round(perSlotRate, 1),
      // 'shown': the count's recent best (capacityCurve) stands above this window's estimate.
      estimate: shownStands ? 'shown' : measured === undefined ? 'remembered' : 'measured',
      ...(shownStands && estimated !== undefined ? { estimatedPerSlotRate: round(estimated, 1) } : {}),
      requiredRate: round(required, 1),
      sizedCount: sized,
      sustainedCount: sustained,
      ...(floor > 1 ? { riseFloor: floor } : {}),
      ...(absorbedPeak ? { absorbedPeak } : {}),
      utilization: round(utilization),
      capacityAtDesired: round(capacityOf(desired), 1),
    },
  };
}

export function recommend(input: PolicyInput): Recommendation {
  return input.config.policy.mode === 'threshold' ? thresholdPolicy(input) : ratePolicy(input);
}
