/**
 * The failover Lambda: triggered by ECS Task State Change events of the TaskManager service
 * (the fast path) and by the EventBridge schedule (reconcile). Thin: parse and validate the
 * event, call lib, log. An invalid event throws a ValidationError naming the field, before
 * anything is read, written or called.
 */
import * as z from 'zod';
import { resourceName } from '../lib/aws/arn.js';
import { formatIssues } from '../lib/core/config.js';
import { AutoscalerError, ValidationError } from '../lib/core/errors.js';
import { parseAwsTime } from '../lib/core/triggers.js';
import { isRecord } from '../lib/core/values.js';
import type { FailoverResult, FailoverTrigger } from '../lib/failover.js';
import { publishFailover } from '../lib/observability.js';
import { type FailoverRuntime, loadFailoverRuntime } from '../lib/runtime.js';

export type FailoverHandler = (event: unknown) => Promise<FailoverResult>;

const time = z.string({ error: 'must be an ISO-8601 time' }).transform((s, ctx) => {
  const d = parseAwsTime(s);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time' });
    return z.NEVER;
  }
  return d;
});
const text = z.string({ error: 'must be a string' }).min(1, 'must not be empty');

const TaskStateChangeSchema = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Task State Change'),
  id: text,
  time,
  detail: z.object({
    taskArn: text.regex(/^arn:[^:]+:ecs:[^:]*:\d*:task\/.+\/[^/]+$/, 'must be an ECS task ARN'),
    clusterArn: text,
    group: text.optional(),
    lastStatus: text,
    desiredStatus: text,
    // No healthStatus: AWS's task state change events carry no health (DescribeTasks does);
    // one that arrives anyway is ignored.
    version: z.number({ error: 'must be a number' }).int('must be a whole number').nonnegative(),
    startedAt: time.optional(),
  }),
});

/** The `group` of a service's task: `service:<service name>`. */
const SERVICE_GROUP = 'service:';

const ScheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time,
  id: text.optional(),
});

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ValidationError(`invalid ${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** Classifies and validates a failover invocation: an ECS task state change or a scheduled event. */
export function parseFailoverEvent(raw: unknown): FailoverTrigger {
  if (!isRecord(raw)) throw new ValidationError('invalid event: (root): must be a JSON object');
  if (raw.source === 'aws.ecs') {
    const e = parseWith(TaskStateChangeSchema, raw, 'ECS task state change event');
    const d = e.detail;
    const service = d.group?.startsWith(SERVICE_GROUP) ? d.group.slice(SERVICE_GROUP.length) : undefined;
    return {
      kind: 'task-event',
      eventId: e.id,
      eventTime: e.time,
      taskId: resourceName(d.taskArn),
      cluster: resourceName(d.clusterArn),
      ...(service === undefined ? {} : { service }),
      ecs: {
        source: 'event',
        lastStatus: d.lastStatus,
        desiredStatus: d.desiredStatus,
        version: d.version,
        ...(d.startedAt === undefined ? {} : { startedAt: d.startedAt.getTime() }),
      },
    };
  }
  if (raw.source === 'aws.events') {
    const e = parseWith(ScheduledEventSchema, raw, 'scheduled event');
    return { kind: 'schedule', eventTime: e.time, ...(e.id === undefined ? {} : { id: e.id }) };
  }
  throw new ValidationError(
    'invalid event: source: must be aws.ecs (ECS Task State Change) or aws.events (schedule)',
  );
}

export function createFailoverHandler(runtime: FailoverRuntime): FailoverHandler {
  return async (event) => {
    try {
      const trigger = parseFailoverEvent(event);
      const result = await runtime.failover.handle(trigger);
      publishFailover(runtime.obs, result);
      return result;
    } catch (error) {
      runtime.obs.logger.error(
        error instanceof AutoscalerError ? error.message : 'failover failed',
        error as Error,
      );
      throw error;
    }
  };
}

let cached: FailoverHandler | undefined;

/** Lambda entry point. The config is read and validated once, at the first (cold) invocation. */
export const handler: FailoverHandler = (event) => {
  cached ??= createFailoverHandler(loadFailoverRuntime(process.env));
  return cached(event);
};
