/**
 * `POST /system/dead-letters/redrive` with `{"callIds": [...]}`, `{"function": "f", "namespace": "ns"}` or
 * `{"all": true}`: enqueues the named dead-lettered calls again (same call ids, attempts reset) and answers 202
 * with the ids it took back and how many matches it skipped (already redriven, or undecodable).
 */
import type { RequestHandler } from 'express';
import type { DeadLetterRedriver, RedriveSelector } from '../../../common/call-status.js';
import { isValidCallId } from '../../../common/headers.js';
import { KfaasError } from '../../../common/errors.js';

const MAX_CALL_IDS = 1_000;

/** Validates a redrive request body into a selector; 400 naming the problem. */
export function parseRedriveSelector(body: unknown): RedriveSelector {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const given = ['callIds', 'function', 'all'].filter((k) => b[k] !== undefined);
  if (given.length !== 1) throw new KfaasError('INVALID_FIELD', 'give exactly one of {"callIds": [...]}, {"function", "namespace"} or {"all": true}');
  if (b['all'] !== undefined) {
    if (b['all'] !== true) throw new KfaasError('INVALID_FIELD', 'all: must be true');
    return { all: true };
  }
  if (b['callIds'] !== undefined) {
    const ids = b['callIds'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_CALL_IDS || !ids.every((id) => typeof id === 'string' && isValidCallId(id))) {
      throw new KfaasError('INVALID_FIELD', `callIds: must be 1 to ${MAX_CALL_IDS} call ids`);
    }
    return { callIds: ids as string[] };
  }
  if (typeof b['function'] !== 'string' || b['function'] === '' || typeof b['namespace'] !== 'string' || b['namespace'] === '') {
    throw new KfaasError('INVALID_FIELD', 'function and namespace: both must be non-empty strings');
  }
  return { function: b['function'], namespace: b['namespace'] };
}

/** Creates the handler; without a redriver (no queue) it answers 501. */
export function createRedriveHandler(redriver: DeadLetterRedriver | undefined): RequestHandler {
  return async (req, res) => {
    if (!redriver) throw new KfaasError('NOT_IMPLEMENTED', 'this gateway has no async queue, so it has no dead letters to redrive');
    const outcome = await redriver.redrive(parseRedriveSelector(req.body));
    res.status(202).json(outcome);
  };
}
