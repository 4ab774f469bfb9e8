/**
 * `GET /async-calls/{callId}/result[?wait=30s]`: the function's answer to a finished call. The body is the
 * function's body and Content-Type, its other headers are replayed, and its HTTP status travels in
 * `X-Result-Status` (the response's own status belongs to this API: 404 unknown, 409 not finished). A body over
 * the worker's KFAAS_RESULT_MAX_BYTES was not kept: the answer is then empty, with `X-Result-Truncated: true`.
 */
import type { RequestHandler } from 'express';
import { isFinal } from '../../common/call-status.js';
import { KfaasError } from '../../common/errors.js';
import { Headers } from '../../common/headers.js';
import { readRequestedStatus, type AsyncCallsDeps } from './async-calls.js';

/** Response headers naming the result's own facts. */
export const ResultHeaders = Object.freeze({
  status: 'x-result-status',
  truncated: 'x-result-truncated',
  bytes: 'x-result-bytes',
  state: 'x-call-state',
});

// Replaying these would break the response we write (framing) or speak for this API instead of the function.
const NOT_REPLAYED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', Headers.callId, 'date', 'server']);

/** Creates the handler of `GET /async-calls/:callId/result`. */
export function createCallResultHandler(deps: AsyncCallsDeps): RequestHandler {
  return async (req, res) => {
    const status = await readRequestedStatus(req, res, deps);
    const result = status.result;
    if (!result || !isFinal(status.state)) {
      throw new KfaasError('CONFLICT', `call ${status.callId} is ${status.state}: it has no result yet`, { headers: { [ResultHeaders.state]: status.state } });
    }
    for (const [key, value] of Object.entries(result.headers)) if (!NOT_REPLAYED.has(key)) res.setHeader(key, value);
    res.setHeader(ResultHeaders.status, String(result.status));
    res.setHeader(ResultHeaders.bytes, String(result.bytes));
    res.setHeader(ResultHeaders.state, status.state);
    res.setHeader('cache-control', 'no-store');
    if (result.truncated) res.setHeader(ResultHeaders.truncated, 'true');
    res.status(200).end(result.bodyBase64 === undefined ? undefined : Buffer.from(result.bodyBase64, 'base64'));
  };
}
