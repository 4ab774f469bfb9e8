import { ManualTimers } from '../testing/manual-timers.js';
import { WorkQueue } from './work-queue.js';

function makeQueue() {
  const timers = new ManualTimers();
  const queue = new WorkQueue({ backoff: { minMs: 100, maxMs: 1000 }, timers, now: timers.now, random: () => 1 });
  return { queue, timers };
}

describe('WorkQueue', () => {
  it('dedupes pending keys and keeps FIFO order', async () => {
    const { queue } = makeQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    await expect(queue.get()).resolves.toBe('a');
    await expect(queue.get()).resolves.toBe('b');
    expect(queue.length).toBe(0);
  });

  it('never hands out a key that is being processed; an add meanwhile is queued at done', async () => {
    const { queue } = makeQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    queue.add('b');
    expect(queue.length).toBe(1);
    await expect(queue.get()).resolves.toBe('b');
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done(first!);
    await Promise.resolve();
    expect(second).toBe('a');
  });

  it('wakes a waiting worker on add', async () => {
    const { queue } = makeQueue();
    const next = queue.get();
    queue.add('x');
    await expect(next).resolves.toBe('x');
    expect(queue.inFlight).toBe(1);
  });

  it('delays adds and keeps the earliest deadline per key', async () => {
    const { queue, timers } = makeQueue();
    queue.addAfter('a', 500);
    queue.addAfter('a', 200);
    queue.addAfter('a', 900);
    expect(timers.pending).toBe(1);
    timers.advance(199);
    expect(queue.length).toBe(0);
    timers.advance(1);
    expect(queue.length).toBe(1);
    timers.advance(1000);
    expect(queue.length).toBe(1);
  });

  it('backs off exponentially per key up to the cap, and forget resets it', () => {
    const { queue } = makeQueue();
    expect([1, 2, 3, 4, 5].map(() => queue.addRateLimited('a'))).toEqual([100, 200, 400, 800, 1000]);
    expect(queue.failuresOf('a')).toBe(5);
    queue.forget('a');
    expect(queue.addRateLimited('a')).toBe(100);
    expect(queue.addRateLimited('b')).toBe(100);
  });

  it('shutDown releases waiters, drops pending and delayed keys, and ignores later adds', async () => {
    const { queue, timers } = makeQueue();
    const waiting = queue.get();
    queue.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    queue.add('a');
    queue.addAfter('b', 10);
    expect(queue.length).toBe(0);
    expect(timers.pending).toBe(0);
    await expect(queue.get()).resolves.toBeUndefined();
    queue.shutDown();
  });
});
