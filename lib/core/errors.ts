/**
 * One error hierarchy for the autoscaler. Callers branch on `instanceof`, never on names.
 */
export class AutoscalerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration is invalid; the message names the field. */
export class ConfigError extends AutoscalerError {}

/** An invocation payload or event is invalid; the message names the field. Nothing was written. */
export class ValidationError extends AutoscalerError {}

/** A conditional write lost against a concurrent writer. */
export class ConflictError extends AutoscalerError {}

/** A dependency (AWS API) failed after the SDK's retries. */
export class DependencyError extends AutoscalerError {
  constructor(
    message: string,
    readonly throttled: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
