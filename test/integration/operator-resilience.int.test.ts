/**
 * The operator keeps working through restarts and lost connections: a restarted operator picks up changes made
 * while it was down, and one whose connection to the apiserver is cut (every socket reset, new connections
 * refused, as in an apiserver restart) restarts its informers and reconciles what changed meanwhile.
 */
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import type { Operator } from '../../operator/index.js';
import { deploymentPath } from '../../operator/kube/paths.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import {
  apiClient,
  applyCrd,
  createFunction,
  createNamespace,
  CuttableProxy,
  deleteNamespace,
  functionNamed,
  getOrUndefined,
  kubeConfigVia,
  patchFunctionSpec,
  startTestOperator,
} from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';

// Explicit per test: the control plane is shared and slow under load; waitFor deadlines inside are shorter.
const TEST_TIMEOUT_MS = 120_000;

let kc: KubeConfig;
let client: KubeRestClient;
let ns: string;
const operators: Operator[] = [];
let proxy: CuttableProxy | undefined;

beforeAll(async () => {
  kc = kubeConfigFor(loadServices());
  client = await apiClient(kc);
  await applyCrd(client);
  ns = uniqueName('op-res');
  await createNamespace(client, ns);
}, TEST_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(operators.splice(0).map((o) => o.close()));
  await proxy?.close();
  proxy = undefined;
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await deleteNamespace(client, ns);
  client.close();
}, TEST_TIMEOUT_MS);

const deployment = (name: string) => getOrUndefined<V1Deployment>(client, deploymentPath(ns, name));
const imageOf = async (name: string) => (await deployment(name))?.spec?.template.spec?.containers[0]?.image;

async function operatorVia(config: KubeConfig, identity: string): Promise<Operator> {
  const op = await startTestOperator({ kubeConfig: config, namespaces: [ns], identity });
  operators.push(op);
  await waitFor(() => op.reconciling, { timeoutMs: 20_000, description: `${identity} caches synced` });
  return op;
}

describe('operator resilience', () => {
  it('a restarted operator resumes: changes made while it was down are applied', async () => {
    const name = uniqueName('resume');
    const first = await operatorVia(kc, 'first');
    await createFunction(client, ns, functionNamed(name));
    await waitFor(async () => (await imageOf(name)) === 'ghcr.io/kfaas/echo:1', { timeoutMs: 15_000, description: 'Deployment' });
    await first.close();
    operators.splice(operators.indexOf(first), 1);

    await patchFunctionSpec(client, ns, name, { image: 'ghcr.io/kfaas/echo:2' });
    const other = uniqueName('while-down');
    await createFunction(client, ns, functionNamed(other));
    // Nothing reconciles while no operator runs.
    expect(await imageOf(name)).toBe('ghcr.io/kfaas/echo:1');
    expect(await deployment(other)).toBeUndefined();

    await operatorVia(kc, 'second');
    await waitFor(async () => (await imageOf(name)) === 'ghcr.io/kfaas/echo:2', { timeoutMs: 15_000, description: 'update applied after restart' });
    await waitFor(() => deployment(other), { timeoutMs: 15_000, description: 'function created while down is deployed' });
  }, TEST_TIMEOUT_MS);

  it('survives losing the apiserver connection: informers restart and catch up', async () => {
    const server = new URL(kc.getCurrentCluster()!.server);
    proxy = new CuttableProxy({ host: server.hostname, port: Number(server.port) });
    await proxy.listen();
    const op = await operatorVia(kubeConfigVia(kc, proxy.url), 'behind-proxy');
    const before = uniqueName('before');
    await createFunction(client, ns, functionNamed(before));
    await waitFor(() => deployment(before), { timeoutMs: 15_000, description: 'Deployment before the cut' });

    await proxy.cut();
    // Changes while the operator cannot reach the apiserver.
    const during = uniqueName('during');
    await createFunction(client, ns, functionNamed(during));
    await patchFunctionSpec(client, ns, before, { image: 'ghcr.io/kfaas/echo:3' });
    const metricsUrl = `http://127.0.0.1:${op.healthPort}/metrics`;
    await waitFor(async () => /kfaas_operator_informer_restarts_total\{informer="functions@[^"]+"\} [1-9]/.test(await (await fetch(metricsUrl)).text()), {
      timeoutMs: 15_000,
      description: 'the operator to notice the broken watches and retry',
    });
    expect(await deployment(during)).toBeUndefined();

    await proxy.listen();
    await waitFor(() => deployment(during), { timeoutMs: 30_000, description: 'function created during the outage is deployed' });
    await waitFor(async () => (await imageOf(before)) === 'ghcr.io/kfaas/echo:3', { timeoutMs: 30_000, description: 'update made during the outage applied' });
    // And the watches work again, not just a one-off relist: a fresh change is picked up.
    const after = uniqueName('after');
    await createFunction(client, ns, functionNamed(after));
    await waitFor(() => deployment(after), { timeoutMs: 15_000, description: 'function created after the outage is deployed' });
    expect(op.reconciling).toBe(true);
  }, TEST_TIMEOUT_MS);
});
