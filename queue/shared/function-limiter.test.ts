import { FunctionLimiter } from './function-limiter.js';

describe('FunctionLimiter', () => {
  it('grants up to each function its own limit, FIFO, and other functions alongside', async () => {
    const limits: Record<string, number> = { a: 2, b: 1 };
    const l = new FunctionLimiter((fn) => limits[fn]);
    expect(await l.acquire('a')).toBe(true);
    expect(await l.acquire('a')).toBe(true);
    const order: string[] = [];
    const third = l.acquire('a').then(() => order.push('a3'));
    const fourth = l.acquire('a').then(() => order.push('a4'));
    expect(await l.acquire('b')).toBe(true);
    expect(l.active('a')).toBe(2);
    expect(l.waiting('a')).toBe(2);
    l.release('a');
    await third;
    expect(order).toEqual(['a3']);
    l.release('a');
    await fourth;
    expect(order).toEqual(['a3', 'a4']);
  });

  it('treats an undefined limit as unbounded', async () => {
    const l = new FunctionLimiter(() => undefined);
    for (let i = 0; i < 50; i += 1) expect(await l.acquire('x')).toBe(true);
    expect(l.active('x')).toBe(50);
  });

  it('starts waiters when the limit grows and refresh() is called, and holds new ones when it shrinks', async () => {
    let limit = 1;
    const l = new FunctionLimiter(() => limit);
    await l.acquire('a');
    let started = 0;
    const waiters = [l.acquire('a'), l.acquire('a'), l.acquire('a')].map((p) => p.then(() => (started += 1)));
    limit = 3;
    l.refresh();
    await Promise.all(waiters.slice(0, 2));
    expect(started).toBe(2);
    expect(l.waiting('a')).toBe(1);
    limit = 1;
    l.release('a');
    l.release('a');
    // 1 still held: the limit of 1 is reached, so the last waiter keeps waiting.
    expect(l.waiting('a')).toBe(1);
    l.release('a');
    await waiters[2];
    expect(started).toBe(3);
  });

  it('cancel() fails pending and future acquires; release without a permit is a bug', async () => {
    const l = new FunctionLimiter(() => 1);
    await l.acquire('a');
    const waiting = l.acquire('a');
    l.cancel();
    await expect(waiting).resolves.toBe(false);
    await expect(l.acquire('b')).resolves.toBe(false);
    expect(() => l.release('zzz')).toThrow(/without a held permit/);
  });
});
