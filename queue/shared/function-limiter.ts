/**
 * The per-function gate of the dispatcher: at most `limitOf(fn)` handler calls of one function at once, FIFO per
 * function. The limit is read again on every grant and on `refresh()`, because it follows the function's ready
 * replicas and changes while calls wait: a new Ready pod lets waiting calls start at the next refresh. A limit of
 * undefined means unbounded (a function whose capacity is unknown runs as before per-function limits).
 */

/** Concurrent handler calls allowed for a function key; undefined = unbounded. */
export type FunctionLimitOf = (fn: string) => number | undefined;

interface Lane {
  active: number;
  readonly waiters: Array<(granted: boolean) => void>;
}

/** Per-function counting gates with limits that may change at any time. */
export class FunctionLimiter {
  private readonly lanes = new Map<string, Lane>();
  private cancelled = false;

  constructor(private readonly limitOf: FunctionLimitOf) {}

  /** Calls of `fn` holding a permit. */
  active(fn: string): number {
    return this.lanes.get(fn)?.active ?? 0;
  }

  /** Calls of `fn` waiting for a permit. */
  waiting(fn: string): number {
    return this.lanes.get(fn)?.waiters.length ?? 0;
  }

  /** Resolves true once a permit of `fn` is held, or false when the limiter was cancelled first. */
  acquire(fn: string): Promise<boolean> {
    if (this.cancelled) return Promise.resolve(false);
    const lane = this.lane(fn);
    if (lane.waiters.length === 0 && this.hasRoom(fn, lane)) {
      lane.active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => lane.waiters.push(resolve));
  }

  /** Returns a permit of `fn`; waiters of `fn` start as far as its current limit allows. */
  release(fn: string): void {
    const lane = this.lanes.get(fn);
    if (!lane || lane.active === 0) throw new Error(`FunctionLimiter.release(${JSON.stringify(fn)}) without a held permit`);
    lane.active -= 1;
    this.pump(fn, lane);
  }

  /** Reads every waiting function's limit again and starts what now fits (after limits changed). */
  refresh(): void {
    for (const [fn, lane] of this.lanes) this.pump(fn, lane);
  }

  /** Fails every pending and future acquire; permits already held stay held until released. */
  cancel(): void {
    this.cancelled = true;
    for (const lane of this.lanes.values()) for (const waiter of lane.waiters.splice(0)) waiter(false);
  }

  private lane(fn: string): Lane {
    let lane = this.lanes.get(fn);
    if (!lane) {
      lane = { active: 0, waiters: [] };
      this.lanes.set(fn, lane);
    }
    return lane;
  }

  private hasRoom(fn: string, lane: Lane): boolean {
    const limit = this.limitOf(fn);
    return limit === undefined || lane.active < limit;
  }

  private pump(fn: string, lane: Lane): void {
    while (lane.waiters.length > 0 && this.hasRoom(fn, lane)) {
      lane.active += 1;
      lane.waiters.shift()?.(true);
    }
    // Idle lanes are dropped so the map holds only functions with calls in this process.
    if (lane.active === 0 && lane.waiters.length === 0) this.lanes.delete(fn);
  }
}
