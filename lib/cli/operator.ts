/**
 * The operator commands: `status`, `rescale`, `pause`, `resume`, `history`. Each invokes
 * the scaler function (deployed, or `local up`'s through `--endpoint`) with a manual payload
 * and prints a table or sentence, or one JSON document with `--json`. Arguments are checked
 * before anything is invoked (`rescale --to` also against the function's configured bounds);
 * errors are one line (lib/cli/errors).
 */
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { durationArg, endpointArg, formatDuration, textArg, wholeNumberArg } from './args.js';
import { NotAppliedError, UsageError, WaitError } from './errors.js';
import { decisionSentence, decisionsTable, statusText, succeeded } from './format.js';
import {
  type Decision,
  HOLD_MAX_MINUTES,
  type Invoke,
  PAUSE_MAX_MINUTES,
  REASON_MAX_CHARS,
  ScalerClient,
  STATUS_MAX_LIMIT,
} from './scaler-client.js';

export const FUNCTION_ENV = 'FLINK_AUTOSCALER_FUNCTION';
/** The control-plane stack output that names the scaler function (infra/stacks.ts). */
export const FUNCTION_OUTPUT_KEY = 'ScalerFunctionName';

export interface ConnectionOptions {
  readonly function?: string;
  readonly stack?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly json?: boolean;
}

export interface Target {
  readonly functionName: string;
  readonly endpoint?: string;
  readonly region?: string;
}

export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** The function's bounds on the TaskManager count (its config's policy.min/maxTaskManagers). */
export interface Bounds {
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
}

/** A connection to the target function. */
export interface Connection {
  readonly invoke: Invoke;
  /**
   * The function's configured bounds, read without invoking it; undefined when they cannot be
   * read (no permission, not supported), and then the function validates. Throws as an invoke
   * would for a function that is missing or unreachable.
   */
  readonly bounds?: () => Promise<Bounds | undefined>;
  close(): void;
}

/** What the commands need from the outside: ports, so tests can pass fakes. */
export interface OperatorDeps {
  readonly out: Output;
  readonly err: Output;
  readonly env: NodeJS.ProcessEnv;
  /** An invoke function (and a bounds reader) for the target, and its clean-up. */
  connect(target: Target): Promise<Connection>;
  /** The value of a CloudFormation stack output. */
  stackOutput(stack: string, key: string, region: string | undefined): Promise<string>;
}

/** The real dependencies: the AWS SDK Lambda and CloudFormation clients (loaded on first use). */
export const defaultDeps: OperatorDeps = {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  async connect(target) {
    const { LambdaInvoker } = await import('../aws/lambda-invoker.js');
    const invoker = new LambdaInvoker({
      ...target,
      onThrottled: ({ attempt, of, delayMs, error }) =>
        process.stderr.write(
          `${error.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (retry ${attempt} of ${of})\n`,
        ),
    });
    return {
      invoke: (payload) => invoker.invoke(payload),
      bounds: () => invoker.bounds(),
      close: () => invoker.destroy(),
    };
  },
  async stackOutput(stack, key, region) {
    const { stackOutput } = await import('../aws/lambda-invoker.js');
    return stackOutput(stack, key, region !== undefined ? { region } : {});
  },
};

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The function to invoke: --function, else $FLINK_AUTOSCALER_FUNCTION, else the --stack output. */
export async function resolveTarget(opts: ConnectionOptions, deps: OperatorDeps): Promise<Target> {
  const endpoint = opts.endpoint;
  const region = opts.region;
  let functionName = nonEmpty(opts.function) ?? nonEmpty(deps.env[FUNCTION_ENV]);
  if (functionName === undefined && opts.stack !== undefined) {
    functionName = await deps.stackOutput(opts.stack, FUNCTION_OUTPUT_KEY, region);
  }
  if (functionName === undefined) {
    throw new UsageError(
      `no scaler function: pass --function NAME, set ${FUNCTION_ENV}, or pass --stack STACK (its ${FUNCTION_OUTPUT_KEY} output)`,
    );
  }
  return {
    functionName,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
  };
}

async function withClient<T>(
  opts: ConnectionOptions,
  deps: OperatorDeps,
  use: (client: ScalerClient, connection: Connection) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(opts, deps);
  const connection = await deps.connect(target);
  try {
    return await use(new ScalerClient(connection.invoke, target.functionName), connection);
  } finally {
    connection.close();
  }
}

function json(deps: OperatorDeps, value: unknown): void {
  deps.out.write(`${JSON.stringify(value)}\n`);
}

/** Who asked, for the audit trail when no --reason is given. */
function operator(env: NodeJS.ProcessEnv): string {
  let user = nonEmpty(env.USER) ?? nonEmpty(env.USERNAME);
  if (user === undefined) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

// ---------------------------------------------------------------- wait

export interface WaitOptions {
  readonly target: number;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

export interface WaitOutcome {
  readonly reached: boolean;
  readonly desired: number;
  readonly running: number;
  readonly pending: number;
  readonly waitedSeconds: number;
}

/**
 * Polls `status` until the service runs `target` TaskManagers (running = desired = target).
 * Throws a WaitError on timeout, or when another decision changed the desired count.
 */
export async function waitForRunning(
  client: ScalerClient,
  opts: WaitOptions,
  progress: (line: string, final: boolean) => void,
): Promise<WaitOutcome> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  for (;;) {
    const { service } = (await client.status(1)).status;
    const outcome = {
      desired: service.desiredCount,
      running: service.runningCount,
      pending: service.pendingCount,
      waitedSeconds: Math.round(elapsed() * 10) / 10,
    };
    if (service.desiredCount !== opts.target) {
      throw new WaitError(
        `the desired count is now ${service.desiredCount}, not ${opts.target}: another decision changed it while waiting`,
      );
    }
    if (service.runningCount === opts.target) {
      progress(
        `reached: ${service.runningCount}/${opts.target} TaskManagers running after ${formatDuration(elapsed() * 1000)}`,
        true,
      );
      return { ...outcome, reached: true };
    }
    progress(
      `waiting: ${service.runningCount}/${opts.target} running, ${service.pendingCount} pending (${formatDuration(elapsed() * 1000)})`,
      false,
    );
    if (Date.now() - started + opts.intervalMs > opts.timeoutMs) {
      throw new WaitError(
        `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${opts.target} running TaskManagers: ${service.runningCount} running, ${service.pendingCount} pending`,
      );
    }
    await sleep(opts.intervalMs);
  }
}

/** Progress lines on stderr: rewritten in place on a terminal, one per change otherwise. */
function progressPrinter(err: Output): (line: string, final: boolean) => void {
  let last = '';
  return (line, final) => {
    const key = line.replace(/\s*\([^)]*\)$/, '');
    if (err.isTTY) {
      err.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (key !== last || final) {
      err.write(`${line}\n`);
    }
    last = key;
  };
}

// ---------------------------------------------------------------- actions

export interface StatusCommandOptions extends ConnectionOptions {
  readonly limit: number;
}

export async function runStatus(opts: StatusCommandOptions, deps: OperatorDeps = defaultDeps): Promise<void> {
  await withClient(opts, deps, async (client) => {
    const result = await client.status(opts.limit);
    if (opts.json) json(deps, result);
    else deps.out.write(`${statusText(client.functionName, result)}\n`);
  });
}

export async function runHistory(
  opts: StatusCommandOptions,
  deps: OperatorDeps = defaultDeps,
): Promise<void> {
  await withClient(opts, deps, async (client) => {
    const { decisions } = (await client.status(opts.limit)).status;
    if (opts.json) json(deps, decisions);
    else deps.out.write(`${decisionsTable(decisions)}\n`);
  });
}

export interface RescaleCommandOptions extends ConnectionOptions {
  readonly to: number;
  readonly hold?: number;
  readonly reason?: string;
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  readonly timeout: number;
  readonly interval: number;
}

function notApplied(action: 'rescale' | 'pause' | 'resume', d: Decision): NotAppliedError {
  return new NotAppliedError(decisionSentence(action, d));
}

/** A UsageError when `to` is outside the function's bounds (when they are known). */
export function checkBounds(to: number, bounds: Bounds | undefined): void {
  if (bounds === undefined) return;
  if (to > bounds.maxTaskManagers) {
    throw new UsageError(`--to: ${to} is above the function's maxTaskManagers (${bounds.maxTaskManagers})`);
  }
  if (to < bounds.minTaskManagers) {
    throw new UsageError(`--to: ${to} is below the function's minTaskManagers (${bounds.minTaskManagers})`);
  }
}

export async function runRescale(
  opts: RescaleCommandOptions,
  deps: OperatorDeps = defaultDeps,
): Promise<void> {
  await withClient(opts, deps, async (client, connection) => {
    // Out of bounds is bad usage, dry run or not: nothing is invoked.
    checkBounds(opts.to, await connection.bounds?.());
    const decision = await client.rescale({
      desiredCount: opts.to,
      reason: opts.reason ?? `rescale to ${opts.to} from the CLI by ${operator(deps.env)}`,
      ...(opts.hold !== undefined ? { holdMinutes: opts.hold / 60_000 } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
    });
    if (!succeeded('rescale', decision)) {
      if (opts.json) json(deps, decision);
      throw notApplied('rescale', decision);
    }
    const waiting = opts.wait === true && decision.reason !== 'DryRun';
    if (!opts.json) deps.out.write(`${decisionSentence('rescale', decision)}\n`);
    if (!waiting) {
      if (opts.json) json(deps, decision);
      return;
    }
    let outcome: WaitOutcome;
    try {
      outcome = await waitForRunning(
        client,
        { target: opts.to, timeoutMs: opts.timeout, intervalMs: opts.interval },
        progressPrinter(deps.err),
      );
    } catch (error) {
      if (opts.json && error instanceof WaitError) json(deps, { decision, wait: { reached: false } });
      throw error;
    }
    if (opts.json) json(deps, { decision, wait: outcome });
  });
}

export interface PauseCommandOptions extends ConnectionOptions {
  readonly for: number;
  readonly reason?: string;
}

export async function runPause(opts: PauseCommandOptions, deps: OperatorDeps = defaultDeps): Promise<void> {
  await withClient(opts, deps, async (client) => {
    const minutes = opts.for / 60_000;
    const decision = await client.pause(
      minutes,
      opts.reason ?? `paused from the CLI by ${operator(deps.env)}`,
    );
    if (opts.json) json(deps, decision);
    if (!succeeded('pause', decision)) throw notApplied('pause', decision);
    if (!opts.json) deps.out.write(`${decisionSentence('pause', decision)}\n`);
  });
}

export interface ResumeCommandOptions extends ConnectionOptions {
  readonly reason?: string;
}

export async function runResume(opts: ResumeCommandOptions, deps: OperatorDeps = defaultDeps): Promise<void> {
  await withClient(opts, deps, async (client) => {
    const decision = await client.resume(opts.reason);
    if (opts.json) json(deps, decision);
    if (!succeeded('resume', decision)) throw notApplied('resume', decision);
    if (!opts.json) deps.out.write(`${decisionSentence('resume', decision)}\n`);
  });
}

// ---------------------------------------------------------------- registration

const reasonOption = () =>
  new Option('--reason <text>', 'why (kept in the decision log)').argParser(textArg(REASON_MAX_CHARS));

function withConnection(cmd: Command): Command {
  return cmd
    .option('--function <name>', `scaler function name or ARN (default: $${FUNCTION_ENV})`)
    .option(
      '--stack <name>',
      `read the function name from this CloudFormation stack's ${FUNCTION_OUTPUT_KEY} output`,
    )
    .addOption(
      new Option('--endpoint <url>', 'Lambda-compatible endpoint, e.g. the one `local up` prints')
        .argParser(endpointArg)
        .env('AWS_ENDPOINT_URL_LAMBDA'),
    )
    .option('--region <region>', 'AWS region (default: the SDK default, e.g. $AWS_REGION)')
    .option('--json', 'print exactly one JSON document on stdout');
}

const CONNECTION_HELP = `
The function is named by --function, $${FUNCTION_ENV}, or --stack (the ${FUNCTION_OUTPUT_KEY} output).
Exit codes: 0 done, 1 failed (function error, unreachable, not applied, wait timed out), 2 bad usage.`;

function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n${CONNECTION_HELP}`;
}

export function registerOperatorCommands(program: Command, deps: OperatorDeps = defaultDeps): void {
  withConnection(
    program
      .command('status')
      .description(
        'Show the service counts, hold/pause, partition ownership, unhealthy TaskManagers and the last decisions',
      )
      .addOption(
        new Option('--limit <n>', 'how many recent decisions to show')
          .argParser(wholeNumberArg(1, STATUS_MAX_LIMIT))
          .default(5),
      ),
  )
    .addHelpText(
      'after',
      examples([
        'flink-ecs-autoscaler status --function my-app-scaler',
        'flink-ecs-autoscaler status --stack FlinkEcsAutoscaler-my-app --json | jq .status.service',
        'flink-ecs-autoscaler status --endpoint http://127.0.0.1:9500 --function flink-ecs-autoscaler-local',
      ]),
    )
    .action(async (opts: StatusCommandOptions) => runStatus(opts, deps));

  withConnection(
    program
      .command('rescale')
      .description('Force the TaskManager count now, and hold it against automatic scaling for a while')
      .addOption(
        new Option(
          '--to <count>',
          "required: the desired TaskManager count, within the function's minTaskManagers..maxTaskManagers",
        )
          .argParser(wholeNumberArg(0))
          .makeOptionMandatory(),
      )
      .addOption(
        new Option(
          '--hold <duration>',
          "keep automatic scaling off this count for this long; 0 for no hold (default: the function's, 30m)",
        ).argParser(durationArg({ minMs: 0, maxMs: HOLD_MAX_MINUTES * 60_000, wholeMinutes: true })),
      )
      .addOption(reasonOption())
      .option('--dry-run', 'ask the function what it would do; change nothing')
      .option('--wait', 'wait until the service runs the new count, showing progress')
      .addOption(
        new Option('--timeout <duration>', 'give up waiting after this long')
          .argParser(durationArg({ minMs: 1000, maxMs: 86_400_000 }))
          .default(600_000, '10m'),
      )
      .addOption(
        new Option('--interval <duration>', 'poll the status this often while waiting')
          .argParser(durationArg({ minMs: 100, maxMs: 3_600_000 }))
          .default(5000, '5s'),
      ),
  )
    .addHelpText(
      'after',
      examples([
        'flink-ecs-autoscaler rescale --to 12 --reason "campaign launch" --hold 2h --wait',
        'flink-ecs-autoscaler rescale --to 4 --dry-run',
        'flink-ecs-autoscaler rescale --to 8 --wait --timeout 15m --json',
      ]),
    )
    .action(async (opts: RescaleCommandOptions) => runRescale(opts, deps));

  withConnection(
    program
      .command('pause')
      .description('Stop automatic scaling for a while (manual rescales still work)')
      .addOption(
        new Option('--for <duration>', 'how long')
          .argParser(durationArg({ minMs: 60_000, maxMs: PAUSE_MAX_MINUTES * 60_000, wholeMinutes: true }))
          .default(3_600_000, '1h'),
      )
      .addOption(reasonOption()),
  )
    .addHelpText(
      'after',
      examples([
        'flink-ecs-autoscaler pause --for 2h --reason "Flink upgrade"',
        'flink-ecs-autoscaler pause --for 7d --json',
      ]),
    )
    .action(async (opts: PauseCommandOptions) => runPause(opts, deps));

  withConnection(
    program
      .command('resume')
      .description('Resume automatic scaling now (clears a pause and a hold)')
      .addOption(reasonOption()),
  )
    .addHelpText(
      'after',
      examples(['flink-ecs-autoscaler resume', 'flink-ecs-autoscaler resume --reason "upgrade done"']),
    )
    .action(async (opts: ResumeCommandOptions) => runResume(opts, deps));

  withConnection(
    program
      .command('history')
      .description(
        'Show the last decisions kept (changes, manual commands, alarms, changes of reason), newest first',
      )
      .addOption(
        new Option('--limit <n>', 'how many decisions')
          .argParser(wholeNumberArg(1, STATUS_MAX_LIMIT))
          .default(20),
      ),
  )
    .addHelpText(
      'after',
      examples([
        'flink-ecs-autoscaler history --limit 50',
        'flink-ecs-autoscaler history --json | jq -r ".[].reason"',
      ]),
    )
    .action(async (opts: StatusCommandOptions) => runHistory(opts, deps));
}

/** Examples for the program's own help. */
export const PROGRAM_EXAMPLES = `
Examples:
  flink-ecs-autoscaler local up                          # a local playground with a Lambda endpoint
  export ${FUNCTION_ENV}=flink-ecs-autoscaler-local AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:9500
  flink-ecs-autoscaler status
  flink-ecs-autoscaler rescale --to 8 --reason "load test" --wait
  flink-ecs-autoscaler pause --for 1h --reason "maintenance"
  flink-ecs-autoscaler resume
  flink-ecs-autoscaler history --limit 20
  flink-ecs-autoscaler simulate --demo --report out/simulation.html
`;
