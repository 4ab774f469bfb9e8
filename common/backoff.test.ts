import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const equal = { minMs: 100, maxMs: 1_000 };

  it.each([
    [0, 0, 50],
    [0, 1, 100],
    [1, 0, 100],
    [2, 1, 400],
    [3, 0.5, 600],
    [4, 1, 1_000],
    [40, 1, 1_000],
    [40, 0, 500],
    [1_000, 1, 1_000],
    [-1, 1, 100],
  ])('equal jitter: attempt %p with random %p waits %p ms', (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, equal, () => random)).toBe(expected);
  });

  it.each([
    [0, 100],
    [1, 200],
    [4, 1_600],
    [19, 10_000],
  ])('full jitter: attempt %p spans [0, %p]', (attempt, top) => {
    const full = { minMs: 100, maxMs: 10_000, jitter: 'full' as const };
    expect(backoffDelayMs(attempt, full, () => 1)).toBe(top);
    expect(backoffDelayMs(attempt, full, () => 0)).toBe(0);
  });

  it('clamps a random source outside [0, 1]', () => {
    expect(backoffDelayMs(0, equal, () => 7)).toBe(100);
    expect(backoffDelayMs(0, equal, () => -3)).toBe(50);
  });
});
