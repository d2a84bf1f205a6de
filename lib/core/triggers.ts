/**
 * What invoked the scaler: an EventBridge schedule, a CloudWatch alarm (EventBridge state
 * change, or an alarm's direct Lambda action), or an operator's manual payload. Pure
 * parsing; an invalid payload throws a ValidationError whose message names the field.
 */
import * as z from 'zod';
import { formatIssues, type PolicyConfig } from './config';
import { ValidationError } from './errors';
import { isRecord } from './values';

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

export type ManualCommand =
  | {
      readonly action: 'rescale';
      readonly desiredCount: number;
      readonly reason: string;
      readonly holdMinutes: number;
      readonly dryRun: boolean;
    }
  | { readonly action: 'pause'; readonly minutes: number; readonly reason: string }
  | { readonly action: 'resume'; readonly reason?: string }
  | { readonly action: 'status'; readonly limit: number };

export type Trigger =
  | { readonly kind: 'schedule'; readonly eventTime: Date; readonly id?: string }
  | {
      readonly kind: 'alarm';
      readonly eventTime: Date;
      readonly alarmName: string;
      readonly state: AlarmState;
    }
  | { readonly kind: 'manual'; readonly command: ManualCommand };

/** "2023-08-04T12:36:15.490+0000" (alarm actions) → a Date; undefined if unparseable. */
export function parseAwsTime(text: string): Date | undefined {
  const normalized = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const awsTime = z.string().transform((s, ctx) => {
  const d = parseAwsTime(s);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time' });
    return z.NEVER;
  }
  return d;
});

const alarmStateValue = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

const ScheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: awsTime,
  id: z.string().optional(),
});

const AlarmStateChangeSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: awsTime,
  detail: z.object({ alarmName: z.string().min(1), state: z.object({ value: alarmStateValue }) }),
});

const AlarmActionSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: z.string().min(1),
  time: awsTime,
  alarmData: z.object({ alarmName: z.string().min(1), state: z.object({ value: alarmStateValue }) }),
});

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const wholeNumber = z.number({ error: 'must be a number' }).int('must be a whole number');

function manualSchema(policy: PolicyConfig) {
  const { minTaskManagers: min, maxTaskManagers: max } = policy;
  return z.discriminatedUnion(
    'action',
    [
      z.strictObject({
        action: z.literal('rescale'),
        desiredCount: wholeNumber
          .min(min, `must be between ${min} and ${max}`)
          .max(max, `must be between ${min} and ${max}`),
        reason: text(256),
        holdMinutes: wholeNumber
          .min(0, 'must be between 0 and 1440')
          .max(1440, 'must be between 0 and 1440')
          .default(30),
        dryRun: z.boolean({ error: 'must be true or false' }).default(false),
      }),
      z.strictObject({
        action: z.literal('pause'),
        minutes: wholeNumber.min(1, 'must be between 1 and 10080').max(10080, 'must be between 1 and 10080'),
        reason: text(256),
      }),
      z.strictObject({ action: z.literal('resume'), reason: text(256).optional() }),
      z.strictObject({
        action: z.literal('status'),
        limit: wholeNumber
          .min(1, 'must be between 1 and 100')
          .max(100, 'must be between 1 and 100')
          .default(10),
      }),
    ],
    { error: 'action: must be one of rescale, pause, resume, status' },
  );
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ValidationError(`invalid ${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** Classifies and validates any scaler invocation payload. */
export function parseTrigger(raw: unknown, policy: PolicyConfig): Trigger {
  if (!isRecord(raw)) throw new ValidationError('invalid event: (root): must be a JSON object');
  if ('action' in raw) {
    const command = parseWith(manualSchema(policy), raw, 'manual payload') as ManualCommand;
    return { kind: 'manual', command };
  }
  if (raw.source === 'aws.events') {
    const e = parseWith(ScheduledEventSchema, raw, 'scheduled event');
    return { kind: 'schedule', eventTime: e.time, ...(e.id ? { id: e.id } : {}) };
  }
  if (raw.source === 'aws.cloudwatch' && 'alarmData' in raw) {
    const e = parseWith(AlarmActionSchema, raw, 'alarm action payload');
    return {
      kind: 'alarm',
      eventTime: e.time,
      alarmName: e.alarmData.alarmName,
      state: e.alarmData.state.value,
    };
  }
  if (raw.source === 'aws.cloudwatch') {
    const e = parseWith(AlarmStateChangeSchema, raw, 'alarm state change event');
    return { kind: 'alarm', eventTime: e.time, alarmName: e.detail.alarmName, state: e.detail.state.value };
  }
  throw new ValidationError(
    'invalid event: source: must be aws.events (schedule) or aws.cloudwatch (alarm), or the payload must have an action',
  );
}

/** A stable id for an automatic trigger: the EventBridge event id, or the alarm and its time. */
export function triggerId(trigger: Exclude<Trigger, { kind: 'manual' }>): string {
  if (trigger.kind === 'schedule') return trigger.id ?? `schedule@${trigger.eventTime.toISOString()}`;
  return `alarm:${trigger.alarmName}:${trigger.state}@${trigger.eventTime.toISOString()}`;
}

/** Scheduled and alarm events older than two schedule periods are stale. */
export function isStale(trigger: Trigger, nowMs: number, scheduleSeconds: number): boolean {
  if (trigger.kind === 'manual') return false;
  return nowMs - trigger.eventTime.getTime() > 2 * scheduleSeconds * 1000;
}
