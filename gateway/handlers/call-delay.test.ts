import { requestedNotBefore } from './call-delay.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const DAY = 86_400_000;

describe('requestedNotBefore', () => {
  it.each([
    [{}, undefined],
    [{ 'x-delay': '90s' }, NOW + 90_000],
    [{ 'x-delay': '90' }, NOW + 90_000],
    [{ 'x-delay': '0s' }, undefined],
    [{ 'x-not-before': '2026-01-01T12:05:00Z' }, NOW + 300_000],
    [{ 'x-not-before': '2026-01-01T13:05:00+01:00' }, NOW + 300_000],
    [{ 'x-not-before': '2025-12-31T00:00:00Z' }, undefined],
  ])('%j → %p', (headers, expected) => {
    expect(requestedNotBefore(headers, NOW, DAY)).toBe(expected);
  });

  it.each([
    [{ 'x-delay': 'soon' }, 'X-Delay: "soon" is not a duration'],
    [{ 'x-not-before': 'tomorrow' }, 'X-Not-Before: "tomorrow" is not an RFC 3339 time'],
    [{ 'x-not-before': '2026-01-02' }, 'is not an RFC 3339 time'],
    [{ 'x-delay': '1s', 'x-not-before': '2026-01-01T12:05:00Z' }, 'give one of them, not both'],
    [{ 'x-delay': '25h' }, 'X-Delay: a call may be delayed by at most 24h'],
    [{ 'x-not-before': '2026-01-03T00:00:00Z' }, 'X-Not-Before: a call may be delayed by at most 24h'],
  ])('refuses %j', (headers, message) => {
    expect(() => requestedNotBefore(headers, NOW, DAY)).toThrow(message);
  });
});
