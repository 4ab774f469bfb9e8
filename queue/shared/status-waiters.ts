/**
 * Long polls on call status: a waiter wakes when its adapter reports a new snapshot of the call, and also
 * re-reads every `pollMs`, because a writer in another process (a second gateway, a worker) reports nothing here.
 */
import { isFinal, type CallStatus } from '../../common/call-status.js';

/** Waiters of one status store. */
export interface StatusWaiters {
  /** Wakes the waiters of `status.callId`. */
  notify(status: CallStatus): void;
  /** See CallStatusReader.waitForFinal; `get` reads the store. */
  wait(callId: string, get: () => Promise<CallStatus | undefined>, timeoutMs: number, signal?: AbortSignal): Promise<CallStatus | undefined>;
}

/** Creates the waiter registry of one store. */
export function createStatusWaiters(pollMs = 250): StatusWaiters {
  const waiting = new Map<string, Set<() => void>>();
  return {
    notify(status) {
      for (const wake of waiting.get(status.callId) ?? []) wake();
    },
    async wait(callId, get, timeoutMs, signal) {
      const deadline = Date.now() + timeoutMs;
      let latest = await get();
      while (!(latest && isFinal(latest.state)) && Date.now() < deadline && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const listeners = waiting.get(callId) ?? new Set<() => void>();
          waiting.set(callId, listeners);
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            listeners.delete(done);
            if (listeners.size === 0) waiting.delete(callId);
            resolve();
          };
          const timer = setTimeout(done, Math.max(1, Math.min(pollMs, deadline - Date.now())));
          listeners.add(done);
          signal?.addEventListener('abort', done, { once: true });
        });
        latest = await get();
      }
      return latest;
    },
  };
}
