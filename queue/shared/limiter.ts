/**
 * The two gates every source puts a call through before its handler runs: a per-key sequencer, so calls with
 * the same ordering key run one after another in arrival order, and a counting semaphore, so at most
 * `maxInflight` handler calls run at once however many partitions or rows feed them. Both are pure (no I/O, no
 * timers) and FIFO; `cancel()` makes every pending and future wait resolve `false`, which is how a closing
 * source stops starting new calls without failing the ones already running.
 */

/** A counting semaphore with FIFO waiters. */
export class Semaphore {
  private activeCount = 0;
  private readonly waiters: Array<(granted: boolean) => void> = [];
  private cancelled = false;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`Semaphore capacity must be an integer >= 1 (got ${capacity})`);
  }

  /** Permits currently held. */
  get active(): number {
    return this.activeCount;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves true once a permit is held, or false when the semaphore was cancelled first. */
  acquire(): Promise<boolean> {
    if (this.cancelled) return Promise.resolve(false);
    if (this.activeCount < this.capacity) {
      this.activeCount += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Returns a permit; the longest waiter gets it. */
  release(): void {
    if (this.activeCount === 0) throw new Error('Semaphore.release() without a held permit');
    const next = this.waiters.shift();
    if (next) next(true);
    else this.activeCount -= 1;
  }

  /** Fails every pending and future acquire; permits already held stay held until released. */
  cancel(): void {
    this.cancelled = true;
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}

/** Serialises holders of the same key in arrival order; an undefined key never waits. */
export class KeySequencer {
  private readonly queues = new Map<string, Array<(granted: boolean) => void>>();
  private cancelled = false;

  /** Keys currently held. */
  get held(): number {
    return this.queues.size;
  }

  /** Resolves true once `key` is held by the caller, or false when the sequencer was cancelled first. */
  enter(key: string | undefined): Promise<boolean> {
    if (this.cancelled) return Promise.resolve(false);
    if (key === undefined) return Promise.resolve(true);
    const queue = this.queues.get(key);
    if (!queue) {
      this.queues.set(key, []);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => queue.push(resolve));
  }

  /** Releases `key`; the next caller waiting for it takes it over. */
  leave(key: string | undefined): void {
    if (key === undefined) return;
    const queue = this.queues.get(key);
    if (!queue) throw new Error(`KeySequencer.leave(${JSON.stringify(key)}) without holding the key`);
    const next = queue.shift();
    if (next) next(true);
    else this.queues.delete(key);
  }

  /** Fails every pending and future enter; keys already held stay held until left. */
  cancel(): void {
    this.cancelled = true;
    for (const queue of this.queues.values()) for (const waiter of queue.splice(0)) waiter(false);
  }
}
