/** Builds the dead-letter records both Kafka consumers (invocations and retries) write. */
import { encodeDeadLetter, type Invocation } from '../../common/invocation.js';
import type { ProcessDecision } from '../../common/queue.js';
import type { BatchRecord } from './producer-batcher.js';

/** The dead letter of a `dead-letter` decision. */
export function decisionDeadLetter(
  topic: string,
  decision: Extract<ProcessDecision, { action: 'dead-letter' }>,
  deadAt: number,
): BatchRecord {
  const inv: Invocation = decision.invocation;
  return {
    topic,
    key: inv.function,
    value: encodeDeadLetter({
      reason: decision.reason,
      attempts: inv.attempt,
      lastStatus: decision.lastStatus,
      error: decision.error,
      deadAt,
      invocation: inv,
    }),
  };
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
