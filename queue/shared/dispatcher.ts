/**
 * The part of a source that is the same for Kafka and SQLite: take one decoded call through the key sequencer
 * and the in-flight limit, run the handler (retrying it in-process with backoff when it throws, because a throw
 * means an infrastructure fault, not a function failure), then store its decision through the adapter's
 * `persist` (retrying that too) and report whether the record may now be acknowledged.
 */
import type { Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { Delivery, InvocationHandler, ProcessDecision, QueueObserver } from '../../common/queue.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import { DEFAULT_INFRA_BACKOFF } from './backoff.js';
import { KeySequencer, Semaphore } from './limiter.js';
import { WakeableSleeps } from './wakeable-sleep.js';

/** Collaborators of a dispatcher. */
export interface DispatcherOptions {
  readonly handler: InvocationHandler;
  /** Handler calls allowed at once. */
  readonly maxInflight: number;
  readonly logger: Logger;
  readonly observer?: QueueObserver;
  /** Backoff of in-process retries after a handler throw or a failed persist. */
  readonly backoff?: Backoff;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Runs calls for a source; see the file comment. */
export interface Dispatcher {
  /**
   * Runs one call to a stored decision: `persist` stores it durably (retry record, dead letter, or the
   * acknowledgment itself) and throws when it could not. Resolves true once persisted (the record may be
   * acknowledged), false when the dispatcher stopped first (the record must stay unacknowledged). Never rejects.
   */
  dispatch(invocation: Invocation, persist: PersistDecision, delivery?: Delivery): Promise<boolean>;
  /**
   * Stores something that is not a handler's decision (the dead letter of an undecodable record) with the same
   * retries; counted as pending like a call. Resolves true once written, false when aborted first.
   */
  store(what: string, write: () => Promise<void>): Promise<boolean>;
  /** Calls accepted by dispatch() and not yet resolved. */
  readonly pending: number;
  /** Handler calls running now. */
  readonly running: number;
  /** Starts no new handler call: waiting calls resolve false, running ones finish and persist. */
  stopStarting(): void;
  /** Resolves when no call is pending. */
  idle(): Promise<void>;
  /** Aborts the signal of running handler calls and stops retrying persists (after the drain deadline). */
  abort(reason: string): void;
}

/** Stores the decision of one call durably; throws when it could not. */
export type PersistDecision = (decision: ProcessDecision) => Promise<void>;

/** Creates a dispatcher; one per source. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { handler, logger, observer } = options;
  const backoff = options.backoff ?? DEFAULT_INFRA_BACKOFF;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const keys = new KeySequencer();
  const slots = new Semaphore(options.maxInflight);
  const abortController = new AbortController();
  const sleeps = new WakeableSleeps();
  const idleWaiters: Array<() => void> = [];
  let pending = 0;
  let running = 0;
  let stopped = false;
  let aborted = false;

  const notify = (fn: () => void, what: string): void => {
    try {
      fn();
    } catch (err) {
      logger.warn(`queue observer ${what} threw; ignoring`, { err });
    }
  };

  const callMeta = (inv: Invocation): Record<string, unknown> => ({ callId: inv.callId, fn: inv.function, namespace: inv.namespace });

  /** Runs the handler until it returns a decision, or returns undefined once stopped. */
  async function runHandler(inv: Invocation, delivery?: Delivery): Promise<ProcessDecision | undefined> {
    for (let failures = 0; ; failures += 1) {
      if (!(await slots.acquire())) return undefined;
      running += 1;
      const delayMs = backoffDelayMs(failures, backoff, random);
      try {
        notify(() => observer?.onStarted?.(inv), 'onStarted');
        return await handler(inv, abortController.signal, delivery);
      } catch (err) {
        logger.warn('handler threw (infrastructure fault); the call stays queued and runs again', {
          ...callMeta(inv),
          attempt: inv.attempt,
          err,
          delayMs,
        });
      } finally {
        running -= 1;
        slots.release();
      }
      if (stopped || !(await sleeps.sleep(delayMs, 'start'))) return undefined;
    }
  }

  /** Runs `write` until it succeeds, or returns false once aborted. */
  async function writeWithRetry(write: () => Promise<void>, meta: Record<string, unknown>): Promise<boolean> {
    for (let failures = 0; ; failures += 1) {
      try {
        await write();
        return true;
      } catch (err) {
        const delayMs = backoffDelayMs(failures, backoff, random);
        logger.warn('could not store the outcome of a call; retrying', { ...meta, err, delayMs });
        if (aborted || !(await sleeps.sleep(delayMs, 'persist'))) return false;
      }
    }
  }

  async function persistDecision(inv: Invocation, decision: ProcessDecision, persist: PersistDecision): Promise<boolean> {
    const stored = await writeWithRetry(() => persist(decision), { ...callMeta(inv), action: decision.action });
    if (stored) notify(() => observer?.onDecision?.(inv, decision), 'onDecision');
    return stored;
  }

  const track = async (work: () => Promise<boolean>, onBug: (err: unknown) => void): Promise<boolean> => {
    pending += 1;
    try {
      return await work();
    } catch (err) {
      // Only a bug gets here (handler and write errors are caught above); never lose the record over it.
      onBug(err);
      return false;
    } finally {
      pending -= 1;
      if (pending === 0) for (const wake of idleWaiters.splice(0)) wake();
    }
  };

  async function run(inv: Invocation, persist: PersistDecision, delivery?: Delivery): Promise<boolean> {
    const key = inv.orderingKey;
    if (!(await keys.enter(key))) return false;
    try {
      // A loop, because timers may fire a millisecond before Date.now() reaches the due time.
      for (let waitMs = (inv.notBefore ?? 0) - now(); waitMs > 0; waitMs = (inv.notBefore ?? 0) - now()) {
        if (!(await sleeps.sleep(waitMs, 'start'))) return false;
      }
      const decision = await runHandler(inv, delivery);
      if (!decision) return false;
      return await persistDecision(inv, decision, persist);
    } finally {
      keys.leave(key);
    }
  }

  return {
    dispatch(inv, persist, delivery) {
      return track(
        () => run(inv, persist, delivery),
        (err) => logger.error('dispatching a call failed unexpectedly; it stays unacknowledged', { ...callMeta(inv), err }),
      );
    },
    store(what, write) {
      return track(
        () => writeWithRetry(write, { what }),
        (err) => logger.error('storing failed unexpectedly; the record stays unacknowledged', { what, err }),
      );
    },
    get pending() {
      return pending;
    },
    get running() {
      return running;
    },
    stopStarting() {
      if (stopped) return;
      stopped = true;
      keys.cancel();
      slots.cancel();
      sleeps.stop();
    },
    idle() {
      if (pending === 0) return Promise.resolve();
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
      });
    },
    abort(reason) {
      this.stopStarting();
      if (aborted) return;
      aborted = true;
      abortController.abort(new Error(reason));
      sleeps.abort();
    },
  };
}
