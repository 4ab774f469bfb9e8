import { upstreamDeadlineMs } from './deadline.js';

describe('upstreamDeadlineMs', () => {
  it.each([
    // exec, margin, max, X-Timeout, expected
    [30_000, 2_000, 300_000, undefined, 32_000],
    [299_000, 2_000, 300_000, undefined, 300_000],
    [3_600_000, 2_000, 300_000, undefined, 300_000],
    [0, 2_000, 300_000, undefined, 300_000],
    [500, 0, 300_000, undefined, 500],
    // X-Timeout only lowers.
    [30_000, 2_000, 300_000, 5_000, 7_000],
    [30_000, 2_000, 300_000, 60_000, 32_000],
    [0, 2_000, 300_000, 10_000, 12_000],
    [30_000, 2_000, 300_000, 0, 32_000],
  ])('exec %d + margin %d capped at %d, X-Timeout %s -> %d', (exec, margin, max, requested, expected) => {
    expect(upstreamDeadlineMs(exec, margin, max, requested)).toBe(expected);
  });
});
