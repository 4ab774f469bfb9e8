import { jest } from '@jest/globals';
import { settlesWithin, withDeadline } from './deadline.js';

const never = new Promise<never>(() => undefined);

describe('withDeadline', () => {
  it('settles as the promise does when it is first', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1_000, () => new Error('late'))).rejects.toThrow('boom');
  });

  it('rejects with the timeout error when the deadline is first', async () => {
    await expect(withDeadline(never, 10, () => new Error('no answer within 10 ms'))).rejects.toThrow('no answer within 10 ms');
  });

  it('leaves no unhandled rejection when the promise fails after the deadline', async () => {
    jest.useFakeTimers();
    try {
      const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('too late')), 20));
      const settled = expect(withDeadline(late, 5, () => new Error('deadline'))).rejects.toThrow('deadline');
      // The late rejection happens inside this test, where jest would report it if nothing handled it.
      await jest.advanceTimersByTimeAsync(20);
      await settled;
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('settlesWithin', () => {
  it('is true for a promise that resolves or rejects in time, false for one that does not', async () => {
    await expect(settlesWithin(Promise.resolve(), 1_000)).resolves.toBe(true);
    await expect(settlesWithin(Promise.reject(new Error('x')), 1_000)).resolves.toBe(true);
    await expect(settlesWithin(never, 10)).resolves.toBe(false);
  });
});
