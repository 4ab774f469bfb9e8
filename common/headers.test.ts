import { connectionTokens, withoutHopByHop } from './headers.js';

describe('connectionTokens', () => {
  it('lists the names a Connection header gives, lower-cased and trimmed', () => {
    expect(connectionTokens('Keep-Alive, X-Trace ,x-other')).toEqual(new Set(['keep-alive', 'x-trace', 'x-other']));
  });

  it('is undefined without a header or for the usual values, which name no other header', () => {
    for (const value of [undefined, ['x-a'], 'keep-alive', 'Keep-Alive', 'close']) expect(connectionTokens(value)).toBeUndefined();
  });
});

describe('withoutHopByHop', () => {
  it('drops the hop-by-hop headers and those the Connection header names, and keeps the rest', () => {
    const out = withoutHopByHop({
      connection: 'close, x-trace',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'x-trace': 'abc',
      'x-call-id': 'c1',
      'content-type': 'text/plain',
      skipped: undefined,
    });
    expect(out).toEqual({ 'x-call-id': 'c1', 'content-type': 'text/plain' });
  });
});
