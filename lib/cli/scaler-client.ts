/**
 * The scaler function as the operator CLI sees it: the manual payloads it sends
 * (lib/core/triggers: rescale, pause, resume, status) and the answers it reads back (the
 * decision record of lib/scaler, with a `status` view for `status`). Answers are validated,
 * so a wrong function name that happens to exist gives one clear line, not a crash.
 */
import * as z from 'zod';
import { AutoscalerError } from '../core/errors.js';

/** Sends one payload to the scaler function and returns its JSON answer. */
export type Invoke = (payload: unknown) => Promise<unknown>;

/** The function answered, but not with what the scaler function answers. */
export class UnexpectedResponseError extends AutoscalerError {}

const TimedFlagSchema = z.object({ until: z.number(), reason: z.string(), by: z.string().optional() });

export const DecisionSchema = z.looseObject({
  decisionId: z.string(),
  at: z.string(),
  trigger: z.string(),
  triggerDetail: z.string().optional(),
  policy: z.string(),
  current: z.number(),
  running: z.number(),
  recommended: z.number(),
  desired: z.number(),
  reason: z.string(),
  applied: z.boolean(),
  dryRun: z.boolean(),
  message: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const StatusViewSchema = z.looseObject({
  state: z.looseObject({
    version: z.number(),
    desired: z.number().optional(),
    lastScaleOutAt: z.number().optional(),
    lastScaleInAt: z.number().optional(),
    lastDecisionAt: z.number().optional(),
    hold: TimedFlagSchema.optional(),
    pause: TimedFlagSchema.optional(),
    change: z
      .object({
        decisionId: z.string(),
        desired: z.number(),
        committedAt: z.number(),
        appliedAt: z.number().optional(),
      })
      .optional(),
  }),
  service: z.looseObject({
    desiredCount: z.number(),
    runningCount: z.number(),
    pendingCount: z.number(),
    deploymentInProgress: z.boolean(),
    status: z.string(),
  }),
  decisions: z.array(DecisionSchema),
  partitions: z.object({ total: z.number(), unowned: z.number() }),
  unhealthyTaskManagers: z.array(z.string()),
});
export type StatusView = z.infer<typeof StatusViewSchema>;

export const StatusResultSchema = DecisionSchema.extend({ status: StatusViewSchema });
export type StatusResult = z.infer<typeof StatusResultSchema>;

/** The scaler's own bounds on manual payloads (lib/core/triggers): checked here before any invoke. */
export const HOLD_MAX_MINUTES = 1440;
export const PAUSE_MAX_MINUTES = 10_080;
export const STATUS_MAX_LIMIT = 100;
export const REASON_MAX_CHARS = 256;

export interface RescaleRequest {
  readonly desiredCount: number;
  readonly reason: string;
  /** @default the function's (30 minutes) */
  readonly holdMinutes?: number;
  readonly dryRun?: boolean;
}

function issuesLine(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export class ScalerClient {
  constructor(
    private readonly invoke: Invoke,
    readonly functionName: string,
  ) {}

  private async call<T>(payload: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    const answer = await this.invoke(payload);
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      throw new UnexpectedResponseError(
        `function "${this.functionName}" did not answer like the scaler function (${issuesLine(parsed.error)}): is it the right function?`,
      );
    }
    return parsed.data;
  }

  status(limit: number): Promise<StatusResult> {
    return this.call({ action: 'status', limit }, StatusResultSchema);
  }

  rescale(request: RescaleRequest): Promise<Decision> {
    return this.call(
      {
        action: 'rescale',
        desiredCount: request.desiredCount,
        reason: request.reason,
        ...(request.holdMinutes !== undefined ? { holdMinutes: request.holdMinutes } : {}),
        ...(request.dryRun ? { dryRun: true } : {}),
      },
      DecisionSchema,
    );
  }

  pause(minutes: number, reason: string): Promise<Decision> {
    return this.call({ action: 'pause', minutes, reason }, DecisionSchema);
  }

  resume(reason?: string): Promise<Decision> {
    return this.call({ action: 'resume', ...(reason !== undefined ? { reason } : {}) }, DecisionSchema);
  }
}
