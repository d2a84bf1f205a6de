/**
 * The playground (simulator, local cloud, baselines, real-Flink runtime) is a separate package
 * of this repository that depends on the product, never the other way round. The product's CLI
 * loads it only for `simulate` and `local`, by package name, and says how to get it when it is
 * not installed (the npm package of the product does not ship it).
 */
import { AutoscalerError } from '../core/errors.js';
import type { Output } from './operator.js';

export const PLAYGROUND_PACKAGE = '@flink-ecs-autoscaler/playground';

export interface SimulateCommandOptions {
  readonly scenario?: string;
  readonly demo?: boolean;
  /** A policy name, or `all`; the playground validates it (it knows the baselines). */
  readonly policy: string;
  readonly json?: boolean;
  readonly timeline?: boolean;
  readonly report?: string;
  /** A file for every evaluation of every policy, one JSON object per line. */
  readonly decisions?: string;
}

export interface LocalUpCommandOptions {
  readonly port: number;
  readonly speed: number;
  readonly scenario?: string;
  readonly policy: 'rate' | 'threshold';
  readonly function: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  /** Real Flink (Java 17): TaskManager JVMs as the service's tasks, in real time (no --speed). */
  readonly flink?: boolean;
}

export interface LocalUpIo {
  readonly out: Output;
  readonly err: Output;
  /** Where SIGINT/SIGTERM arrive. @default process */
  readonly signals: Pick<NodeJS.Process, 'once' | 'off'>;
}

/** What the playground package exports for the CLI. */
export interface PlaygroundCommands {
  runSimulate(opts: SimulateCommandOptions, io?: { out: Output; err: Output }): Promise<unknown>;
  runLocalUp(opts: LocalUpCommandOptions, io?: LocalUpIo): Promise<void>;
}

/** The playground package is not installed next to the product. */
export class PlaygroundMissingError extends AutoscalerError {}

/** The playground, loaded on first use (never by the operator commands). */
export async function loadPlayground(specifier: string = PLAYGROUND_PACKAGE): Promise<PlaygroundCommands> {
  try {
    return (await import(specifier)) as PlaygroundCommands;
  } catch (error) {
    if (isMissingModule(error, specifier)) {
      throw new PlaygroundMissingError(
        `simulate and local need the playground package (${specifier}), which is not installed: it ships with the source repository, not with the npm package. Clone the repository, run npm ci in it and run the command there.`,
        { cause: error },
      );
    }
    if (isUnloadableTypeScript(error)) {
      throw new PlaygroundMissingError(
        `the playground (${specifier}) is TypeScript and runs through tsx: start the command with the repository's bin/flink-ecs-autoscaler.js (npx flink-ecs-autoscaler in the checkout), not the compiled dist/`,
        { cause: error },
      );
    }
    throw error;
  }
}

function isUnloadableTypeScript(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
}

function isMissingModule(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && error.message.includes(specifier)
  );
}
