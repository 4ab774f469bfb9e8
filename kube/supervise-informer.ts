/**
 * Keeps a client-node informer running, for the gateway's caches and the operator's controller alike.
 * client-node's ListWatch re-lists after a 410 Gone but stops for good on any other list or watch error
 * (connection refused, reset, 5xx), emitting 'error'. Each such stop is followed by a restart after a capped,
 * jittered backoff. A restart resumes the watch from the last resourceVersion, so no event is lost; a version
 * too old gives a 410 and a fresh list.
 */
import { backoffDelayMs, type Backoff } from '../common/backoff.js';
import type { Logger } from '../common/logger.js';
import { realTimers, type Timers } from '../runtime/timers.js';

/** The part of client-node's `Informer` that supervision needs. */
export interface WatchSource<T> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A sensible restart backoff for informers: 250 ms doubling to 30 s. */
export const DEFAULT_INFORMER_BACKOFF: Backoff = Object.freeze({ minMs: 250, maxMs: 30_000 });

/** Options of superviseInformer. */
export interface SuperviseInformerOptions {
  /** What is watched, for logs and metrics (e.g. `functions in kfaas-fn`). */
  readonly name: string;
  readonly logger: Logger;
  readonly backoff: Backoff;
  readonly timers?: Timers;
  /** Uniform in [0, 1); injectable for tests. */
  readonly random?: () => number;
  /** Observer called before each restart (metrics). */
  readonly onRestart?: (err: unknown) => void;
}

/** A running, self-restarting informer. */
export interface SupervisedInformer {
  /** Resolves once a start listed and connected its watch without error; never rejects. */
  readonly synced: Promise<void>;
  /** Stops watching and cancels a pending restart; idempotent. */
  stop(): Promise<void>;
}

/** Starts `source` now and keeps it running until stop(). */
export function superviseInformer<T>(source: WatchSource<T>, options: SuperviseInformerOptions): SupervisedInformer {
  const { logger, name, backoff } = options;
  const timers = options.timers ?? realTimers;
  const random = options.random ?? Math.random;
  let stopped = false;
  let failures = 0;
  let restartTimer: unknown;
  let starting = false;
  // An error reported while start() runs means that start did not produce a synced cache.
  let failedDuringStart = false;
  let startError: unknown;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const scheduleRestart = (err: unknown): void => {
    // One restart at a time: a burst of errors, or an error during start, coalesces into one.
    if (stopped || restartTimer !== undefined || starting) return;
    const delayMs = backoffDelayMs(failures, backoff, random);
    failures++;
    logger.warn(`informer for ${name} stopped; restarting`, { attempt: failures, delayMs, err });
    options.onRestart?.(err);
    restartTimer = timers.setTimeout(() => {
      restartTimer = undefined;
      void run();
    }, delayMs);
  };

  source.on('error', (err) => {
    if (stopped) return;
    if (starting) {
      failedDuringStart = true;
      startError = err;
    }
    scheduleRestart(err);
  });

  const run = async (): Promise<void> => {
    if (stopped) return;
    starting = true;
    failedDuringStart = false;
    try {
      await source.start();
    } catch (err) {
      failedDuringStart = true;
      startError = err;
    } finally {
      starting = false;
    }
    if (stopped) return;
    if (failedDuringStart) {
      scheduleRestart(startError);
      return;
    }
    if (failures > 0) logger.info(`informer for ${name} recovered`, { failures });
    failures = 0;
    markSynced();
  };
  void run();

  return {
    synced,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (restartTimer !== undefined) timers.clearTimeout(restartTimer);
      restartTimer = undefined;
      await source.stop();
    },
  };
}
