/**
 * Typed platform errors with stable codes. Each code carries its HTTP status and whether a caller may retry;
 * the HTTP mapping happens in one error middleware per server, never ad hoc in handlers.
 */

/** Every error code the platform produces, with its HTTP status and retriability. */
export const ErrorCodes = Object.freeze({
  BAD_REQUEST: { statusCode: 400, retriable: false },
  INVALID_NAME: { statusCode: 400, retriable: false },
  INVALID_FIELD: { statusCode: 400, retriable: false },
  INVALID_NAMESPACE: { statusCode: 400, retriable: false },
  BAD_CALLBACK_URL: { statusCode: 400, retriable: false },
  UNAUTHORIZED: { statusCode: 401, retriable: false },
  CALLBACK_NOT_ALLOWED: { statusCode: 403, retriable: false },
  FN_NOT_FOUND: { statusCode: 404, retriable: false },
  NOT_FOUND: { statusCode: 404, retriable: false },
  METHOD_NOT_ALLOWED: { statusCode: 405, retriable: false },
  CONFLICT: { statusCode: 409, retriable: false },
  REQUEST_TIMEOUT: { statusCode: 408, retriable: true },
  PAYLOAD_TOO_LARGE: { statusCode: 413, retriable: false },
  TOO_MANY_REQUESTS: { statusCode: 429, retriable: true },
  INTERNAL: { statusCode: 500, retriable: true },
  NOT_IMPLEMENTED: { statusCode: 501, retriable: false },
  UPSTREAM_UNREACHABLE: { statusCode: 502, retriable: true },
  NO_ENDPOINTS: { statusCode: 503, retriable: true },
  QUEUE_UNAVAILABLE: { statusCode: 503, retriable: true },
  UNAVAILABLE: { statusCode: 503, retriable: true },
  UPSTREAM_TIMEOUT: { statusCode: 504, retriable: true },
} as const);

/** A stable platform error code. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Options that refine a platform error. */
export interface KfaasErrorOptions {
  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** Extra response headers, such as `Allow` for a 405. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** An error the platform itself produces, with a stable `code`, an HTTP `statusCode` and a `retriable` flag. */
export class KfaasError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retriable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: KfaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KfaasError';
    this.code = code;
    this.statusCode = ErrorCodes[code].statusCode;
    this.retriable = ErrorCodes[code].retriable;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

/**
 * A value that breaks a rule: `field` is where it sits (`retry.maxBackoff`), `problem` what is wrong with it.
 * Callers that know more about where the value came from (a stack file, an annotation, a CR) re-place it by
 * `field`, instead of taking the message apart. It is an INVALID_FIELD, so the gateway answers 400.
 */
export class ValidationError extends KfaasError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('INVALID_FIELD', `${field}: ${problem}`);
    this.name = 'ValidationError';
  }
}

/** Type guard for validation errors. */
export function isValidationError(err: unknown): err is ValidationError {
  return err instanceof ValidationError;
}

/** Type guard for platform errors, optionally of one code. */
export function isKfaasError(err: unknown, code?: ErrorCode): err is KfaasError {
  return err instanceof KfaasError && (code === undefined || err.code === code);
}

/** The one JSON shape of every error body the platform writes. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly error: string;
  readonly message: string;
}

const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Builds the JSON error body for a platform error. */
export function errorBody(err: KfaasError): ErrorBody {
  return {
    statusCode: err.statusCode,
    code: err.code,
    error: REASON[err.statusCode] ?? 'Error',
    message: err.message,
  };
}
