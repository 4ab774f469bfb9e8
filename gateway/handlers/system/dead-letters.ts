/** `GET /system/dead-letters?function=&limit=`: what failed for good, and why (newest first). */
import type { RequestHandler } from 'express';
import { deadLetterJson } from '../../../common/dead-letter-view.js';
import { KfaasError } from '../../../common/errors.js';
import type { DeadLetterReader } from '../../../common/queue.js';

const MAX_LIMIT = 1000;

/** Creates the handler; without a reader (a gateway with no queue) it answers 501. */
export function createDeadLettersHandler(reader: DeadLetterReader | undefined): RequestHandler {
  return async (req, res) => {
    if (!reader) throw new KfaasError('NOT_IMPLEMENTED', 'this gateway has no async queue, so it has no dead letters');
    const limitText = typeof req.query['limit'] === 'string' ? req.query['limit'] : '100';
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) {
      throw new KfaasError('INVALID_FIELD', `limit: must be a whole number from 1 to ${MAX_LIMIT} (got ${JSON.stringify(limitText)})`);
    }
    const fn = typeof req.query['function'] === 'string' && req.query['function'] !== '' ? req.query['function'] : undefined;
    const letters = await reader.list({ limit: Number(limitText), ...(fn ? { functionName: fn } : {}) });
    res.status(200).json(letters.map(deadLetterJson));
  };
}
