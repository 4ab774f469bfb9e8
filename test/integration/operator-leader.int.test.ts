/**
 * Leader election on a real Lease: of two operators only one reconciles; when it stops, it releases the
 * lease and the other takes over and reconciles.
 */
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import type { Operator } from '../../operator/index.js';
import { deploymentPath, leasePath } from '../../operator/kube/paths.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import { apiClient, applyCrd, createFunction, createNamespace, deleteNamespace, functionNamed, getOrUndefined, startTestOperator } from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';

// Explicit per test: the control plane is shared and slow under load; waitFor deadlines inside are shorter.
const TEST_TIMEOUT_MS = 120_000;

let kc: KubeConfig;
let client: KubeRestClient;
let ns: string;
const operators: Operator[] = [];

beforeAll(async () => {
  kc = kubeConfigFor(loadServices());
  client = await apiClient(kc);
  await applyCrd(client);
  ns = uniqueName('op-lead');
  await createNamespace(client, ns);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(operators.map((o) => o.close()));
  await deleteNamespace(client, ns);
  client.close();
}, TEST_TIMEOUT_MS);

describe('leader election', () => {
  it('runs one leader at a time and hands over when the leader stops', async () => {
    const lease = { namespace: ns, name: 'kfaas-operator' };
    const a = await startTestOperator({ kubeConfig: kc, namespaces: [ns], identity: 'op-a', lease });
    operators.push(a);
    await waitFor(() => a.isLeader && a.reconciling, { timeoutMs: 20_000, description: 'a leads' });
    const b = await startTestOperator({ kubeConfig: kc, namespaces: [ns], identity: 'op-b', lease });
    operators.push(b);

    const first = uniqueName('first');
    await createFunction(client, ns, functionNamed(first));
    await waitFor(() => getOrUndefined<V1Deployment>(client, deploymentPath(ns, first)), { timeoutMs: 15_000, description: 'leader reconciles' });
    // For longer than a lease duration, b stays a standby and never writes.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.apiRequestCounts()['create deployments']).toBeUndefined();
    expect(b.apiRequestCounts()['update leases']).toBeUndefined();
    const held = await client.request<any>('GET', leasePath(ns, 'kfaas-operator'));
    expect(held.spec.holderIdentity).toBe('op-a');
    const metricsA = await (await fetch(`http://127.0.0.1:${a.healthPort}/metrics`)).text();
    const metricsB = await (await fetch(`http://127.0.0.1:${b.healthPort}/metrics`)).text();
    expect(metricsA).toContain('kfaas_operator_leader 1');
    expect(metricsB).toContain('kfaas_operator_leader 0');

    const stoppedAt = Date.now();
    await a.close();
    expect(a.isLeader).toBe(false);
    await waitFor(() => b.isLeader && b.reconciling, { timeoutMs: 10_000, description: 'b takes over' });
    // The lease was released, so b did not wait out the 3 s lease duration.
    expect(Date.now() - stoppedAt).toBeLessThan(2500);
    const taken = await client.request<any>('GET', leasePath(ns, 'kfaas-operator'));
    expect(taken.spec).toMatchObject({ holderIdentity: 'op-b', leaseTransitions: 1 });

    const second = uniqueName('second');
    await createFunction(client, ns, functionNamed(second));
    await waitFor(() => getOrUndefined<V1Deployment>(client, deploymentPath(ns, second)), { timeoutMs: 15_000, description: 'new leader reconciles' });
    // The client counts a request once its answer is read, which may be just after the Deployment is visible.
    await waitFor(() => (b.apiRequestCounts()['create deployments'] ?? 0) >= 1, { timeoutMs: 5_000, description: 'b counted its create' });
  }, TEST_TIMEOUT_MS);
});
