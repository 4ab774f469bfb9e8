import { nextHop } from './delay-tiers.js';

describe('nextHop', () => {
  const tiers = [60_000, 600_000, 3_600_000];
  const now = 1_000_000;

  it('sends a due record to the invocation topic', () => {
    expect(nextHop('t', tiers, now, now)).toBe('t');
    expect(nextHop('t', tiers, now - 5, now)).toBe('t');
  });

  it('sends a record with less than the first tier left to the retry topic, whose relay holds it until due', () => {
    expect(nextHop('t', tiers, now + 59_999, now)).toBe('t.retry');
  });

  it('sends a longer wait to the longest tier not above it', () => {
    expect(nextHop('t', tiers, now + 60_000, now)).toBe('t.delay-1m');
    expect(nextHop('t', tiers, now + 3_599_999, now)).toBe('t.delay-10m');
    expect(nextHop('t', tiers, now + 7 * 86_400_000, now)).toBe('t.delay-1h');
  });
});
