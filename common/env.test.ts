import { deepFreeze, definedOnly, parseSize, pickEnv, splitList, validators } from './env.js';

describe('validators', () => {
  const r = validators('test');

  it('picks the first non-blank key, trimmed', () => {
    const env = { A: ' 5 ', B: '', C: 'x' };
    expect(pickEnv(env, 'B', 'A')).toBe('5');
    expect(pickEnv(env, 'B', 'MISSING')).toBeUndefined();
  });

  it.each([
    [() => r.integer('K', 'ten', 0), 'test config K="ten": must be a whole number'],
    [() => r.integer('K', '11', 0, 10), 'test config K="11": must be between 0 and 10'],
    [() => r.bool('K', 'maybe'), 'must be true or false'],
    [() => r.duration('K', 'soon'), 'test config K="soon": invalid duration "soon"'],
    [() => r.positiveDuration('K', '0s'), 'must be greater than zero'],
    [() => r.size('K', '5 parsecs'), 'must be a byte size'],
    [() => r.bindAddress('K', 'example.com'), 'must be an IP address'],
    [() => r.logLevel('K', 'loud'), 'must be one of error, warn'],
    [() => r.brokers('K', 'a:1,b'), '"b" is not host:port'],
  ])('fails naming the key and value (%#)', (read, message) => {
    expect(read).toThrow(message);
  });

  it('reads valid values', () => {
    expect(r.duration('K', '1m30s')).toBe(90_000);
    expect(r.bool('K', 'YES')).toBe(true);
    expect(r.brokers('K', '127.0.0.1:9092, b:1')).toEqual(['127.0.0.1:9092', 'b:1']);
  });
});

describe('helpers', () => {
  it('definedOnly drops undefined values so defaults survive a spread', () => {
    expect({ a: 1, b: 2, ...definedOnly({ a: undefined, b: 3 }) }).toEqual({ a: 1, b: 3 });
  });

  it.each([
    ['1048576', 1048576],
    ['512Ki', 524288],
    ['64Mi', 67108864],
    ['1GB', 1e9],
    ['1.5Mi', undefined],
  ])('parseSize(%j) = %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('splits lists and freezes deeply', () => {
    expect(splitList(' a, ,b ')).toEqual(['a', 'b']);
    const frozen = deepFreeze({ a: { b: [1] } });
    expect(Object.isFrozen(frozen.a.b)).toBe(true);
  });
});
