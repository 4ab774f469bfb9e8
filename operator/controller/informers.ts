/**
 * The operator's informers: they only turn events into work-queue keys. Each one is kept running by the
 * shared supervisor (kube/supervise-informer.ts), which restarts it after errors with backoff.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Backoff } from '../../common/backoff.js';
import type { Logger } from '../../common/logger.js';
import { superviseInformer, type SupervisedInformer, type WatchSource as SupervisedSource } from '../../kube/supervise-informer.js';
import type { Timers } from '../../runtime/timers.js';

/** The part of client-node's `Informer & ObjectCache` the operator uses. */
export interface WatchSource<T = KubernetesObject> extends SupervisedSource<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): ReadonlyArray<T>;
}

/** One informer and how its objects map to work-queue keys. */
export interface InformerSpec<T extends KubernetesObject = KubernetesObject> {
  /** For logs and metrics, e.g. `functions@fns`. */
  readonly name: string;
  readonly source: WatchSource<T>;
  /** Keys to enqueue for an object event (empty: ignore it). */
  readonly keysOf: (obj: T) => string[];
}

/** Dependencies of the supervisor. */
export interface InformerSupervisorOptions {
  readonly informers: readonly InformerSpec[];
  readonly onKey: (key: string) => void;
  readonly backoff: Backoff;
  readonly logger: Logger;
  readonly timers?: Timers;
  readonly random?: () => number;
  /** Observer called on each restart (metrics). */
  readonly onRestart?: (informer: string, err: unknown) => void;
}

/** Starts the informers, keeps them running, and reports when all have synced once. */
export class InformerSupervisor {
  private supervised: SupervisedInformer[] = [];
  private syncedCount = 0;
  private stopped = false;
  private syncWaiters: Array<() => void> = [];

  constructor(private readonly options: InformerSupervisorOptions) {
    for (const { source, keysOf } of options.informers) {
      const enqueue = (obj: KubernetesObject) => {
        for (const key of keysOf(obj)) options.onKey(key);
      };
      source.on('add', enqueue);
      source.on('update', enqueue);
      source.on('delete', enqueue);
    }
  }

  /** True once every informer has listed and connected its watch at least once. */
  get synced(): boolean {
    return this.syncedCount === this.options.informers.length;
  }

  /** Starts every informer; resolves at once (use waitForSync to wait for the caches). */
  start(): void {
    if (this.stopped || this.supervised.length > 0) return;
    const { logger, backoff, timers, random, onRestart } = this.options;
    this.supervised = this.options.informers.map(({ name, source }) => {
      const supervised = superviseInformer(source, {
        name,
        logger,
        backoff,
        ...(timers ? { timers } : {}),
        ...(random ? { random } : {}),
        onRestart: (err) => onRestart?.(name, err),
      });
      void supervised.synced.then(() => {
        this.syncedCount += 1;
        if (this.synced) for (const resolve of this.syncWaiters.splice(0)) resolve();
      });
      return supervised;
    });
  }

  /** Resolves when all caches have synced, or when the supervisor stops. */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops every informer and pending restart. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    await Promise.all(this.supervised.map((s) => s.stop()));
  }
}
