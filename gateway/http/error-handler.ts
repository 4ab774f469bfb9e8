/**
 * The one place gateway errors become HTTP: a KfaasError (or a body-parser error, or anything else) is written
 * as the shared JSON shape with the platform-error headers. Handlers throw; they never write 4xx/5xx ad hoc.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { KfaasError, errorBody, isKfaasError } from '../../common/errors.js';
import { Headers } from '../../common/headers.js';
import type { Logger } from '../../common/logger.js';

/** The component name the gateway puts in `X-OpenFaaS-Internal`. */
export const INTERNAL_COMPONENT = 'gateway';

/** Maps any thrown value to a KfaasError: platform errors pass through, body-parser errors keep their 4xx. */
export function toKfaasError(err: unknown): KfaasError {
  if (isKfaasError(err)) return err;
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown; limit?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (e?.type === 'entity.parse.failed') return new KfaasError('BAD_REQUEST', `request body is not valid JSON: ${String(e.message)}`, { cause: err });
  if (e?.type === 'entity.too.large') {
    return new KfaasError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${String(e.limit)} bytes`, { cause: err });
  }
  if (status >= 400 && status < 500) return new KfaasError('BAD_REQUEST', String(e?.message ?? 'bad request'), { cause: err });
  return new KfaasError('INTERNAL', 'internal gateway error', { cause: err });
}

/**
 * Writes a platform error response. If the response already started (a streamed function reply), the only
 * honest signal left is to cut the connection.
 */
export function writeError(res: ServerResponse, err: KfaasError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = JSON.stringify(errorBody(err));
  for (const [key, value] of Object.entries(err.headers)) res.setHeader(key, value);
  if (err.retryAfterSeconds !== undefined) res.setHeader(Headers.retryAfter, String(err.retryAfterSeconds));
  res.setHeader(Headers.kfaasError, 'true');
  res.setHeader(Headers.internal, INTERNAL_COMPONENT);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.statusCode = err.statusCode;
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Logs a platform error once: gateway faults at error, upstream trouble at warn, client errors (and 501) at debug. */
export function logError(logger: Logger, err: KfaasError, meta: Record<string, unknown> = {}): void {
  if (err.code === 'INTERNAL') {
    logger.error(err.message, { ...meta, code: err.code, statusCode: err.statusCode, err: err.cause ?? err });
  } else if (err.statusCode >= 500 && err.code !== 'NOT_IMPLEMENTED') {
    logger.warn(err.message, { ...meta, code: err.code, statusCode: err.statusCode, err: err.cause ?? err });
  } else {
    logger.debug(err.message, { ...meta, code: err.code, statusCode: err.statusCode });
  }
}

/** The Express error middleware, registered last. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const kerr = toKfaasError(err);
    const log = (res.locals['logger'] as Logger | undefined) ?? logger;
    logError(log, kerr, { method: req.method, path: req.path });
    writeError(res, kerr);
  };
}
