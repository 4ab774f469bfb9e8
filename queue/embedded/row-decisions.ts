/**
 * How the embedded source stores what became of a claimed row, each inside one store write: `complete`
 * deletes it, `retry` rewrites its envelope and due time, `dead-letter` moves it to the dead_letters table.
 * Every step checks the lease, so a row another process claimed meanwhile is left alone.
 */
import { encodeDeadLetter, encodeInvocation, type Invocation } from '../../common/invocation.js';
import { deadLetterOf, type ProcessDecision } from '../../common/queue.js';
import type { ClaimedRow, EmbeddedStore } from './store.js';

/** Applies a decision to row `id`; call inside `store.write`. False when `owner` no longer holds its lease. */
export function applyDecision(store: EmbeddedStore, owner: string, id: number, decision: ProcessDecision, now: () => number): boolean {
  switch (decision.action) {
    case 'complete':
      return store.removeInvocation(id, owner);
    case 'retry': {
      const dueAt = now() + Math.max(0, decision.delayMs);
      const next: Invocation = { ...decision.invocation, notBefore: dueAt };
      return store.rescheduleInvocation(id, owner, encodeInvocation(next), next.function, dueAt);
    }
    case 'dead-letter': {
      const inv = decision.invocation;
      const deadAt = now();
      const record = encodeDeadLetter(deadLetterOf(decision, deadAt));
      if (!store.removeInvocation(id, owner)) return false;
      store.insertDeadLetter({ fn: inv.function, reason: decision.reason, deadAt, record });
      return true;
    }
  }
}

/** Moves a row that is not a kfaas envelope to the dead letters, with its raw bytes and the parse error. */
export function deadLetterUndecodable(store: EmbeddedStore, owner: string, row: ClaimedRow, error: Error, now: () => number): Promise<void> {
  const record = encodeDeadLetter({
    reason: 'undecodable',
    attempts: 0,
    error: error.message,
    deadAt: now(),
    rawBase64: row.envelope.toString('base64'),
  });
  return store.write(() => {
    store.insertDeadLetter({ fn: null, reason: 'undecodable', deadAt: now(), record });
    store.removeInvocation(row.id, owner);
  });
}
