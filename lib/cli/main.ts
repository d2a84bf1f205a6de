/**
 * The `flink-ecs-autoscaler` command line. Errors are one line on stderr and a non-zero
 * exit code, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_FAILURE, exitCodeFor, oneLine } from './errors.js';
import { registerLocalCommands } from './local.js';
import { PROGRAM_EXAMPLES, registerOperatorCommands } from './operator.js';
import { loadPlayground, type SimulateCommandOptions } from './playground.js';

export function buildProgram(): Command {
  const program = new Command('flink-ecs-autoscaler')
    .description(
      'Autoscaler and partition-ownership control plane for Apache Flink TaskManagers on Amazon ECS',
    )
    .exitOverride()
    .showHelpAfterError(false)
    // Commander's own errors (unknown command, bad option value) as one line too.
    .configureOutput({ outputError: (text, write) => write(`${oneLine(text)}\n`) })
    .addHelpText('after', PROGRAM_EXAMPLES);

  program
    .command('simulate')
    .description('Run a scenario through the real functions against the embedded local cloud')
    .option('--scenario <file>', 'scenario JSON file')
    .option('--demo', 'run the built-in demo scenario (a compressed day with faults and a manual rescale)')
    .option(
      '--policy <policy>',
      'policy to simulate: rate, threshold, a baseline (see docs/benchmarks.md), or all = every one',
      'rate',
    )
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--timeline', 'add a timeline sampled every 60 simulated seconds to each result')
    .option('--report <file>', 'write an HTML report with charts')
    .option(
      '--decisions <file>',
      'write every evaluation (the scaler’s decision record with its inputs) as JSON lines',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  flink-ecs-autoscaler simulate --demo --report out/simulation.html\n  flink-ecs-autoscaler simulate --scenario playground/bench/scenarios/diurnal.json --policy all --json',
    )
    .action(async (opts: SimulateCommandOptions) => {
      await (await loadPlayground()).runSimulate(opts);
    });
  registerOperatorCommands(program);
  registerLocalCommands(program);
  return program;
}

/** Output piped into a reader that stops early (`… | head`) ends the command quietly, as Unix tools do. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  quietOnClosedPipe(process.stdout);
  // The SDK's multi-line Node.js support notice would break the one-line output (Node 20: DESIGN.md §7).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeFor(error);
    process.stderr.write(`error: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return error instanceof Error ? exitCodeFor(error) : EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv.slice(2));
