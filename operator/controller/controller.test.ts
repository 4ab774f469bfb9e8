import type { KubernetesObject } from '@kubernetes/client-node';
import winston from 'winston';
import type { ReconcileResult } from '../reconciler/reconcile-function.js';
import { waitUntil } from '../testing/wait-for.js';
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
    await waitUntil(() => seen.length === 2, 2000, 'two reconciles');
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
    await waitUntil(() => calls === 1, 2000, 'first reconcile');
    for (let i = 0; i < 10; i++) source.emit('update', obj('a'));
    expect(controller.queue.length).toBe(0);
    release();
    await waitUntil(() => calls === 2, 2000, 'exactly one rerun');
    await waitUntil(() => controller.queue.inFlight === 0, 2000, 'idle');
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
    await waitUntil(() => attempts['ns/flaky'] === 3 && attempts['ns/waiting'] === 2, 3000, 'retries');
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
    await waitUntil(() => (counts['ns/a'] ?? 0) >= 3 && (counts['ns/b'] ?? 0) >= 3, 3000, 'three rounds');
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
    await waitUntil(() => controller.queue.inFlight === 1, 2000, 'in flight');
    await Promise.all([controller.close(), controller.close()]);
    expect(aborted).toBe(true);
    expect(controller.running).toBe(false);
  });
});
