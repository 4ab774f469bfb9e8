/**
 * A client-node informer that keeps itself running. client-node's ListWatch re-lists after a 410 but stops on
 * any other watch or list error; this wrapper restarts it with capped, jittered backoff and reports when its
 * cache first holds a complete list.
 */
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { Logger } from '../../../common/logger.js';

/** Restart timing of a supervised informer. */
export interface InformerBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Default restart backoff: 250 ms doubling to 30 s. */
export const DEFAULT_INFORMER_BACKOFF: InformerBackoff = Object.freeze({ initialMs: 250, maxMs: 30_000 });

/** An informer cache that restarts after errors. */
export interface SupervisedInformer<T extends KubernetesObject> {
  readonly cache: ObjectCache<T>;
  /** Resolves once the first list completed and the watch started. */
  readonly synced: Promise<void>;
  /** Calls `listener` after every add, update and delete, once the cache reflects it. */
  onChange(listener: (obj: T) => void): void;
  /** Stops watching; idempotent. */
  stop(): Promise<void>;
}

/** Options of superviseInformer. */
export interface SupervisedInformerOptions {
  /** What is watched, for logs (e.g. `functions in openfaas-fn`). */
  readonly name: string;
  readonly logger: Logger;
  readonly backoff?: InformerBackoff;
  /** [0,1); injectable for tests. */
  readonly random?: () => number;
}

/** Starts `informer` and keeps it running until stop(). */
export function superviseInformer<T extends KubernetesObject>(
  informer: Informer<T> & ObjectCache<T>,
  options: SupervisedInformerOptions,
): SupervisedInformer<T> {
  const { logger, name } = options;
  const backoff = options.backoff ?? DEFAULT_INFORMER_BACKOFF;
  const random = options.random ?? Math.random;
  let stopped = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let starting = false;
  // An error reported while start() runs means that start did not produce a synced cache.
  let failedDuringStart = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const scheduleRestart = (): void => {
    if (stopped || restartTimer || starting) return;
    const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 20));
    // Full jitter, floored at half the step so a flapping apiserver is not hammered in lockstep.
    const delayMs = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    failures++;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void run();
    }, delayMs);
  };

  informer.on('error', (err: unknown) => {
    if (stopped) return;
    if (starting) failedDuringStart = true;
    logger.warn(`informer for ${name} stopped; restarting`, { err });
    scheduleRestart();
  });

  const run = async (): Promise<void> => {
    if (stopped) return;
    starting = true;
    failedDuringStart = false;
    try {
      await informer.start();
    } catch (err) {
      failedDuringStart = true;
      logger.warn(`informer for ${name} failed to start`, { err });
    } finally {
      starting = false;
    }
    if (stopped) return;
    if (failedDuringStart) {
      scheduleRestart();
      return;
    }
    if (failures > 0) logger.info(`informer for ${name} recovered`, { failures });
    failures = 0;
    markSynced();
  };
  void run();

  return {
    cache: informer,
    synced,
    onChange(listener) {
      informer.on('add', listener);
      informer.on('update', listener);
      informer.on('delete', listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}
