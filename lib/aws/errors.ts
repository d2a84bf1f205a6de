/**
 * The one place where AWS SDK errors become the autoscaler's errors. Every adapter in
 * lib/aws wraps its SDK calls with `toDependencyError`, so callers only ever see the
 * error hierarchy of lib/core/errors.
 */
import { AutoscalerError, DependencyError } from '../core/errors.js';

/** Error codes the SDK itself classifies as throttling (mirrors @smithy's THROTTLING_ERROR_CODES). */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $retryable?: { readonly throttling?: unknown };
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** True when an SDK error (after the SDK's own retries) means "slow down" rather than "broken". */
export function isThrottlingError(error: unknown): boolean {
  const e = shape(error);
  if (e.$retryable?.throttling === true) return true;
  if (e.$metadata?.httpStatusCode === 429) return true;
  const name = typeof e.name === 'string' ? e.name : '';
  return THROTTLING_CODES.has(name) || name.includes('Throttl');
}

function describe(error: unknown): string {
  const e = shape(error);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  return `${name}: ${message}`;
}

/**
 * Maps an error thrown by an SDK call to a DependencyError (throttled or not), keeping the
 * original as `cause`. Errors that already belong to the autoscaler's hierarchy pass through.
 *
 * @param operation what was attempted, e.g. "ECS UpdateService cluster/service"
 */
export function toDependencyError(operation: string, error: unknown): AutoscalerError {
  if (error instanceof AutoscalerError) return error;
  const throttled = isThrottlingError(error);
  return new DependencyError(
    `${operation} failed${throttled ? ' (throttled)' : ''}: ${describe(error)}`,
    throttled,
    {
      cause: error,
    },
  );
}

/** Runs one SDK call and maps whatever it throws with `toDependencyError`. */
export async function callAws<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toDependencyError(operation, error);
  }
}
