import { formatDuration, parseDuration, tryParseDuration } from './duration.js';

describe('tryParseDuration', () => {
  it.each([
    ['0', 0],
    ['30', 30_000],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2m', 120_000],
    ['1000us', 1],
    ['0s', 0],
    [' 5s ', 5_000],
  ])('parses %j as %d ms', (input, ms) => {
    expect(tryParseDuration(input)).toBe(ms);
  });

  it.each(['', '1.5', '-1', '-5s', 'abc', '10x', 's', '1m30', '5 s'])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it('names the variable and the value when invalid', () => {
    expect(() => parseDuration('ten', 'exec_timeout')).toThrow(/exec_timeout: invalid duration "ten"/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [1_500, '1.5s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(tryParseDuration(text)).toBe(ms);
  });
});
