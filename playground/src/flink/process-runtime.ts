/**
 * The local ECS's task runtime for the TaskManager service: each ECS task is one TaskManager
 * JVM (playground/flink/bin/taskmanager.sh <task id> <Prometheus port>), with
 * `taskmanager.resource-id` = the ECS task id, as the demo cluster on ECS does.
 *
 * - PENDING when the process is spawned; RUNNING when the TaskManager registered at the
 *   JobManager (its resource id is listed by Flink REST /taskmanagers);
 * - STOPPED when the process exited, with its exit code (143 after SIGTERM, 137 after
 *   SIGKILL: 128 + the signal, as Docker reports a signalled container);
 * - a stop is SIGTERM to the process group, SIGKILL after the task's stop timeout;
 * - `kill` is SIGKILL (the crash case); `hang` is SIGSTOP (alive, but answers nothing).
 *
 * The runtime keeps a record per task (pid, spawn, registration, stop, exit) for reports.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeTask, TaskLifecycle, TaskRuntime } from '../cloud/task-runtime';
import { filterLabelValue } from '../model/metrics';
import { freePort } from './cluster';
import { FLINK_PLAYGROUND_DIR } from './env';
import { type ManagedProcess, startProcess } from './processes';
import type { FlinkRest } from './rest';

/** One TaskManager process as the runtime saw it (epoch ms). */
export interface TaskProcessRecord {
  readonly taskId: string;
  pid?: number;
  prometheusPort?: number;
  /** The model launched the task. */
  readonly launchedAtMs: number;
  /** The process was spawned. */
  startedAtMs?: number;
  /** Flink REST listed its resource id. */
  registeredAtMs?: number;
  /** ECS asked it to stop (SIGTERM sent). */
  stopRequestedAtMs?: number;
  /** SIGKILL sent: after the stop timeout, or a kill fault. */
  killedAtMs?: number;
  /** SIGKILL sent by the kill fault (not a stop timeout). */
  killFault?: boolean;
  stoppedAtMs?: number;
  exitCode?: number;
  signal?: string;
  logFile?: string;
}

export interface ProcessRuntimeOptions {
  readonly rest: FlinkRest;
  /** The environment of bin/taskmanager.sh (the cluster's ports, RUN_DIR, slots). */
  readonly env: NodeJS.ProcessEnv;
  readonly runDir: string;
  /** How often REST /taskmanagers is polled while a TaskManager has not registered. @default 200 */
  readonly registrationPollMs?: number;
  readonly log?: (line: string) => void;
  /** Called when ECS's stop sends a task its SIGTERM (e.g. to read what the victim still owns at that moment). */
  readonly onSigterm?: (taskId: string, atMs: number) => void;
}

interface Entry {
  readonly record: TaskProcessRecord;
  readonly lifecycle: TaskLifecycle;
  process?: ManagedProcess;
  stopTimer?: NodeJS.Timeout;
  /** A stop or kill that arrived before the process was spawned. */
  pendingSignal?: { kind: 'stop'; timeoutSeconds: number } | { kind: 'kill' };
}

export class TaskManagerProcessRuntime implements TaskRuntime {
  private readonly entries = new Map<string, Entry>();
  private polling = false;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  /** Every task's record, in launch order. */
  records(): TaskProcessRecord[] {
    return [...this.entries.values()].map((e) => ({ ...e.record }));
  }

  record(taskId: string): TaskProcessRecord | undefined {
    const e = this.entries.get(taskId);
    return e ? { ...e.record } : undefined;
  }

  /** The Prometheus endpoint of a registered TaskManager whose process runs. */
  metricsUrl(taskId: string): string | undefined {
    const e = this.entries.get(taskId);
    if (!e?.record.registeredAtMs || e.record.stoppedAtMs || !e.record.prometheusPort) return undefined;
    return `http://127.0.0.1:${e.record.prometheusPort}/metrics`;
  }

  start(task: RuntimeTask, lifecycle: TaskLifecycle): void {
    // Closed: the run is over; what the model still launches stays PROVISIONING.
    if (this.closed) return;
    const entry: Entry = { record: { taskId: task.taskId, launchedAtMs: Date.now() }, lifecycle };
    this.entries.set(task.taskId, entry);
    void this.spawn(task.taskId, entry).catch((error: unknown) => {
      this.options.log?.(`TaskManager ${task.taskId} could not start: ${(error as Error).message}`);
      entry.record.stoppedAtMs = Date.now();
      entry.record.exitCode = 1;
      lifecycle.exited(1, Date.now());
    });
  }

  private async spawn(taskId: string, entry: Entry): Promise<void> {
    if (entry.pendingSignal || this.closed) {
      // Stopped before it started: nothing ran (ECS reports no exit code for a container that never started).
      entry.record.stoppedAtMs = Date.now();
      entry.lifecycle.exited(undefined, Date.now());
      return;
    }
    const port = await freePort();
    if (entry.pendingSignal || this.closed) {
      entry.record.stoppedAtMs = Date.now();
      entry.lifecycle.exited(undefined, Date.now());
      return;
    }
    const logFile = join(this.options.runDir, 'logs', `taskmanager-${taskId}.log`);
    const p = startProcess({
      name: `taskmanager ${taskId}`,
      command: 'bash',
      args: [join(FLINK_PLAYGROUND_DIR, 'bin', 'taskmanager.sh'), taskId, String(port)],
      env: this.options.env,
      logFile,
    });
    entry.process = p;
    Object.assign(entry.record, { pid: p.pid, prometheusPort: port, startedAtMs: p.startedAtMs, logFile });
    entry.lifecycle.pending(p.startedAtMs);
    void p.exited.then((exit) => {
      if (entry.stopTimer) clearTimeout(entry.stopTimer);
      Object.assign(entry.record, {
        stoppedAtMs: exit.atMs,
        exitCode: exit.code,
        ...(exit.signal ? { signal: exit.signal } : {}),
      });
      if (!this.closed) entry.lifecycle.exited(exit.code, exit.atMs);
    });
    this.pollRegistrations();
  }

  /** Polls REST /taskmanagers while some TaskManager process runs unregistered. */
  private pollRegistrations(): void {
    if (this.polling) return;
    this.polling = true;
    void (async () => {
      try {
        for (;;) {
          const waiting = [...this.entries.values()].filter(
            (e) => e.process && !e.record.registeredAtMs && !e.record.stoppedAtMs,
          );
          if (waiting.length === 0 || this.closed) return;
          const ids = new Set(
            await this.options.rest
              .taskManagers()
              .then((tms) => tms.map((t) => t.id))
              .catch(() => [] as string[]),
          );
          const at = Date.now();
          for (const e of waiting) {
            // REST lists the resource id as given; accept Prometheus's filtered form too.
            const id = e.record.taskId;
            if (ids.has(id) || ids.has(filterLabelValue(id))) {
              if (e.record.stoppedAtMs) continue;
              e.record.registeredAtMs = at;
              e.lifecycle.running(at);
            }
          }
          await sleep(this.options.registrationPollMs ?? 200);
        }
      } finally {
        this.polling = false;
      }
    })();
  }

  stop(taskId: string, stopTimeoutSeconds: number): void {
    const e = this.entries.get(taskId);
    if (!e || e.record.stoppedAtMs) return;
    e.record.stopRequestedAtMs ??= Date.now();
    if (!e.process) {
      e.pendingSignal = { kind: 'stop', timeoutSeconds: stopTimeoutSeconds };
      return;
    }
    const p = e.process;
    p.signal('SIGTERM');
    this.options.onSigterm?.(taskId, Date.now());
    e.stopTimer ??= setTimeout(() => {
      if (p.exit()) return;
      e.record.killedAtMs = Date.now();
      this.options.log?.(`TaskManager ${taskId} still runs ${stopTimeoutSeconds} s after SIGTERM: SIGKILL`);
      p.signal('SIGKILL');
    }, stopTimeoutSeconds * 1000);
  }

  kill(taskId: string): void {
    const e = this.entries.get(taskId);
    if (!e || e.record.stoppedAtMs) return;
    e.record.killedAtMs = Date.now();
    e.record.killFault = true;
    if (!e.process) {
      e.pendingSignal = { kind: 'kill' };
      return;
    }
    e.process.signal('SIGKILL');
  }

  hang(taskId: string): void {
    this.entries.get(taskId)?.process?.signal('SIGSTOP');
  }

  /** SIGKILL to every TaskManager still running; resolves when all exited. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.entries.values()].filter((e) => e.process && !e.process.exit());
    for (const e of running) e.process?.signal('SIGKILL');
    await Promise.all(running.map((e) => e.process?.exited));
  }
}
