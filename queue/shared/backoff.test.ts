import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const opts = { minMs: 100, maxMs: 1_000 };

  it.each([
    [0, 0, 50],
    [0, 1, 100],
    [1, 0, 100],
    [2, 1, 400],
    [3, 0.5, 600],
    [4, 1, 1_000],
    [40, 1, 1_000],
    [40, 0, 500],
  ])('attempt %p with random %p waits %p ms', (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, opts, () => random)).toBe(expected);
  });
});
