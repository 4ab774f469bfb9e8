import type { V1EndpointSlice } from '@kubernetes/client-node';
import { EndpointIndex, sliceEndpoints } from './endpoint-index.js';

function slice(name: string, over: Partial<V1EndpointSlice> = {}, service = 'fn'): V1EndpointSlice {
  return {
    metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['198.18.0.1'], conditions: { ready: true } }],
    ...over,
  };
}

describe('sliceEndpoints', () => {
  it.each([
    ['IPv4', slice('a'), ['http://198.18.0.1:8080']],
    ['IPv6, bracketed', slice('a', { addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] }), ['http://[fd00::1]:8080']],
    ['FQDN', slice('a', { addressType: 'FQDN', endpoints: [{ addresses: ['fn.example.com'] }] }), ['http://fn.example.com:8080']],
    ['FQDN under .localhost (RFC 6761)', slice('a', { addressType: 'FQDN', endpoints: [{ addresses: ['fn.localhost'] }] }), ['http://127.0.0.1:8080']],
    ['unset ready counts as ready', slice('a', { endpoints: [{ addresses: ['198.18.0.2'], conditions: {} }] }), ['http://198.18.0.2:8080']],
    ['not ready is skipped', slice('a', { endpoints: [{ addresses: ['198.18.0.2'], conditions: { ready: false } }] }), []],
    [
      'the port named http wins',
      slice('a', { ports: [{ name: 'metrics', port: 8081 }, { name: 'http', port: 8080 }] }),
      ['http://198.18.0.1:8080'],
    ],
    ['else the first TCP port', slice('a', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000 }] }), ['http://198.18.0.1:9000']],
    ['no port, no endpoint', slice('a', { ports: [] }), []],
  ])('%s', (_label, s, expected) => {
    expect(sliceEndpoints(s)).toEqual(expected);
  });
});

describe('EndpointIndex', () => {
  it('merges the slices of a service and follows updates and deletes', () => {
    const index = new EndpointIndex();
    index.upsert(slice('a'));
    index.upsert(slice('b', { endpoints: [{ addresses: ['198.18.0.9', '198.18.0.1'] }] }));
    index.upsert(slice('c', {}, 'other'));
    expect(index.endpoints('ns', 'fn')).toEqual(['http://198.18.0.1:8080', 'http://198.18.0.9:8080']);
    index.upsert(slice('a', { endpoints: [{ addresses: ['198.18.0.1'], conditions: { ready: false } }] }));
    expect(index.endpoints('ns', 'fn')).toEqual(['http://198.18.0.1:8080', 'http://198.18.0.9:8080']);
    index.remove(slice('b'));
    expect(index.endpoints('ns', 'fn')).toEqual([]);
    expect(index.endpoints('ns', 'other')).toEqual(['http://198.18.0.1:8080']);
    expect(index.endpoints('elsewhere', 'fn')).toEqual([]);
  });

  it('returns the same array until something changes (no per-request allocation)', () => {
    const index = new EndpointIndex();
    index.upsert(slice('a'));
    expect(index.endpoints('ns', 'fn')).toBe(index.endpoints('ns', 'fn'));
  });

  it('ignores slices without a service label', () => {
    const index = new EndpointIndex();
    index.upsert({ ...slice('a'), metadata: { name: 'a', namespace: 'ns' } });
    expect(index.endpoints('ns', 'fn')).toEqual([]);
  });
});
