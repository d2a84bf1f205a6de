/**
 * What runs the tasks of an ECS service in the local ECS (ecs-model.ts).
 *
 * Without a runtime a service's tasks are simulated: they go PROVISIONING → PENDING →
 * RUNNING after the service's startup timings and stop after stopSeconds, all on the
 * model's clock (the default, and what `simulate` uses). With a runtime the model still
 * decides everything ECS decides (which tasks to launch, which to stop, scale-in
 * protection, replacements, events), but a task's life is the runtime's: the model asks it
 * to start, stop or kill a task, and the runtime reports back through the task's
 * lifecycle when the task's container is starting, when it is ready and when it exited.
 * playground/src/flink/process-runtime.ts runs each task as a real TaskManager JVM.
 */

/** What the runtime is told about a task it runs. */
export interface RuntimeTask {
  readonly taskId: string;
  readonly taskArn: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly containerName: string;
}

/**
 * The runtime's reports on one task, each with the wall-clock instant (epoch ms) it
 * happened at; the model applies it at that time (or at its own clock if that is later).
 * Reports after the task's exit are ignored.
 */
export interface TaskLifecycle {
  /** The container is being started (PENDING): e.g. the process was spawned. */
  pending(atMs: number): void;
  /** The container is ready (RUNNING): e.g. the TaskManager registered at the JobManager. */
  running(atMs: number): void;
  /**
   * The essential container exited with `exitCode` (128 + the signal number when a signal
   * ended it, as Docker reports it: 137 for SIGKILL). Stops the task: on its own (a crash,
   * stoppedReason "Essential container in task exited") or as the end of a stop ECS asked for.
   * Undefined: the container never started (ECS then reports no exit code).
   */
  exited(exitCode: number | undefined, atMs: number): void;
}

export interface TaskRuntime {
  /** The model launched `task` (PROVISIONING); report its progress through `lifecycle`. */
  start(task: RuntimeTask, lifecycle: TaskLifecycle): void;
  /**
   * ECS stops the task (StopTask, a scale-in, a deployment, a failed health check): SIGTERM
   * to the container, SIGKILL if it still runs after `stopTimeoutSeconds` (the container
   * definition's stopTimeout). The task is STOPPED once the runtime reports the exit.
   */
  stop(taskId: string, stopTimeoutSeconds: number): void;
  /** The simulator's fault: the container dies at once (SIGKILL); the exit is reported as usual. */
  kill(taskId: string): void;
  /** The simulator's fault: the container freezes (e.g. SIGSTOP); its health check then fails. Optional. */
  hang?(taskId: string): void;
}
