import { gatewayAuthorization, gatewayUrls } from './autoscale-ports.js';

describe('gateway discovery', () => {
  it('lists ready endpoints on the named port, IPv6 in brackets, without duplicates', () => {
    const urls = gatewayUrls(
      {
        items: [
          {
            addressType: 'IPv4',
            ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080 }],
            endpoints: [{ addresses: ['198.18.0.1'] }, { addresses: ['198.18.0.2'], conditions: { ready: false } }, { addresses: ['198.18.0.1'] }],
          },
          { addressType: 'IPv6', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['2001:db8::1'], conditions: { ready: true } }] },
          { addressType: 'IPv4', ports: [{ name: 'other', port: 1 }], endpoints: [{ addresses: ['198.18.0.3'] }] },
        ],
      },
      'http',
    );
    expect(urls).toEqual(['http://198.18.0.1:8080', 'http://[2001:db8::1]:8080']);
  });

  it('builds basic auth from the mounted files, trimming a final newline', () => {
    const files: Record<string, string> = { '/s/basic-auth-user': 'admin\n', '/s/basic-auth-password': 'pw' };
    expect(gatewayAuthorization('/s', (p) => files[p]!)).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
    expect(gatewayAuthorization(undefined)).toBeUndefined();
  });
});
