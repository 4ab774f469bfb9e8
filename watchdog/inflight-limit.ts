/** Counts calls in flight against `max_inflight` and lets the drain wait for the last one. */

/** An in-flight counter with an optional ceiling (0 = unlimited). */
export class InflightLimit {
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Calls currently running. */
  get count(): number {
    return this.active;
  }

  /** True when one more call would exceed the ceiling; `/_/ready` answers 429 then. */
  get saturated(): boolean {
    return this.max > 0 && this.active >= this.max;
  }

  /** Takes a slot, or returns false when the ceiling is reached. */
  tryAcquire(): boolean {
    if (this.saturated) return false;
    this.active += 1;
    return true;
  }

  /** Gives a slot back; resolves idle waiters when the last call ends. */
  release(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
