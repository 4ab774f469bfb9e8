/**
 * Turns what a source sees into call-status snapshots, the same way for Kafka and SQLite: it wraps the handler
 * so a `running` snapshot is reported as each call starts, and remembers that start so the snapshot of the
 * decision can say when the attempt began. Snapshots carry the function's answer once there is one, its body
 * only up to `resultMaxBytes`.
 */
import { callResultOf, decidedStatus, resultOfDecision, runningStatus, type CallStatus } from '../../common/call-status.js';
import type { Invocation, InvocationResult } from '../../common/invocation.js';
import type { InvocationHandler, ProcessDecision } from '../../common/queue.js';

/** Default largest result body kept with a call's status: 256 KiB. */
export const DEFAULT_RESULT_MAX_BYTES = 256 * 1024;

/** The wrapped handler and the builder of decision snapshots. */
export interface CallStatusTracker {
  readonly handler: InvocationHandler;
  /** The snapshot after `decision`, or undefined for a call skipped as cancelled; forgets the call's start. */
  decided(inv: Invocation, decision: ProcessDecision): CallStatus | undefined;
}

/** Options of trackCallStatus. */
export interface TrackOptions {
  readonly resultMaxBytes?: number;
  readonly now?: () => number;
  /** True when this run of the call was cancelled: it completes without running and writes no status. */
  readonly isCancelled?: (inv: Invocation) => boolean;
}

/** Wraps `handler`; `onRunning` must not throw (writes are the adapter's, fire-and-forget). */
export function trackCallStatus(handler: InvocationHandler, onRunning: (status: CallStatus) => void, options: TrackOptions = {}): CallStatusTracker {
  const now = options.now ?? Date.now;
  const maxBytes = options.resultMaxBytes ?? DEFAULT_RESULT_MAX_BYTES;
  const startedAt = new Map<string, number>();
  const skipped = new Set<string>();
  const withResult = (status: CallStatus, result: InvocationResult | undefined): CallStatus =>
    result ? { ...status, result: callResultOf(result, maxBytes) } : status;
  return {
    handler: async (inv, signal, delivery) => {
      if (options.isCancelled?.(inv)) {
        skipped.add(inv.callId);
        return { action: 'complete' };
      }
      const at = now();
      startedAt.set(inv.callId, at);
      onRunning(withResult(runningStatus(inv, at), inv.result));
      return handler(inv, signal, delivery);
    },
    decided(inv, decision) {
      if (skipped.delete(inv.callId)) return undefined;
      const started = startedAt.get(inv.callId);
      startedAt.delete(inv.callId);
      return withResult(decidedStatus(inv, decision, started, now()), resultOfDecision(decision));
    },
  };
}
