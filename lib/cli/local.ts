/**
 * `flink-ecs-autoscaler local up`: the local playground (the playground package) in the foreground
 * until Ctrl-C (SIGINT) or SIGTERM, which stop it cleanly, or until its scenario ends.
 */
import { type Command, Option } from 'commander';
import { positiveNumberArg, textArg, wholeNumberArg } from './args.js';
import { type LocalUpCommandOptions, loadPlayground } from './playground.js';

/** Fixed by default, so the printed endpoint stays the same between runs. */
export const DEFAULT_LOCAL_PORT = 9500;

export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description(
      'A local playground: the simulated Flink cluster on the local cloud, with a Lambda endpoint',
    );
  local
    .command('up')
    .description(
      'Start the local cloud (ECS, CloudWatch), dynalite and the simulated Flink cluster in accelerated real time, with the real scaler function behind a Lambda-compatible endpoint, all on one port of 127.0.0.1',
    )
    .addOption(
      new Option(
        '--port <port>',
        'port on 127.0.0.1 that serves every local service: ECS, CloudWatch, DynamoDB and Lambda (0: any free port)',
      )
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
    .option(
      '--flink',
      'real Apache Flink instead of the simulated cluster, in real time (--speed does not apply): Kafka, a reactive JobManager and one TaskManager JVM per ECS task (needs Java 17; the first run fetches Flink and Kafka from Maven Central and caches them)',
    )
    .option('--quiet', 'no progress line every 10 simulated minutes')
    .option(
      '--json',
      'print one JSON document {endpoints, cluster, service, tableName, functionName, region, environment, …} once ready',
    )
    .addHelpText(
      'after',
      `
Examples:
  flink-ecs-autoscaler local up
  flink-ecs-autoscaler local up --port 0 --speed 600 --json
  flink-ecs-autoscaler local up --scenario playground/scenarios/demo.json --policy threshold
  flink-ecs-autoscaler local up --flink          (real Flink; prints the JobManager's web UI and the load tool's /rate)

Then, in another terminal:
  flink-ecs-autoscaler status --endpoint http://127.0.0.1:${DEFAULT_LOCAL_PORT} --function flink-ecs-autoscaler-local
  AWS_ENDPOINT_URL_ECS=http://127.0.0.1:${DEFAULT_LOCAL_PORT} aws ecs list-clusters   (it prints every export line)`,
    )
    .action(async (opts: LocalUpCommandOptions) => (await loadPlayground()).runLocalUp(opts));
}
