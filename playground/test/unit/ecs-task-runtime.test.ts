/**
 * The local ECS with a task runtime (playground/src/cloud/task-runtime.ts): the model decides
 * what ECS decides (launches, victims, protection, replacements, events) and the runtime's
 * reports move each task (PENDING when the process is spawned, RUNNING when it is ready,
 * STOPPED when it exited, with its exit code). A fake runtime here records what it was asked
 * and reports what the test says; playground/flink/e2e.sh runs the real one (TaskManager JVMs).
 */
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeEvent } from '../../src/cloud/ecs-events';
import { EcsModel } from '../../src/cloud/ecs-model';
import { SimulationUsageError } from '../../src/cloud/errors';
import type { RuntimeTask, TaskLifecycle, TaskRuntime } from '../../src/cloud/task-runtime';

const T0 = Date.UTC(2026, 0, 1);
const S = 1000;

class FakeRuntime implements TaskRuntime {
  readonly started = new Map<string, { task: RuntimeTask; lifecycle: TaskLifecycle }>();
  readonly calls: string[] = [];
  start(task: RuntimeTask, lifecycle: TaskLifecycle): void {
    this.started.set(task.taskId, { task, lifecycle });
    this.calls.push(`start ${task.taskId}`);
  }
  stop(taskId: string, stopTimeoutSeconds: number): void {
    this.calls.push(`stop ${taskId} ${stopTimeoutSeconds}`);
  }
  kill(taskId: string): void {
    this.calls.push(`kill ${taskId}`);
  }
  lifecycle(taskId: string): TaskLifecycle {
    const e = this.started.get(taskId);
    if (!e) throw new Error(`not started: ${taskId}`);
    return e.lifecycle;
  }
}

function setup(desiredCount: number) {
  const runtime = new FakeRuntime();
  const model = new EcsModel({ seed: 3, startMs: T0 });
  const events: EcsTaskStateChangeEvent[] = [];
  model.onTaskStateChange((e) => events.push(e));
  model.createCluster('flink');
  model.createService({
    cluster: 'flink',
    serviceName: 'taskmanager',
    desiredCount,
    runtime,
    stopTimeoutSeconds: 20,
  });
  return { runtime, model, events };
}

/** Reports every started task PENDING then RUNNING at `atMs`, and lets the model apply it. */
async function bringUp(runtime: FakeRuntime, atMs: number): Promise<void> {
  for (const id of runtime.started.keys()) {
    runtime.lifecycle(id).pending(atMs);
    runtime.lifecycle(id).running(atMs);
  }
  await turn();
}

describe('Class: EcsModel with a task runtime', () => {
  it('starts each task in the runtime and moves it only on the runtime’s reports, never by the clock', async () => {
    // Prepare
    const { runtime, model } = setup(2);
    const ids = [...runtime.started.keys()];

    // Act: an hour passes without a report
    model.step(T0 + 3600 * S);

    // Assess
    expect(ids).toHaveLength(2);
    expect(runtime.started.get(ids[0] ?? '')?.task).toMatchObject({
      clusterName: 'flink',
      serviceName: 'taskmanager',
    });
    expect(model.tasks().map((t) => t.lastStatus)).toEqual(['PROVISIONING', 'PROVISIONING']);
    runtime.lifecycle(ids[0] ?? '').pending(T0 + 3601 * S);
    await turn();
    expect(model.task(ids[0] ?? '')?.lastStatus).toBe('PENDING');
    runtime.lifecycle(ids[0] ?? '').running(T0 + 3602 * S);
    await turn();
    expect(model.task(ids[0] ?? '')?.lastStatus).toBe('RUNNING');
    expect(model.task(ids[0] ?? '')?.startedAtMs).toBe(T0 + 3602 * S);
    expect(model.serviceCounts('flink', 'taskmanager')).toEqual({
      desiredCount: 2,
      runningCount: 1,
      pendingCount: 1,
    });
  });

  it('a process that exits by itself stops its task with the exit code and the essential-container reason, and ECS replaces it', async () => {
    // Prepare
    const { runtime, model, events } = setup(1);
    await bringUp(runtime, T0 + S);
    const [victim] = runtime.started.keys();

    // Act: SIGKILL of the process (128 + 9)
    runtime.lifecycle(victim ?? '').exited(137, T0 + 5 * S);
    await turn();

    // Assess
    const task = model.task(victim ?? '');
    expect(task).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
    expect(task?.containers[0]?.exitCode).toBe(137);
    const stopped = events.filter((e) => e.detail.lastStatus === 'STOPPED');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]?.detail.containers[0]?.exitCode).toBe(137);
    expect(runtime.started.size).toBe(2);
  });

  it('a scale-in asks the runtime to stop the unprotected task (SIGTERM, SIGKILL after the stop timeout) and it is STOPPED only when the process exited', async () => {
    // Prepare
    const { runtime, model } = setup(3);
    await bringUp(runtime, T0 + S);
    const [a, b, c] = model.runningTaskIds();
    model.updateTaskProtection('flink', [a ?? '', c ?? ''], true, 10);

    // Act
    model.updateService('flink', 'taskmanager', { desiredCount: 2 });

    // Assess: b is the victim; it is stopping, not stopped
    expect(runtime.calls.filter((c) => c.startsWith('stop'))).toEqual([`stop ${b} 20`]);
    expect(model.task(b ?? '')).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'RUNNING' });
    runtime.lifecycle(b ?? '').exited(143, T0 + 3 * S);
    await turn();
    expect(model.task(b ?? '')).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated',
    });
    expect(model.task(b ?? '')?.containers[0]?.exitCode).toBe(143);
    expect(model.runningTaskIds()).toEqual([a, c]);
    expect(runtime.started.size).toBe(3);
  });

  it('the simulator’s kill fault goes to the runtime; the task stops when the runtime reports the exit', async () => {
    // Prepare
    const { runtime, model } = setup(1);
    await bringUp(runtime, T0 + S);
    const [id] = model.runningTaskIds();

    // Act
    model.kill(id ?? '');

    // Assess
    expect(runtime.calls).toContain(`kill ${id}`);
    expect(model.task(id ?? '')?.lastStatus).toBe('RUNNING');
    runtime.lifecycle(id ?? '').exited(137, T0 + 2 * S);
    await turn();
    expect(model.task(id ?? '')?.stopCode).toBe('EssentialContainerExited');
  });

  it('refuses initialTasksRunning and a hang the runtime cannot do', () => {
    const model = new EcsModel({ seed: 1, startMs: T0 });
    model.createCluster('flink');
    expect(() =>
      model.createService({
        cluster: 'flink',
        serviceName: 'tm',
        desiredCount: 1,
        runtime: new FakeRuntime(),
        initialTasksRunning: true,
      }),
    ).toThrow(SimulationUsageError);
    model.createService({
      cluster: 'flink',
      serviceName: 'tm2',
      desiredCount: 1,
      runtime: new FakeRuntime(),
    });
    const [id] = model.tasks().map((t) => t.taskId);
    expect(() => model.hang(id ?? '')).toThrow(/cannot hang/);
  });
});
