/**
 * The control loop of one leadership term: informers feed keys into the work queue; `workers` loops take keys
 * and reconcile them (never two for one key); failures come back with backoff; every Function is re-queued
 * every resync period. Closing aborts in-flight reconciles at once, because after a lost lease nothing may
 * write any more; reconciles are idempotent, so the next leader finishes the job.
 */
import type { Logger } from '../../common/logger.js';
import type { ReconcileResult } from '../reconciler/reconcile-function.js';
import type { Backoff } from '../../common/backoff.js';
import { realTimers, type Timers } from '../../runtime/timers.js';
import { InformerSupervisor, type InformerSpec } from './informers.js';
import { WorkQueue } from './work-queue.js';

/** Dependencies and settings of a controller. */
export interface ControllerOptions {
  readonly informers: readonly InformerSpec[];
  /** Every Function key in the caches, for the periodic resync. */
  readonly listKeys: () => string[];
  readonly reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
  readonly workers: number;
  readonly resyncPeriodMs: number;
  readonly reconcileTimeoutMs: number;
  readonly requeueBackoff: Backoff;
  readonly informerBackoff: Backoff;
  readonly logger: Logger;
  readonly observer?: { onReconcile(result: string, durationMs: number): void; onInformerRestart(informer: string): void };
  readonly timers?: Timers;
}

/** A running (or startable) controller. */
export class Controller {
  readonly queue: WorkQueue;
  private readonly supervisor: InformerSupervisor;
  private readonly timers: Timers;
  private readonly inFlight = new Set<AbortController>();
  private workers: Promise<void>[] = [];
  private resyncTimer: unknown;
  private closed = false;
  private closing: Promise<void> | undefined;
  private started = false;

  constructor(private readonly options: ControllerOptions) {
    this.timers = options.timers ?? realTimers;
    this.queue = new WorkQueue({ backoff: options.requeueBackoff, timers: this.timers });
    this.supervisor = new InformerSupervisor({
      informers: options.informers,
      onKey: (key) => this.queue.add(key),
      backoff: options.informerBackoff,
      logger: options.logger,
      timers: this.timers,
      onRestart: (name) => options.observer?.onInformerRestart(name),
    });
  }

  /** True once the caches synced and the workers run. */
  get running(): boolean {
    return this.started && !this.closed;
  }

  /** Starts the informers, waits for their caches, then starts the workers and the resync timer. */
  async start(): Promise<void> {
    this.supervisor.start();
    await this.supervisor.waitForSync();
    if (this.closed) return;
    for (const key of this.options.listKeys()) this.queue.add(key);
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
    this.scheduleResync();
    this.started = true;
    this.options.logger.info('controller started', { workers: this.options.workers, queued: this.queue.length });
  }

  private scheduleResync(): void {
    this.resyncTimer = this.timers.setTimeout(() => {
      if (this.closed) return;
      for (const key of this.options.listKeys()) this.queue.add(key);
      this.scheduleResync();
    }, this.options.resyncPeriodMs);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timeout = this.timers.setTimeout(
      () => abort.abort(new Error(`reconcile of ${key} timed out after ${this.options.reconcileTimeoutMs}ms`)),
      this.options.reconcileTimeoutMs,
    );
    const started = Date.now();
    try {
      const result = await this.options.reconcile(key, abort.signal);
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      this.options.observer?.onReconcile(result.outcome, Date.now() - started);
    } catch (err) {
      this.options.observer?.onReconcile('error', Date.now() - started);
      if (this.closed) return;
      const attempt = this.queue.failuresOf(key) + 1;
      const delayMs = this.queue.addRateLimited(key);
      this.options.logger.warn('reconcile failed; retrying', { fn: key, attempt, delayMs, err });
    } finally {
      this.timers.clearTimeout(timeout);
      this.inFlight.delete(abort);
      this.queue.done(key);
    }
  }

  /** Stops reconciling now: aborts in-flight work, stops workers and informers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.resyncTimer !== undefined) this.timers.clearTimeout(this.resyncTimer);
      this.queue.shutDown();
      for (const abort of this.inFlight) abort.abort(new Error('controller stopping'));
      await Promise.all(this.workers);
      await this.supervisor.stop();
    })();
    return this.closing;
  }
}
