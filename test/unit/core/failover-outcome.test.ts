import { describe, expect, it } from 'vitest';
import type { MoveReason } from '../../../lib/core/assignment';
import {
  afterRound,
  drainedStopsToRun,
  type FailoverTrigger,
  failoverResult,
  MAX_ATTEMPTS,
  newTally,
  notOurEvent,
  settleStep,
  stopFailure,
  type Tally,
} from '../../../lib/core/failover-outcome';
import type { MoveOrder, StopOrder } from '../../../lib/core/reconcile';
import type { StopWhy } from '../../../lib/core/reconcile-rules';
import { healthItem } from '../../support/failover-fakes';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function taskEvent(over: { cluster?: string; service?: string | undefined } = {}): FailoverTrigger {
  return {
    kind: 'task-event',
    eventId: 'e-1',
    eventTime: new Date(T0),
    taskId: 'tm-a',
    cluster: over.cluster ?? 'flink',
    ...('service' in over
      ? over.service === undefined
        ? {}
        : { service: over.service }
      : { service: 'tm' }),
    ecs: { source: 'event', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 7 },
  };
}

function stopOrder(taskId: string, why: StopWhy, afterProtectionDrop = false): StopOrder {
  const { version, ...item } = healthItem(taskId, T0);
  return {
    taskId,
    why,
    reason: `stop ${taskId}`,
    record: { taskId, expectedVersion: version, item: { ...item, stopRequestedAt: T0 } },
    afterProtectionDrop,
  };
}

function moveOrder(
  partitionId: number,
  from: string | null,
  reason: MoveReason,
  failover = false,
): MoveOrder {
  const move = { partitionId, from, to: 'tm-z', expectedEpoch: 1, newEpoch: 2, reason };
  return { move, writes: [], failover };
}

describe('Function: notOurEvent', () => {
  it.each([
    {
      name: 'the schedule is always ours',
      trigger: { kind: 'schedule', eventTime: new Date(T0) },
      expected: undefined,
    },
    { name: 'an event of this cluster and service is ours', trigger: taskEvent(), expected: undefined },
    {
      name: 'an event of another service in this cluster is not',
      trigger: taskEvent({ service: 'jobmanager' }),
      expected: 'event of service jobmanager in cluster flink: not this service',
    },
    {
      name: 'an event of this service name in another cluster is not',
      trigger: taskEvent({ cluster: 'other' }),
      expected: 'event of service tm in cluster other: not this service',
    },
    {
      name: 'a standalone task (no service group) is not',
      trigger: taskEvent({ service: undefined }),
      expected: 'event of no service in cluster flink: not this service',
    },
  ] satisfies { name: string; trigger: FailoverTrigger; expected: string | undefined }[])(
    '$name',
    ({ trigger, expected }) => {
      expect(notOurEvent(trigger, 'flink', 'tm')).toBe(expected);
    },
  );
});

describe('Function: settleStep', () => {
  it.each([
    { name: 'no writes: done', results: [], stopFailed: false, expected: { step: 'done', conflicts: 0 } },
    {
      name: 'every write held: done',
      results: [true, true],
      stopFailed: false,
      expected: { step: 'done', conflicts: 0 },
    },
    {
      name: 'a lost race: re-plan, counted',
      results: [true, false, false],
      stopFailed: false,
      expected: { step: 'replan', conflicts: 2 },
    },
    {
      name: 'every write held but a StopTask failed: re-plan, no conflict',
      results: [true],
      stopFailed: true,
      expected: { step: 'replan', conflicts: 0 },
    },
    {
      name: 'a lost race and a failed StopTask: re-plan, the race counted',
      results: [false, true],
      stopFailed: true,
      expected: { step: 'replan', conflicts: 1 },
    },
    {
      name: 'the table failed: failed',
      results: undefined,
      stopFailed: false,
      expected: { step: 'failed', conflicts: 0 },
    },
    {
      name: 'the table failed with a failed StopTask: still failed',
      results: undefined,
      stopFailed: true,
      expected: { step: 'failed', conflicts: 0 },
    },
  ])('$name', ({ results, stopFailed, expected }) => {
    expect(settleStep(results, stopFailed)).toEqual(expected);
  });
});

describe('Function: stopFailure', () => {
  it.each([
    {
      why: 'hung',
      expected: {
        problem: 'StopTask a failed, its partitions stay until it is stopped: Throttling',
        replan: true,
      },
    },
    {
      why: 'unhealthy',
      expected: {
        problem: 'StopTask a failed, its partitions stay until it is stopped: Throttling',
        replan: true,
      },
    },
    {
      why: 'fenced',
      expected: {
        problem: 'StopTask a failed, its partitions stay until it is stopped: Throttling',
        replan: true,
      },
    },
    { why: 'drained', expected: { problem: 'StopTask a (drained) failed: Throttling', replan: false } },
  ] satisfies { why: StopWhy; expected: ReturnType<typeof stopFailure> }[])(
    'a $why TaskManager’s failed stop → replan $expected.replan',
    ({ why, expected }) => {
      expect(stopFailure(stopOrder('a', why), 'Throttling')).toEqual(expected);
    },
  );
});

describe('Function: drainedStopsToRun', () => {
  it.each([
    {
      name: 'a stop that waits on nothing runs',
      stops: [stopOrder('a', 'drained')],
      dropped: [],
      expected: ['a'],
    },
    {
      name: 'one that waits on its protection drop runs once the drop succeeded',
      stops: [stopOrder('a', 'drained', true)],
      dropped: ['a'],
      expected: ['a'],
    },
    {
      name: 'not when the drop failed (ECS refused UpdateTaskProtection)',
      stops: [stopOrder('a', 'drained', true)],
      dropped: [],
      expected: [],
    },
    {
      name: 'another task’s drop does not release it',
      stops: [stopOrder('a', 'drained', true), stopOrder('b', 'drained')],
      dropped: ['c'],
      expected: ['b'],
    },
  ])('$name', ({ stops, dropped, expected }) => {
    expect(drainedStopsToRun(stops, new Set(dropped)).map((s) => s.taskId)).toEqual(expected);
  });
});

describe('Function: afterRound', () => {
  const unconverged = `not converged after ${MAX_ATTEMPTS} attempts (lost races or failed stops); the next trigger continues`;
  it.each([
    {
      name: 'done at the first round: converged',
      step: 'done',
      attempt: 1,
      expected: { kind: 'finish', outcome: 'Converged' },
    },
    {
      name: 'done at the last round: converged',
      step: 'done',
      attempt: MAX_ATTEMPTS,
      expected: { kind: 'finish', outcome: 'Converged' },
    },
    {
      name: 'the table failed: failed at once',
      step: 'failed',
      attempt: 1,
      expected: { kind: 'finish', outcome: 'Failed' },
    },
    {
      name: 'a lost race with rounds left: re-plan',
      step: 'replan',
      attempt: 1,
      expected: { kind: 'replan' },
    },
    {
      name: 'a lost race one round before the limit: re-plan',
      step: 'replan',
      attempt: MAX_ATTEMPTS - 1,
      expected: { kind: 'replan' },
    },
    {
      name: 'a lost race at the last round: unconverged, said',
      step: 'replan',
      attempt: MAX_ATTEMPTS,
      expected: { kind: 'finish', outcome: 'Unconverged', problem: unconverged },
    },
  ] as const)('$name', ({ step, attempt, expected }) => {
    expect(afterRound(step, attempt)).toEqual(expected);
  });

  it('takes the limit it is given', () => {
    expect(afterRound('replan', 2, 2)).toMatchObject({
      outcome: 'Unconverged',
      problem: expect.stringMatching(/after 2 attempts/),
    });
    expect(afterRound('replan', 2, 3)).toEqual({ kind: 'replan' });
  });
});

describe('Function: failoverResult', () => {
  const schedule: FailoverTrigger = { kind: 'schedule', eventTime: new Date(T0), id: 'tick-1' };
  const tally = (fill: (t: Tally) => void): Tally => {
    const t = newTally();
    fill(t);
    return t;
  };
  it.each([
    {
      name: 'nothing done: empty lists, no moves',
      trigger: schedule,
      tally: newTally(),
      expected: {
        trigger: 'schedule',
        triggerDetail: 'tick-1',
        partitionsMoved: 0,
        movesByReason: {},
        failedOver: [],
      },
    },
    {
      name: 'an event names its task',
      trigger: taskEvent(),
      tally: newTally(),
      expected: { trigger: 'task-event', triggerDetail: 'tm-a' },
    },
    {
      name: 'moves counted by reason; failovers name the DEAD owner once',
      trigger: schedule,
      tally: tally((t) => {
        t.moved.push(
          moveOrder(0, 'tm-b', 'OwnerGone', true),
          moveOrder(1, 'tm-b', 'OwnerGone', true),
          moveOrder(2, null, 'Unowned'),
          moveOrder(3, 'tm-a', 'Rebalance'),
        );
      }),
      expected: {
        partitionsMoved: 4,
        movesByReason: { OwnerGone: 2, Unowned: 1, Rebalance: 1 },
        failedOver: ['tm-b'],
      },
    },
    {
      name: 'sets in code-unit order of ids, problems once each in their order',
      trigger: schedule,
      tally: tally((t) => {
        for (const id of ['tm-10', 'tm-2', 'tm-1']) t.stopped.add(id);
        t.pruned.add('tm-z').add('tm-y');
        t.protectionSet.add('b').add('a');
        t.problems.push('second', 'first', 'second');
      }),
      expected: {
        stopped: ['tm-1', 'tm-10', 'tm-2'],
        pruned: ['tm-y', 'tm-z'],
        protectionSet: ['a', 'b'],
        problems: ['second', 'first'],
      },
    },
  ])('$name', ({ trigger, tally: t, expected }) => {
    expect(failoverResult(trigger, new Date(T0), 'Converged', t)).toMatchObject({
      at: '2026-01-01T12:00:00.000Z',
      outcome: 'Converged',
      ...expected,
    });
  });

  it('has no triggerDetail for a schedule event without an id', () => {
    const r = failoverResult(
      { kind: 'schedule', eventTime: new Date(T0) },
      new Date(T0),
      'Failed',
      newTally(),
    );
    expect(r).not.toHaveProperty('triggerDetail');
    expect(r.outcome).toBe('Failed');
  });
});
