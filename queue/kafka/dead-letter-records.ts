/** Builds the dead-letter records both Kafka consumers (invocations and retries) write. */
import { encodeDeadLetter } from '../../common/invocation.js';
import { deadLetterOf, type ProcessDecision } from '../../common/queue.js';
import type { BatchRecord } from './producer-batcher.js';

/** The dead letter of a `dead-letter` decision. */
export function decisionDeadLetter(
  topic: string,
  decision: Extract<ProcessDecision, { action: 'dead-letter' }>,
  deadAt: number,
): BatchRecord {
  return { topic, key: decision.invocation.function, value: encodeDeadLetter(deadLetterOf(decision, deadAt)) };
}

/** The dead letter of a record that is not a valid envelope: its raw bytes, base64, and the parse error. */
export function undecodableDeadLetter(topic: string, raw: Buffer | null, error: Error, deadAt: number): BatchRecord {
  return {
    topic,
    key: null,
    value: encodeDeadLetter({
      reason: 'undecodable',
      attempts: 0,
      error: error.message,
      deadAt,
      rawBase64: (raw ?? Buffer.alloc(0)).toString('base64'),
    }),
  };
}
