/** Lists the embedded queue's dead letters, newest first. */
import { decodeDeadLetter, type DeadLetter } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { DeadLetterReader } from '../../common/queue.js';
import { intAtLeast } from '../shared/validate.js';
import type { EmbeddedStore } from './store.js';

/** Default number of dead letters list() returns. */
export const DEFAULT_EMBEDDED_DEAD_LETTER_LIMIT = 100;

/** Creates the reader over the store's dead_letters table. */
export function createEmbeddedDeadLetterReader(store: EmbeddedStore, logger: Logger): DeadLetterReader {
  return {
    async list(options = {}) {
      const limit = intAtLeast('limit', options.limit ?? DEFAULT_EMBEDDED_DEAD_LETTER_LIMIT, 1);
      const out: DeadLetter[] = [];
      for (const record of store.deadLetterRecords(limit, options.functionName)) {
        try {
          out.push(decodeDeadLetter(record));
        } catch (err) {
          logger.warn('skipping a dead letter that cannot be decoded', { err });
        }
      }
      return out;
    },
  };
}
