import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/core/config';
import type { HealthStatus, TaskHealthItem } from '../../../lib/core/domain';
import {
  containerUnhealthyRule,
  deadIsFinalRule,
  type EcsObservation,
  type HealthConfig,
  type HealthObservation,
  type HealthReason,
  type HealthRule,
  healthContext,
  heartbeatRule,
  isMetricsOutage,
  newTaskHealth,
  nextHealth,
  notRunningRule,
  selectHungToStop,
  shouldApplyEcsEvent,
  stopRequestedRule,
  taskStoppedRule,
} from '../../../lib/core/health';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const S = 1000;
/** The config defaults (checked below): a 90 s heartbeat timeout, DEAD on the first stale reconcile. */
const DEFAULTS: HealthConfig = { heartbeatTimeoutSeconds: 90, missesToDead: 1, maxStopsPerMinute: 1 };

describe('Constant: health defaults', () => {
  it('are the config schema defaults', () => {
    const config = parseConfig({ appId: 'a', ecs: { cluster: 'c', service: 's' }, partitions: 1 });
    expect(config.health).toEqual(DEFAULTS);
  });
});

function item(over: Partial<TaskHealthItem> = {}): TaskHealthItem {
  return {
    taskId: 't1',
    status: 'HEALTHY',
    ecsStatus: 'RUNNING',
    ecsVersion: 3,
    misses: 0,
    lastSeen: T0 - 30 * S,
    startedAt: T0 - 3600 * S,
    version: 5,
    ...over,
  };
}

/** An ECS Task State Change event (no health: AWS's events carry none). */
function ecs(over: Partial<EcsObservation> = {}): EcsObservation {
  return { source: 'event', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ...over };
}

/** A DescribeTasks result: status, container health and version as of the read. */
function described(over: Partial<EcsObservation> = {}): EcsObservation {
  return {
    source: 'describe',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    ...over,
  };
}

interface RuleCase {
  name: string;
  prev?: Partial<TaskHealthItem>;
  obs?: Partial<HealthObservation>;
  config?: Partial<HealthConfig>;
  expect: { status: HealthStatus; reason: HealthReason; misses?: number } | 'pass';
}

function checkRule(rule: HealthRule, cases: RuleCase[]): void {
  it.each(cases)('$name', (c) => {
    // Prepare
    const ctx = healthContext(item(c.prev), { reconcile: true, ...c.obs }, { ...DEFAULTS, ...c.config }, T0);
    // Act
    const verdict = rule(ctx);
    // Assess
    if (c.expect === 'pass') {
      expect(verdict).toBeUndefined();
    } else {
      expect(verdict).toMatchObject({ status: c.expect.status, reason: c.expect.reason });
      if (c.expect.misses !== undefined) expect(verdict?.misses).toBe(c.expect.misses);
      expect(verdict?.message.length).toBeGreaterThan(0);
    }
  });
}

describe('Function: shouldApplyEcsEvent', () => {
  it.each([
    { recorded: 3, event: 4, apply: true },
    { recorded: 0, event: 1, apply: true },
    { recorded: 4, event: 4, apply: false },
    { recorded: 5, event: 4, apply: false },
  ])('recorded $recorded, event $event → $apply', ({ recorded, event, apply }) => {
    expect(shouldApplyEcsEvent(recorded, event)).toBe(apply);
  });
});

describe('Rule: dead is final', () => {
  checkRule(deadIsFinalRule, [
    {
      name: 'a DEAD TaskManager stays DEAD even with fresh metrics',
      prev: { status: 'DEAD', misses: 1 },
      obs: { lastDatapointAt: T0 },
      expect: { status: 'DEAD', reason: 'AlreadyDead', misses: 1 },
    },
    { name: 'a HEALTHY TaskManager passes', expect: 'pass' },
    { name: 'a SUSPECT TaskManager passes', prev: { status: 'SUSPECT' }, expect: 'pass' },
  ]);
});

describe('Rule: task stopped', () => {
  checkRule(taskStoppedRule, [
    {
      name: 'STOPPED is dead at once',
      obs: { ecs: ecs({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DEAD', reason: 'TaskStopped' },
    },
    {
      name: 'DEPROVISIONING is dead at once',
      obs: { ecs: ecs({ lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DEAD', reason: 'TaskStopped' },
    },
    {
      name: 'a recorded STOPPED with no new observation is dead',
      prev: { ecsStatus: 'STOPPED' },
      expect: { status: 'DEAD', reason: 'TaskStopped' },
    },
    {
      name: 'a STOPPED event older than the record is ignored',
      obs: { ecs: ecs({ lastStatus: 'STOPPED', version: 3 }) },
      expect: 'pass',
    },
    { name: 'RUNNING passes', obs: { ecs: ecs({ version: 4 }) }, expect: 'pass' },
    {
      name: 'STOPPING passes (still draining)',
      obs: { ecs: ecs({ lastStatus: 'STOPPING' }) },
      expect: 'pass',
    },
  ]);
});

describe('Rule: container unhealthy', () => {
  checkRule(containerUnhealthyRule, [
    {
      name: 'UNHEALTHY (DescribeTasks) is dead',
      obs: { ecs: described({ healthStatus: 'UNHEALTHY', version: 4 }), lastDatapointAt: T0 },
      expect: { status: 'DEAD', reason: 'ContainerUnhealthy' },
    },
    {
      name: 'UNHEALTHY at the recorded version is dead (a health change need not raise the version)',
      obs: { ecs: described({ healthStatus: 'UNHEALTHY', version: 3 }) },
      expect: { status: 'DEAD', reason: 'ContainerUnhealthy' },
    },
    { name: 'HEALTHY passes', obs: { ecs: described({ version: 4 }) }, expect: 'pass' },
    {
      name: 'UNKNOWN (no health check) passes',
      obs: { ecs: described({ healthStatus: 'UNKNOWN' }) },
      expect: 'pass',
    },
    { name: 'no ECS observation passes', expect: 'pass' },
    {
      name: 'a DescribeTasks result older than the record is ignored',
      obs: { ecs: described({ healthStatus: 'UNHEALTHY', version: 2 }) },
      expect: 'pass',
    },
    {
      name: 'a healthStatus on an event is ignored (AWS sends none)',
      obs: { ecs: ecs({ healthStatus: 'UNHEALTHY', version: 4 }) },
      expect: 'pass',
    },
  ]);
});

describe('Rule: stop requested', () => {
  checkRule(stopRequestedRule, [
    {
      name: 'desiredStatus STOPPED while RUNNING drains',
      obs: { ecs: ecs({ desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DRAINING', reason: 'StopRequested' },
    },
    {
      name: 'lastStatus DEACTIVATING drains',
      obs: { ecs: ecs({ lastStatus: 'DEACTIVATING', version: 4 }) },
      expect: { status: 'DRAINING', reason: 'StopRequested' },
    },
    {
      name: 'lastStatus STOPPING drains',
      obs: { ecs: ecs({ lastStatus: 'STOPPING', desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DRAINING', reason: 'StopRequested' },
    },
    {
      name: 'DRAINING stays DRAINING (a stop cannot be undone)',
      prev: { status: 'DRAINING' },
      obs: { ecs: ecs({ version: 4 }), lastDatapointAt: T0 },
      expect: { status: 'DRAINING', reason: 'StopRequested' },
    },
    { name: 'RUNNING with desiredStatus RUNNING passes', obs: { ecs: ecs({ version: 4 }) }, expect: 'pass' },
  ]);
});

describe('Rule: not running yet', () => {
  checkRule(notRunningRule, [
    {
      name: 'PROVISIONING is not trusted',
      obs: { ecs: ecs({ lastStatus: 'PROVISIONING', version: 4 }) },
      expect: { status: 'SUSPECT', reason: 'NotRunning', misses: 0 },
    },
    {
      name: 'PENDING is not trusted',
      obs: { ecs: ecs({ lastStatus: 'PENDING', version: 4 }) },
      expect: { status: 'SUSPECT', reason: 'NotRunning' },
    },
    {
      name: 'ACTIVATING is not trusted',
      obs: { ecs: ecs({ lastStatus: 'ACTIVATING', version: 4 }) },
      expect: { status: 'SUSPECT', reason: 'NotRunning' },
    },
    { name: 'RUNNING passes', obs: { ecs: ecs({ version: 4 }) }, expect: 'pass' },
  ]);
});

describe('Rule: heartbeat', () => {
  // With the 90 s timeout and 60 s reconciles: 91..150 s without a datapoint is 1 miss,
  // 151..210 s is 2, 211..270 s is 3.
  const stale = (ageSeconds: number) => ({ lastSeen: T0 - ageSeconds * S });
  checkRule(heartbeatRule, [
    {
      name: 'a fresh datapoint is HEALTHY',
      prev: stale(200),
      obs: { lastDatapointAt: T0 - 10 * S },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh', misses: 0 },
    },
    {
      name: 'a datapoint exactly heartbeatTimeoutSeconds old is still fresh',
      prev: stale(200),
      obs: { lastDatapointAt: T0 - 90 * S },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh' },
    },
    {
      name: 'a fresh datapoint while SUSPECT resets the misses',
      prev: { ...stale(200), status: 'SUSPECT', misses: 2 },
      obs: { lastDatapointAt: T0 },
      config: { missesToDead: 3 },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh', misses: 0 },
    },
    {
      // The first stale reconcile is the first miss: with missesToDead 1 a HEALTHY TaskManager
      // is DEAD at once, which keeps a hang's handover within timeout + one tick.
      name: 'the first stale reconcile is a miss: DEAD at once with missesToDead 1',
      prev: stale(100),
      expect: { status: 'DEAD', reason: 'MissesExceeded', misses: 1 },
    },
    {
      name: 'the first stale reconcile of three misses is SUSPECT',
      prev: stale(100),
      config: { missesToDead: 3 },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 1 },
    },
    {
      name: 'the second period overdue is the second miss',
      prev: { ...stale(180), status: 'SUSPECT', misses: 1 },
      config: { missesToDead: 3 },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 2 },
    },
    {
      name: 'the third period overdue is DEAD with missesToDead 3',
      prev: { ...stale(240), status: 'SUSPECT', misses: 2 },
      config: { missesToDead: 3 },
      expect: { status: 'DEAD', reason: 'MissesExceeded', misses: 3 },
    },
    {
      // Misses come from the age, not from counting invocations: a duplicated or concurrent
      // reconcile of the same period cannot count it twice.
      name: 'a second reconcile in the same period counts no extra miss',
      prev: { ...stale(100), status: 'SUSPECT', misses: 1 },
      config: { missesToDead: 2 },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 1 },
    },
    {
      name: 'misses count in the reconcile period given',
      prev: stale(200),
      obs: { reconcileSeconds: 30 },
      config: { missesToDead: 5 },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 4 },
    },
    {
      name: 'an event-driven evaluation (no metrics read) keeps a SUSPECT TaskManager SUSPECT',
      prev: { ...stale(200), status: 'SUSPECT' },
      obs: { reconcile: false },
      expect: { status: 'SUSPECT', reason: 'HeartbeatNotChecked', misses: 0 },
    },
    {
      name: 'an event-driven evaluation keeps a HEALTHY TaskManager HEALTHY whatever its recorded lastSeen',
      prev: stale(600),
      obs: { reconcile: false },
      expect: { status: 'HEALTHY', reason: 'HeartbeatNotChecked', misses: 0 },
    },
    {
      name: 'a task just out of PENDING gets one tick before misses count',
      prev: { ...stale(200), status: 'SUSPECT', ecsStatus: 'PENDING' },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 0 },
    },
    {
      name: 'a task seen for the first time gets one tick before misses count',
      prev: { ...stale(200), status: 'SUSPECT', ecsStatus: 'UNKNOWN' },
      expect: { status: 'SUSPECT', reason: 'HeartbeatMissing', misses: 0 },
    },
    {
      name: 'a recent task start counts as a heartbeat',
      prev: { ...stale(200), startedAt: undefined, status: 'SUSPECT', ecsStatus: 'PENDING' },
      obs: { ecs: ecs({ version: 4, startedAt: T0 - 5 * S }) },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh' },
    },
    {
      name: 'a longer heartbeat timeout keeps it HEALTHY',
      prev: stale(200),
      config: { heartbeatTimeoutSeconds: 300 },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh' },
    },
  ]);
});

describe('Function: nextHealth', () => {
  const cases: {
    name: string;
    prev?: Partial<TaskHealthItem>;
    obs: HealthObservation;
    config?: Partial<HealthConfig>;
    expect: {
      status: HealthStatus;
      reason: HealthReason;
      ecsStatus?: string;
      ecsVersion?: number;
      statusChanged?: boolean;
      mustWrite?: boolean;
      ecsEventIgnored?: boolean;
      heartbeatStale?: boolean;
    };
  }[] = [
    {
      name: 'STOPPED event: DEAD at once, version recorded',
      obs: { reconcile: false, ecs: ecs({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 7 }) },
      expect: {
        status: 'DEAD',
        reason: 'TaskStopped',
        ecsStatus: 'STOPPED',
        ecsVersion: 7,
        statusChanged: true,
        mustWrite: true,
      },
    },
    {
      name: 'a replayed STOPPED event not newer than the record is ignored',
      prev: { ecsVersion: 7 },
      obs: { reconcile: false, ecs: ecs({ lastStatus: 'STOPPED', version: 7 }), lastDatapointAt: T0 },
      expect: {
        status: 'HEALTHY',
        reason: 'HeartbeatFresh',
        ecsStatus: 'RUNNING',
        ecsVersion: 7,
        statusChanged: false,
        mustWrite: false,
        ecsEventIgnored: true,
      },
    },
    {
      name: 'an out-of-order RUNNING event after STOPPED does not revive',
      prev: { status: 'DEAD', ecsStatus: 'STOPPED', ecsVersion: 9 },
      obs: { reconcile: false, ecs: ecs({ version: 8 }), lastDatapointAt: T0 },
      expect: {
        status: 'DEAD',
        reason: 'AlreadyDead',
        ecsStatus: 'STOPPED',
        ecsVersion: 9,
        ecsEventIgnored: true,
      },
    },
    {
      name: 'UNHEALTHY wins over a stop request',
      obs: {
        reconcile: false,
        ecs: described({ desiredStatus: 'STOPPED', healthStatus: 'UNHEALTHY', version: 4 }),
      },
      expect: { status: 'DEAD', reason: 'ContainerUnhealthy' },
    },
    {
      name: 'STOPPED wins over DRAINING',
      prev: { status: 'DRAINING', ecsStatus: 'STOPPING' },
      obs: { reconcile: false, ecs: ecs({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DEAD', reason: 'TaskStopped', statusChanged: true },
    },
    {
      name: 'a stop request on a silent TaskManager drains rather than suspects',
      prev: { lastSeen: T0 - 500 * S },
      obs: { reconcile: true, ecs: ecs({ desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DRAINING', reason: 'StopRequested' },
    },
    {
      name: 'a fresh datapoint alone only moves lastSeen: no write needed',
      obs: { reconcile: true, lastDatapointAt: T0 - 5 * S },
      expect: {
        status: 'HEALTHY',
        reason: 'HeartbeatFresh',
        statusChanged: false,
        mustWrite: false,
        heartbeatStale: false,
      },
    },
    {
      name: 'a heartbeat past the timeout is stale, whatever decided the verdict (here: DEAD earlier)',
      prev: { status: 'DEAD', lastSeen: T0 - 91 * S },
      obs: { reconcile: true },
      expect: { status: 'DEAD', reason: 'AlreadyDead', heartbeatStale: true },
    },
    {
      name: 'stale also when the heartbeat is not judged (an ECS event), and at exactly the timeout not yet',
      prev: { lastSeen: T0 - 90 * S },
      obs: { reconcile: false },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh', heartbeatStale: false },
    },
    {
      name: 'a task’s start is evidence of life: started 10 s ago with no datapoint is not stale',
      prev: { status: 'SUSPECT', ecsStatus: 'PENDING', lastSeen: T0 - 500 * S, startedAt: undefined },
      obs: { reconcile: true, ecs: described({ startedAt: T0 - 10 * S, version: 4 }) },
      expect: { status: 'HEALTHY', reason: 'HeartbeatFresh', heartbeatStale: false },
    },
    {
      name: 'a silent TaskManager whose stop was requested drains, and its heartbeat is stale',
      prev: { lastSeen: T0 - 500 * S },
      obs: { reconcile: false, ecs: ecs({ desiredStatus: 'STOPPED', version: 4 }) },
      expect: { status: 'DRAINING', reason: 'StopRequested', heartbeatStale: true },
    },
    {
      name: 'a DescribeTasks result without a version is applied and keeps the recorded version',
      prev: { status: 'SUSPECT', ecsStatus: 'PENDING', startedAt: undefined },
      obs: { reconcile: true, ecs: described({ startedAt: T0 - 2 * S }) },
      expect: {
        status: 'HEALTHY',
        reason: 'HeartbeatFresh',
        ecsStatus: 'RUNNING',
        ecsVersion: 3,
        statusChanged: true,
        mustWrite: true,
      },
    },
  ];
  it.each(cases)('$name', (c) => {
    // Prepare
    const prev = item(c.prev);
    // Act
    const t = nextHealth(prev, c.obs, { ...DEFAULTS, ...c.config }, T0);
    // Assess
    expect(t.next.status).toBe(c.expect.status);
    expect(t.verdict.reason).toBe(c.expect.reason);
    expect(t.next.version).toBe(prev.version);
    if (c.expect.ecsStatus !== undefined) expect(t.next.ecsStatus).toBe(c.expect.ecsStatus);
    if (c.expect.ecsVersion !== undefined) expect(t.next.ecsVersion).toBe(c.expect.ecsVersion);
    if (c.expect.statusChanged !== undefined) expect(t.statusChanged).toBe(c.expect.statusChanged);
    if (c.expect.mustWrite !== undefined) expect(t.mustWrite).toBe(c.expect.mustWrite);
    expect(t.ecsEventIgnored).toBe(c.expect.ecsEventIgnored ?? false);
    if (c.expect.heartbeatStale !== undefined) expect(t.heartbeatStale).toBe(c.expect.heartbeatStale);
  });

  it('declares a hung TaskManager DEAD within heartbeat timeout + one tick (defaults)', () => {
    // Prepare: it hangs at T0; its last published period ended at T0 (the worst case: the
    // period it hangs in is never published). Reconciles every 60 s, starting at any offset.
    for (const offset of [0, 1, 30, 59]) {
      let h: TaskHealthItem = item({ lastSeen: T0 });
      let deadAt: number | undefined;
      // Act
      for (let t = T0 + offset * S; deadAt === undefined && t < T0 + 600 * S; t += 60 * S) {
        h = nextHealth(h, { reconcile: true, lastDatapointAt: T0 }, DEFAULTS, t).next;
        if (h.status === 'DEAD') deadAt = t;
      }
      // Assess: healthy ages (≤ 90 s) never trip it; 90 + 60 = 150 s bounds the hand-over.
      expect(deadAt).toBeDefined();
      expect(((deadAt as number) - T0) / S).toBeGreaterThan(90);
      expect(((deadAt as number) - T0) / S).toBeLessThanOrEqual(150);
    }
  });

  it('keeps a healthy TaskManager HEALTHY at every reconcile offset (newest datapoint 30..90 s old)', () => {
    // Per-minute datapoints visible 30 s after their minute: the newest period ends 30..90 s ago.
    for (let offset = 0; offset < 60; offset += 5) {
      const now = T0 + offset * S;
      const newestEnd = Math.floor((now - 30 * S) / (60 * S)) * 60 * S;
      const t = nextHealth(
        item({ lastSeen: T0 - 3600 * S }),
        { reconcile: true, lastDatapointAt: newestEnd },
        DEFAULTS,
        now,
      );
      expect(t.next.status).toBe('HEALTHY');
    }
  });

  it('never lets a versionless snapshot revive a task ECS reported gone', () => {
    // Prepare: the record says STOPPED (from an event); a ListTasks snapshot taken earlier says RUNNING.
    const prev = item({ status: 'DEAD', ecsStatus: 'STOPPED', ecsVersion: 9 });
    // Act
    const t = nextHealth(prev, { reconcile: true, ecs: described(), lastDatapointAt: T0 }, DEFAULTS, T0);
    // Assess
    expect(t.next).toMatchObject({ status: 'DEAD', ecsStatus: 'STOPPED' });
    expect(t.ecsEventIgnored).toBe(true);
    expect(t.mustWrite).toBe(false);
  });

  it('records when ECS is first seen reporting the task gone (goneAt), once', () => {
    // Prepare
    const stopped = ecs({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 5 });
    // Act
    const first = nextHealth(item({ ecsVersion: 4 }), { reconcile: false, ecs: stopped }, DEFAULTS, T0);
    const later = nextHealth(
      { ...first.next, version: 2 },
      { reconcile: false, ecs: { ...stopped, lastStatus: 'DELETED', version: 6 } },
      DEFAULTS,
      T0 + 60 * S,
    );
    // Assess
    expect(first.next.goneAt).toBe(T0);
    expect(first.mustWrite).toBe(true);
    expect(later.next.goneAt).toBe(T0);
  });

  it('carries the stop and protection records over', () => {
    const prev = item({ stopRequestedAt: T0 - 5 * S, protectedUntil: T0 + 3600 * S });
    const t = nextHealth(prev, { reconcile: true, lastDatapointAt: T0 }, DEFAULTS, T0);
    expect(t.next).toMatchObject({ stopRequestedAt: T0 - 5 * S, protectedUntil: T0 + 3600 * S });
  });

  it('brings a new task from first sight to HEALTHY on its RUNNING event', () => {
    // Prepare
    const first = newTaskHealth('t9', T0);
    // Act
    const pending = nextHealth(
      first,
      { reconcile: false, ecs: ecs({ lastStatus: 'PENDING', version: 1 }) },
      DEFAULTS,
      T0,
    );
    const running = nextHealth(
      pending.next,
      { reconcile: false, ecs: ecs({ version: 2, startedAt: T0 + 40 * S }) },
      DEFAULTS,
      T0 + 41 * S,
    );
    // Assess
    expect(first).toMatchObject({ status: 'SUSPECT', ecsVersion: 0, misses: 0, version: 0 });
    expect(pending.next).toMatchObject({ status: 'SUSPECT', ecsStatus: 'PENDING', ecsVersion: 1 });
    expect(running.next).toMatchObject({
      status: 'HEALTHY',
      ecsStatus: 'RUNNING',
      ecsVersion: 2,
      startedAt: T0 + 40 * S,
    });
  });
});

describe('Function: selectHungToStop', () => {
  const hung = (taskId: string, lastSeen: number) => ({
    taskId,
    status: 'DEAD' as const,
    ecsStatus: 'RUNNING',
    lastSeen,
  });
  const cases: {
    name: string;
    tasks: { taskId: string; status: HealthStatus; ecsStatus: string; lastSeen: number }[];
    max: number;
    recent?: number[];
    stop: string[];
    deferred: string[];
  }[] = [
    {
      name: 'a RUNNING task DEAD by health is stopped',
      tasks: [
        hung('a', T0 - 300 * S),
        { taskId: 'b', status: 'HEALTHY', ecsStatus: 'RUNNING', lastSeen: T0 },
      ],
      max: 1,
      stop: ['a'],
      deferred: [],
    },
    {
      name: 'a DEAD task ECS already stopped is not stopped again',
      tasks: [{ taskId: 'a', status: 'DEAD', ecsStatus: 'STOPPED', lastSeen: T0 - 300 * S }],
      max: 1,
      stop: [],
      deferred: [],
    },
    {
      name: 'SUSPECT and DRAINING tasks are not stopped',
      tasks: [
        { taskId: 'a', status: 'SUSPECT', ecsStatus: 'RUNNING', lastSeen: T0 - 300 * S },
        { taskId: 'b', status: 'DRAINING', ecsStatus: 'RUNNING', lastSeen: T0 - 300 * S },
      ],
      max: 5,
      stop: [],
      deferred: [],
    },
    {
      name: 'the rate limit stops the longest silent first',
      tasks: [hung('a', T0 - 200 * S), hung('b', T0 - 400 * S), hung('c', T0 - 300 * S)],
      max: 2,
      stop: ['b', 'c'],
      deferred: ['a'],
    },
    {
      name: 'equal silence breaks ties by task id',
      tasks: [hung('z', T0 - 200 * S), hung('m', T0 - 200 * S)],
      max: 1,
      stop: ['m'],
      deferred: ['z'],
    },
    {
      name: 'a stop within the last minute uses the budget',
      tasks: [hung('a', T0 - 300 * S)],
      max: 1,
      recent: [T0 - 30 * S],
      stop: [],
      deferred: ['a'],
    },
    {
      name: 'a stop more than a minute ago does not count',
      tasks: [hung('a', T0 - 300 * S)],
      max: 1,
      recent: [T0 - 60 * S, T0 - 90 * S],
      stop: ['a'],
      deferred: [],
    },
    {
      name: 'a limit of zero stops nothing',
      tasks: [hung('a', T0 - 300 * S)],
      max: 0,
      stop: [],
      deferred: ['a'],
    },
  ];
  it.each(cases)('$name', (c) => {
    // Act
    const sel = selectHungToStop(c.tasks, c.max, c.recent ?? [], T0);
    // Assess
    expect(sel).toEqual({ stop: c.stop, deferred: c.deferred });
  });
});

describe('Function: isMetricsOutage', () => {
  it.each([
    { stale: 0, running: 5, outage: false },
    { stale: 1, running: 1, outage: false },
    { stale: 1, running: 2, outage: false },
    { stale: 2, running: 2, outage: true },
    { stale: 2, running: 4, outage: false },
    { stale: 3, running: 4, outage: true },
    { stale: 2, running: 3, outage: true },
  ])('$stale stale of $running running → $outage', ({ stale, running, outage }) => {
    expect(isMetricsOutage(stale, running)).toBe(outage);
  });
});
