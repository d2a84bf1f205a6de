/**
 * The local ECS's service scheduler as the ECS developer guide describes it: rolling
 * deployments within minimumHealthyPercent / maximumPercent, service event messages,
 * Availability Zone balance on placement and scale-in, protection during deployments.
 */
import { describe, expect, it } from 'vitest';
import { type CreateServiceOptions, EcsModel } from '../../src/cloud/ecs-model';
import { handleEcsOperation } from '../../src/cloud/ecs-server';
import { EcsApiError } from '../../src/cloud/errors';

const T0 = Date.UTC(2025, 0, 1);
const S = 1000;

function setup(options: Partial<CreateServiceOptions> = {}): EcsModel {
  const model = new EcsModel({ seed: 5, startMs: T0, startupSeconds: 60 });
  model.createService({
    cluster: 'flink',
    serviceName: 'tm',
    desiredCount: 2,
    initialTasksRunning: true,
    taskDefinitionFamily: 'flink-taskmanager',
    ...options,
  });
  return model;
}

const service = (model: EcsModel) => model.describeService('flink', 'tm');
const byDeployment = (model: EcsModel) => {
  const primary = service(model).deployments[0]?.id;
  const live = model.tasks({ serviceName: 'tm' }).filter((t) => t.desiredStatus === 'RUNNING');
  return {
    primary: live.filter((t) => t.startedBy === primary).length,
    old: live.filter((t) => t.startedBy !== primary).length,
  };
};

describe('Local ECS: rolling deployments', () => {
  it('replaces every task on forceNewDeployment within 100% healthy / 200% maximum, then completes', () => {
    // Prepare
    const model = setup();
    const before = model.tasks({ serviceName: 'tm' }).map((t) => t.taskId);

    // Act
    model.updateService('flink', 'tm', { forceNewDeployment: true });
    const started = service(model);
    const startedCounts = byDeployment(model);
    model.step(T0 + 65 * S); // the new tasks are RUNNING (60 s), not yet HEALTHY
    const runningCounts = byDeployment(model);
    model.step(T0 + 70 * S); // their first health check passes at 70 s: the old ones stop

    // Assess
    expect(started.deployments.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(startedCounts).toEqual({ primary: 2, old: 2 });
    expect(runningCounts).toEqual({ primary: 2, old: 2 });
    const done = service(model);
    expect(done.deployments.map((d) => [d.status, d.rolloutState])).toEqual([['PRIMARY', 'COMPLETED']]);
    expect(done.runningCount).toBe(2);
    const after = model.runningTaskIds({ serviceName: 'tm' });
    expect(after.some((id) => before.includes(id))).toBe(false);
    expect(done.events.map((e) => e.message).slice(0, 3)).toEqual([
      '(service tm) has reached a steady state.',
      `(service tm) (deployment ${done.deployments[0]?.id}) deployment completed.`,
      expect.stringMatching(
        /^\(service tm\) has stopped 2 running tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/,
      ),
    ]);
  });

  it('stops old tasks first down to minimumHealthyPercent when maximumPercent leaves no room', () => {
    // Prepare
    const model = setup({
      desiredCount: 4,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
    });
    const revision2 = model.registerTaskDefinition('flink-taskmanager');

    // Act
    model.updateService('flink', 'tm', { taskDefinition: 'flink-taskmanager:2' });

    // Assess: 2 of 4 old tasks stop at once (4 × 50% must stay healthy), 2 new ones start.
    expect(byDeployment(model)).toEqual({ primary: 2, old: 2 });
    expect(service(model).taskDefinitionArn).toBe(revision2);
    model.step(T0 + 70 * S);
    expect(byDeployment(model)).toEqual({ primary: 4, old: 0 });
    model.step(T0 + 140 * S);
    expect(service(model).deployments.map((d) => d.rolloutState)).toEqual(['COMPLETED']);
    expect(model.runningTaskIds({ serviceName: 'tm' })).toHaveLength(4);
  });

  it('waits for a protected old task: a deployment does not stop it until protection ends', () => {
    // Prepare
    const model = setup();
    const [guarded] = model.runningTaskIds({ serviceName: 'tm' });
    model.updateTaskProtection('flink', [guarded ?? ''], true, 5);

    // Act
    model.updateService('flink', 'tm', { forceNewDeployment: true });
    model.step(T0 + 120 * S);
    const waiting = model.task(guarded ?? '');
    const during = service(model).deployments.length;
    model.step(T0 + 5 * 60 * S + 10 * S);

    // Assess
    expect(waiting).toMatchObject({ desiredStatus: 'RUNNING', lastStatus: 'RUNNING' });
    expect(during).toBe(2);
    expect(model.task(guarded ?? '')?.desiredStatus).toBe('STOPPED');
    expect(service(model).deployments.map((d) => d.rolloutState)).toEqual(['COMPLETED']);
  });

  it('rejects an unknown task definition as ECS does, and a bad deployment configuration', () => {
    const model = setup();
    expect(() => model.updateService('flink', 'tm', { taskDefinition: 'flink-taskmanager:9' })).toThrow(
      new EcsApiError('ClientException', 'TaskDefinition not found.'),
    );
    expect(() =>
      model.updateService('flink', 'tm', { deploymentConfiguration: { minimumHealthyPercent: 150 } }),
    ).toThrow(EcsApiError);
    expect(() =>
      model.updateService('flink', 'tm', { deploymentConfiguration: { maximumPercent: 50 } }),
    ).toThrow(EcsApiError);
    expect(service(model).deployments).toHaveLength(1);
  });

  it('starts no deployment for a desiredCount change: the PRIMARY stays COMPLETED', () => {
    const model = setup();
    model.updateService('flink', 'tm', { desiredCount: 3 });
    expect(service(model).deployments.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'COMPLETED'],
    ]);
    expect(service(model).events[0]?.message).toMatch(
      /^\(service tm\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/,
    );
  });
});

describe('Local ECS: Availability Zones and scale-in', () => {
  it('places tasks in the zone with the fewest and scales in from the zone with the most', () => {
    // Prepare
    const model = setup({ desiredCount: 5 });
    const zones = () =>
      model
        .tasks({ serviceName: 'tm' })
        .filter((t) => t.desiredStatus === 'RUNNING')
        .map((t) => t.availabilityZone)
        .sort();
    const placed = zones();
    // Protect both tasks of us-east-1a: the scale-in must still keep the zones balanced.
    const inA = model
      .tasks({ serviceName: 'tm' })
      .filter((t) => t.availabilityZone === 'us-east-1a')
      .map((t) => t.taskId);
    model.updateTaskProtection('flink', inA, true, 60);

    // Act
    model.updateService('flink', 'tm', { desiredCount: 3 });

    // Assess
    expect(placed).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b', 'us-east-1c']);
    // b had the most unprotected tasks; then b and c tie and the newest goes (c).
    expect(zones()).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b']);
  });

  it('reports a scale-in blocked by protection once, as a service event', () => {
    const model = setup();
    model.updateTaskProtection('flink', model.runningTaskIds({ serviceName: 'tm' }), true, 60);
    model.updateService('flink', 'tm', { desiredCount: 1 });
    model.step(T0 + 600 * S);
    const messages = service(model).events.map((e) => e.message);
    expect(messages.filter((m) => m.includes('unable to scale in'))).toEqual([
      '(service tm) was unable to scale in due to (reason: 1 tasks under protection).',
    ]);
  });
});

describe('Local ECS wire: ListClusters and UpdateService', () => {
  it('lists every cluster, pages with nextToken, and serves the deployment fields of UpdateService', () => {
    const model = setup();
    model.createCluster('other');
    const first = handleEcsOperation(model, 'ListClusters', { maxResults: 1 });
    const second = handleEcsOperation(model, 'ListClusters', { maxResults: 1, nextToken: first.nextToken });
    expect([first.clusterArns, second.clusterArns, second.nextToken]).toEqual([
      ['arn:aws:ecs:us-east-1:123456789012:cluster/flink'],
      ['arn:aws:ecs:us-east-1:123456789012:cluster/other'],
      undefined,
    ]);
    expect(() => handleEcsOperation(model, 'ListClusters', { nextToken: 'junk' })).toThrow(
      new EcsApiError('InvalidParameterException', 'Invalid nextToken.'),
    );
    const out = handleEcsOperation(model, 'UpdateService', {
      cluster: 'flink',
      service: 'tm',
      forceNewDeployment: true,
      deploymentConfiguration: { minimumHealthyPercent: 50 },
    }) as {
      service: {
        deployments: { status: string; rolloutState: string }[];
        deploymentConfiguration: unknown;
        events: unknown[];
      };
    };
    expect(out.service.deployments.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    expect(out.service.deploymentConfiguration).toMatchObject({
      minimumHealthyPercent: 50,
      maximumPercent: 200,
    });
    expect(out.service.events.length).toBeGreaterThan(0);
  });
});
