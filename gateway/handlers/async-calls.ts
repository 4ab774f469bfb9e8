/**
 * `GET /async-calls/{callId}[?wait=30s]`: what became of an async call. Without `wait` it answers at once;
 * with it, it holds the request until the call reaches a final state or the wait (capped) ends, then answers
 * with the latest snapshot. An unknown or expired id is 404 either way.
 */
import type { Request, RequestHandler, Response } from 'express';
import { callStatusJson, type CallStatus, type CallStatusReader } from '../../common/call-status.js';
import { tryParseDuration } from '../../common/duration.js';
import { KfaasError } from '../../common/errors.js';
import { isValidCallId } from '../../common/headers.js';

/** What the status route needs. */
export interface AsyncCallsDeps {
  /** Absent when the gateway has no queue: the route answers 501. */
  readonly statuses: CallStatusReader | undefined;
  /** Longest `?wait`; also the wait of a bare `?wait`. */
  readonly maxWaitMs: number;
}

/** Parses `?wait`: undefined when absent, the cap when empty, else the duration clamped to the cap. */
export function parseWait(value: unknown, maxWaitMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new KfaasError('INVALID_FIELD', 'wait: give it once, as a duration like 30s');
  if (value === '') return maxWaitMs;
  const ms = tryParseDuration(value);
  if (ms === undefined) throw new KfaasError('INVALID_FIELD', `wait: ${JSON.stringify(value)} is not a duration (use 30s, 1m or whole seconds)`);
  return Math.min(ms, maxWaitMs);
}

/**
 * Reads the status a request names (`:callId`, optional `?wait`), for this route and the result route;
 * throws 501 without a queue, 400 for a bad id or wait, and 404 for an unknown call.
 */
export async function readRequestedStatus(req: Request, res: Response, deps: AsyncCallsDeps): Promise<CallStatus> {
  const { statuses } = deps;
  if (!statuses) throw new KfaasError('NOT_IMPLEMENTED', 'this gateway has no async queue, so it tracks no calls');
  const callId = String(req.params['callId'] ?? '');
  if (!isValidCallId(callId)) throw new KfaasError('INVALID_FIELD', `call id ${JSON.stringify(callId)} is not a valid X-Call-Id`);
  const waitMs = parseWait(req.query['wait'], deps.maxWaitMs);
  let status;
  if (waitMs === undefined || waitMs === 0) {
    status = await statuses.get(callId);
  } else {
    // A client that gives up should not hold a waiter for the rest of the wait.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    status = await statuses.waitForFinal(callId, waitMs, gone.signal);
  }
  if (!status) throw new KfaasError('NOT_FOUND', `no call ${callId}: unknown, or older than the status retention`);
  return status;
}

/** Creates the handler of `GET /async-calls/:callId`. */
export function createCallStatusHandler(deps: AsyncCallsDeps): RequestHandler {
  return async (req, res) => {
    const status = await readRequestedStatus(req, res, deps);
    res.setHeader('cache-control', 'no-store');
    res.status(200).json(callStatusJson(status));
  };
}
