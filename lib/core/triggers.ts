/**
 * What invoked the scaler: an EventBridge schedule, a CloudWatch alarm (EventBridge state
 * change, or an alarm's direct Lambda action), or an operator's manual payload. Pure
 * parsing; an invalid payload throws a ValidationError whose message names the field.
 */
import * as z from 'zod';
import { formatIssues, type PolicyConfig } from './config.js';
import { ValidationError } from './errors.js';
import { isRecord } from './values.js';

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

/** Longest event id accepted (EventBridge ids are 36-character UUIDs). */
export const MAX_EVENT_ID_LENGTH = 128;
/** CloudWatch alarm names are at most 255 characters. */
export const MAX_ALARM_NAME_LENGTH = 255;
/** ARNs are at most 2,048 characters. */
export const MAX_ARN_LENGTH = 2048;
/** An event time this far ahead of the clock is clock skew; further ahead, the event is stale. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

/**
 * ISO-8601 in UTC, as AWS writes event times: `2026-12-01T08:00:00Z` (EventBridge),
 * `2023-08-04T12:36:15.490+0000` (alarm actions), fractions up to nanoseconds, `Z`, `+0000`
 * or `+00:00`. Anything else (a bare year, `toUTCString()` output, a local offset) is rejected.
 */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]00:?00)$/;

/** An ISO-8601 UTC time → a Date; undefined when the text is not one, or names no real instant. */
export function parseAwsTime(text: string): Date | undefined {
  const m = ISO_UTC.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(Number(m[7] ?? 0) * 1000));
  const d = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: such a time names no real instant.
  const real =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return real ? d : undefined;
}

/** An ISO-8601 UTC time (parseAwsTime) as a zod schema that names the rule when it fails. */
export const awsTimeSchema = z.string({ error: 'must be an ISO-8601 UTC time' }).transform((s, ctx) => {
  const d = parseAwsTime(s);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 UTC time, e.g. 2026-12-01T08:00:00Z' });
    return z.NEVER;
  }
  return d;
});
const awsTime = awsTimeSchema;

/** A non-empty string of at most `max` characters. */
export const boundedText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

const alarmStateValue = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

const ScheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: awsTime,
  id: boundedText(MAX_EVENT_ID_LENGTH).optional(),
});

const AlarmStateChangeSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: awsTime,
  detail: z.object({
    alarmName: boundedText(MAX_ALARM_NAME_LENGTH),
    state: z.object({ value: alarmStateValue }),
  }),
});

const AlarmActionSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: boundedText(MAX_ARN_LENGTH),
  time: awsTime,
  alarmData: z.object({
    alarmName: boundedText(MAX_ALARM_NAME_LENGTH),
    state: z.object({ value: alarmStateValue }),
  }),
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
    { error: 'must be one of rescale, pause, resume, status' },
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

/**
 * Scheduled and alarm events older than two schedule periods are stale, and so are events
 * from the future beyond a small clock skew (no clock is that far off; such an event is not
 * what it says it is).
 */
export function isStale(trigger: Trigger, nowMs: number, scheduleSeconds: number): boolean {
  if (trigger.kind === 'manual') return false;
  const ageMs = nowMs - trigger.eventTime.getTime();
  return ageMs > 2 * scheduleSeconds * 1000 || ageMs < -MAX_CLOCK_SKEW_SECONDS * 1000;
}
