import type { FunctionResource } from '../../common/function-types.js';
import { FakeCluster } from '../testing/fake-cluster.js';
import { aFunction, withEnv, withMetadata, withSecrets } from '../testing/fixtures.js';
import { ApiError } from './api-error.js';
import { reconcileFunction, type ReconcileDeps } from './reconcile-function.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const signal = new AbortController().signal;

function setup(...fns: FunctionResource[]) {
  const cluster = new FakeCluster();
  fns.forEach((fn) => cluster.addFunction(fn));
  const deps: ReconcileDeps = {
    store: cluster.store,
    secrets: cluster.secretReader,
    deployments: cluster.deployments,
    services: cluster.services,
    status: cluster.status,
    events: cluster.recorder,
    now: () => NOW,
    secretRecheckMs: 5000,
  };
  const reconcile = () => reconcileFunction('fns/echo', deps, signal);
  return { cluster, deps, reconcile };
}

function conditions(cluster: FakeCluster) {
  const status = cluster.functions.get('fns/echo')?.status;
  return Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** Simulates the Deployment controller finishing the rollout. */
function completeRollout(cluster: FakeCluster) {
  const dep = cluster.deploymentsCol.get('fns', 'echo')!;
  const replicas = dep.spec!.replicas!;
  dep.metadata!.generation = 1;
  dep.status = { observedGeneration: 1, replicas, updatedReplicas: replicas, availableReplicas: replicas, unavailableReplicas: 0 };
  cluster.deploymentsCol.put(dep);
}

describe('reconcileFunction', () => {
  it('does nothing for a missing or deleting function', async () => {
    const { cluster, reconcile } = setup();
    await expect(reconcile()).resolves.toEqual({ outcome: 'gone' });
    cluster.addFunction(aFunction({}, withMetadata({ deletionTimestamp: NOW.toISOString() })));
    await expect(reconcile()).resolves.toEqual({ outcome: 'gone' });
    expect(cluster.calls).toEqual([]);
  });

  it('creates the Deployment and Service, then reports the rollout, then Ready', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await expect(reconcile()).resolves.toEqual({ outcome: 'progressing' });
    expect(cluster.calls).toEqual(['create Deployment echo', 'create Service echo', 'status echo']);
    expect(cluster.events).toEqual([{ type: 'Normal', reason: 'Created', message: 'created Deployment echo and Service echo' }]);
    expect(conditions(cluster)).toEqual({ Ready: 'False/RolloutInProgress', Reconciling: 'True/RolloutInProgress', Stalled: 'False/Progressing' });
    expect(cluster.deploymentsCol.get('fns', 'echo')!.spec!.replicas).toBe(1);

    completeRollout(cluster);
    cluster.calls.length = 0;
    await expect(reconcile()).resolves.toEqual({ outcome: 'ready' });
    expect(cluster.calls).toEqual(['status echo']);
    expect(conditions(cluster)).toEqual({ Ready: 'True/Available', Reconciling: 'False/RolloutComplete', Stalled: 'False/Progressing' });
    expect(cluster.functions.get('fns/echo')!.status).toMatchObject({ observedGeneration: 1, replicas: 1, availableReplicas: 1, unavailableReplicas: 0 });

    cluster.calls.length = 0;
    await expect(reconcile()).resolves.toEqual({ outcome: 'ready' });
    expect(cluster.calls).toEqual([]);
  });

  it('updates the Deployment when the spec changes', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await reconcile();
    cluster.addFunction(aFunction({ image: 'ghcr.io/kfaas/echo:2' }, withEnv('A', '1'), withMetadata({ generation: 2 })));
    cluster.calls.length = 0;
    await reconcile();
    expect(cluster.calls).toEqual(['replace Deployment echo', 'status echo']);
    expect(cluster.events.at(-1)).toEqual({ type: 'Normal', reason: 'Updated', message: 'updated Deployment echo to the new spec' });
    const container = cluster.deploymentsCol.get('fns', 'echo')!.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('ghcr.io/kfaas/echo:2');
    expect(container.env).toContainEqual({ name: 'A', value: '1' });
  });

  it('reverts a manual edit of an owned field', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await reconcile();
    const dep = cluster.deploymentsCol.get('fns', 'echo')!;
    dep.spec!.template.spec!.containers[0]!.image = 'evil:1';
    cluster.deploymentsCol.put(dep);
    cluster.calls.length = 0;
    await reconcile();
    expect(cluster.calls).toEqual(['replace Deployment echo']);
    expect(cluster.events.at(-1)).toMatchObject({ reason: 'DriftReverted' });
    expect(cluster.events.at(-1)!.message).toBe('reverted a manual change to Deployment echo: spec.template.spec.containers[0].image changed');
    expect(cluster.deploymentsCol.get('fns', 'echo')!.spec!.template.spec!.containers[0]!.image).toBe('ghcr.io/kfaas/echo:1');
  });

  it('never overrides the live replica count when spec.replicas is unset', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await reconcile();
    const dep = cluster.deploymentsCol.get('fns', 'echo')!;
    dep.spec!.replicas = 5;
    cluster.deploymentsCol.put(dep);
    cluster.calls.length = 0;
    await reconcile();
    expect(cluster.calls).not.toContain('replace Deployment echo');
    cluster.addFunction(aFunction({ replicas: 2 }));
    await reconcile();
    expect(cluster.deploymentsCol.get('fns', 'echo')!.spec!.replicas).toBe(2);
  });

  it('stalls on an invalid spec without writing any object, once', async () => {
    const { cluster, reconcile } = setup(aFunction({ timeouts: { exec: 'soon' } }));
    await expect(reconcile()).resolves.toEqual({ outcome: 'stalled' });
    expect(cluster.calls).toEqual(['status echo']);
    expect(conditions(cluster)).toEqual({ Ready: 'False/InvalidSpec', Reconciling: 'False/InvalidSpec', Stalled: 'True/InvalidSpec' });
    expect(cluster.functions.get('fns/echo')!.status!.conditions![0]!.message).toContain('spec.timeouts.exec: invalid duration "soon"');
    expect(cluster.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
    await reconcile();
    expect(cluster.calls).toEqual(['status echo']);
    expect(cluster.events).toHaveLength(1);
  });

  it('stalls while a secret is missing, rechecks, and deploys once it exists', async () => {
    const { cluster, reconcile } = setup(aFunction({}, withSecrets('db', 'api')));
    cluster.secrets.add('fns/api');
    await expect(reconcile()).resolves.toEqual({ outcome: 'stalled', requeueAfterMs: 5000 });
    expect(cluster.calls).toEqual(['check secrets db,api', 'status echo']);
    expect(conditions(cluster).Stalled).toBe('True/SecretNotFound');
    expect(cluster.events[0]!.message).toContain('secret "db" not found in namespace fns');
    cluster.secrets.add('fns/db');
    await expect(reconcile()).resolves.toEqual({ outcome: 'progressing' });
    expect(cluster.deploymentsCol.get('fns', 'echo')).toBeDefined();
    expect(conditions(cluster).Stalled).toBe('False/Progressing');
  });

  it('falls back to a direct read when the cache lags behind a create', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await reconcile();
    cluster.staleCache = true;
    cluster.calls.length = 0;
    await reconcile();
    expect(cluster.calls.sort()).toEqual(['create Deployment echo', 'create Service echo', 'read Deployment echo', 'read Service echo']);
  });

  it('refuses to take over a Deployment it does not control, writing nothing when the cache shows it', async () => {
    const { cluster, reconcile } = setup(aFunction());
    cluster.deploymentsCol.put({ metadata: { name: 'echo', namespace: 'fns' }, spec: { selector: {}, template: {} } });
    await expect(reconcile()).resolves.toEqual({ outcome: 'stalled' });
    expect(conditions(cluster).Stalled).toBe('True/DeploymentNotOwned');
    expect(cluster.events.at(-1)!.message).toBe(
      'Deployment fns/echo exists and is not controlled by this Function; delete it or rename the function',
    );
    expect(cluster.calls).toEqual(['status echo']);
  });

  it('finds a foreign object the cache cannot see when its create fails with AlreadyExists', async () => {
    const { cluster, reconcile } = setup(aFunction());
    cluster.servicesCol.put({ metadata: { name: 'echo', namespace: 'fns', ownerReferences: [] }, spec: {} });
    cluster.staleCache = true;
    await expect(reconcile()).resolves.toEqual({ outcome: 'stalled' });
    expect(conditions(cluster).Stalled).toBe('True/ServiceNotOwned');
    expect(cluster.servicesCol.get('fns', 'echo')!.spec).toEqual({});
  });

  it('stalls when the apiserver rejects the object', async () => {
    const { cluster, reconcile } = setup(aFunction());
    cluster.failOnce('create Deployment', new ApiError(422, 'Invalid', 'spec.template: bad'));
    await expect(reconcile()).resolves.toEqual({ outcome: 'stalled' });
    expect(conditions(cluster).Stalled).toBe('True/DeploymentRejected');
    expect(cluster.events.at(-1)!.message).toContain('spec.template: bad');
  });

  it('throws on conflicts and transient errors so the queue retries', async () => {
    const { cluster, reconcile } = setup(aFunction());
    await reconcile();
    cluster.addFunction(aFunction({ image: 'x:2' }));
    cluster.failOnce('replace Deployment', new ApiError(409, 'Conflict', 'modified'));
    await expect(reconcile()).rejects.toThrow('modified');
    cluster.failOnce('create Service', new ApiError(503, 'ServiceUnavailable', 'down'));
    cluster.servicesCol.items.clear();
    await expect(reconcile()).rejects.toThrow('down');
    await expect(reconcile()).resolves.toEqual({ outcome: 'progressing' });
  });
});
