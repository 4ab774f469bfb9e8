import { KeySequencer, Semaphore } from './limiter.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('grants up to its capacity at once and hands permits to waiters in FIFO order', async () => {
    const sem = new Semaphore(2);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    const order: number[] = [];
    void sem.acquire().then(() => order.push(1));
    void sem.acquire().then(() => order.push(2));
    await flush();
    expect(order).toEqual([]);
    expect(sem.waiting).toBe(2);
    sem.release();
    await flush();
    expect(order).toEqual([1]);
    sem.release();
    await flush();
    expect(order).toEqual([1, 2]);
    expect(sem.active).toBe(2);
  });

  it('fails pending and later acquires once cancelled, keeping held permits', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiting = sem.acquire();
    sem.cancel();
    expect(await waiting).toBe(false);
    expect(await sem.acquire()).toBe(false);
    expect(sem.active).toBe(1);
    sem.release();
    expect(sem.active).toBe(0);
  });

  it.each([0, -1, 1.5])('rejects capacity %p', (capacity) => {
    expect(() => new Semaphore(capacity)).toThrow(/capacity must be an integer >= 1/);
  });

  it('refuses a release without a held permit', () => {
    expect(() => new Semaphore(1).release()).toThrow(/without a held permit/);
  });
});

describe('KeySequencer', () => {
  it('serialises one key in arrival order while other keys and undefined pass', async () => {
    const seq = new KeySequencer();
    const order: string[] = [];
    expect(await seq.enter('a')).toBe(true);
    void seq.enter('a').then(() => order.push('a2'));
    void seq.enter('a').then(() => order.push('a3'));
    void seq.enter('b').then(() => order.push('b1'));
    void seq.enter(undefined).then(() => order.push('none'));
    await flush();
    expect(order).toEqual(['b1', 'none']);
    seq.leave('a');
    await flush();
    expect(order).toEqual(['b1', 'none', 'a2']);
    seq.leave('a');
    await flush();
    expect(order).toEqual(['b1', 'none', 'a2', 'a3']);
    seq.leave('a');
    seq.leave('b');
    expect(seq.held).toBe(0);
  });

  it('fails waiters once cancelled', async () => {
    const seq = new KeySequencer();
    await seq.enter('k');
    const waiting = seq.enter('k');
    seq.cancel();
    expect(await waiting).toBe(false);
    expect(await seq.enter('other')).toBe(false);
    seq.leave('k');
    expect(seq.held).toBe(0);
  });

  it('refuses to leave a key it does not hold', () => {
    expect(() => new KeySequencer().leave('x')).toThrow(/without holding the key/);
  });
});
