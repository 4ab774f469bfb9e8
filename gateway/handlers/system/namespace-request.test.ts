import { KfaasError } from '../../../common/errors.js';
import { parseNamespaceRequest } from './namespace-request.js';

function problem(body: unknown, pathName?: string): string {
  try {
    parseNamespaceRequest(body, pathName);
  } catch (err) {
    return `${(err as KfaasError).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('parseNamespaceRequest', () => {
  it('takes the name from the path or the body, with labels and annotations', () => {
    expect(parseNamespaceRequest({ name: 'team-a', labels: { t: 'a' }, annotations: { o: 'x' } }, undefined)).toEqual({
      name: 'team-a',
      labels: { t: 'a' },
      annotations: { o: 'x' },
    });
    expect(parseNamespaceRequest(undefined, 'team-a')).toEqual({ name: 'team-a', labels: {}, annotations: {} });
    expect(parseNamespaceRequest({ labels: null }, 'team-a')).toEqual({ name: 'team-a', labels: {}, annotations: {} });
  });

  it('refuses bad names, a path and body that disagree, kube-* and non-string maps, naming the problem', () => {
    expect(problem({}, undefined)).toBe('INVALID_NAMESPACE: namespace "": must not be empty');
    expect(problem({ name: 'Team_A' })).toMatch(/^INVALID_NAMESPACE: namespace "Team_A": must be a DNS-1123 label/);
    expect(problem({ name: 'a' }, 'b')).toBe('INVALID_FIELD: name: the body names "a" but the path names "b"');
    expect(problem({ name: 'kube-extra' })).toBe('INVALID_NAMESPACE: namespace kube-extra: the kube-* namespaces belong to Kubernetes');
    expect(problem({ name: 'a', labels: { n: 1 } })).toBe('INVALID_FIELD: labels.n: must be a string');
    expect(problem({ name: 'a', annotations: ['x'] })).toBe('INVALID_FIELD: annotations: must be an object of strings');
    expect(problem({ name: 3 })).toBe('INVALID_FIELD: name: must be a string');
    expect(problem('team-a')).toMatch(/^INVALID_FIELD: the body must be a JSON object/);
  });
});
