import type { KubernetesObject } from '@kubernetes/client-node';
import winston from 'winston';
import { ManualTimers } from '../testing/manual-timers.js';
import { InformerSupervisor, type WatchSource } from './informers.js';

/** A scripted informer: each start() consumes one outcome ('ok', 'error' emitted during start, or 'throw'). */
class FakeSource implements WatchSource<KubernetesObject> {
  starts = 0;
  stops = 0;
  private readonly handlers: Record<string, Array<(arg?: any) => void>> = {};
  constructor(private readonly outcomes: Array<'ok' | 'error' | 'throw'>) {}
  on(verb: string, cb: (arg?: any) => void): void {
    (this.handlers[verb] ??= []).push(cb);
  }
  emit(verb: string, arg?: unknown): void {
    for (const cb of this.handlers[verb] ?? []) cb(arg);
  }
  async start(): Promise<void> {
    this.starts += 1;
    const outcome = this.outcomes.shift() ?? 'ok';
    if (outcome === 'throw') throw new Error('boom');
    if (outcome === 'error') this.emit('error', new Error('connect ECONNREFUSED'));
  }
  async stop(): Promise<void> {
    this.stops += 1;
  }
  get(): KubernetesObject | undefined {
    return undefined;
  }
  list(): KubernetesObject[] {
    return [];
  }
}

const logger = winston.createLogger({ silent: true });
const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(...sources: FakeSource[]) {
  const timers = new ManualTimers();
  const keys: string[] = [];
  const restarts: string[] = [];
  const supervisor = new InformerSupervisor({
    informers: sources.map((source, i) => ({
      name: `inf${i}`,
      source,
      keysOf: (obj) => [`${obj.metadata?.namespace}/${obj.metadata?.name}`],
    })),
    onKey: (key) => keys.push(key),
    backoff: { minMs: 100, maxMs: 1000 },
    logger,
    timers,
    random: () => 1,
    onRestart: (name) => restarts.push(name),
  });
  return { supervisor, timers, keys, restarts };
}

describe('InformerSupervisor', () => {
  it('turns every event into keys', async () => {
    const source = new FakeSource(['ok']);
    const { supervisor, keys } = setup(source);
    supervisor.start();
    await supervisor.waitForSync();
    source.emit('add', { metadata: { namespace: 'a', name: 'x' } });
    source.emit('update', { metadata: { namespace: 'a', name: 'y' } });
    source.emit('delete', { metadata: { namespace: 'b', name: 'x' } });
    expect(keys).toEqual(['a/x', 'a/y', 'b/x']);
  });

  it('retries a failing start with exponential backoff and syncs once it succeeds', async () => {
    const source = new FakeSource(['error', 'throw', 'error', 'ok']);
    const other = new FakeSource(['ok']);
    const { supervisor, timers, restarts } = setup(source, other);
    supervisor.start();
    await flush();
    expect(supervisor.synced).toBe(false);
    timers.advance(99);
    await flush();
    expect(source.starts).toBe(1);
    timers.advance(1);
    await flush();
    expect(source.starts).toBe(2);
    timers.advance(200);
    await flush();
    expect(source.starts).toBe(3);
    timers.advance(400);
    await flush();
    expect(source.starts).toBe(4);
    await supervisor.waitForSync();
    expect(supervisor.synced).toBe(true);
    expect(restarts).toEqual(['inf0', 'inf0', 'inf0']);
  });

  it('restarts after a watch error that happens later, with the backoff reset after a success', async () => {
    const source = new FakeSource(['ok', 'ok']);
    const { supervisor, timers } = setup(source);
    supervisor.start();
    await supervisor.waitForSync();
    source.emit('error', new Error('ECONNRESET'));
    source.emit('error', new Error('second report of the same failure'));
    expect(timers.pending).toBe(1);
    timers.advance(100);
    await flush();
    expect(source.starts).toBe(2);
    source.emit('error', new Error('again'));
    timers.advance(99);
    await flush();
    expect(source.starts).toBe(2);
    timers.advance(1);
    await flush();
    expect(source.starts).toBe(3);
  });

  it('stop cancels pending restarts, stops every source and is idempotent', async () => {
    const source = new FakeSource(['error']);
    const { supervisor, timers } = setup(source);
    supervisor.start();
    await flush();
    expect(timers.pending).toBe(1);
    const waiting = supervisor.waitForSync();
    await supervisor.stop();
    await supervisor.stop();
    await waiting;
    expect(timers.pending).toBe(0);
    expect(source.stops).toBe(1);
    source.emit('error', new Error('late'));
    expect(timers.pending).toBe(0);
  });
});
