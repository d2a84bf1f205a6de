/**
 * The SDK clients of the control plane, created once per Lambda container (module level in
 * the handlers) and injected into the adapters.
 *
 * Endpoints: an explicit override here wins; otherwise the SDK resolves them itself, which
 * includes the `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL_CLOUDWATCH` /
 * `AWS_ENDPOINT_URL_DYNAMODB` environment variables the local cloud relies on. That is why no
 * `endpoint` key is passed at all unless an override is given.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigError } from '../core/errors.js';

export type AwsRequestHandler = NonNullable<ECSClientConfig['requestHandler']>;
export type AwsCredentials = NonNullable<ECSClientConfig['credentials']>;
type SdkLogger = NonNullable<ECSClientConfig['logger']>;

/**
 * The clients' logger: like the SDK's default it discards everything, but it has no `info`.
 * The SDK's logger middleware calls `logger?.info?.({ input: filter(input), output:
 * filter(output) })`, so with the default no-op logger every call still builds redacted copies
 * of its request and response only to drop them (~7 % of a call's CPU); without `info` the
 * arguments are never evaluated. Failures reach the adapters as errors either way.
 */
const SDK_LOGGER = { trace() {}, debug() {}, warn() {}, error() {} } as unknown as SdkLogger;

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
}

export interface AwsClientsOptions {
  /**
   * AWS region of all three clients.
   * @default process.env.AWS_REGION, else 'us-east-1'
   */
  readonly region?: string;
  /** Per-service endpoint overrides (e.g. the local cloud). @default the SDK's own resolution */
  readonly endpoints?: {
    readonly ecs?: string;
    readonly cloudwatch?: string;
    readonly dynamodb?: string;
  };
  /**
   * One request handler shared by all three clients (e.g. the local cloud's in-process handler).
   * When set, the timeouts below do not apply.
   * @default a NodeHttpHandler per client with the timeouts below
   */
  readonly requestHandler?: AwsRequestHandler;
  /** A request handler for one service only (wins over `requestHandler`), e.g. the local cloud's in-process one. */
  readonly requestHandlers?: {
    readonly ecs?: AwsRequestHandler;
    readonly cloudwatch?: AwsRequestHandler;
    readonly dynamodb?: AwsRequestHandler;
  };
  /** @default the SDK's default credential chain */
  readonly credentials?: AwsCredentials;
  /**
   * Attempts per call, including the first, with the SDK's 'standard' retry mode.
   * @default 3
   */
  readonly maxAttempts?: number;
  /** TCP connect timeout per attempt. @default 1000 */
  readonly connectionTimeoutMs?: number;
  /** Timeout of one whole request/response per attempt; a breach fails the attempt. @default 5000 */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 1000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** The region: the option, else a non-empty AWS_REGION, else us-east-1. */
export function resolveRegion(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AWS_REGION?.trim();
  return region ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_REGION);
}

/**
 * A NodeHttpHandler whose timeouts end a hung or throttled dependency well inside a Lambda
 * tick: with 3 attempts of at most ~6 s each a call gives up in under 20 s.
 */
export function createRequestHandler(
  opts: Pick<AwsClientsOptions, 'connectionTimeoutMs' | 'requestTimeoutMs'> = {},
): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  });
}

export function createAwsClients(opts: AwsClientsOptions = {}): AwsClients {
  const region = resolveRegion(opts.region);
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigError(`maxAttempts: must be an integer >= 1, got ${maxAttempts}`);
  }
  const common = (endpoint: string | undefined, handler?: AwsRequestHandler) => ({
    region,
    maxAttempts,
    retryMode: 'standard',
    // The resolved middleware stack per command type, built once per container, not per call.
    cacheMiddleware: true,
    logger: SDK_LOGGER,
    requestHandler: handler ?? opts.requestHandler ?? createRequestHandler(opts),
    ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  });
  return {
    ecs: new ECSClient(common(opts.endpoints?.ecs, opts.requestHandlers?.ecs)),
    cloudwatch: new CloudWatchClient(common(opts.endpoints?.cloudwatch, opts.requestHandlers?.cloudwatch)),
    dynamodb: new DynamoDBClient(common(opts.endpoints?.dynamodb, opts.requestHandlers?.dynamodb)),
  };
}
