/**
 * `flink-ecs-autoscaler local up`: the local playground (lib/sim/local-up) in the foreground
 * until Ctrl-C (SIGINT) or SIGTERM, which stop it cleanly, or until its scenario ends.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { positiveNumberArg, textArg, wholeNumberArg } from './args';
import { FUNCTION_ENV, type Output } from './operator';

/** Fixed by default, so the printed endpoint stays the same between runs. */
export const DEFAULT_LOCAL_PORT = 9500;

export interface LocalUpCommandOptions {
  readonly port: number;
  readonly speed: number;
  readonly scenario?: string;
  readonly policy: 'rate' | 'threshold';
  readonly function: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

export interface LocalUpIo {
  readonly out: Output;
  readonly err: Output;
  /** Where SIGINT/SIGTERM arrive. @default process */
  readonly signals: Pick<NodeJS.Process, 'once' | 'off'>;
}

function commas(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export async function runLocalUp(
  opts: LocalUpCommandOptions,
  io: LocalUpIo = { out: process.stdout, err: process.stderr, signals: process },
): Promise<void> {
  // Loaded here: the simulator is not needed by the other commands.
  const [{ LOCAL_POLICIES, startLocalUp }, { loadScenario }, { formatTime }] = await Promise.all([
    import('../sim/local-up'),
    import('../sim/scenario'),
    import('./format'),
  ]);
  const policy = LOCAL_POLICIES.find((p) => p === opts.policy) ?? 'rate';
  const scenario = opts.scenario ? await loadScenario(resolve(opts.scenario)) : undefined;
  const up = await startLocalUp({
    port: opts.port,
    speed: opts.speed,
    policy,
    functionName: opts.function,
    ...(scenario ? { scenario } : {}),
    ...(opts.quiet || opts.json
      ? {}
      : {
          onReport: (s) =>
            io.out.write(
              `[sim ${formatTime(s.at.getTime())}] input ${commas(s.inputRate)} records/s · desired ${s.desired} · running ${s.running} · pending ${s.pending}\n`,
            ),
        }),
  });
  const name = up.scenario.scenario.name;
  if (opts.json) {
    io.out.write(
      `${JSON.stringify({
        endpoint: up.endpoint,
        functionName: up.functionName,
        region: up.region,
        speed: up.speed,
        scenario: name,
        policy,
        durationSeconds: up.scenario.scenario.durationSeconds,
      })}\n`,
    );
  } else {
    io.out.write(
      [
        `local cloud up: scenario ${name}, policy ${policy}, simulated clock at ${up.speed}× real time`,
        `  endpoint  ${up.endpoint}`,
        `  function  ${up.functionName}`,
        `  region    ${up.region}`,
        '',
        'In another terminal:',
        `  export AWS_ENDPOINT_URL_LAMBDA=${up.endpoint} ${FUNCTION_ENV}=${up.functionName}`,
        '  flink-ecs-autoscaler status',
        '  flink-ecs-autoscaler rescale --to 6 --reason "try it" --wait',
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
  const stop = (signal: string) => {
    io.err.write(`${signal}: stopping the local cloud\n`);
    void up.close();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  io.signals.once('SIGINT', onInt);
  io.signals.once('SIGTERM', onTerm);
  try {
    const end = await up.done;
    const hours = (end.simSeconds / 3600).toFixed(1);
    io.err.write(
      end.reason === 'ended'
        ? `scenario ${name} ended after ${hours} simulated hours: local cloud stopped\n`
        : `local cloud stopped after ${hours} simulated hours\n`,
    );
  } finally {
    io.signals.off('SIGINT', onInt);
    io.signals.off('SIGTERM', onTerm);
  }
}

export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description(
      'A local playground: the simulated Flink cluster on the local cloud, with a Lambda endpoint',
    );
  local
    .command('up')
    .description(
      'Start the local cloud, dynalite and the simulated Flink cluster in accelerated real time, with the real scaler function behind a Lambda-compatible endpoint on 127.0.0.1',
    )
    .addOption(
      new Option('--port <port>', 'port of the Lambda endpoint on 127.0.0.1 (0: any free port)')
        .argParser(wholeNumberArg(0, 65_535))
        .default(DEFAULT_LOCAL_PORT),
    )
    .addOption(
      new Option('--speed <x>', 'simulated seconds per wall-clock second')
        .argParser(positiveNumberArg(10_000))
        .default(60),
    )
    .option(
      '--scenario <file>',
      'scenario JSON file (default: a built-in week of daily swells, 1 to 24 TaskManagers)',
    )
    .addOption(
      new Option('--policy <policy>', 'scaler policy').choices(['rate', 'threshold']).default('rate'),
    )
    .addOption(
      new Option('--function <name>', 'the name to serve the scaler function under')
        .argParser(textArg(64))
        .default('flink-ecs-autoscaler-local'),
    )
    .option('--quiet', 'no progress line every 10 simulated minutes')
    .option('--json', 'print one JSON document {endpoint, functionName, region, …} once ready')
    .addHelpText(
      'after',
      `
Examples:
  flink-ecs-autoscaler local up
  flink-ecs-autoscaler local up --port 0 --speed 600 --json
  flink-ecs-autoscaler local up --scenario sim/scenarios/demo.json --policy threshold

Then, in another terminal:
  flink-ecs-autoscaler status --endpoint http://127.0.0.1:${DEFAULT_LOCAL_PORT} --function flink-ecs-autoscaler-local`,
    )
    .action(async (opts: LocalUpCommandOptions) => runLocalUp(opts));
}
