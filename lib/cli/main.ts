/**
 * The `flink-ecs-autoscaler` command line. Errors are one line on stderr and a non-zero
 * exit code, never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { POLICY_CHOICES, runSimulate } from './simulate';

export function buildProgram(): Command {
  const program = new Command('flink-ecs-autoscaler')
    .description(
      'Autoscaler and partition-ownership control plane for Apache Flink TaskManagers on Amazon ECS',
    )
    .exitOverride()
    .showHelpAfterError(false);

  program
    .command('simulate')
    .description('Run a scenario through the real functions against the embedded local cloud')
    .option('--scenario <file>', 'scenario JSON file')
    .option('--demo', 'run the built-in demo scenario (a compressed day with faults and a manual rescale)')
    .addOption(new Option('--policy <policy>', 'policy to simulate').choices(POLICY_CHOICES).default('rate'))
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--timeline', 'add a timeline sampled every 60 simulated seconds to each result')
    .option('--report <file>', 'write an HTML report with charts')
    .addHelpText(
      'after',
      '\nExamples:\n  flink-ecs-autoscaler simulate --demo --report out/simulation.html\n  flink-ecs-autoscaler simulate --scenario bench/scenarios/diurnal.json --policy all --json',
    )
    .action(async (opts) => {
      await runSimulate(opts);
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
