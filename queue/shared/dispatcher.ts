/**
 * The part of a source that is the same for Kafka and SQLite: take one decoded call through the key sequencer
 * and the in-flight limit, run the handler (retrying it in-process with backoff when it throws, because a throw
 * means an infrastructure fault, not a function failure), then store its decision through the adapter's
 * `persist` (retrying that too) and report whether the record may now be acknowledged. With per-function
 * limits, a call of a function that already has a full round waiting is put back instead (deferral.ts).
 */
import type { Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { Delivery, InvocationHandler, ProcessDecision, QueueObserver } from '../../common/queue.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import { DEFAULT_DEFER_BACKOFF, DEFAULT_INFRA_BACKOFF } from './backoff.js';
import { Deferral } from './deferral.js';
import { FunctionLimiter, type FunctionLimitOf } from './function-limiter.js';
import { KeySequencer, Semaphore } from './limiter.js';
import { PendingCalls } from './pending-calls.js';
import { WakeableSleeps } from './wakeable-sleep.js';

/** Collaborators of a dispatcher. */
export interface DispatcherOptions {
  readonly handler: InvocationHandler;
  /** Handler calls allowed at once. */
  readonly maxInflight: number;
  /**
   * Handler calls allowed at once per function (key `functionKey(inv)`), read on every start and on
   * limitsChanged(); undefined (the option or its answer) = only maxInflight bounds the function.
   */
  readonly functionLimit?: FunctionLimitOf;
  readonly logger: Logger;
  readonly observer?: QueueObserver;
  /** Backoff of in-process retries after a handler throw or a failed persist. */
  readonly backoff?: Backoff;
  /** Delay of a deferred call, by its number of deferrals. */
  readonly deferBackoff?: Backoff;
  /** Called when a call starts being deferred (it no longer needs a place in the source's window). */
  readonly onDefer?: () => void;
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
  /** Calls being stored back in the queue (deferred) now. */
  readonly deferring: number;
  /** Per-function limits may have changed: start the waiting calls that now fit. */
  limitsChanged(): void;
  /** Starts no new handler call: waiting calls resolve false, running ones finish and persist. */
  stopStarting(): void;
  /** Resolves when no call is pending. */
  idle(): Promise<void>;
  /** Aborts the signal of running handler calls and stops retrying persists (after the drain deadline). */
  abort(reason: string): void;
}

/** The key of a call's function for per-function limits: `name.namespace`, as in the sync route. */
export function functionKey(inv: Pick<Invocation, 'function' | 'namespace'>): string {
  return `${inv.function}.${inv.namespace}`;
}

/**
 * Stores the decision of one call durably; throws when it could not. `deferred` marks a call put back unrun
 * (a `retry` decision that is no attempt): the source writes no status for it.
 */
export type PersistDecision = (decision: ProcessDecision, how?: { readonly deferred?: boolean }) => Promise<void>;

/** Creates a dispatcher; one per source. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { handler, logger, observer } = options;
  const backoff = options.backoff ?? DEFAULT_INFRA_BACKOFF;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const keys = new KeySequencer();
  const slots = new Semaphore(options.maxInflight);
  const functionLimit = options.functionLimit;
  const perFunction = new FunctionLimiter((fn) => functionLimit?.(fn));
  const abortController = new AbortController();
  const sleeps = new WakeableSleeps();
  const pending = new PendingCalls();
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
  const deferral = new Deferral({
    functionLimit,
    perFunction,
    functionKey,
    backoff: options.deferBackoff ?? DEFAULT_DEFER_BACKOFF,
    random,
    onDefer: () => notify(() => options.onDefer?.(), 'onDefer'),
    onDeferred: (inv) => notify(() => observer?.onDeferred?.(inv), 'onDeferred'),
  });

  /** Runs the handler until it returns a decision, or returns undefined once stopped. */
  async function runHandler(inv: Invocation, delivery?: Delivery): Promise<ProcessDecision | undefined> {
    const fn = functionKey(inv);
    for (let failures = 0; ; failures += 1) {
      // The function's own gate first: calls held by it must not sit on the process-wide slots others need.
      if (!(await perFunction.acquire(fn))) return undefined;
      if (!(await slots.acquire())) {
        perFunction.release(fn);
        return undefined;
      }
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
        perFunction.release(fn);
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

  async function run(inv: Invocation, persist: PersistDecision, delivery?: Delivery): Promise<boolean> {
    const key = inv.orderingKey;
    if (!(await keys.enter(key))) return false;
    try {
      // A loop, because timers may fire a millisecond before Date.now() reaches the due time.
      for (let waitMs = (inv.notBefore ?? 0) - now(); waitMs > 0; waitMs = (inv.notBefore ?? 0) - now()) {
        if (!(await sleeps.sleep(waitMs, 'start'))) return false;
      }
      if (deferral.shouldDefer(inv)) {
        return await deferral.defer(inv, (decision) => writeWithRetry(() => persist(decision, { deferred: true }), { ...callMeta(inv), action: 'defer' }));
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
      return pending.track(
        () => run(inv, persist, delivery),
        (err) => logger.error('dispatching a call failed unexpectedly; it stays unacknowledged', { ...callMeta(inv), err }),
      );
    },
    store(what, write) {
      return pending.track(
        () => writeWithRetry(write, { what }),
        (err) => logger.error('storing failed unexpectedly; the record stays unacknowledged', { what, err }),
      );
    },
    get pending() {
      return pending.count;
    },
    get running() {
      return running;
    },
    get deferring() {
      return deferral.deferring;
    },
    limitsChanged() {
      perFunction.refresh();
    },
    stopStarting() {
      if (stopped) return;
      stopped = true;
      keys.cancel();
      perFunction.cancel();
      slots.cancel();
      sleeps.stop();
    },
    idle: () => pending.idle(),
    abort(reason) {
      this.stopStarting();
      if (aborted) return;
      aborted = true;
      abortController.abort(new Error(reason));
      sleeps.abort();
    },
  };
}
