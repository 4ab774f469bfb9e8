import { allowlistEntryProblem, compileCallbackPolicy, kubernetesApiAddresses } from './callback-policy.js';

const open = compileCallbackPolicy({ allowlist: [], kubernetesApiAddresses: ['198.18.0.1'] });
const check = (url: string, policy = open) => policy.checkUrl(new URL(url));

describe('callback policy, default (no allowlist)', () => {
  it.each(['http://127.0.0.1:8080/done', 'https://hooks.example.com/x', 'http://[::1]/', 'http://198.18.5.5/'])('allows %s', (url) => {
    expect(check(url)).toBeUndefined();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is link-local \(169\.254\.0\.0\/16, fe80::\/10\), refused unless KFAAS_CALLBACK_ALLOWLIST lists it/],
    ['http://[fe80::1]/', /fe80::1 is link-local/],
    ['http://[::ffff:169.254.169.254]/', /169\.254\.169\.254 is link-local/],
    ['http://198.18.0.1:443/api', /198\.18\.0\.1 is the Kubernetes API \(kubernetes\.default\.svc, 198\.18\.0\.1\)/],
    ['https://kubernetes.default.svc/api', /kubernetes\.default\.svc is the Kubernetes API/],
    ['https://kubernetes.default.svc.cluster.local./api', /is the Kubernetes API/],
    ['https://KUBERNETES/api', /kubernetes is the Kubernetes API/],
  ])('refuses %s, naming the rule', (url, rule) => {
    expect(check(url)).toMatch(rule);
  });

  it('refuses resolved addresses in the refused ranges', () => {
    expect(open.checkAddress('169.254.10.1')).toMatch(/link-local/);
    expect(open.checkAddress('::ffff:a9fe:a9fe')).toMatch(/169\.254\.169\.254 is link-local/);
    expect(open.checkAddress('198.18.0.1')).toMatch(/Kubernetes API/);
    expect(open.checkAddress('203.0.113.7')).toBeUndefined();
  });
});

describe('callback policy with an allowlist', () => {
  const policy = compileCallbackPolicy({
    allowlist: ['example.org', '*.corp.net', '127.0.0.1', '198.18.0.0/15', '::1', '169.254.10.0/24', 'kubernetes.default.svc'],
    kubernetesApiAddresses: [],
  });

  it.each([
    ['http://example.org/', undefined],
    ['http://a.b.corp.net/', undefined],
    ['http://corp.net/', /corp\.net is not in KFAAS_CALLBACK_ALLOWLIST/],
    ['http://example.com/', /example\.com is not in KFAAS_CALLBACK_ALLOWLIST/],
    ['http://127.0.0.1:9/', undefined],
    ['http://127.0.0.2/', /127\.0\.0\.2 is not in KFAAS_CALLBACK_ALLOWLIST/],
    ['http://198.19.1.1/', undefined],
    ['http://[::1]/', undefined],
    ['http://169.254.10.5/', undefined],
    ['http://169.254.169.254/', /link-local/],
    ['https://kubernetes.default.svc/', undefined],
    ['https://kubernetes/', /Kubernetes API/],
  ])('%s -> %p', (url, expected) => {
    const result = check(url, policy);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(expected);
  });

  it('lets an allowlisted CIDR override the link-local rule at send time too', () => {
    expect(policy.checkAddress('169.254.10.9')).toBeUndefined();
    expect(policy.checkAddress('169.254.11.9')).toMatch(/link-local/);
  });
});

describe('allowlist entries and the Kubernetes API address', () => {
  it.each([
    ['example.org', undefined],
    ['*.corp.net', undefined],
    ['198.18.0.0/15', undefined],
    ['fd00::/8', undefined],
    ['198.18.0.0/33', /CIDR entries/],
    ['198.18.0.0/x', /CIDR entries/],
    ['exa mple', /must be a host name/],
  ])('%s -> %p', (entry, expected) => {
    const problem = allowlistEntryProblem(entry);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('reads KUBERNETES_SERVICE_HOST when it is an IP address', () => {
    expect(kubernetesApiAddresses({ KUBERNETES_SERVICE_HOST: '198.18.0.1' })).toEqual(['198.18.0.1']);
    expect(kubernetesApiAddresses({ KUBERNETES_SERVICE_HOST: 'not-an-ip' })).toEqual([]);
    expect(kubernetesApiAddresses({})).toEqual([]);
  });

  it('refuses to compile an invalid entry', () => {
    expect(() => compileCallbackPolicy({ allowlist: ['198.18.0.0/x'], kubernetesApiAddresses: [] })).toThrow('CIDR entries');
  });
});
