import { downstreamResponseHeaders, headersFromRaw, upstreamRequestHeaders } from './forward-headers.js';

const call = { callId: 'id-1', startTimeNs: '1700000000000000000', remoteAddress: '198.18.2.3' };

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop headers, those named in Connection, Host and Expect; adds call headers', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'gw.example.com',
        connection: 'keep-alive, X-Private',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic x',
        expect: '100-continue',
        'x-private': 'secret',
        'content-type': 'text/plain',
        'x-call-id': 'from-client',
      },
      call,
    );
    expect(out).toEqual({
      'content-type': 'text/plain',
      'x-call-id': 'id-1',
      'x-start-time': '1700000000000000000',
      'x-forwarded-for': '198.18.2.3',
      'x-forwarded-host': 'gw.example.com',
    });
  });

  it('keeps X-Forwarded-For and X-Forwarded-Host set by an earlier proxy', () => {
    const out = upstreamRequestHeaders({ host: 'gw', 'x-forwarded-for': '1.1.1.1', 'x-forwarded-host': 'public' }, call);
    expect(out['x-forwarded-for']).toBe('1.1.1.1');
    expect(out['x-forwarded-host']).toBe('public');
  });
});

describe('downstreamResponseHeaders', () => {
  it.each([
    [{ 'content-type': 'application/json' }, 200, 'text/csv', 'application/json'],
    [{}, 200, 'text/csv', 'text/csv'],
    [{}, 200, undefined, 'text/plain'],
    [{}, 204, 'text/csv', undefined],
    [{}, 304, undefined, undefined],
  ])('content type of %j (%d, request %s) is %s', (headers, status, requestType, expected) => {
    expect(downstreamResponseHeaders(headers, status, requestType)['content-type']).toBe(expected);
  });

  it('drops hop-by-hop response headers and keeps the rest', () => {
    const out = downstreamResponseHeaders(
      { 'transfer-encoding': 'chunked', connection: 'close', 'keep-alive': 'timeout=5', 'set-cookie': ['a=1', 'b=2'], etag: '"x"' },
      200,
      undefined,
    );
    expect(out).toEqual({ 'set-cookie': ['a=1', 'b=2'], etag: '"x"', 'content-type': 'text/plain' });
  });
});

describe('headersFromRaw', () => {
  it('lower-cases names, joins repeated values and keeps Set-Cookie as a list', () => {
    const raw = ['Content-Type', 'text/plain', 'X-Tag', 'a', 'x-tag', 'b', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X-Only', 'é', 'Content-Type', 'text/html'].map((v) =>
      Buffer.from(v, 'latin1'),
    );
    expect(headersFromRaw(raw)).toEqual({ 'content-type': 'text/plain', 'x-tag': 'a, b', 'set-cookie': ['a=1', 'b=2'], 'x-only': 'é' });
  });

  it('gives a single Set-Cookie as a one-item list, as node:http does', () => {
    expect(headersFromRaw([Buffer.from('set-cookie'), Buffer.from('a=1')])).toEqual({ 'set-cookie': ['a=1'] });
  });
});
