/** Observers of the worker's handler, for metrics (P10): every method is optional and must not throw. */
import type { Invocation } from '../common/invocation.js';
import type { ProcessDecision } from '../common/queue.js';
import type { CallbackOutcome } from './callback/post-callback.js';
import type { InvokeResult } from './invoke/invoke-function.js';

/** Observes what the invocation handler does. */
export interface WorkerObserver {
  /** A call entered the handler (either phase). */
  onHandleStart?(inv: Invocation): void;
  /** The handler returned or threw. */
  onHandleEnd?(inv: Invocation): void;
  /** An invocation attempt (1-based) starts. */
  onAttemptStart?(inv: Invocation, attempt: number): void;
  onAttemptEnd?(inv: Invocation, attempt: number, result: InvokeResult): void;
  /** The call's outcome is final: the function succeeded, or it failed for good. */
  onFinal?(inv: Invocation, succeeded: boolean): void;
  /** One callback POST finished; `latencyMs` runs from enqueue to now. */
  onCallback?(inv: Invocation, outcome: CallbackOutcome, latencyMs: number): void;
  onDecision?(inv: Invocation, decision: ProcessDecision): void;
}
