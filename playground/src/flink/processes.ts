/**
 * The JVMs of a real-Flink run (Kafka, the JobManager, the TaskManagers, the load tool), each
 * started from its playground/flink/bin script in a process group of its own (what a
 * container is to ECS: a signal reaches every process of it), logging to a file of the run
 * directory. Every group started here is remembered until it exited, and killed with SIGKILL
 * when this Node process exits in any way (an `exit` handler: success, failure, Ctrl-C), so
 * no JVM outlives a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly logFile: string;
  /** Resolves when it exited: the exit code, 128 + the signal number when a signal ended it (as Docker reports it). */
  readonly exited: Promise<ProcessExit>;
  /** The exit, once it happened. */
  exit(): ProcessExit | undefined;
  /** Signals the process group (nothing if it already exited). */
  signal(signal: NodeJS.Signals): void;
}

export interface ProcessExit {
  readonly code: number;
  readonly signal?: NodeJS.Signals;
  readonly atMs: number;
}

/** Process groups alive, killed on exit. */
const live = new Map<number, string>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  });
}

/** Process groups this Node process started that have not exited yet (name by pid). */
export function liveProcesses(): ReadonlyMap<number, string> {
  return live;
}

/** SIGKILL to every group still alive (synchronous; the `exit` handler does the same). */
export function killAllNow(): void {
  for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
}

/**
 * Runs a command's `main` and exits with its code; on a throw prints `<name>: <message>` (and
 * `hint(error)`, if any) to stderr and exits 1. Every process group still alive is killed first.
 */
export function runMain(
  name: string,
  main: () => Promise<number>,
  hint: (error: unknown) => string | undefined = () => undefined,
): void {
  main()
    .then((code) => {
      killAllNow();
      process.exit(code);
    })
    .catch((error: unknown) => {
      const more = hint(error);
      process.stderr.write(`${name}: ${(error as Error).message}\n${more ? `${more}\n` : ''}`);
      killAllNow();
      process.exit(1);
    });
}

/** On SIGINT or SIGTERM: say so, SIGKILL every process group this process started, exit 130. */
export function killAllOnSignal(say: (line: string) => void): void {
  const onSignal = (signal: string) => {
    say(`${signal}: stopping every JVM of the run`);
    killAllNow();
    process.exit(130);
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
}

/** Starts a process in its own group, stdout and stderr to `logFile`. */
export function startProcess(options: StartOptions): ManagedProcess {
  installExitHook();
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  live.set(pid, options.name);
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      const number = signal ? (constants.signals[signal] ?? 0) : 0;
      exit = {
        code: code ?? 128 + number,
        ...(signal ? { signal } : {}),
        atMs: Date.now(),
      };
      resolve(exit);
    });
  });
  child.once('error', () => undefined);
  return {
    name: options.name,
    pid,
    startedAtMs: Date.now(),
    logFile: options.logFile,
    exited,
    exit: () => exit,
    signal(signal) {
      if (exit === undefined) killGroup(pid, signal);
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs` if it still runs; resolves with its exit. */
export async function stopProcess(p: ManagedProcess, graceMs = 10_000): Promise<ProcessExit> {
  p.signal('SIGTERM');
  const timer = setTimeout(() => p.signal('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}
