import { canonicalName, requestEnv } from './fork-env.js';

describe('requestEnv', () => {
  it('turns the request line and headers into Http_* variables', () => {
    expect(
      requestEnv('POST', '/a/b?x=1&y=2', {
        'content-type': 'text/plain',
        'x-call-id': 'abc',
        'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] as unknown as string,
      }),
    ).toEqual({
      Http_Method: 'POST',
      Http_Path: '/a/b',
      Http_Query: 'x=1&y=2',
      Http_Content_Type: 'text/plain',
      Http_X_Call_Id: 'abc',
      Http_X_Forwarded_For: '1.1.1.1, 2.2.2.2',
    });
  });

  it('keeps the real method and path even if headers are named like them', () => {
    const env = requestEnv('GET', '/', { method: 'DELETE', path: '/etc' });
    expect(env['Http_Method']).toBe('GET');
    expect(env['Http_Path']).toBe('/');
    expect(env['Http_Query']).toBe('');
  });

  it.each([
    ['content-type', 'Content_Type'],
    ['x-call-id', 'X_Call_Id'],
    ['X-CUSTOM', 'X_Custom'],
    ['accept', 'Accept'],
  ])('canonicalName(%s) = %s', (name, expected) => {
    expect(canonicalName(name)).toBe(expected);
  });
});
