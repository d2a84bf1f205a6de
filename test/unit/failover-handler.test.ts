import { describe, expect, it } from 'vitest';
import { parseFailoverEvent } from '../../functions/failover';

const event = (detail: Record<string, unknown> = {}) => ({
  source: 'aws.ecs',
  'detail-type': 'ECS Task State Change',
  id: 'e-1',
  time: '2026-01-01T12:00:00Z',
  detail: {
    taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/flink/0123abcd',
    clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/flink',
    group: 'service:taskmanager',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    version: 4,
    ...detail,
  },
});

describe('Function: parseFailoverEvent', () => {
  it('passes names, not ARNs: the task id, the cluster name and the service of the group', () => {
    expect(parseFailoverEvent(event())).toMatchObject({
      kind: 'task-event',
      taskId: '0123abcd',
      cluster: 'flink',
      service: 'taskmanager',
      ecs: { source: 'event', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 4 },
    });
  });

  it('takes no health from the event (AWS sends none; one that comes anyway is ignored)', () => {
    const trigger = parseFailoverEvent(event({ healthStatus: 'UNHEALTHY' }));
    expect(trigger.kind === 'task-event' && trigger.ecs).not.toHaveProperty('healthStatus');
  });

  it.each([
    ['a standalone task (family group)', { group: 'family:flink-tm' }],
    ['no group at all', { group: undefined }],
  ])('names no service for %s', (_name, detail) => {
    const trigger = parseFailoverEvent(event(detail));
    expect(trigger).toMatchObject({ kind: 'task-event', cluster: 'flink' });
    expect(trigger).not.toHaveProperty('service');
  });
});
