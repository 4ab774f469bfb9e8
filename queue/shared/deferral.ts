/**
 * Putting calls back: with per-function limits, a call arriving while its function already has a full round of
 * calls waiting (as many as its limit) and no ordering key is stored back in the queue, unrun and not counted
 * as an attempt, to come back after a growing delay. The record is then acknowledged, so a burst of one
 * function never fills the fetch window and calls of other functions behind it keep starting.
 */
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import type { Invocation } from '../../common/invocation.js';
import type { ProcessDecision } from '../../common/queue.js';
import type { FunctionLimitOf, FunctionLimiter } from './function-limiter.js';

/** What a deferral needs from its dispatcher. */
export interface DeferralOptions {
  readonly functionLimit: FunctionLimitOf | undefined;
  readonly perFunction: FunctionLimiter;
  readonly functionKey: (inv: Invocation) => string;
  readonly backoff: Backoff;
  readonly random: () => number;
  /** Called when a call starts being put back (it no longer needs a place in the source's window). */
  readonly onDefer: () => void;
  /** Called once a put-back is stored. */
  readonly onDeferred: (inv: Invocation) => void;
}

/** Decides and performs put-backs; see the file comment. */
export class Deferral {
  private inProgress = 0;

  constructor(private readonly o: DeferralOptions) {}

  /** Calls being stored back now. */
  get deferring(): number {
    return this.inProgress;
  }

  /** True when the call should go back to the queue: its function has a full round waiting already. */
  shouldDefer(inv: Invocation): boolean {
    if (!this.o.functionLimit || inv.orderingKey !== undefined) return false;
    const fn = this.o.functionKey(inv);
    const limit = this.o.functionLimit(fn);
    return limit !== undefined && this.o.perFunction.waiting(fn) >= Math.max(1, limit);
  }

  /**
   * Stores the call back in the queue, unrun, through `store` (the dispatcher's retried write of the put-back
   * decision); resolves true once stored (the record may be acknowledged).
   */
  async defer(inv: Invocation, store: (decision: ProcessDecision) => Promise<boolean>): Promise<boolean> {
    const deferrals = inv.deferrals ?? 0;
    const decision: ProcessDecision = {
      action: 'retry',
      invocation: { ...inv, deferrals: deferrals + 1 },
      delayMs: backoffDelayMs(deferrals, this.o.backoff, this.o.random),
    };
    this.inProgress += 1;
    this.o.onDefer();
    try {
      const stored = await store(decision);
      if (stored) this.o.onDeferred(inv);
      return stored;
    } finally {
      this.inProgress -= 1;
    }
  }
}
