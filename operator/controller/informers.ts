/**
 * Supervises informers: they only turn events into work-queue keys, and the operator restarts them itself.
 * client-node's ListWatch re-lists on 410 Gone but stops for good on any other error (connection refused,
 * reset, 5xx), emitting 'error'; each such stop is followed by a restart after an exponential backoff.
 * A restart resumes the watch from the last resourceVersion, so no event is lost; a too-old version gives a
 * 410 and a fresh list.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../common/logger.js';
import { backoffDelay, realTimers, type BackoffPolicy, type Timers } from './backoff.js';

/** The part of client-node's `Informer & ObjectCache` the operator uses. */
export interface WatchSource<T = KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
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
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  readonly timers?: Timers;
  readonly random?: () => number;
  /** Observer called on each restart (metrics). */
  readonly onRestart?: (informer: string, err: unknown) => void;
}

interface State {
  readonly spec: InformerSpec;
  attempts: number;
  synced: boolean;
  restartTimer: unknown;
  erroredDuringStart: boolean;
}

/** Starts informers, restarts them after errors, and reports when all have synced once. */
export class InformerSupervisor {
  private readonly states: State[];
  private readonly timers: Timers;
  private readonly random: () => number;
  private stopped = false;
  private syncWaiters: Array<() => void> = [];

  constructor(private readonly options: InformerSupervisorOptions) {
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.states = options.informers.map((spec) => ({ spec, attempts: 0, synced: false, restartTimer: undefined, erroredDuringStart: false }));
    for (const state of this.states) this.wire(state);
  }

  private wire(state: State): void {
    const { source, keysOf } = state.spec;
    const enqueue = (obj: KubernetesObject) => {
      for (const key of keysOf(obj)) this.options.onKey(key);
    };
    source.on('add', enqueue);
    source.on('update', enqueue);
    source.on('delete', enqueue);
    source.on('error', (err) => this.failed(state, err));
  }

  private failed(state: State, err: unknown): void {
    state.erroredDuringStart = true;
    if (this.stopped || state.restartTimer !== undefined) return;
    const delay = backoffDelay(state.attempts, this.options.backoff, this.random);
    state.attempts += 1;
    this.options.logger.warn('informer stopped; restarting', { informer: state.spec.name, attempt: state.attempts, delayMs: delay, err });
    this.options.onRestart?.(state.spec.name, err);
    state.restartTimer = this.timers.setTimeout(() => {
      state.restartTimer = undefined;
      void this.run(state);
    }, delay);
  }

  private async run(state: State): Promise<void> {
    if (this.stopped) return;
    state.erroredDuringStart = false;
    try {
      await state.spec.source.start();
    } catch (err) {
      this.failed(state, err);
      return;
    }
    // start() resolves once the list is done and the watch connected; an error on the way was reported.
    if (state.erroredDuringStart || this.stopped) return;
    if (state.attempts > 0) this.options.logger.info('informer restarted', { informer: state.spec.name });
    state.attempts = 0;
    if (!state.synced) {
      state.synced = true;
      if (this.synced) for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** True once every informer has listed and connected its watch at least once. */
  get synced(): boolean {
    return this.states.every((s) => s.synced);
  }

  /** Starts every informer; resolves at once (use waitForSync to wait for the caches). */
  start(): void {
    for (const state of this.states) void this.run(state);
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
    for (const state of this.states) {
      if (state.restartTimer !== undefined) this.timers.clearTimeout(state.restartTimer);
      state.restartTimer = undefined;
    }
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    await Promise.all(this.states.map((s) => s.spec.source.stop()));
  }
}
