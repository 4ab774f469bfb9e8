import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { startPeriodic } from './periodic.js';

describe('startPeriodic', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('never overlaps runs, keeps going after a failure, and stops on close', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const periodic = startPeriodic(
      async () => {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        // Each run outlasts the interval, so an overlapping scheduler would start the next one meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 50));
        active -= 1;
        if (runs === 2) throw new Error('boom');
      },
      10,
      (err) => errors.push(err),
    );
    // Run 1 ends at 50, run 2 starts at 60 and ends at 110, run 3 starts at 120.
    await jest.advanceTimersByTimeAsync(125);
    expect([runs, most, errors.length]).toEqual([3, 1, 1]);
    const closing = periodic.close();
    await jest.advanceTimersByTimeAsync(50);
    await closing;
    // Nothing is scheduled after close: however far time moves, no run starts.
    await jest.advanceTimersByTimeAsync(10_000);
    expect([runs, active, jest.getTimerCount()]).toEqual([3, 0, 0]);
  });

  it('waits for the run in progress before close resolves', async () => {
    let finished = false;
    const periodic = startPeriodic(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        finished = true;
      },
      10,
      () => undefined,
    );
    let closed = false;
    const closing = periodic.close().then(() => {
      closed = true;
    });
    await jest.advanceTimersByTimeAsync(99);
    expect(closed).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await closing;
    expect([finished, closed]).toEqual([true, true]);
  });
});
