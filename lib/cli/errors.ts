/**
 * The CLI's errors and exit codes. Every error reaches the terminal as one line on stderr:
 * `error: <message>`, never a stack trace.
 */
import { CommanderError } from 'commander';
import { AutoscalerError } from '../core/errors.js';

/** Exit codes: 0 done; 1 the command failed (function error, unreachable, not applied, timed out); 2 bad usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong or incomplete (detected before anything is invoked). */
export class UsageError extends AutoscalerError {}

/** The function answered, but did not do what was asked (e.g. LostRace, ApplyFailed). */
export class NotAppliedError extends AutoscalerError {}

/** `--wait` gave up: the timeout passed, or another decision changed the desired count meanwhile. */
export class WaitError extends AutoscalerError {}

/** Commander's own exits that are not errors (help and version output). */
const COMMANDER_NON_ERRORS: ReadonlySet<string> = new Set([
  'commander.helpDisplayed',
  'commander.help',
  'commander.version',
]);

/** Any message as a single line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The exit code for an error thrown out of the program. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    return COMMANDER_NON_ERRORS.has(error.code) ? error.exitCode : EXIT_USAGE;
  }
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
