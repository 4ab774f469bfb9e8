/**
 * Counts the calls a dispatcher accepted and has not resolved, and wakes whoever waits for none: a source's
 * close() drains through idle(). A bug thrown by the work is reported and resolves false, so the record stays
 * unacknowledged rather than lost.
 */

/** Pending work and its idle waiters. */
export class PendingCalls {
  private pending = 0;
  private readonly idleWaiters: Array<() => void> = [];

  /** Work accepted and not resolved. */
  get count(): number {
    return this.pending;
  }

  /** Runs `work` as pending; a throw (only a bug gets here) goes to `onBug` and resolves false. */
  async track(work: () => Promise<boolean>, onBug: (err: unknown) => void): Promise<boolean> {
    this.pending += 1;
    try {
      return await work();
    } catch (err) {
      onBug(err);
      return false;
    } finally {
      this.pending -= 1;
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves when nothing is pending. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }
}
