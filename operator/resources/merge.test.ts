import { aFunction, liveDeployment, withLabel } from '../testing/fixtures.js';
import { buildDeployment } from './build-deployment.js';
import { buildService } from './build-service.js';
import { initialReplicas } from '../../common/scale-labels.js';
import { deploymentForCreate, deploymentForUpdate, mergeMap, serviceForUpdate } from './merge.js';

describe('initialReplicas', () => {
  it.each([
    [aFunction({ replicas: 3 }), 3],
    [aFunction({ replicas: 0 }), 0],
    [aFunction({}, withLabel('com.openfaas.scale.min', '2')), 2],
    [aFunction(), 1],
  ])('%#', (fn, replicas) => {
    expect(initialReplicas(fn.spec)).toBe(replicas);
    expect(deploymentForCreate(buildDeployment(fn), fn).spec!.replicas).toBe(replicas);
  });
});

describe('mergeMap', () => {
  it('keeps foreign keys, drops keys it managed before, applies desired', () => {
    expect(mergeMap({ a: '1', b: '2' }, { a: '0', old: 'x', foreign: 'y' }, ['a', 'old'])).toEqual({ a: '1', b: '2', foreign: 'y' });
  });
});

describe('deploymentForUpdate', () => {
  it('keeps live replicas when the function leaves them unset, the selector, identity and foreign metadata', () => {
    const fn = aFunction({ image: 'x:2' });
    const live = liveDeployment(deploymentForCreate(buildDeployment(aFunction({ image: 'x:1' }, withLabel('gone', 'yes'))), fn));
    live.spec!.replicas = 4;
    live.metadata!.labels!.foreign = 'kept';
    live.metadata!.annotations!['deployment.kubernetes.io/revision'] = '3';
    live.metadata!.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'other' });
    const body = deploymentForUpdate(buildDeployment(fn), live);
    expect(body.spec!.replicas).toBe(4);
    expect(body.spec!.selector).toEqual(live.spec!.selector);
    expect(body.metadata!.resourceVersion).toBe('100');
    expect(body.metadata!.uid).toBe('dep-uid');
    expect(body.metadata!.labels).toEqual({ app: 'echo', faas_function: 'echo', 'kfaas.dev/function': 'echo', foreign: 'kept' });
    expect(body.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(body.metadata!.ownerReferences!.map((r) => r.uid)).toEqual(['other', 'uid-1']);
    expect(body.spec!.template.spec!.containers[0]!.image).toBe('x:2');
    expect(body.status).toBeUndefined();
  });

  it('sets replicas from the function when it has them', () => {
    const fn = aFunction({ replicas: 2 });
    const live = liveDeployment(deploymentForCreate(buildDeployment(aFunction()), fn));
    live.spec!.replicas = 4;
    expect(deploymentForUpdate(buildDeployment(fn), live).spec!.replicas).toBe(2);
  });
});

describe('serviceForUpdate', () => {
  it('keeps the allocated cluster IPs and replaces ports and type', () => {
    const desired = buildService(aFunction());
    const live = structuredClone(desired);
    Object.assign(live.spec!, { type: 'NodePort', clusterIP: '198.19.0.9', clusterIPs: ['198.19.0.9'], externalTrafficPolicy: 'Cluster' });
    live.spec!.ports![0]!.nodePort = 30001;
    const body = serviceForUpdate(desired, live);
    expect(body.spec).toEqual({
      clusterIP: '198.19.0.9',
      clusterIPs: ['198.19.0.9'],
      type: 'ClusterIP',
      selector: { faas_function: 'echo' },
      ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }],
    });
  });
});
