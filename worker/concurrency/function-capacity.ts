/**
 * The worker's view of how many async calls each function can take: it reads `availableReplicas` and the
 * kfaas-only `replicaCapacity` of GET /system/function/{name} on the gateway, for every function it has calls
 * of, every `refreshMs`, and tells the source when totals may have changed, so a new Ready pod gets work within
 * about one refresh. A function asked about for the first time gets 1 until its first answer (a backlog must
 * not flood a function whose capacity is not known yet); one whose capacity is not set, or that the gateway
 * cannot describe (404, 401 without credentials), is unbounded, as before per-function limits.
 */
import type { Logger } from '../../common/logger.js';
import type { FunctionCapacity } from '../../common/queue.js';
import { concurrencyTotal } from '../../queue/shared/concurrency-share.js';
import type { Timers } from '../../runtime/timers.js';
import { realTimers } from '../../runtime/timers.js';

/** What the gateway says about a function's capacity; undefined = it cannot say (unbounded). */
export interface CapacityFacts {
  readonly availableReplicas: number;
  readonly replicaCapacity: number | undefined;
}

/** Reads one function's facts; rejects on a transport failure (the last known facts are kept then). */
export type FetchCapacityFacts = (name: string, namespace: string) => Promise<CapacityFacts | undefined>;

/** Options of createFunctionCapacity. */
export interface FunctionCapacityOptions {
  readonly fetchFacts: FetchCapacityFacts;
  /** Period of the refresh of every tracked function. */
  readonly refreshMs: number;
  /** A function not asked about for this long is no longer refreshed. */
  readonly forgetAfterMs?: number;
  readonly logger: Logger;
  readonly timers?: Timers;
  readonly now?: () => number;
}

/** The capacity view plus its lifecycle. */
export interface WorkerFunctionCapacity extends FunctionCapacity {
  /** Fetches every tracked function once now; resolves when done (tests and the first ask use it). */
  refresh(): Promise<void>;
  /** Stops refreshing; idempotent. */
  close(): void;
}

interface Tracked {
  /** undefined before the first answer. */
  facts: CapacityFacts | undefined;
  known: boolean;
  lastAskedAt: number;
}

/** Creates the capacity view; it fetches nothing until a function is asked about. */
export function createFunctionCapacity(o: FunctionCapacityOptions): WorkerFunctionCapacity {
  const timers = o.timers ?? realTimers;
  const now = o.now ?? Date.now;
  const forgetAfterMs = o.forgetAfterMs ?? 5 * 60_000;
  const tracked = new Map<string, Tracked>();
  const listeners = new Set<() => void>();
  let timer: unknown;
  let refreshing: Promise<void> | undefined;
  let closed = false;

  const changed = (): void => {
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        o.logger.warn('a capacity listener threw; ignoring', { err });
      }
    }
  };

  async function fetchOne(fn: string, entry: Tracked): Promise<void> {
    const dot = fn.indexOf('.');
    try {
      entry.facts = await o.fetchFacts(fn.slice(0, dot), fn.slice(dot + 1));
      entry.known = true;
    } catch (err) {
      // Keep what we knew; a function never described stays at 1 call at a time until the gateway answers.
      o.logger.debug('reading a function capacity failed; keeping the last known', { fn, err });
    }
  }

  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      const at = now();
      for (const [fn, entry] of tracked) if (at - entry.lastAskedAt > forgetAfterMs) tracked.delete(fn);
      await Promise.all([...tracked].map(([fn, entry]) => fetchOne(fn, entry)));
      changed();
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  function schedule(): void {
    if (closed || timer !== undefined) return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      void refresh().finally(schedule);
    }, o.refreshMs);
  }

  return {
    total(fn) {
      let entry = tracked.get(fn);
      if (!entry) {
        entry = { facts: undefined, known: false, lastAskedAt: now() };
        tracked.set(fn, entry);
        // Ask at once rather than at the next tick, so the first calls of a function wait one round trip at most.
        const fresh = entry;
        void fetchOne(fn, fresh).then(changed);
        schedule();
      }
      entry.lastAskedAt = now();
      if (!entry.known) return 1;
      const facts = entry.facts;
      if (!facts || facts.replicaCapacity === undefined) return undefined;
      return concurrencyTotal(facts.availableReplicas, facts.replicaCapacity);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh,
    close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
}
