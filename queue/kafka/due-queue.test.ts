import { jest } from '@jest/globals';
import { waitFor } from '../../test/helpers/wait-for.js';
import { DueQueue } from './due-queue.js';

describe('DueQueue', () => {
  it('calls onDue when the earliest item is due, and pops only what is due, earliest first', async () => {
    let clock = 1_000;
    let fired = 0;
    const queue = new DueQueue<string>(() => clock, () => (fired += 1));
    queue.push(1_000 + 60_000, 'late');
    queue.push(1_000, 'now');
    queue.push(900, 'overdue');
    await waitFor(() => fired >= 1, { timeoutMs: 1_000, intervalMs: 5 });
    expect([queue.popDue(), queue.popDue(), queue.popDue()]).toEqual(['overdue', 'now', undefined]);
    expect(queue.size).toBe(1);
    clock += 60_000;
    expect(queue.popDue()).toBe('late');
    queue.stop();
  });

  it('fires nothing and pops nothing after stop, and filter returns what it drops', async () => {
    let fired = 0;
    const queue = new DueQueue<number>(() => 0, () => (fired += 1));
    queue.push(0, 1);
    queue.push(0, 2);
    expect(queue.filter((n) => n !== 2)).toEqual([2]);
    jest.useFakeTimers();
    try {
      queue.stop();
      queue.arm();
      // stop() cleared the timer the first push armed, and arm() after stop() sets none.
      expect(jest.getTimerCount()).toBe(0);
      jest.runAllTimers();
    } finally {
      jest.useRealTimers();
    }
    expect(fired).toBe(0);
    expect(queue.popDue()).toBeUndefined();
    expect(queue.size).toBe(1);
  });
});
