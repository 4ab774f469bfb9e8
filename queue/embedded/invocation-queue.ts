/**
 * The embedded InvocationQueue: one row per call in the SQLite store, resolved only after the group commit that
 * wrote it is fsynced. Enqueued topics are announced on an in-process emitter so a source in the same process
 * picks the call up at once instead of at its next poll.
 */
import type { EventEmitter } from 'node:events';
import { queuedStatus } from '../../common/call-status.js';
import { KfaasError } from '../../common/errors.js';
import { encodeInvocation, type Invocation } from '../../common/invocation.js';
import type { InvocationQueue } from '../../common/queue.js';
import { invocationTopic } from '../../common/topics.js';
import { STATUS_EVENT } from './call-status.js';
import type { EmbeddedStore } from './store.js';

/** The emitter event carrying the topic of a newly stored call. */
export const ENQUEUED_EVENT = 'enqueued';

/** Collaborators of the embedded queue. */
export interface EmbeddedQueueDeps {
  readonly store: EmbeddedStore;
  readonly notifier: EventEmitter;
  readonly topicBase: string;
  readonly retryAfterSeconds: number;
  readonly isClosed: () => boolean;
  readonly now?: () => number;
}

/** Creates the enqueue side of the embedded queue (close() belongs to the owning EmbeddedQueue). */
export function createEmbeddedInvocationQueue(deps: EmbeddedQueueDeps): Pick<InvocationQueue, 'enqueue'> {
  const now = deps.now ?? Date.now;
  // Due times never go backwards within a process (a clock step back would otherwise let a later call of an
  // ordering key be claimed before an earlier one: claims go by due time).
  let lastDueAt = 0;
  return {
    async enqueue(inv: Invocation) {
      if (deps.isClosed()) {
        throw new KfaasError('QUEUE_UNAVAILABLE', 'the embedded queue is closed', { retryAfterSeconds: deps.retryAfterSeconds });
      }
      const queue = invocationTopic(inv.queue, deps.topicBase);
      const row = {
        callId: inv.callId,
        queue,
        orderingKey: inv.orderingKey ?? null,
        fn: inv.function,
        envelope: encodeInvocation(inv),
        // A delayed call takes its own due time and leaves the monotonic clock alone (else every later call would wait too).
        dueAt: inv.notBefore !== undefined && inv.notBefore > now() ? inv.notBefore : (lastDueAt = Math.max(lastDueAt, inv.notBefore ?? now())),
        enqueuedAt: now(),
      };
      const status = queuedStatus(inv, row.enqueuedAt);
      try {
        await deps.store.write(() => {
          deps.store.insertInvocation(row);
          deps.store.statuses.put(status);
        });
      } catch (err) {
        throw new KfaasError('QUEUE_UNAVAILABLE', `the call could not be stored: ${(err as Error).message}`, {
          retryAfterSeconds: deps.retryAfterSeconds,
          cause: err,
        });
      }
      deps.notifier.emit(ENQUEUED_EVENT, queue);
      deps.notifier.emit(STATUS_EVENT, status);
    },
  };
}
