/**
 * What the Kafka source produces for a decision before the record's offset may be committed: nothing for
 * `complete`, the next attempt on `<topic>.retry` (with `notBefore` set) for `retry`, and a dead letter for
 * `dead-letter`.
 */
import { encodeInvocation, type Invocation } from '../../common/invocation.js';
import type { ProcessDecision } from '../../common/queue.js';
import { recordKey, retryTopic } from '../../common/topics.js';
import { decisionDeadLetter } from './dead-letter-records.js';
import type { BatchRecord } from './producer-batcher.js';

/** The record a decision on an invocation of `topic` writes, if any. */
export function decisionRecord(topic: string, deadLetterTopic: string, decision: ProcessDecision, now: () => number): BatchRecord | undefined {
  if (decision.action === 'complete') return undefined;
  if (decision.action === 'retry') {
    const next: Invocation = { ...decision.invocation, notBefore: now() + Math.max(0, decision.delayMs) };
    return { topic: retryTopic(topic), key: recordKey(next), value: encodeInvocation(next) };
  }
  return decisionDeadLetter(deadLetterTopic, decision, now());
}
