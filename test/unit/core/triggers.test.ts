import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/core/errors';
import { isStale, parseAwsTime, parseTrigger } from '../../../lib/core/triggers';
import { config } from '../../support/fixtures';

const policy = config({ policy: { minTaskManagers: 2, maxTaskManagers: 12 } }).policy;

const scheduled = {
  version: '0',
  id: 'ev-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-23T12:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/tick'],
  detail: {},
};
const alarmChange = {
  version: '0',
  id: 'ev-2',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-23T12:00:30Z',
  region: 'eu-west-1',
  resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:lag-high'],
  detail: {
    alarmName: 'lag-high',
    state: { value: 'ALARM', reason: 'r', timestamp: '2026-11-23T12:00:29.000+0000' },
  },
};
const alarmAction = {
  source: 'aws.cloudwatch',
  alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:lag-high',
  accountId: '123456789012',
  time: '2026-11-23T12:00:31.490+0000',
  region: 'eu-west-1',
  alarmData: {
    alarmName: 'lag-high',
    state: { value: 'ALARM', reason: 'r', timestamp: '2026-11-23T12:00:31.490+0000' },
  },
};

describe('Function: parseTrigger', () => {
  it('recognizes a scheduled event', () => {
    expect(parseTrigger(scheduled, policy)).toEqual({
      kind: 'schedule',
      eventTime: new Date('2026-11-23T12:00:00Z'),
      id: 'ev-1',
    });
  });

  it('recognizes both alarm shapes', () => {
    expect(parseTrigger(alarmChange, policy)).toMatchObject({
      kind: 'alarm',
      alarmName: 'lag-high',
      state: 'ALARM',
    });
    const action = parseTrigger(alarmAction, policy);
    expect(action).toMatchObject({ kind: 'alarm', alarmName: 'lag-high', state: 'ALARM' });
    expect(action.kind === 'alarm' && action.eventTime.toISOString()).toBe('2026-11-23T12:00:31.490Z');
  });

  it.each([
    {
      payload: { action: 'rescale', desiredCount: 6, reason: 'sale' },
      expected: { action: 'rescale', desiredCount: 6, reason: 'sale', holdMinutes: 30, dryRun: false },
    },
    {
      payload: { action: 'rescale', desiredCount: 2, reason: 'x', holdMinutes: 0, dryRun: true },
      expected: { action: 'rescale', desiredCount: 2, reason: 'x', holdMinutes: 0, dryRun: true },
    },
    {
      payload: { action: 'pause', minutes: 60, reason: 'maintenance' },
      expected: { action: 'pause', minutes: 60, reason: 'maintenance' },
    },
    { payload: { action: 'resume' }, expected: { action: 'resume' } },
    { payload: { action: 'status' }, expected: { action: 'status', limit: 10 } },
  ])('accepts manual $payload.action', ({ payload, expected }) => {
    expect(parseTrigger(payload, policy)).toEqual({ kind: 'manual', command: expected });
  });

  it.each([
    {
      name: 'desiredCount above max',
      payload: { action: 'rescale', desiredCount: 13, reason: 'x' },
      field: 'desiredCount',
      text: 'between 2 and 12',
    },
    {
      name: 'desiredCount below min',
      payload: { action: 'rescale', desiredCount: 1, reason: 'x' },
      field: 'desiredCount',
      text: 'between 2 and 12',
    },
    {
      name: 'desiredCount not a number',
      payload: { action: 'rescale', desiredCount: '6', reason: 'x' },
      field: 'desiredCount',
      text: 'number',
    },
    {
      name: 'desiredCount fractional',
      payload: { action: 'rescale', desiredCount: 6.5, reason: 'x' },
      field: 'desiredCount',
      text: 'whole',
    },
    { name: 'missing reason', payload: { action: 'rescale', desiredCount: 6 }, field: 'reason', text: '' },
    {
      name: 'empty reason',
      payload: { action: 'rescale', desiredCount: 6, reason: '  ' },
      field: 'reason',
      text: 'empty',
    },
    {
      name: 'hold too long',
      payload: { action: 'rescale', desiredCount: 6, reason: 'x', holdMinutes: 5000 },
      field: 'holdMinutes',
      text: '1440',
    },
    {
      name: 'unknown field',
      payload: { action: 'rescale', desiredCount: 6, reason: 'x', force: true },
      field: '(root)',
      text: 'force',
    },
    { name: 'unknown action', payload: { action: 'explode' }, field: 'action', text: 'rescale, pause' },
    { name: 'pause without minutes', payload: { action: 'pause', reason: 'x' }, field: 'minutes', text: '' },
    {
      name: 'scheduled event without time',
      payload: { ...scheduled, time: undefined },
      field: 'time',
      text: '',
    },
    {
      name: 'alarm with a bad state',
      payload: { ...alarmChange, detail: { alarmName: 'a', state: { value: 'RED' } } },
      field: 'detail.state.value',
      text: '',
    },
    { name: 'unrelated event', payload: { source: 'aws.s3' }, field: 'source', text: '' },
  ])('rejects $name naming $field', ({ payload, field, text }) => {
    let error: unknown;
    try {
      parseTrigger(payload, policy);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`${field}:`);
    expect((error as Error).message).toContain(text);
  });

  it.each([null, 42, 'rescale', [1]])('rejects a non-object payload %j', (payload) => {
    expect(() => parseTrigger(payload, policy)).toThrow(/\(root\): must be a JSON object/);
  });
});

describe('Function: isStale / parseAwsTime', () => {
  const now = Date.parse('2026-11-23T12:05:00Z');
  it.each([
    { time: '2026-11-23T12:04:00Z', stale: false },
    { time: '2026-11-23T12:03:00Z', stale: false },
    { time: '2026-11-23T12:02:59Z', stale: true },
  ])('event at $time (now 12:05, 60 s schedule) stale=$stale', ({ time, stale }) => {
    expect(isStale({ kind: 'schedule', eventTime: new Date(time) }, now, 60)).toBe(stale);
  });

  it('manual commands are never stale', () => {
    expect(isStale({ kind: 'manual', command: { action: 'resume' } }, now, 60)).toBe(false);
  });

  it('parses the +0000 offsets of alarm payloads', () => {
    expect(parseAwsTime('2026-11-23T12:00:31.490+0000')?.toISOString()).toBe('2026-11-23T12:00:31.490Z');
    expect(parseAwsTime('yesterday')).toBeUndefined();
  });
});

describe('Issue 11 item 4: strict input', () => {
  it.each([
    { time: '2026-11-23T12:00:00Z', ok: true },
    { time: '2026-11-23T12:00:00.123456789Z', ok: true },
    { time: '2026-11-23T12:00:31.490+0000', ok: true },
    { time: '2026-11-23T12:00:31+00:00', ok: true },
    { time: '2026', ok: false },
    { time: 'Mon, 23 Nov 2026 12:00:00 GMT', ok: false },
    { time: '2026-11-23T12:00:00+02:00', ok: false },
    { time: '2026-11-23 12:00:00Z', ok: false },
    { time: '2026-02-30T12:00:00Z', ok: false },
    { time: '2026-11-23T24:00:00Z', ok: false },
  ])('event time $time accepted: $ok', ({ time, ok }) => {
    const parse = () => parseTrigger({ ...scheduled, time }, policy);
    if (ok) expect(parse().kind).toBe('schedule');
    else expect(parse).toThrow(/invalid scheduled event: time: must be an ISO-8601 UTC time/);
  });

  it('a future event time beyond the clock skew is stale, within it is not', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const at = (s: number) => ({ kind: 'schedule' as const, eventTime: new Date(now + s * 1000) });
    expect(isStale(at(30), now, 60)).toBe(false);
    expect(isStale(at(31), now, 60)).toBe(true);
    expect(isStale({ ...at(0), eventTime: new Date('2099-01-01T00:00:00Z') }, now, 60)).toBe(true);
  });

  it.each([
    { name: 'event id of 129 characters', event: { ...scheduled, id: 'x'.repeat(129) }, field: 'id' },
    { name: 'a 300 KB event id', event: { ...scheduled, id: 'x'.repeat(300_000) }, field: 'id' },
    {
      name: 'alarm name of 256 characters',
      event: { ...alarmChange, detail: { ...alarmChange.detail, alarmName: 'a'.repeat(256) } },
      field: 'detail.alarmName',
    },
    {
      name: 'alarm action name of 256 characters',
      event: { ...alarmAction, alarmData: { ...alarmAction.alarmData, alarmName: 'a'.repeat(256) } },
      field: 'alarmData.alarmName',
    },
  ])('rejects an $name, naming the field', ({ event, field }) => {
    expect(() => parseTrigger(event, policy)).toThrow(
      new RegExp(`: ${field.replace('.', '\\.')}: must be at most`),
    );
  });

  it('names an unknown action once: "action: must be one of …"', () => {
    expect(() => parseTrigger({ action: 'scale' }, policy)).toThrow(
      /^invalid manual payload: action: must be one of rescale, pause, resume, status$/,
    );
  });
});
