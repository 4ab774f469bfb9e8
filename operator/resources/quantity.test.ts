import { parseQuantity, QUANTITY_PATTERN, quantitiesEqual } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['1', 1],
    ['0', 0],
    ['100m', 0.1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['+2', 2],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1k', 1000],
    ['2M', 2e6],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['5n', 5e-9],
  ])('%s = %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(['', '-1', '1Ki ', 'abc', '1.2.3', '1KB', 'Mi', '1mi', '1e'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it('the exported pattern accepts and rejects the same inputs as the parser', () => {
    const re = new RegExp(QUANTITY_PATTERN);
    for (const text of ['1', '100m', '0.5', '.5', '+2', '128Mi', '1e3', '1E-3', '', '-1', 'abc', '1KB', '1mi']) {
      expect([text, re.test(text)]).toEqual([text, parseQuantity(text) !== undefined]);
    }
  });
});

describe('quantitiesEqual', () => {
  it.each([
    ['500m', '0.5', true],
    ['1', '1000m', true],
    ['1Gi', '1024Mi', true],
    ['1k', '1e3', true],
    ['100m', '0.1', true],
    ['128Mi', '128M', false],
    ['1', '2', false],
    ['x', 'x', true],
    ['x', 'y', false],
  ])('%s vs %s -> %s', (a, b, equal) => {
    expect(quantitiesEqual(a, b)).toBe(equal);
  });
});
