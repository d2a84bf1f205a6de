/**
 * The simulator's scenario file: what load arrives (a CSV trace or generated shapes), the
 * Flink cluster it arrives at, the faults and manual invokes on the way, and the alarms
 * the simulated CloudWatch evaluates. Validated with zod; every error names its field.
 * Everything here is pure except `loadScenario`, which reads the files.
 *
 * ```json
 * {"name": "demo", "seed": 7, "durationSeconds": 21600, "stepSeconds": 10,
 *  "trace": {"shapes": [{"shape": "diurnal", "base": 1200, "peak": 5500, "periodSeconds": 21600},
 *                       {"shape": "spike", "atSeconds": 14400, "durationSeconds": 1200, "factor": 2}]},
 *  "cluster": {"partitions": 32, "slotsPerTaskManager": 2, "recordsPerSecondPerSlot": 500,
 *              "initialTaskManagers": 2, "maxTaskManagers": 24},
 *  "faults": [{"atSeconds": 7200, "kind": "kill"}],
 *  "manual": [{"atSeconds": 3000, "payload": {"action": "rescale", "desiredCount": 6}}]}
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AutoscalerError } from 'flink-ecs-autoscaler/lib/core/errors';
import { isRecord } from 'flink-ecs-autoscaler/lib/core/values';
import * as z from 'zod';
import { BaselineSettingsSchema } from './baselines/registry';
import { Rng } from './rng';
import { DATASET_NAMES, datasetTrace } from './traces';

/** The scenario or its trace is invalid. `problems` holds one "field.path: message" per issue. */
export class ScenarioError extends AutoscalerError {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------- schema

const seconds = z.number().min(0);
const positiveSeconds = z.number().positive();
/** Records per second. */
const rate = z.number().min(0);
/** Step sizes that divide a minute, so that per-minute metrics fall on step boundaries. */
const STEP_SECONDS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60] as const;

/** A flat rate: `rate` records/s for the whole scenario. A level shape. */
const ConstantShapeSchema = z.strictObject({
  shape: z.literal('constant'),
  rate,
});

/**
 * A daily swell (cosine): `peak` records/s at `peakAtSeconds`, `base` half a period away.
 * `periodSeconds` defaults to a day; compress it to simulate a day in less time.
 * `peakAtSeconds` defaults to half a period (trough at the start). A level shape.
 */
const DiurnalShapeSchema = z
  .strictObject({
    shape: z.literal('diurnal'),
    base: rate,
    peak: rate,
    periodSeconds: positiveSeconds.default(86_400),
    peakAtSeconds: seconds.optional(),
  })
  .refine((s) => s.peak >= s.base, { path: ['peak'], message: 'must be ≥ base' });

/** `from` records/s until `atSeconds`, then linearly to `to` over `durationSeconds`, then `to`. A level shape. */
const RampShapeSchema = z.strictObject({
  shape: z.literal('ramp'),
  from: rate,
  to: rate,
  atSeconds: seconds.default(0),
  durationSeconds: positiveSeconds,
});

/** `from` records/s before `atSeconds`, `to` from then on. A level shape. */
const StepShapeSchema = z.strictObject({
  shape: z.literal('step'),
  from: rate,
  to: rate,
  atSeconds: seconds,
});

/** Multiplies the rate by `factor` during [atSeconds, atSeconds + durationSeconds). A factor below 1 is a dip. A modifier. */
const SpikeShapeSchema = z.strictObject({
  shape: z.literal('spike'),
  atSeconds: seconds,
  durationSeconds: positiveSeconds,
  factor: z.number().positive(),
});

/**
 * Multiplies the rate by a random factor drawn uniformly from [1 - noisePct/100,
 * 1 + noisePct/100], a new one every `everySeconds`; the draws come from the scenario
 * seed. A modifier.
 */
const NoiseShapeSchema = z.strictObject({
  shape: z.literal('noise'),
  noisePct: z.number().min(0).max(100),
  everySeconds: positiveSeconds.default(300),
});

export const ShapeSchema = z.discriminatedUnion('shape', [
  ConstantShapeSchema,
  DiurnalShapeSchema,
  RampShapeSchema,
  StepShapeSchema,
  SpikeShapeSchema,
  NoiseShapeSchema,
]);
export type ShapeSpec = z.infer<typeof ShapeSchema>;
export type ShapeKind = ShapeSpec['shape'];

const LEVEL_SHAPES: readonly ShapeKind[] = ['constant', 'diurnal', 'ramp', 'step'];
const NEEDS_LEVEL =
  'needs a level shape (constant, diurnal, ramp or step): spike and noise only modify a rate';

/** A trace file: a CSV with the header `time_s,input_rate`, relative to the scenario file. */
const CsvTraceSchema = z.strictObject({ csv: z.string().trim().min(1) });

/**
 * A real public trace derived from an installed dataset package at load time
 * (playground/src/traces: its median scaled to half the initial cluster's capacity).
 */
const DatasetTraceSchema = z.strictObject({ dataset: z.enum(DATASET_NAMES) });

/**
 * Generated shapes combined: rate(t) = max(0, sum of the level shapes at t) × product of
 * the modifiers at t. Sampled at the start of every step, constant over the step.
 */
const ShapesTraceSchema = z
  .strictObject({ shapes: z.array(ShapeSchema).min(1) })
  .refine((t) => t.shapes.some((s) => LEVEL_SHAPES.includes(s.shape)), {
    path: ['shapes'],
    message: NEEDS_LEVEL,
  });

/** One generated shape alone (a level shape). */
const SingleShapeSchema = ShapeSchema.refine((s) => LEVEL_SHAPES.includes(s.shape), {
  path: ['shape'],
  message: NEEDS_LEVEL,
});

const TRACE_FORMS = 'must be {"csv": FILE}, {"dataset": NAME}, one {"shape": ...} or {"shapes": [...]}';
export const TraceSpecSchema = z.union(
  [CsvTraceSchema, DatasetTraceSchema, ShapesTraceSchema, SingleShapeSchema],
  {
    error: (iss) => (iss.input === undefined ? 'is required' : TRACE_FORMS),
  },
);
export type TraceSpec = z.infer<typeof TraceSpecSchema>;

const fraction = z.number().min(0).lt(1);

/**
 * One operator of the optional `job` block; every field defaults to the default job's
 * operator at the same position (playground/src/model/job.ts). Operators joined by a
 * forward edge are chained into one task, as Flink does, unless `chain` is false.
 */
const OperatorSchema = z.strictObject({
  /** Operator name as Flink shows it (Prometheus label operator_name; a task's name joins its operators'). */
  name: z.string().trim().min(1).max(200).optional(),
  /** How records reach it from the operator before: hash (keyBy), rebalance, forward. Not for the first (the source). */
  input: z.enum(['hash', 'rebalance', 'forward']).optional(),
  /** May it be chained to the operator before it (false: startNewChain / disableChaining). */
  chain: z.boolean().optional(),
  /** Task-thread seconds per record it receives, at 100% busy. */
  costSeconds: z.number().positive().max(10).optional(),
  /** Records out per record in. */
  selectivity: z.number().min(0).max(1000).optional(),
  maxParallelism: z.number().int().min(1).max(32_768).optional(),
  /** Keyed state held by the operator, restored on every restart. */
  stateBytes: z.number().min(0).optional(),
});

/**
 * The job the ground-truth model runs (playground/src/model): its operators, key skew, overheads,
 * noise, GC, state and checkpoint details. Optional; every field has a calibrated default
 * (playground/src/model/calibration.ts).
 */
export const JobSchema = z.strictObject({
  topic: z.string().trim().min(1).max(249).optional(),
  operators: z.array(OperatorSchema).min(1).max(16).optional(),
  keys: z.number().int().min(1).max(10_000_000).optional(),
  keyZipfExponent: z.number().min(0).max(5).optional(),
  partitionZipfExponent: z.number().min(0).max(5).optional(),
  partitionWeights: z.array(z.number().min(0)).min(1).optional(),
  maxParallelism: z.number().int().min(1).max(32_768).optional(),
  remoteRecordSeconds: z.number().min(0).max(1).optional(),
  channelOverhead: fraction.optional(),
  taskManagerOverhead: fraction.optional(),
  busyNoiseCv: z.number().min(0).max(1).optional(),
  gc: z
    .strictObject({
      allocatedBytesPerRecord: z.number().min(0).optional(),
      baseAllocatedBytesPerSecond: z.number().min(0).optional(),
      youngGenBytes: z.number().positive().optional(),
      youngPauseMeanMs: z.number().positive().optional(),
      longPausesPerHour: z.number().min(0).optional(),
      longPauseMeanMs: z.number().positive().optional(),
      absorbedPauseMs: z.number().min(0).optional(),
    })
    .optional(),
  restoreBytesPerSecondPerTaskManager: z.number().positive().optional(),
  checkpoint: z
    .strictObject({
      durationSeconds: z.number().min(0).optional(),
      timeoutSeconds: positiveSeconds.optional(),
      minPauseSeconds: seconds.optional(),
      unaligned: z.boolean().optional(),
      recordBytes: z.number().positive().optional(),
      bufferBytes: z.number().int().positive().optional(),
      exclusiveBuffersPerChannel: z.number().int().min(0).optional(),
      floatingBuffersPerGate: z.number().int().min(0).optional(),
      maxBuffersPerChannel: z.number().int().min(0).optional(),
    })
    .optional(),
  rescaleCooldownSeconds: seconds.optional(),
  rescaleOnCheckpoint: z.boolean().optional(),
  registrationSeconds: seconds.optional(),
  deploySeconds: seconds.optional(),
  heartbeatTimeoutSeconds: positiveSeconds.optional(),
  cpuPerBusySecond: z.number().min(0).optional(),
  backgroundCores: z.number().min(0).optional(),
});
export type JobBlock = z.infer<typeof JobSchema>;

/** The simulated Flink cluster and its ECS service. */
export const ClusterSchema = z
  .strictObject({
    /** Partitions of the job's Kafka topic (equal rates unless job.partitionWeights / partitionZipfExponent say otherwise). */
    partitions: z.number().int().min(1).max(100_000),
    /** Task slots per TaskManager. */
    slotsPerTaskManager: z.number().int().min(1).max(256).default(1),
    /**
     * Records/s one slot's keyed operator processes at 100% busy: the default job's
     * aggregate operator costs 1/recordsPerSecondPerSlot task-thread seconds per record
     * (unless job.operators[1].costSeconds says otherwise). The job's real capacity is lower and not
     * linear in the TaskManager count (source and sink costs, network, skew, GC); the
     * baselines are configured with this figure as their user's belief.
     */
    recordsPerSecondPerSlot: z.number().positive(),
    /** Desired count of the ECS service at the start; these TaskManagers are RUNNING at t = 0. */
    initialTaskManagers: z.number().int().min(1),
    /** Bounds of the ECS service desired count in the simulator. */
    minTaskManagers: z.number().int().min(1).default(1),
    maxTaskManagers: z.number().int().min(1).max(1000),
    /** PROVISIONING → RUNNING time of a new TaskManager task. */
    startupSeconds: seconds.default(60),
    /** Flink reactive-mode restart after any change of the running TaskManagers: no processing meanwhile. */
    restartSeconds: seconds.default(30),
    /** A checkpoint completes after every this many seconds of processing; a restart replays since the last one. */
    checkpointIntervalSeconds: positiveSeconds.default(60),
    /** CPU units of the TaskManager task definition (Container Insights CpuReserved). */
    taskCpuUnits: z.number().int().min(128).max(196_608).default(1024),
    /** The job the model runs; omitted: the default job with `recordsPerSecondPerSlot` as its aggregate's rate. */
    job: JobSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.job?.partitionWeights && c.job.partitionWeights.length !== c.partitions) {
      ctx.addIssue({
        code: 'custom',
        path: ['job', 'partitionWeights'],
        message: `must have one weight per partition (${c.partitions})`,
      });
    }
    if (c.job?.operators?.[0]?.input !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['job', 'operators', 0, 'input'],
        message: 'the source has no input edge',
      });
    }
    if (c.minTaskManagers > c.maxTaskManagers) {
      ctx.addIssue({
        code: 'custom',
        path: ['minTaskManagers'],
        message: `must be ≤ maxTaskManagers (${c.maxTaskManagers})`,
      });
    }
    if (c.initialTaskManagers < c.minTaskManagers || c.initialTaskManagers > c.maxTaskManagers) {
      ctx.addIssue({
        code: 'custom',
        path: ['initialTaskManagers'],
        message: `must be between minTaskManagers (${c.minTaskManagers}) and maxTaskManagers (${c.maxTaskManagers})`,
      });
    }
  });
export type ClusterSpec = z.infer<typeof ClusterSchema>;

/**
 * A fault at `atSeconds` on `count` RUNNING TaskManagers picked with the scenario seed:
 * `kill` stops the task (ECS replaces it); `hang` freezes it (it stops processing and
 * publishing metrics, fails its health checks, and is replaced once UNHEALTHY).
 */
const FaultSchema = z.strictObject({
  atSeconds: seconds,
  kind: z.enum(['kill', 'hang']),
  count: z.number().int().min(1).default(1),
});
export type FaultSpec = z.infer<typeof FaultSchema>;

/**
 * A manual invoke of the scaler function at `atSeconds` with `payload` as its event. The
 * payload is not validated here: the scaler handler validates it (and rejects bad ones).
 */
const ManualInvokeSchema = z.strictObject({
  atSeconds: seconds,
  payload: z
    .unknown()
    .refine((p) => p !== undefined, 'is required (the scaler handler validates its content)'),
});
export type ManualInvokeSpec = z.infer<typeof ManualInvokeSchema>;

/**
 * A CloudWatch alarm the simulator evaluates every 60 s on the job, sending an alarm
 * state-change event to the scaler whenever its state changes. The value of a period:
 * `lagSeconds`: the job's lag (backlog / input rate) averaged over the 60 s;
 * `busy`: the busy fraction (0..1) averaged over the running TaskManagers and the 60 s.
 * The alarm is in ALARM when the last `evaluationPeriods` values all compare true against
 * `threshold`, OK otherwise.
 */
const AlarmSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(255),
    metric: z.enum(['lagSeconds', 'busy']),
    threshold: z.number().min(0),
    comparison: z
      .enum([
        'GreaterThanThreshold',
        'GreaterThanOrEqualToThreshold',
        'LessThanThreshold',
        'LessThanOrEqualToThreshold',
      ])
      .default('GreaterThanThreshold'),
    evaluationPeriods: z.number().int().min(1).max(1440).default(1),
  })
  .refine((a) => a.metric !== 'busy' || a.threshold <= 1, {
    path: ['threshold'],
    message: 'must be ≤ 1 for the busy metric (a fraction)',
  });
export type AlarmSpec = z.infer<typeof AlarmSchema>;

export const ScenarioSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().optional(),
    /** Seeds every random choice (noise, which TaskManager a fault hits): same seed, same run. */
    seed: z.number().int(),
    /** Simulated time; a multiple of stepSeconds. */
    durationSeconds: z
      .number()
      .int()
      .min(60)
      .max(31 * 86_400),
    /** Simulation step; divides 60 so that per-minute metrics fall on step boundaries. */
    stepSeconds: z
      .number()
      .int()
      .refine((s) => (STEP_SECONDS as readonly number[]).includes(s), {
        message: `must divide 60 (one of ${STEP_SECONDS.join(', ')})`,
      })
      .default(10),
    trace: TraceSpecSchema,
    cluster: ClusterSchema,
    /** Lag above this many seconds counts as SLO violation. */
    sloLagSeconds: positiveSeconds.default(60),
    faults: z.array(FaultSchema).default([]),
    manual: z.array(ManualInvokeSchema).default([]),
    alarms: z.array(AlarmSchema).default([]),
    /**
     * Overrides of the autoscaler's policy config (AppConfig.policy: cooldowns, stabilization,
     * catch-up, …) for this scenario; the product's config schema validates them. `mode`,
     * the bounds and the restart/checkpoint beliefs come from the simulation and the cluster.
     */
    policy: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
    /**
     * Overrides of the baselines' settings for this scenario, per baseline (default or tuned
     * variant): playground/src/baselines/registry.ts. Not used by the benchmark's test set.
     */
    baselines: BaselineSettingsSchema.default({}),
  })
  .superRefine((s, ctx) => {
    if (s.durationSeconds % s.stepSeconds !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['durationSeconds'],
        message: `must be a multiple of stepSeconds (${s.stepSeconds})`,
      });
    }
    const within = (list: readonly { atSeconds: number }[], field: string) => {
      list.forEach((item, i) => {
        if (item.atSeconds >= s.durationSeconds) {
          ctx.addIssue({
            code: 'custom',
            path: [field, i, 'atSeconds'],
            message: `must be < durationSeconds (${s.durationSeconds})`,
          });
        }
      });
    };
    within(s.faults, 'faults');
    within(s.manual, 'manual');
    const seen = new Set<string>();
    s.alarms.forEach((a, i) => {
      if (seen.has(a.name))
        ctx.addIssue({ code: 'custom', path: ['alarms', i, 'name'], message: `duplicates "${a.name}"` });
      seen.add(a.name);
    });
  });

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

// ---------------------------------------------------------------- errors naming the field

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${Number(n) === 1 ? '' : 's'}`;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
    case 'array':
      return `an ${expected}`;
    default:
      return `a ${expected}`;
  }
}

/** Plain-sentence messages for zod's issues ("must be ≥ 1", "is required"). */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'is required' : `must be ${typeName(iss.expected)}`;
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${plural(iss.minimum, 'item')}`;
      if (iss.origin === 'string')
        return Number(iss.minimum) <= 1
          ? 'must not be empty'
          : `must have at least ${plural(iss.minimum, 'character')}`;
      return `must be ${iss.inclusive ? '≥' : '>'} ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `must have at most ${plural(iss.maximum, 'item')}`;
      if (iss.origin === 'string') return `must have at most ${plural(iss.maximum, 'character')}`;
      return `must be ${iss.inclusive ? '≤' : '<'} ${iss.maximum}`;
    case 'invalid_value':
      return iss.values.length === 1
        ? `must be ${JSON.stringify(iss.values[0])}`
        : `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if (iss.errors.length === 0 && 'options' in iss && Array.isArray(iss.options)) {
        return `must be one of ${iss.options.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      return undefined;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    default:
      return undefined;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * True when an issue says the input is not of this union branch's form at all (a missing
 * distinguishing field, a field only another branch has, not even an object), as opposed
 * to a bad value inside the right form.
 */
function isFormMismatch(iss: z.core.$ZodIssue, input: unknown): boolean {
  if (iss.code === 'invalid_type') return iss.path.length === 0 || iss.input === undefined;
  if (iss.code === 'unrecognized_keys') return iss.path.length === 0;
  if (iss.code === 'invalid_union' && iss.errors.length === 0 && iss.discriminator !== undefined) {
    return !(isRecord(input) && iss.discriminator in input);
  }
  return false;
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  out: string[],
): void {
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push(`${formatPath([...path, key])}: is not a known field`);
      continue;
    }
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // Report the branch the input was meant to be (e.g. {"shape": ...}), not every branch.
      const branch = iss.errors.find((errors) => !errors.some((e) => isFormMismatch(e, iss.input)));
      if (branch) {
        describeIssues(branch, path, out);
        continue;
      }
    }
    out.push(`${formatPath(path)}: ${iss.message}`);
  }
}

/** Validates a parsed scenario object; throws ScenarioError naming every bad field. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const result = ScenarioSchema.safeParse(raw, { error: issueMessage, reportInput: true });
  if (result.success) return result.data;
  const problems: string[] = [];
  describeIssues(result.error.issues, [], problems);
  throw new ScenarioError(`invalid scenario ${source}: ${problems.join('; ')}`, problems);
}

// ---------------------------------------------------------------- traces

/**
 * Input rate over time, piecewise constant: `rates[i]` records/s from `times[i]` (seconds
 * from the scenario start) until `times[i + 1]`; the last rate holds to the end.
 * `times` starts at 0 and strictly increases.
 */
export interface Trace {
  readonly times: readonly number[];
  readonly rates: readonly number[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRACE_HEADER = 'time_s,input_rate';

/** Parses a trace CSV (header `time_s,input_rate`); errors carry the line number. */
export function parseTraceCsv(text: string, source = 'trace'): Trace {
  const fail = (line: number, message: string): never => {
    throw new ScenarioError(`${source} line ${line}: ${message}`, [`line ${line}: ${message}`]);
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/\s+/g, '');
  if (header !== TRACE_HEADER) fail(1, `the header must be "${TRACE_HEADER}", got "${lines[0] ?? ''}"`);
  const times: number[] = [];
  const rates: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const text = (lines[i] ?? '').trim();
    if (text === '') continue;
    const fields = text.split(',').map((f) => f.trim());
    if (fields.length !== 2) fail(line, `expected 2 fields (time_s,input_rate), got ${fields.length}`);
    const [timeText = '', rateText = ''] = fields;
    if (!NUMBER.test(timeText)) fail(line, `time_s "${timeText}" is not a number`);
    if (!NUMBER.test(rateText)) fail(line, `input_rate "${rateText}" is not a number`);
    const time = Number(timeText);
    const value = Number(rateText);
    if (!Number.isFinite(time) || !Number.isFinite(value)) fail(line, 'numbers must be finite');
    const previous = times.at(-1);
    if (previous === undefined && time !== 0) fail(line, `the first row must be at time_s 0, got ${time}`);
    if (previous !== undefined && time <= previous)
      fail(line, `time_s ${time} must be after the previous row's ${previous}`);
    if (value < 0) fail(line, `input_rate ${value} must be ≥ 0`);
    times.push(time);
    rates.push(value);
  }
  if (times.length === 0) fail(lines.length, 'the trace has no rows');
  return { times, rates };
}

/** The input rate at `tSeconds` (binary search; before 0 the first rate, after the last row the last rate). */
export function traceRateAt(trace: Trace, tSeconds: number): number {
  const { times, rates } = trace;
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((times[mid] ?? 0) <= tSeconds) lo = mid;
    else hi = mid - 1;
  }
  return rates[lo] ?? 0;
}

/** The highest rate of the trace within [0, durationSeconds) (the whole trace when omitted). */
export function tracePeak(trace: Trace, durationSeconds = Number.POSITIVE_INFINITY): number {
  let peak = 0;
  for (let i = 0; i < trace.times.length; i++) {
    if ((trace.times[i] ?? 0) >= durationSeconds) break;
    peak = Math.max(peak, trace.rates[i] ?? 0);
  }
  return peak;
}

export interface GenerateOptions {
  readonly seed: number;
  readonly durationSeconds: number;
  /** The shapes are sampled at the start of every step. */
  readonly stepSeconds: number;
}

type RateAt = (t: number) => number;

function levelFunction(shape: ShapeSpec): RateAt | undefined {
  switch (shape.shape) {
    case 'constant':
      return () => shape.rate;
    case 'diurnal': {
      const { base, peak, periodSeconds } = shape;
      const peakAt = shape.peakAtSeconds ?? periodSeconds / 2;
      return (t) => base + ((peak - base) * (1 + Math.cos((2 * Math.PI * (t - peakAt)) / periodSeconds))) / 2;
    }
    case 'ramp': {
      const { from, to, atSeconds, durationSeconds } = shape;
      return (t) => {
        if (t <= atSeconds) return from;
        if (t >= atSeconds + durationSeconds) return to;
        return from + ((to - from) * (t - atSeconds)) / durationSeconds;
      };
    }
    case 'step':
      return (t) => (t < shape.atSeconds ? shape.from : shape.to);
    default:
      return undefined;
  }
}

function modifierFunction(shape: ShapeSpec, index: number, options: GenerateOptions): RateAt | undefined {
  switch (shape.shape) {
    case 'spike': {
      const end = shape.atSeconds + shape.durationSeconds;
      return (t) => (t >= shape.atSeconds && t < end ? shape.factor : 1);
    }
    case 'noise': {
      // Each noise shape draws from its own stream, so adding a shape never changes another's noise.
      const rng = new Rng(options.seed).fork(`trace.shapes.${index}`);
      const amplitude = shape.noisePct / 100;
      const factors = Array.from(
        { length: Math.ceil(options.durationSeconds / shape.everySeconds) + 1 },
        () => rng.uniform(1 - amplitude, 1 + amplitude),
      );
      return (t) => factors[Math.floor(t / shape.everySeconds)] ?? 1;
    }
    default:
      return undefined;
  }
}

/**
 * Samples generated shapes into a Trace: rate(t) = max(0, Σ level shapes(t)) × Π
 * modifiers(t) at t = 0, step, 2·step, … < durationSeconds; consecutive equal rates
 * share one row. Deterministic for a given seed.
 */
export function generateTrace(shapes: readonly ShapeSpec[], options: GenerateOptions): Trace {
  const levels: RateAt[] = [];
  const modifiers: RateAt[] = [];
  shapes.forEach((shape, i) => {
    const level = levelFunction(shape);
    if (level) levels.push(level);
    const modifier = modifierFunction(shape, i, options);
    if (modifier) modifiers.push(modifier);
  });
  if (levels.length === 0) throw new ScenarioError(`trace: ${NEEDS_LEVEL}`, [`trace: ${NEEDS_LEVEL}`]);
  if (!(options.stepSeconds > 0) || !(options.durationSeconds > 0)) {
    throw new ScenarioError('trace: durationSeconds and stepSeconds must be > 0');
  }
  const times: number[] = [];
  const rates: number[] = [];
  for (let k = 0; k * options.stepSeconds < options.durationSeconds; k++) {
    const t = k * options.stepSeconds;
    let level = 0;
    for (const f of levels) level += f(t);
    let value = Math.max(0, level);
    for (const f of modifiers) value *= f(t);
    if (rates.at(-1) !== value) {
      times.push(t);
      rates.push(value);
    }
  }
  return { times, rates };
}

/** The shapes of a generated trace spec, or undefined for a CSV trace. */
export function traceShapes(spec: TraceSpec): readonly ShapeSpec[] | undefined {
  if ('csv' in spec || 'dataset' in spec) return undefined;
  if ('shapes' in spec) return spec.shapes;
  return [spec];
}

/**
 * The trace of a validated scenario. A CSV trace needs its text (`csvText`); generated
 * shapes are sampled at the scenario's step with its seed.
 */
export function scenarioTrace(scenario: Scenario, csvText?: string): Trace {
  const shapes = traceShapes(scenario.trace);
  if (shapes) {
    return generateTrace(shapes, {
      seed: scenario.seed,
      durationSeconds: scenario.durationSeconds,
      stepSeconds: scenario.stepSeconds,
    });
  }
  if ('dataset' in scenario.trace) {
    throw new ScenarioError(
      `trace.dataset: ${scenario.trace.dataset} is read by loadScenario (playground/src/traces)`,
    );
  }
  const csv = 'csv' in scenario.trace ? scenario.trace.csv : 'trace';
  if (csvText === undefined) throw new ScenarioError(`trace.csv: the text of ${csv} was not given`);
  return parseTraceCsv(csvText, csv);
}

// ---------------------------------------------------------------- loading

export interface LoadedScenario {
  /** Absolute path of the scenario file. */
  readonly path: string;
  /** The validated scenario; a CSV trace path is made absolute. */
  readonly scenario: Scenario;
  readonly trace: Trace;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new ScenarioError(`${what}: cannot read ${path} (${(cause as Error).message})`, [], { cause });
  }
}

/** Reads and validates a scenario file and its trace (a CSV path is relative to the scenario file). */
export async function loadScenario(path: string): Promise<LoadedScenario> {
  const file = resolve(path);
  const text = await readText(file, 'scenario');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ScenarioError(`scenario ${file}: not valid JSON (${(cause as Error).message})`, [], { cause });
  }
  const parsed = parseScenario(raw, file);
  if ('dataset' in parsed.trace) {
    return { path: file, scenario: parsed, trace: await datasetTrace(parsed.trace.dataset, parsed.cluster) };
  }
  if (!('csv' in parsed.trace)) return { path: file, scenario: parsed, trace: scenarioTrace(parsed) };
  const csvPath = resolve(dirname(file), parsed.trace.csv);
  const scenario: Scenario = { ...parsed, trace: { csv: csvPath } };
  return { path: file, scenario, trace: scenarioTrace(scenario, await readText(csvPath, 'trace.csv')) };
}
