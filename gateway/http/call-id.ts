/** Call ids: keep a caller's valid `X-Call-Id`, else mint a UUID; one id links gateway, worker and function logs. */
import type { RequestHandler } from 'express';
import { Headers, isValidCallId } from '../../common/headers.js';
import type { Logger } from '../../common/logger.js';
import { uuidV7 } from '../../runtime/uuid7.js';

/**
 * Returns the caller's call id when it is safe to keep, else a fresh UUID: a time-ordered one (version 7), so
 * the stores keyed by call id append rather than write at random places.
 */
export function resolveCallId(incoming: string | string[] | undefined): string {
  return isValidCallId(typeof incoming === 'string' ? incoming : undefined) ? (incoming as string) : uuidV7();
}

/**
 * Express middleware for non-proxy routes: echoes the call id and puts it, with a per-request child logger,
 * on `res.locals` (`callId`, `logger`).
 */
export function createCallIdMiddleware(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const callId = resolveCallId(req.headers[Headers.callId]);
    res.setHeader(Headers.callId, callId);
    res.locals['callId'] = callId;
    res.locals['logger'] = logger.child({ callId });
    next();
  };
}
