/**
 * The embedded queue's CallStatusReader: reads the `call_status` rows that the queue and its sources write in
 * the transactions that move each call, and wakes long polls from the in-process emitter they announce on.
 */
import type { EventEmitter } from 'node:events';
import type { CallStatus, CallStatusReader } from '../../common/call-status.js';
import { createStatusWaiters } from '../shared/status-waiters.js';
import type { EmbeddedStore } from './store.js';

/** The emitter event carrying a call status just committed. */
export const STATUS_EVENT = 'call-status';

/** Default age after which finished calls' status rows are deleted. */
export const DEFAULT_STATUS_RETENTION_MS = 24 * 3_600_000;

/** The reader plus its retention sweep. */
export interface EmbeddedCallStatus extends CallStatusReader {
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
    close() {
      clearInterval(sweep);
      notifier.off(STATUS_EVENT, onStatus);
    },
  };
}
