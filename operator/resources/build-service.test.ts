import { aFunction, withAnnotation, withLabel } from '../testing/fixtures.js';
import { buildService } from './build-service.js';
import { specHash } from './hash.js';

describe('buildService', () => {
  it('builds the whole Service', () => {
    const svc = buildService(aFunction({}, withLabel('team', 'blue'), withAnnotation('a.io/x', 'y')));
    const { 'kfaas.dev/spec-hash': hash, ...annotations } = svc.metadata!.annotations!;
    expect({ ...svc, metadata: { ...svc.metadata, annotations } }).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'echo',
        namespace: 'fns',
        labels: { team: 'blue', app: 'echo', faas_function: 'echo', 'kfaas.dev/function': 'echo' },
        annotations: {
          'a.io/x': 'y',
          'kfaas.dev/managed-labels': 'app,faas_function,kfaas.dev/function,team',
          'kfaas.dev/managed-annotations': 'a.io/x',
        },
        ownerReferences: [
          { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name: 'echo', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        type: 'ClusterIP',
        selector: { faas_function: 'echo' },
        ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }],
      },
    });
    expect(hash).toBe(specHash({ ...svc, metadata: { ...svc.metadata, annotations } }));
  });
});
