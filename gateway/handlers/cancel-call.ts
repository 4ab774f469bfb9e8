/**
 * `DELETE /async-calls/{callId}`: cancels a call that is queued or waiting for a retry (202, and it never
 * runs). A call that is running or finished cannot be cancelled: 409, the body naming its state.
 */
import type { RequestHandler } from 'express';
import { callStatusJson, CANCELLABLE_STATES, type CallCanceller } from '../../common/call-status.js';
import { KfaasError } from '../../common/errors.js';
import { isValidCallId } from '../../common/headers.js';
import { ResultHeaders } from './async-call-result.js';

/** Creates the handler; without a canceller (no queue) it answers 501. */
export function createCancelCallHandler(canceller: CallCanceller | undefined): RequestHandler {
  return async (req, res) => {
    if (!canceller) throw new KfaasError('NOT_IMPLEMENTED', 'this gateway has no async queue, so it has no calls to cancel');
    const callId = String(req.params['callId'] ?? '');
    if (!isValidCallId(callId)) throw new KfaasError('INVALID_FIELD', `call id ${JSON.stringify(callId)} is not a valid X-Call-Id`);
    const outcome = await canceller.cancel(callId);
    if (!outcome) throw new KfaasError('NOT_FOUND', `no call ${callId}: unknown, or older than the status retention`);
    const { state } = outcome.status;
    if (!outcome.cancelled) {
      // Still "queued" by its status, yet a worker has taken it: it is starting, so it is too late.
      const why = CANCELLABLE_STATES.has(state) ? `${state}, but a worker has already taken it` : state;
      throw new KfaasError('CONFLICT', `call ${callId} is ${why}: only a queued or retrying call can be cancelled`, {
        headers: { [ResultHeaders.state]: state },
      });
    }
    res.status(202).json(callStatusJson(outcome.status));
  };
}
