import type { KubernetesObject } from '@kubernetes/client-node';
import winston from 'winston';
import type { ReconcileResult } from '../reconciler/reconcile-function.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { Controller } from './controller.js';
import type { WatchSource } from './informers.js';

class ListSource implements WatchSource<KubernetesObject> {
  private readonly handlers: Record<string, Array<(arg?: any) => void>> = {};
  stopped = false;
  on(verb: string, cb: (arg?: any) => void): void {
    (this.handlers[verb] ??= []).push(cb);
  }
  emit(verb: string, obj: unknown): void {
    for (const cb of this.handlers[verb] ?? []) cb(obj);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  get(): undefined {
    return undefined;
  }
  list(): KubernetesObject[] {
    return [];
  }
}

const logger = winston.createLogger({ silent: true });

function setup(reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>, keys: string[] = [], resyncPeriodMs = 60_000) {
  const source = new ListSource();
  const results: string[] = [];
  const controller = new Controller({
    informers: [{ name: 'fake', source, keysOf: (o) => [`${o.metadata?.namespace}/${o.metadata?.name}`] }],
    listKeys: () => keys,
    reconcile,
    workers: 3,
    resyncPeriodMs,
    reconcileTimeoutMs: 5000,
    requeueBackoff: { minMs: 5, maxMs: 20 },
    informerBackoff: { minMs: 5, maxMs: 20 },
    logger,
    observer: { onReconcile: (r) => results.push(r), onInformerRestart: () => undefined },
  });
  return { controller, source, results };
}

const obj = (name: string) => ({ metadata: { namespace: 'ns', name } });

describe('Controller', () => {
  it('reconciles listed keys at start and keys from events', async () => {
    const seen: string[] = [];
    const { controller, source, results } = setup(async (key) => {
      seen.push(key);
      return { outcome: 'ready' };
    }, ['ns/a']);
    await controller.start();
    source.emit('add', obj('b'));
    await waitFor(() => seen.length === 2, { timeoutMs: 2000, intervalMs: 10, description: 'two reconciles' });
    expect(seen.sort()).toEqual(['ns/a', 'ns/b']);
    expect(results).toEqual(['ready', 'ready']);
    await controller.close();
    expect(source.stopped).toBe(true);
  });

  it('never runs two reconciles of one key at once, and folds events that arrive meanwhile into one rerun', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { controller, source } = setup(async () => {
      calls += 1;
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      if (calls === 1) await gate;
      running -= 1;
      return { outcome: 'ready' };
    });
    await controller.start();
    source.emit('add', obj('a'));
    await waitFor(() => calls === 1, { timeoutMs: 2000, intervalMs: 10, description: 'first reconcile' });
    for (let i = 0; i < 10; i++) source.emit('update', obj('a'));
    expect(controller.queue.length).toBe(0);
    release();
    await waitFor(() => calls === 2, { timeoutMs: 2000, intervalMs: 10, description: 'exactly one rerun' });
    await waitFor(() => controller.queue.inFlight === 0, { timeoutMs: 2000, intervalMs: 10, description: 'idle' });
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
    await controller.close();
  });

  it('retries a failing key with backoff until it succeeds, and honours requeueAfter', async () => {
    const attempts: Record<string, number> = {};
    const { controller, source, results } = setup(async (key) => {
      attempts[key] = (attempts[key] ?? 0) + 1;
      if (key === 'ns/flaky' && attempts[key]! < 3) throw new Error('transient');
      if (key === 'ns/waiting' && attempts[key] === 1) return { outcome: 'stalled', requeueAfterMs: 30 };
      return { outcome: 'ready' };
    });
    await controller.start();
    source.emit('add', obj('flaky'));
    source.emit('add', obj('waiting'));
    await waitFor(() => attempts['ns/flaky'] === 3 && attempts['ns/waiting'] === 2, { timeoutMs: 3000, intervalMs: 10, description: 'retries' });
    expect(results.filter((r) => r === 'error')).toHaveLength(2);
    expect(controller.queue.failuresOf('ns/flaky')).toBe(0);
    await controller.close();
  });

  it('resyncs every key periodically', async () => {
    const counts: Record<string, number> = {};
    const { controller } = setup(async (key) => {
      counts[key] = (counts[key] ?? 0) + 1;
      return { outcome: 'ready' };
    }, ['ns/a', 'ns/b'], 40);
    await controller.start();
    await waitFor(() => (counts['ns/a'] ?? 0) >= 3 && (counts['ns/b'] ?? 0) >= 3, { timeoutMs: 3000, intervalMs: 10, description: 'three rounds' });
    await controller.close();
  });

  it('close aborts in-flight reconciles and is idempotent', async () => {
    let aborted = false;
    const { controller, source } = setup(
      (_key, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    );
    await controller.start();
    source.emit('add', obj('slow'));
    await waitFor(() => controller.queue.inFlight === 1, { timeoutMs: 2000, intervalMs: 10, description: 'in flight' });
    await Promise.all([controller.close(), controller.close()]);
    expect(aborted).toBe(true);
    expect(controller.running).toBe(false);
  });
});
