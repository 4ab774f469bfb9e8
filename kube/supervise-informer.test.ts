import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import winston from 'winston';
import { waitFor } from '../test/helpers/wait-for.js';
import { superviseInformer } from './supervise-informer.js';

/**
 * A scripted informer: each start() runs the next step. The real ListWatch reports a failed list through its
 * error callbacks and still resolves start(); this fake does the same. Real apiserver behaviour is covered by
 * test/integration/gateway-kubernetes.int.test.ts and
 * operator-*.int.test.ts.
 */
class ScriptedInformer implements Informer<KubernetesObject>, ObjectCache<KubernetesObject> {
  starts = 0;
  stops = 0;
  private readonly handlers = new Map<string, Array<(arg?: unknown) => void>>();
  constructor(private readonly steps: Array<'ok' | 'fail'>) {}
  on(verb: string, cb: (arg?: any) => void): void {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), cb]);
  }
  off(): void {}
  async start(): Promise<void> {
    const step = this.steps[this.starts++] ?? 'ok';
    if (step === 'fail') this.emit('error', new Error(`list failed #${this.starts}`));
  }
  async stop(): Promise<void> {
    this.stops++;
  }
  emit(verb: string, arg?: unknown): void {
    for (const cb of this.handlers.get(verb) ?? []) cb(arg);
  }
  get(): KubernetesObject | undefined {
    return undefined;
  }
  list(): readonly KubernetesObject[] {
    return [];
  }
}

const logger = winston.createLogger({ silent: true });
const options = { name: 'test', logger, backoff: { minMs: 10, maxMs: 40 }, random: () => 0 };

const until = (check: () => boolean) => waitFor(check, { timeoutMs: 2000, intervalMs: 5 });

describe('superviseInformer', () => {
  it('retries a failing first list with backoff and reports synced only after a clean start', async () => {
    const informer = new ScriptedInformer(['fail', 'fail', 'ok']);
    let synced = false;
    const supervised = superviseInformer(informer, options);
    void supervised.synced.then(() => (synced = true));
    await until(() => informer.starts === 3);
    await supervised.synced;
    expect(synced).toBe(true);
    await supervised.stop();
  });

  it('restarts after a watch error once synced, and never after stop()', async () => {
    const informer = new ScriptedInformer(['ok']);
    const supervised = superviseInformer(informer, options);
    await supervised.synced;
    expect(informer.starts).toBe(1);
    informer.emit('error', new Error('watch closed'));
    await until(() => informer.starts === 2);
    await supervised.stop();
    await supervised.stop();
    expect(informer.stops).toBe(1);
    informer.emit('error', new Error('late error'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(informer.starts).toBe(2);
  });

  it('coalesces a burst of errors into one restart', async () => {
    const informer = new ScriptedInformer(['ok']);
    const supervised = superviseInformer(informer, { ...options, backoff: { minMs: 30, maxMs: 30 } });
    await supervised.synced;
    informer.emit('error', new Error('a'));
    informer.emit('error', new Error('b'));
    informer.emit('error', new Error('c'));
    await until(() => informer.starts === 2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(informer.starts).toBe(2);
    await supervised.stop();
  });
});
