/** The error the Kubernetes API ports throw, with the status code and the apiserver's `reason`. */

/** A failed Kubernetes API call. */
export class ApiError extends Error {
  readonly statusCode: number;
  /** The Status `reason` (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`...), when the apiserver sent one. */
  readonly reason: string | undefined;

  constructor(statusCode: number, reason: string | undefined, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** True for a 404. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 404;
}

/** True when a create hit an existing object. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason === 'AlreadyExists';
}

/** True when an update lost an optimistic-concurrency race (stale resourceVersion). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason !== 'AlreadyExists';
}

/** True when the apiserver rejected the object itself (retrying the same body cannot help). */
export function isInvalid(err: unknown): boolean {
  return err instanceof ApiError && (err.statusCode === 422 || err.statusCode === 400);
}
