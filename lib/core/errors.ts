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

/** The outcome of a call to a dependency: its value, or the DependencyError it failed with. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DependencyError };

/**
 * Runs a call to a dependency and maps its failure to a value: a DependencyError (AWS failed
 * after the SDK's retries) becomes `{ ok: false }`; any other error is a bug and is rethrown.
 * The one place where use cases catch dependency failures.
 */
export async function outcomeOf<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof DependencyError) return { ok: false, error };
    throw error;
  }
}
