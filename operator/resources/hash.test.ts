import { specHash, stableStringify } from './hash.js';

describe('stableStringify', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: [1, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[1,{"y":2,"z":1}]}}'],
    [{ a: undefined, b: 'x' }, '{"b":"x"}'],
    [[undefined, 1], '[null,1]'],
    ['s', '"s"'],
    [3, '3'],
    [null, 'null'],
  ])('%j -> %s', (input, expected) => {
    expect(stableStringify(input)).toBe(expected);
  });
});

describe('specHash', () => {
  it('ignores key order', () => {
    expect(specHash({ a: 1, b: { c: 2, d: 3 } })).toBe(specHash({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('changes when any value changes, including inside arrays', () => {
    const base = { spec: { env: [{ name: 'A', value: '1' }] } };
    const changed = { spec: { env: [{ name: 'A', value: '2' }] } };
    expect(specHash(base)).not.toBe(specHash(changed));
    expect(specHash([1, 2])).not.toBe(specHash([2, 1]));
  });

  it('is a 20-character lower-case hex string', () => {
    expect(specHash({})).toMatch(/^[0-9a-f]{20}$/);
  });
});
