import { isKfaasError } from '../../common/errors.js';
import { parseInvokeRoute, type RouteNamespaces } from './invoke-route.js';

const namespaces: RouteNamespaces = { functionNamespace: 'openfaas-fn', allowedNamespaces: ['openfaas-fn', 'other'] };

describe('parseInvokeRoute', () => {
  it.each([
    ['/function/f', 'f', 'openfaas-fn', '/', ''],
    ['/function/f/', 'f', 'openfaas-fn', '/', ''],
    ['/function/f?x=1', 'f', 'openfaas-fn', '/', 'x=1'],
    ['/function/f/a/b?x=1&y=%20', 'f', 'openfaas-fn', '/a/b', 'x=1&y=%20'],
    ['/function/f.other/a%2Fb', 'f', 'other', '/a%2Fb', ''],
    ['/function/f.openfaas-fn', 'f', 'openfaas-fn', '/', ''],
    ['/function/f/?', 'f', 'openfaas-fn', '/', ''],
  ])('%s -> %s.%s %s ? %s', (url, name, namespace, path, rawQuery) => {
    expect(parseInvokeRoute(url, '/function/', namespaces)).toEqual({ name, namespace, path, rawQuery });
  });

  it('reads the async route with the same rules', () => {
    expect(parseInvokeRoute('/async-function/f.other/a?b', '/async-function/', namespaces)).toEqual({ name: 'f', namespace: 'other', path: '/a', rawQuery: 'b' });
  });

  // OpenFaaS clients take 404 to mean "no such function"; a name no function can have is exactly that.
  it.each([
    ['/function/', /no function can be named "": a function name must not be empty/],
    ['/function/.openfaas-fn', /no function can be named ""/],
    ['/function/Upper', /no function can be named "Upper": a function name must be a DNS-1123 label/],
    [`/function/${'a'.repeat(64)}`, /at most 63 characters/],
    ['/function/bad_name', /no function can be named "bad_name"/],
    // The last dot splits off the namespace, so a dotted name is never valid.
    ['/function/my.fn.other', /no function can be named "my.fn"/],
    ['/function', /no function can be named ""/],
  ])('%s is FN_NOT_FOUND (404)', (url, message) => {
    const thrown = catchError(() => parseInvokeRoute(url, '/function/', namespaces));
    expect(isKfaasError(thrown, 'FN_NOT_FOUND')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it.each(['/function/f.kube-system', '/function/f.nope', '/function/f.Bad_NS'])('%s is INVALID_NAMESPACE (400) naming the allowed set', (url) => {
    const thrown = catchError(() => parseInvokeRoute(url, '/function/', namespaces));
    expect(isKfaasError(thrown, 'INVALID_NAMESPACE')).toBe(true);
    expect((thrown as Error).message).toBe('namespace must be: openfaas-fn, other');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
