import { describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeEvent } from '../../src/cloud/ecs-events';
import { type CreateServiceOptions, EcsModel, type EcsModelOptions } from '../../src/cloud/ecs-model';
import { EcsApiError, SimulationUsageError } from '../../src/cloud/errors';

const T0 = Date.UTC(2025, 0, 1);
const S = 1000;
const TASK_ARN = /^arn:aws:ecs:us-east-1:123456789012:task\/flink\/[0-9a-f]{32}$/;

function setup(
  options: EcsModelOptions &
    Pick<CreateServiceOptions, 'deploymentConfiguration'> & {
      desiredCount?: number;
      initialTasksRunning?: boolean;
    } = {},
): {
  model: EcsModel;
  events: EcsTaskStateChangeEvent[];
} {
  const model = new EcsModel({ seed: 7, startMs: T0, startupSeconds: 60, ...options });
  const events: EcsTaskStateChangeEvent[] = [];
  model.onTaskStateChange((e) => events.push(e));
  model.createService({
    cluster: 'flink',
    serviceName: 'taskmanagers',
    desiredCount: options.desiredCount ?? 2,
    initialTasksRunning: options.initialTasksRunning ?? true,
    ...(options.deploymentConfiguration ? { deploymentConfiguration: options.deploymentConfiguration } : {}),
  });
  return { model, events };
}

function eventsOf(events: readonly EcsTaskStateChangeEvent[], taskId: string): EcsTaskStateChangeEvent[] {
  return events.filter((e) => e.detail.taskArn.endsWith(`/${taskId}`));
}

describe('Class: EcsModel', () => {
  describe('task lifecycle', () => {
    it('launches tasks in PROVISIONING that are PENDING at half the startup time and RUNNING after it', () => {
      // Prepare
      const { model } = setup({ desiredCount: 1, initialTasksRunning: false });
      const [task] = model.tasks();

      // Act & Assess
      expect(task?.lastStatus).toBe('PROVISIONING');
      expect(task?.taskArn).toMatch(TASK_ARN);
      expect(task?.group).toBe('service:taskmanagers');
      model.step(T0 + 29 * S);
      expect(model.tasks()[0]?.lastStatus).toBe('PROVISIONING');
      model.step(T0 + 30 * S);
      expect(model.tasks()[0]?.lastStatus).toBe('PENDING');
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 1,
        runningCount: 0,
        pendingCount: 1,
      });
      model.step(T0 + 60 * S);
      const running = model.tasks()[0];
      expect(running?.lastStatus).toBe('RUNNING');
      expect(running?.startedAtMs).toBe(T0 + 60 * S);
      expect(running?.createdAtMs).toBe(T0);
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 1,
        runningCount: 1,
        pendingCount: 0,
      });
    });

    it('applies transitions at their own time even when one step jumps over them', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 1, initialTasksRunning: false });

      // Act
      model.step(T0 + 600 * S);

      // Assess
      // The container turns HEALTHY at 70 s: visible in DescribeTasks, but no event (AWS's
      // task state change events carry no health).
      expect(events.map((e) => [e.detail.lastStatus, e.time])).toEqual([
        ['PROVISIONING', '2025-01-01T00:00:00Z'],
        ['PENDING', '2025-01-01T00:00:30Z'],
        ['RUNNING', '2025-01-01T00:01:00Z'],
      ]);
      expect(model.task(events[0]?.detail.taskArn ?? '')?.healthStatus).toBe('HEALTHY');
      expect(model.nowMs).toBe(T0 + 600 * S);
    });

    it('refuses to move time backwards', () => {
      // Prepare
      const { model } = setup();
      model.step(T0 + 10 * S);

      // Act & Assess
      expect(() => model.step(T0)).toThrow(SimulationUsageError);
      expect(() => model.advanceTo(T0)).not.toThrow();
      expect(model.nowMs).toBe(T0 + 10 * S);
    });

    it('generates the same task ids for the same seed and different ones for another seed', () => {
      // Prepare
      const ids = (seed: number) =>
        setup({ seed, desiredCount: 3 })
          .model.tasks()
          .map((t) => t.taskId);

      // Act & Assess
      expect(ids(7)).toEqual(ids(7));
      expect(ids(7)).not.toEqual(ids(8));
      expect(new Set(ids(7)).size).toBe(3);
    });
  });

  describe('service scaling', () => {
    it('launches tasks when the desired count rises and stops the newest when it falls', () => {
      // Prepare
      const { model } = setup({ desiredCount: 2 });
      const original = model.runningTaskIds();

      // Act
      model.updateService('flink', 'taskmanagers', { desiredCount: 4 });
      model.step(T0 + 60 * S);
      const grown = model.runningTaskIds();
      model.updateService('flink', 'taskmanagers', { desiredCount: 2 });

      // Assess
      expect(grown).toHaveLength(4);
      expect(model.runningTaskIds()).toEqual(original);
      const stopped = model.tasks({ includeStopped: true }).filter((t) => t.lastStatus === 'STOPPED');
      expect(stopped).toHaveLength(2);
      expect(stopped[0]?.stoppedReason).toMatch(
        /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/,
      );
      expect(stopped[0]?.stopCode).toBe('ServiceSchedulerInitiated');
    });

    it('stops tasks that are still starting before running ones on scale-in', () => {
      // Prepare
      const { model } = setup({ desiredCount: 2 });
      const running = model.runningTaskIds();
      model.updateService('flink', 'taskmanagers', { desiredCount: 3 });

      // Act
      model.updateService('flink', 'taskmanagers', { desiredCount: 2 });

      // Assess
      expect(model.runningTaskIds()).toEqual(running);
      expect(model.serviceCounts('flink', 'taskmanagers').pendingCount).toBe(0);
    });

    it('skips protected tasks on scale-in and stays above desired while only protected tasks remain', () => {
      // Prepare
      const { model } = setup({ desiredCount: 3 });
      const [a, b, c] = model.runningTaskIds();
      model.updateTaskProtection('flink', [b ?? '', c ?? ''], true, 10);

      // Act
      model.updateService('flink', 'taskmanagers', { desiredCount: 1 });

      // Assess
      expect(model.runningTaskIds()).toEqual([b, c]);
      expect(model.task(a ?? '')?.lastStatus).toBe('STOPPED');
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 1,
        runningCount: 2,
        pendingCount: 0,
      });
    });

    it('scales in once protection is removed or expires', () => {
      // Prepare
      const { model } = setup({ desiredCount: 3 });
      const [a, b, c] = model.runningTaskIds();
      model.updateTaskProtection('flink', [a ?? '', b ?? ''], true, 1);
      model.updateTaskProtection('flink', [c ?? ''], true, 120);
      model.updateService('flink', 'taskmanagers', { desiredCount: 1 });
      expect(model.runningTaskIds()).toEqual([a, b, c]);

      // Act & Assess: a and b expire after one minute
      model.step(T0 + 59 * S);
      expect(model.runningTaskIds()).toHaveLength(3);
      model.step(T0 + 61 * S);
      expect(model.runningTaskIds()).toEqual([c]);
    });

    it('reports protection with its expiry and MISSING for unknown tasks', () => {
      // Prepare
      const { model } = setup({ desiredCount: 1 });
      const [id] = model.runningTaskIds();

      // Act
      const set = model.updateTaskProtection('flink', [id ?? '', 'ffffffffffffffffffffffffffffffff'], true);
      const got = model.getTaskProtection('flink', [id ?? '']);

      // Assess
      expect(set.protectedTasks).toEqual([
        {
          taskArn: expect.stringMatching(TASK_ARN),
          protectionEnabled: true,
          expirationDateMs: T0 + 120 * 60 * S,
        },
      ]);
      expect(set.failures).toEqual([
        {
          arn: 'arn:aws:ecs:us-east-1:123456789012:task/flink/ffffffffffffffffffffffffffffffff',
          reason: 'MISSING',
        },
      ]);
      expect(got.protectedTasks[0]?.protectionEnabled).toBe(true);
      expect(() => model.updateTaskProtection('flink', [id ?? ''], true, 2881)).toThrow(EcsApiError);
    });

    it('replaces a task stopped by StopTask', () => {
      // Prepare
      const { model } = setup({ desiredCount: 2 });
      const [victim] = model.runningTaskIds();

      // Act
      const stopped = model.stopTask('flink', victim ?? '', 'rebalancing');

      // Assess
      expect(stopped.lastStatus).toBe('STOPPED');
      expect(stopped.stoppedReason).toBe('rebalancing');
      expect(stopped.stopCode).toBe('UserInitiated');
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 2,
        runningCount: 1,
        pendingCount: 1,
      });
    });

    it('stops gracefully over stopSeconds: desiredStatus STOPPED first, lastStatus STOPPED later', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 1, stopSeconds: 30 });
      const [id] = model.runningTaskIds();

      // Act
      model.stopTask('flink', id ?? '');
      const during = model.task(id ?? '');
      model.step(T0 + 30 * S);

      // Assess
      expect(during).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'STOPPED' });
      expect(model.task(id ?? '')).toMatchObject({ lastStatus: 'STOPPED', stoppedAtMs: T0 + 30 * S });
      expect(
        eventsOf(events, id ?? '').map((e) => `${e.detail.lastStatus}/${e.detail.desiredStatus}`),
      ).toEqual(['RUNNING/RUNNING', 'RUNNING/STOPPED', 'STOPPED/STOPPED']);
    });

    it('answers unknown clusters, services and tasks with the ECS errors', () => {
      // Prepare
      const { model } = setup();

      // Act & Assess
      const code = (fn: () => unknown) => {
        try {
          fn();
        } catch (e) {
          return e instanceof EcsApiError ? e.code : String(e);
        }
        return 'no error';
      };
      expect(code(() => model.describeService('nope', 'taskmanagers'))).toBe('ClusterNotFoundException');
      expect(code(() => model.updateService('flink', 'nope', { desiredCount: 1 }))).toBe(
        'ServiceNotFoundException',
      );
      expect(code(() => model.updateService('flink', 'taskmanagers', { desiredCount: -1 }))).toBe(
        'InvalidParameterException',
      );
      expect(code(() => model.stopTask('flink', '0123'))).toBe('InvalidParameterException');
      expect(code(() => model.listTaskArns('flink', { serviceName: 'nope' }))).toBe(
        'ServiceNotFoundException',
      );
      expect(model.findService('flink', 'nope')).toBeUndefined();
    });

    it('hides STOPPED tasks from the API after the retention time but keeps them for the simulator', () => {
      // Prepare
      const { model } = setup({ desiredCount: 1, stoppedTaskRetentionSeconds: 60 });
      const [id] = model.runningTaskIds();
      model.kill(id ?? '');

      // Act
      const soon = model.listTaskArns('flink', { desiredStatus: 'STOPPED' });
      model.step(T0 + 61 * S);

      // Assess
      expect(soon).toHaveLength(1);
      expect(model.listTaskArns('flink', { desiredStatus: 'STOPPED' })).toEqual([]);
      expect(model.describeTask('flink', id ?? '')).toBeUndefined();
      expect(model.task(id ?? '')?.lastStatus).toBe('STOPPED');
    });

    it('with listTasksLagSeconds, ListTasks omits a task until that long after its launch; DescribeTasks sees it at once', () => {
      // Prepare: a RUNNING service scaled out by one task that starts in 10 s
      const { model } = setup({ desiredCount: 1, listTasksLagSeconds: 30, startupSeconds: 10 });
      model.step(T0 + 30 * S);
      const [old] = model.listTaskArns('flink', { serviceName: 'taskmanagers' });
      model.updateService('flink', 'taskmanagers', { desiredCount: 2 });
      const fresh = model.tasks().find((t) => t.taskArn !== old);

      // Act
      model.step(T0 + 45 * S);
      const during = model.listTaskArns('flink', { serviceName: 'taskmanagers' });
      model.step(T0 + 60 * S);
      const after = model.listTaskArns('flink', { serviceName: 'taskmanagers' });

      // Assess: RUNNING at +40 s, listed from +60 s
      expect(model.describeTask('flink', fresh?.taskArn ?? '')?.lastStatus).toBe('RUNNING');
      expect(during).toEqual([old]);
      expect(after).toEqual([old, fresh?.taskArn]);
    });
  });

  describe('failures', () => {
    it('marks a hung task UNHEALTHY after three failed checks 10 s apart, starts a replacement, then stops it', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 2 });
      const [hung, other] = model.runningTaskIds();
      model.step(T0 + 25 * S);

      // Act
      model.hang(hung ?? '');
      model.step(T0 + 49 * S);
      const before = model.task(hung ?? '');
      model.step(T0 + 50 * S);
      const unhealthy = model.task(hung ?? '');
      model.step(T0 + 119 * S);
      const waiting = model.task(hung ?? '');
      model.step(T0 + 120 * S);

      // Assess: checks at 30, 40, 50 s on the grid from startedAt fail. ECS starts the
      // replacement first (maximumPercent 200 leaves room) and stops the unhealthy task once
      // the replacement is HEALTHY (RUNNING at 110 s, first check passes at 120 s).
      expect(before).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'HEALTHY', hung: true });
      expect(unhealthy).toMatchObject({
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        healthStatus: 'UNHEALTHY',
      });
      expect(waiting).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
      const history = eventsOf(events, hung ?? '').map((e) => [e.detail.lastStatus, e.time]);
      expect(history).toEqual([
        ['RUNNING', '2025-01-01T00:00:00Z'],
        ['STOPPED', '2025-01-01T00:02:00Z'],
      ]);
      const stopped = model.task(hung ?? '');
      expect(stopped?.stoppedReason).toBe('Task failed container health checks');
      expect(stopped?.stopCode).toBe('ServiceSchedulerInitiated');
      expect(stopped?.containers[0]?.healthStatus).toBe('UNHEALTHY');
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
      });
      expect(model.runningTaskIds()).toContain(other);
      expect(model.runningTaskIds()).not.toContain(hung);
      const messages = model.describeService('flink', 'taskmanagers').events.map((e) => e.message);
      expect(messages.slice(0, 3)).toEqual([
        '(service taskmanagers) has reached a steady state.',
        `(service taskmanagers) has stopped 1 running tasks: (task ${hung}).`,
        expect.stringMatching(/^\(service taskmanagers\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/),
      ]);
    });

    it('stops an unhealthy task first when maximumPercent leaves no room for a replacement', () => {
      // Prepare
      const { model } = setup({
        desiredCount: 2,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
      });
      const [hung] = model.runningTaskIds();

      // Act
      model.hang(hung ?? '');
      model.step(T0 + 30 * S);

      // Assess
      expect(model.task(hung ?? '')).toMatchObject({
        lastStatus: 'STOPPED',
        stoppedReason: 'Task failed container health checks',
      });
      expect(model.serviceCounts('flink', 'taskmanagers')).toMatchObject({
        runningCount: 1,
        pendingCount: 1,
      });
    });

    it('never detects a hung task when the container has no health check', () => {
      // Prepare
      const { model } = setup({ desiredCount: 1, healthCheck: false });
      const [id] = model.runningTaskIds();

      // Act
      model.hang(id ?? '');
      model.step(T0 + 3600 * S);

      // Assess
      expect(model.task(id ?? '')).toMatchObject({
        lastStatus: 'RUNNING',
        healthStatus: 'UNKNOWN',
        hung: true,
      });
    });

    it('stops a killed task at once with the essential-container reason and launches a replacement', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 1 });
      const [id] = model.runningTaskIds();

      // Act
      model.kill(id ?? '');

      // Assess
      const task = model.task(id ?? '');
      expect(task).toMatchObject({
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stoppedReason: 'Essential container in task exited',
        stopCode: 'EssentialContainerExited',
        stoppedAtMs: T0,
      });
      expect(task?.containers[0]?.exitCode).toBe(137);
      expect(events.at(-1)?.detail.lastStatus).toBe('PROVISIONING');
      expect(model.serviceCounts('flink', 'taskmanagers').pendingCount).toBe(1);
      expect(() => model.kill(id ?? '')).toThrow(SimulationUsageError);
      expect(() => model.hang('unknown')).toThrow(SimulationUsageError);
    });
  });

  describe('events', () => {
    it('emits EventBridge-shaped task state changes with a version that grows on every change', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 1, initialTasksRunning: false });

      // Act
      model.step(T0 + 120 * S);
      const [id] = model.runningTaskIds();
      model.kill(id ?? '');

      // Assess
      const mine = eventsOf(events, id ?? '');
      expect(mine.map((e) => e.detail.version)).toEqual([1, 2, 3, 4]);
      expect(mine.every((e) => !('healthStatus' in e.detail))).toBe(true);
      expect(mine.every((e) => e.detail.containers.every((c) => !('healthStatus' in c)))).toBe(true);
      const last = mine.at(-1);
      expect(last).toMatchObject({
        version: '0',
        source: 'aws.ecs',
        'detail-type': 'ECS Task State Change',
        account: '123456789012',
        region: 'us-east-1',
        resources: [expect.stringMatching(TASK_ARN)],
        detail: {
          clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/flink',
          group: 'service:taskmanagers',
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stoppedReason: 'Essential container in task exited',
          launchType: 'FARGATE',
          createdAt: '2025-01-01T00:00:00.000Z',
          startedAt: '2025-01-01T00:01:00.000Z',
          stoppedAt: '2025-01-01T00:02:00.000Z',
          containers: [{ name: 'taskmanager', lastStatus: 'STOPPED', exitCode: 137, networkInterfaces: [] }],
        },
      });
      expect(last?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(last?.resources[0]).toBe(last?.detail.taskArn);
    });

    it('delivers events raised by a listener after the current one, without losing any', () => {
      // Prepare
      const { model, events } = setup({ desiredCount: 1 });
      const [id] = model.runningTaskIds();
      let reacted = false;
      model.onTaskStateChange((e) => {
        if (!reacted && e.detail.lastStatus === 'STOPPED') {
          reacted = true;
          model.updateService('flink', 'taskmanagers', { desiredCount: 0 });
        }
      });
      const before = events.length;

      // Act
      model.kill(id ?? '');

      // Assess: STOPPED, replacement PROVISIONING, replacement STOPPED by the scale-in
      expect(events.slice(before).map((e) => e.detail.lastStatus)).toEqual([
        'STOPPED',
        'PROVISIONING',
        'STOPPED',
      ]);
      expect(model.serviceCounts('flink', 'taskmanagers')).toEqual({
        desiredCount: 0,
        runningCount: 0,
        pendingCount: 0,
      });
    });

    it('stops delivering to an unsubscribed listener', () => {
      // Prepare
      const { model } = setup({ desiredCount: 1 });
      const seen: string[] = [];
      const unsubscribe = model.onTaskStateChange((e) => seen.push(e.detail.lastStatus));

      // Act
      model.updateService('flink', 'taskmanagers', { desiredCount: 2 });
      unsubscribe();
      model.step(T0 + 60 * S);

      // Assess
      expect(seen).toEqual(['PROVISIONING']);
    });
  });
});
