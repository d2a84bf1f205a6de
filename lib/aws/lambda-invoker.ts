/**
 * Invokes the deployed scaler function (the operator CLI's way in): the Lambda Invoke API
 * with short connect timeouts and bounded retries, so that a missing or unreachable function
 * fails within seconds. Also finds the function's name in the control-plane stack's
 * outputs, and reads the policy bounds from the function's configuration (its
 * AUTOSCALER_CONFIG environment variable) so the CLI can reject a count out of bounds
 * before invoking. The errors are one-line sentences: `FunctionError` when the function ran and
 * threw, `InvokeError` when the invoke never reached it.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseConfigJson } from '../core/config.js';
import { AutoscalerError } from '../core/errors.js';
import { isRecord } from '../core/values.js';
import type { AwsCredentials } from './clients.js';

/** Why an invoke did not reach the function. */
export type InvokeFailure = 'not-found' | 'unreachable' | 'denied' | 'throttled' | 'config' | 'other';

/** The invoke did not reach the function (or its answer could not be read). */
export class InvokeError extends AutoscalerError {
  constructor(
    message: string,
    readonly failure: InvokeFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The function ran and failed: Lambda's `X-Amz-Function-Error`, with the error it reported. */
export class FunctionError extends AutoscalerError {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(`function "${functionName}" failed: ${errorType}: ${errorMessage}`);
  }
}

export interface LambdaInvokerOptions {
  /** Function name, ARN or partial ARN, optionally with a `:qualifier`. */
  readonly functionName: string;
  /**
   * A Lambda-compatible endpoint, e.g. `flink-ecs-autoscaler local up`'s.
   * @default the SDK's own resolution (including `AWS_ENDPOINT_URL_LAMBDA`)
   */
  readonly endpoint?: string;
  /** @default the SDK's own resolution; us-east-1 for a loopback endpoint */
  readonly region?: string;
  /** @default the SDK's default chain; fixed placeholder keys for a loopback endpoint when the environment has none */
  readonly credentials?: AwsCredentials;
  /** Attempts per invoke, including the first. @default 3 */
  readonly maxAttempts?: number;
  /** TCP connect timeout per attempt. @default 1500 */
  readonly connectionTimeoutMs?: number;
  /** Socket timeout of one attempt: above the scaler function's own timeout (50 s). @default 60000 */
  readonly requestTimeoutMs?: number;
  /** The whole invoke, retries included, gives up after this long. @default 65000 */
  readonly deadlineMs?: number;
  /** @default a LambdaClient built from the options above */
  readonly client?: LambdaClient;
  /**
   * Invokes Lambda throttled (429, TooManyRequestsException: the account's or the function's
   * concurrency is used up) are tried again this many times, after the SDK's own attempts,
   * with exponential backoff (1 s, 2 s, 4 s, … ± 20 %), within the deadline.
   * @default 3
   */
  readonly throttleRetries?: number;
  /** Told before each retry of a throttled invoke (the CLI prints it). */
  readonly onThrottled?: (retry: {
    readonly attempt: number;
    readonly of: number;
    readonly delayMs: number;
    readonly error: InvokeError;
  }) => void;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_INVOKE_ATTEMPTS = 3;
export const DEFAULT_THROTTLE_RETRIES = 3;
const THROTTLE_BACKOFF_BASE_MS = 1000;
export const DEFAULT_INVOKE_CONNECT_TIMEOUT_MS = 1500;
export const DEFAULT_INVOKE_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_INVOKE_DEADLINE_MS = 65_000;
const LOOPBACK_REGION = 'us-east-1';

/** True for http(s)://127.0.0.1, localhost or [::1] endpoints. */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

function hasEnvCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ACCESS_KEY_ID?.trim() || env.AWS_PROFILE?.trim());
}

function createLambdaClient(opts: LambdaInvokerOptions, env: NodeJS.ProcessEnv): LambdaClient {
  const loopback = isLoopbackEndpoint(opts.endpoint);
  const region = opts.region ?? (env.AWS_REGION?.trim() || (loopback ? LOOPBACK_REGION : undefined));
  const credentials =
    opts.credentials ??
    (loopback && !hasEnvCredentials(env) ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined);
  return new LambdaClient({
    maxAttempts: opts.maxAttempts ?? DEFAULT_INVOKE_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: opts.connectionTimeoutMs ?? DEFAULT_INVOKE_CONNECT_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_INVOKE_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
    ...(region !== undefined ? { region } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
  });
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly Message?: unknown;
  readonly errors?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** The error's message on one line; an AggregateError (e.g. refused on IPv4 and IPv6) by its parts. */
function oneLine(error: unknown): string {
  const e = shape(error);
  let text = typeof e.message === 'string' && e.message !== '' ? e.message : '';
  if (text === '' && typeof e.Message === 'string') text = e.Message;
  if (text === '' && Array.isArray(e.errors)) {
    text = [...new Set(e.errors.map((x) => oneLine(x)))].join('; ');
  }
  if (text === '' && typeof e.code === 'string') text = e.code;
  if (text === '') text = String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

function classify(error: unknown): InvokeFailure {
  const e = shape(error);
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (error instanceof ResourceNotFoundException) return 'not-found';
  if (error instanceof TooManyRequestsException || e.$metadata?.httpStatusCode === 429) return 'throttled';
  // Socket-level failures carry no HTTP status: Node's error codes and smithy's TimeoutError.
  if (NETWORK_CODES.has(code) || name === 'TimeoutError' || name === 'AbortError') return 'unreachable';
  if (e.$metadata?.httpStatusCode === 403) return 'denied';
  if (name === 'CredentialsProviderError' || /region is missing/i.test(oneLine(error))) return 'config';
  return 'other';
}

/** The InvokeError for whatever an Invoke call threw, as one sentence naming the function and where. */
export function toInvokeError(functionName: string, where: string, error: unknown): InvokeError {
  if (error instanceof InvokeError) return error;
  const failure = classify(error);
  const detail = oneLine(error);
  switch (failure) {
    case 'not-found':
      return new InvokeError(`function "${functionName}" not found at ${where} (${detail})`, failure, {
        cause: error,
      });
    case 'unreachable':
      return new InvokeError(`cannot reach the Lambda endpoint ${where}: ${detail}`, failure, {
        cause: error,
      });
    case 'denied':
      return new InvokeError(`not allowed to invoke "${functionName}": ${detail}`, failure, { cause: error });
    case 'throttled':
      return new InvokeError(`invoking "${functionName}" was throttled: ${detail}`, failure, {
        cause: error,
      });
    case 'config':
      return new InvokeError(
        /region is missing/i.test(detail)
          ? 'no AWS region: pass --region or set AWS_REGION'
          : `no AWS credentials: ${detail}`,
        failure,
        { cause: error },
      );
    default: {
      const name = shape(error).name;
      return new InvokeError(
        `invoking "${functionName}" failed: ${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${detail}`,
        failure,
        { cause: error },
      );
    }
  }
}

/** Lambda's error payload ({errorType, errorMessage, trace}) as a FunctionError; the trace is dropped. */
export function toFunctionError(functionName: string, kind: string, payloadText: string): FunctionError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloadText);
  } catch {
    parsed = undefined;
  }
  const errorType =
    isRecord(parsed) && typeof parsed.errorType === 'string' && parsed.errorType !== ''
      ? parsed.errorType
      : kind;
  const raw =
    isRecord(parsed) && typeof parsed.errorMessage === 'string'
      ? parsed.errorMessage
      : payloadText.trim() || 'the function failed without a message';
  return new FunctionError(functionName, errorType, raw.replace(/\s*\n\s*/g, ' ').trim());
}

/** The scaler's bounds on the TaskManager count, as its AUTOSCALER_CONFIG sets them. */
export interface FunctionBounds {
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
}

/**
 * Failures of GetFunctionConfiguration that say nothing about the invoke (no
 * lambda:GetFunctionConfiguration permission, an endpoint that does not serve the call, a
 * throttled control plane): the CLI then lets the function validate.
 */
const BOUNDS_FALLBACK: ReadonlySet<InvokeFailure> = new Set(['denied', 'throttled', 'other']);

/** Invokes one function synchronously (RequestResponse) with a JSON payload and returns its JSON result. */
export class LambdaInvoker {
  readonly functionName: string;
  private readonly client: LambdaClient;
  private readonly where: string;
  private readonly deadlineMs: number;
  private readonly throttleRetries: number;
  private readonly onThrottled: LambdaInvokerOptions['onThrottled'];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: LambdaInvokerOptions, env: NodeJS.ProcessEnv = process.env) {
    this.functionName = opts.functionName;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_INVOKE_DEADLINE_MS;
    this.throttleRetries = opts.throttleRetries ?? DEFAULT_THROTTLE_RETRIES;
    this.onThrottled = opts.onThrottled;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.client = opts.client ?? createLambdaClient(opts, env);
    this.where = opts.endpoint ?? `AWS Lambda${opts.region ? ` (${opts.region})` : ''}`;
  }

  /**
   * Invokes the function; a throttled invoke is tried again (throttleRetries, with backoff,
   * each retry announced through onThrottled) while the deadline allows.
   */
  async invoke(payload: unknown): Promise<unknown> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.invokeOnce(payload, this.deadlineMs - (Date.now() - started));
      } catch (error) {
        const delayMs = Math.round(
          THROTTLE_BACKOFF_BASE_MS * 2 ** (attempt - 1) * (0.8 + 0.4 * Math.random()),
        );
        const retry =
          error instanceof InvokeError &&
          error.failure === 'throttled' &&
          attempt <= this.throttleRetries &&
          Date.now() - started + delayMs < this.deadlineMs;
        if (!retry) throw error;
        this.onThrottled?.({ attempt, of: this.throttleRetries, delayMs, error });
        await this.sleep(delayMs);
      }
    }
  }

  private async invokeOnce(payload: unknown, budgetMs: number): Promise<unknown> {
    let text: string;
    let functionError: string | undefined;
    const deadline = AbortSignal.timeout(Math.max(1, budgetMs));
    try {
      const out = await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
        { abortSignal: deadline },
      );
      text = out.Payload ? out.Payload.transformToString() : '';
      functionError = out.FunctionError;
    } catch (error) {
      if (deadline.aborted) {
        throw new InvokeError(
          `no answer from function "${this.functionName}" at ${this.where} within ${this.deadlineMs / 1000} s`,
          'unreachable',
          { cause: error },
        );
      }
      throw toInvokeError(this.functionName, this.where, error);
    }
    if (functionError !== undefined && functionError !== '') {
      throw toFunctionError(this.functionName, functionError, text);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new InvokeError(
        `function "${this.functionName}" returned something that is not JSON: ${text.slice(0, 120)}`,
        'other',
        { cause },
      );
    }
  }

  /**
   * The policy bounds (minTaskManagers, maxTaskManagers) of the function's AUTOSCALER_CONFIG,
   * read with GetFunctionConfiguration. Undefined when the call is denied or not supported, or
   * the variable is absent or unreadable; a function that is not found or an endpoint that
   * cannot be reached throws the InvokeError an invoke would.
   */
  async bounds(): Promise<FunctionBounds | undefined> {
    let configJson: string | undefined;
    const deadline = AbortSignal.timeout(this.deadlineMs);
    try {
      const out = await this.client.send(
        new GetFunctionConfigurationCommand({ FunctionName: this.functionName }),
        { abortSignal: deadline },
      );
      configJson = out.Environment?.Variables?.AUTOSCALER_CONFIG;
    } catch (error) {
      if (deadline.aborted) {
        throw new InvokeError(
          `no answer about function "${this.functionName}" from ${this.where} within ${this.deadlineMs / 1000} s`,
          'unreachable',
          { cause: error },
        );
      }
      const failure = toInvokeError(this.functionName, this.where, error);
      if (BOUNDS_FALLBACK.has(failure.failure)) return undefined;
      throw failure;
    }
    if (configJson === undefined || configJson.trim() === '') return undefined;
    try {
      const { minTaskManagers, maxTaskManagers } = parseConfigJson(configJson).policy;
      return { minTaskManagers, maxTaskManagers };
    } catch {
      // A config the CLI cannot read: the function is the judge of it.
      return undefined;
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

export interface StackOutputOptions {
  readonly region?: string;
  /** @default a CloudFormationClient with the invoker's timeouts */
  readonly client?: CloudFormationClient;
}

/** The value of one output of a CloudFormation stack (e.g. the control-plane stack's `ScalerFunctionName`). */
export async function stackOutput(
  stackName: string,
  outputKey: string,
  opts: StackOutputOptions = {},
): Promise<string> {
  const client =
    opts.client ??
    new CloudFormationClient({
      maxAttempts: DEFAULT_INVOKE_ATTEMPTS,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: DEFAULT_INVOKE_CONNECT_TIMEOUT_MS,
        requestTimeout: 10_000,
        throwOnRequestTimeout: true,
      }),
      ...(opts.region !== undefined ? { region: opts.region } : {}),
    });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new InvokeError(`stack "${stackName}" not found`, 'not-found');
    const value = stack.Outputs?.find((o) => o.OutputKey === outputKey)?.OutputValue;
    if (value === undefined || value === '') {
      throw new InvokeError(`stack "${stackName}" has no output ${outputKey}`, 'not-found');
    }
    return value;
  } catch (error) {
    if (error instanceof InvokeError) throw error;
    const detail = oneLine(error);
    const failure = classify(error);
    // CloudFormation reports a missing stack as a 400 ValidationError "Stack with id X does not exist".
    if (failure === 'other' && /does not exist/i.test(detail)) {
      throw new InvokeError(`stack "${stackName}" not found: ${detail}`, 'not-found', { cause: error });
    }
    const what =
      failure === 'unreachable' ? 'cannot reach AWS CloudFormation' : `reading stack "${stackName}" failed`;
    throw new InvokeError(`${what}: ${detail}`, failure, { cause: error });
  } finally {
    if (!opts.client) client.destroy();
  }
}
