import { callsRequest } from './calls-command.js';
import { redriveSelector } from './redrive-command.js';

describe('kfaas calls requests', () => {
  it.each([
    ['get', {}, 'GET', 'http://127.0.0.1:8080/async-calls/abc-1'],
    ['wait', { gateway: 'https://gw.example/', timeout: '30s' }, 'GET', 'https://gw.example/async-calls/abc-1?wait=30s'],
    ['wait', {}, 'GET', 'http://127.0.0.1:8080/async-calls/abc-1?wait=60s'],
    ['cancel', {}, 'DELETE', 'http://127.0.0.1:8080/async-calls/abc-1'],
  ] as const)('%s %j → %s %s', (action, opts, method, url) => {
    expect(callsRequest(action, 'abc-1', opts)).toEqual({ method, url, headers: {} });
  });

  it('sends basic auth from a password or a password file', () => {
    const header = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
    expect(callsRequest('get', 'abc', { user: 'admin', password: 's3cret' }).headers).toEqual({ authorization: header });
    expect(callsRequest('get', 'abc', { user: 'admin', passwordFile: '/pw' }, () => 's3cret\n').headers).toEqual({ authorization: header });
  });

  it.each([
    [{ gateway: 'gw:8080' }, 'abc', 'must be an http(s) URL'],
    [{}, 'a b', 'is not a valid X-Call-Id'],
    [{ user: 'admin' }, 'abc', '--user and --password'],
    [{ timeout: 'soon' }, 'abc', '--timeout "soon": not a duration'],
  ])('refuses %j with id %j', (opts, id, message) => {
    expect(() => callsRequest('wait', id, opts)).toThrow(message);
  });
});

describe('kfaas dead-letters redrive selector', () => {
  it.each([
    [{ all: true }, { all: true }],
    [{ callId: ['a', 'b'] }, { callIds: ['a', 'b'] }],
    [{ function: 'f' }, { function: 'f', namespace: 'openfaas-fn' }],
    [{ function: 'f', namespace: 'team' }, { function: 'f', namespace: 'team' }],
  ])('%j → %j', (opts, selector) => {
    expect(redriveSelector(opts)).toEqual(selector);
  });

  it.each([[{}], [{ all: true, function: 'f' }]])('refuses %j', (opts) => {
    expect(() => redriveSelector(opts)).toThrow('give exactly one of');
  });
});
