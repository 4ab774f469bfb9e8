/**
 * A keyed work queue with client-go's guarantees: a key is pending at most once (adds dedupe), a key is never
 * handed to two workers at once (an add while it is processed is held until `done`), failed keys come back
 * after an exponential backoff, and delayed adds keep the earliest deadline.
 */
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import { realTimers, type Timers } from '../../runtime/timers.js';

/** Options of a work queue. */
export interface WorkQueueOptions {
  readonly backoff: Backoff;
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** A deduplicating, per-key exclusive work queue of string keys. */
export class WorkQueue {
  private readonly order: string[] = [];
  private readonly pending = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly now: () => number;
  private shuttingDown = false;

  constructor(private readonly options: WorkQueueOptions) {
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** Number of keys waiting to be processed (not counting delayed or in-flight ones). */
  get length(): number {
    return this.order.length;
  }

  /** Number of keys being processed right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Queues a key now; a no-op when it is already pending, deferred until `done` when it is processing. */
  add(key: string): void {
    if (this.shuttingDown || this.pending.has(key)) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.pending.add(key);
    this.order.push(key);
  }

  /** Queues a key after a delay; with several delays pending for a key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.timers.clearTimeout(existing.handle);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, handle });
  }

  /** Queues a failed key after its next backoff delay; returns the delay chosen. */
  addRateLimited(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    const delay = backoffDelayMs(attempt, this.options.backoff, this.random);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets a key's failure count after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Failures recorded for a key since its last success. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key and marks it processing; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.order.shift();
    if (key !== undefined) {
      this.pending.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key's processing finished; a key added meanwhile is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Stops handing out keys, cancels delayed adds and releases waiting workers. Idempotent. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    this.order.length = 0;
    this.pending.clear();
    this.dirty.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
