/**
 * The worker's view of how many async calls each function can take: it reads `availableReplicas` and the
 * kfaas-only `replicaCapacity` of every function from GET /system/functions on the gateway, one request per
 * namespace it has calls of, every `refreshMs`, and tells the source when totals may have changed, so a new Ready
 * pod gets work within about one refresh. A function asked about for the first time gets 1 until its first
 * answer (a backlog must not flood a function whose capacity is not known yet); one whose capacity is not set,
 * or that the gateway does not list or will not describe (401 without credentials), is unbounded, as before
 * per-function limits.
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

/**
 * Reads the facts of every function of a namespace, by name; undefined when the gateway will not say (every
 * function of it unbounded). Rejects on a transport failure (the last known facts are kept then).
 */
export type FetchCapacityFacts = (namespace: string) => Promise<ReadonlyMap<string, CapacityFacts> | undefined>;

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
  const readingNamespaces = new Map<string, Promise<void>>();
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

  /** Reads one namespace and updates its tracked functions; concurrent reads of a namespace are shared. */
  function fetchNamespace(namespace: string): Promise<void> {
    let reading = readingNamespaces.get(namespace);
    if (!reading) {
      reading = (async () => {
        try {
          const facts = await o.fetchFacts(namespace);
          for (const [fn, entry] of tracked) {
            if (namespaceOf(fn) !== namespace) continue;
            entry.facts = facts?.get(nameOf(fn));
            entry.known = true;
          }
        } catch (err) {
          // Keep what we knew; a function never described stays at 1 call at a time until the gateway answers.
          o.logger.debug('reading function capacities failed; keeping the last known', { namespace, err });
        }
      })().finally(() => readingNamespaces.delete(namespace));
      readingNamespaces.set(namespace, reading);
    }
    return reading;
  }

  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      const at = now();
      for (const [fn, entry] of tracked) if (at - entry.lastAskedAt > forgetAfterMs) tracked.delete(fn);
      await Promise.all([...new Set([...tracked.keys()].map(namespaceOf))].map(fetchNamespace));
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
        void fetchNamespace(namespaceOf(fn)).then(changed);
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

// A function key is `name.namespace`; names are DNS-1123 labels, so the first dot ends the name.
const nameOf = (fn: string): string => fn.slice(0, fn.indexOf('.'));
const namespaceOf = (fn: string): string => fn.slice(fn.indexOf('.') + 1);
