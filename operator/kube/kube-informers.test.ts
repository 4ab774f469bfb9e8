import { ownerKeys } from './kube-informers.js';

describe('ownerKeys', () => {
  it.each([
    [
      'the controlling Function',
      { metadata: { namespace: 'fns', name: 'x', ownerReferences: [{ apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name: 'echo', uid: 'u', controller: true }] } },
      ['fns/echo'],
    ],
    [
      'the function label when no Function controls it',
      { metadata: { namespace: 'fns', name: 'x', labels: { 'kfaas.dev/function': 'echo' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Function', name: 'other', uid: 'u' }] } },
      ['fns/echo'],
    ],
    ['nothing for an unrelated object', { metadata: { namespace: 'fns', name: 'x' } }, []],
  ])('maps to %s', (_label, obj, keys) => {
    expect(ownerKeys(obj)).toEqual(keys);
  });
});
