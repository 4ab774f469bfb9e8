/**
 * The embedded queue's CallStatusReader and CallCanceller: reads the `call_status` rows that the queue and its
 * sources write in the transactions that move each call, wakes long polls from the in-process emitter they
 * announce on, and cancels a call by deleting its row while no source holds it.
 */
import type { EventEmitter } from 'node:events';
import { BACKLOG_COUNT_LIMIT, CANCELLABLE_STATES, cancelledStatus, type CallCanceller, type CallStatus, type CallStatusReader, type CancelOutcome } from '../../common/call-status.js';
import { createStatusWaiters } from '../shared/status-waiters.js';
import type { EmbeddedStore } from './store.js';

/** The emitter event carrying a call status just committed. */
export const STATUS_EVENT = 'call-status';

/** Default age after which finished calls' status rows are deleted. */
export const DEFAULT_STATUS_RETENTION_MS = 24 * 3_600_000;

/** The reader and canceller, plus its retention sweep. */
export interface EmbeddedCallStatus extends CallStatusReader, CallCanceller {
  /** Stops the sweep and the waiters' subscription; idempotent. */
  close(): void;
}

/** Creates the reader; finished calls older than `retentionMs` are swept every `sweepEveryMs`. */
export function createEmbeddedCallStatus(
  store: EmbeddedStore,
  notifier: EventEmitter,
  retentionMs: number,
  sweepEveryMs = 60_000,
): EmbeddedCallStatus {
  const waiters = createStatusWaiters();
  const onStatus = (status: CallStatus): void => waiters.notify(status);
  notifier.on(STATUS_EVENT, onStatus);
  const sweep = setInterval(() => {
    void store.write(() => store.statuses.sweep(Date.now() - retentionMs, false)).catch(() => undefined);
  }, sweepEveryMs);
  sweep.unref();
  const get = async (callId: string): Promise<CallStatus | undefined> => store.statuses.get(callId);
  return {
    get,
    waitForFinal: (callId, timeoutMs, signal) => waiters.wait(callId, () => get(callId), timeoutMs, signal),
    backlog: async () => store.statuses.backlog(BACKLOG_COUNT_LIMIT),
    async cancel(callId) {
      // One transaction: the row goes only if no source holds it, and the status says so in the same commit.
      const outcome = await store.write((): CancelOutcome | undefined => {
        const current = store.statuses.get(callId);
        if (!current) return undefined;
        const now = Date.now();
        if (!CANCELLABLE_STATES.has(current.state) || !store.cancelInvocation(callId, now)) return { cancelled: false, status: current };
        const status = cancelledStatus(current, now);
        store.statuses.put(status);
        return { cancelled: true, status };
      });
      if (outcome?.cancelled) notifier.emit(STATUS_EVENT, outcome.status);
      return outcome;
    },
    close() {
      clearInterval(sweep);
      notifier.off(STATUS_EVENT, onStatus);
    },
  };
}
