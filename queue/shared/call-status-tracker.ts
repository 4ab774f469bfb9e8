/**
 * Turns what a source sees into call-status snapshots, the same way for Kafka and SQLite: it wraps the handler
 * so a `running` snapshot is reported as each call starts, and remembers that start so the snapshot of the
 * decision can say when the attempt began.
 */
import { decidedStatus, runningStatus, type CallStatus } from '../../common/call-status.js';
import type { Invocation } from '../../common/invocation.js';
import type { InvocationHandler, ProcessDecision } from '../../common/queue.js';

/** The wrapped handler and the builder of decision snapshots. */
export interface CallStatusTracker {
  readonly handler: InvocationHandler;
  /** The snapshot after `decision`; forgets the call's start. */
  decided(inv: Invocation, decision: ProcessDecision): CallStatus;
}

/** Wraps `handler`; `onRunning` must not throw (writes are the adapter's, fire-and-forget). */
export function trackCallStatus(handler: InvocationHandler, onRunning: (status: CallStatus) => void, now: () => number = Date.now): CallStatusTracker {
  const startedAt = new Map<string, number>();
  return {
    handler: (inv, signal) => {
      const at = now();
      startedAt.set(inv.callId, at);
      onRunning(runningStatus(inv, at));
      return handler(inv, signal);
    },
    decided(inv, decision) {
      const started = startedAt.get(inv.callId);
      startedAt.delete(inv.callId);
      return decidedStatus(inv, decision, started, now());
    },
  };
}
