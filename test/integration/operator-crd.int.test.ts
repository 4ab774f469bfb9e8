/**
 * The Function CRD on the real apiserver: the sample Functions are accepted, the invalid ones are rejected at
 * admission with a message naming the field (schema, CEL rule, or strict field validation), and printer
 * columns and the status subresource work.
 */
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import { ApiError } from '../../operator/reconciler/api-error.js';
import { loadFixtures } from '../../operator/testing/crd.js';
import { apiClient, applyCrd, createFunction, createNamespace, deleteNamespace, getFunction } from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName } from '../helpers/index.js';

// Explicit per test: the control plane is shared and slow under load; waitFor deadlines inside are shorter.
const TEST_TIMEOUT_MS = 120_000;

let client: KubeRestClient;
let ns: string;

beforeAll(async () => {
  client = await apiClient(kubeConfigFor(loadServices()));
  await applyCrd(client);
  ns = uniqueName('op-crd');
  await createNamespace(client, ns);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await deleteNamespace(client, ns);
  client.close();
}, TEST_TIMEOUT_MS);

async function rejection(body: unknown, query: Record<string, string> = { fieldValidation: 'Strict' }): Promise<ApiError> {
  try {
    await client.request('POST', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions`, { body, query });
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('the apiserver accepted the Function');
}

describe('Function CRD', () => {
  it.each(loadFixtures().map((f) => [f.file, f.resource]))('accepts %s', async (_file, resource) => {
    const created = await createFunction(client, ns, resource);
    expect(created.spec).toEqual(resource.spec);
    expect(created.metadata.generation).toBe(1);
  }, TEST_TIMEOUT_MS);

  it.each(loadFixtures('invalid').map((f) => [f.file, f.resource]))('rejects %s naming the field', async (_file, resource) => {
    const err = await rejection({ ...resource, metadata: { ...resource.metadata, namespace: ns } });
    expect(err.statusCode).toBe(resource.metadata.annotations!['test.kfaas.dev/rejected-by'] === 'strict' ? 400 : 422);
    expect(err.message).toContain(resource.metadata.annotations!['test.kfaas.dev/message']);
  }, TEST_TIMEOUT_MS);

  it('prunes an unknown field when the client does not ask for strict validation', async () => {
    const name = uniqueName('prune');
    const created = await client.request<any>('POST', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions`, {
      body: { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name }, spec: { name, image: 'x:1', imagePullPolicy: 'Always' } },
    });
    expect(created.spec).toEqual({ name, image: 'x:1' });
  }, TEST_TIMEOUT_MS);

  it('keeps status out of spec writes (status subresource) and shows the printer columns', async () => {
    const name = uniqueName('cols');
    await createFunction(client, ns, { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name }, spec: { name, image: 'img:1', replicas: 2 } });
    const withStatus = await client.request<any>('PUT', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions/${name}`, {
      body: { ...(await getFunction(client, ns, name)), status: { replicas: 9 } },
    });
    expect(withStatus.status).toBeUndefined();
    await client.request('PATCH', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions/${name}/status`, {
      body: {
        status: {
          replicas: 2,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'ok', lastTransitionTime: '2030-01-01T00:00:00Z' }],
        },
      },
      contentType: 'application/merge-patch+json',
    });
    const table = await client.request<any>('GET', `/apis/kfaas.dev/v1alpha1/namespaces/${ns}/functions/${name}`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    const columns = table.columnDefinitions.map((c: any) => c.name);
    expect(columns).toEqual(['Name', 'Image', 'Ready', 'Replicas', 'Available', 'Reason', 'Age']);
    expect(table.rows[0].cells.slice(0, 4)).toEqual([name, 'img:1', 'True', 2]);
  }, TEST_TIMEOUT_MS);

  it('is reachable by its short name through discovery', async () => {
    const resources = await client.request<any>('GET', '/apis/kfaas.dev/v1alpha1');
    const fn = resources.resources.find((r: any) => r.name === 'functions');
    expect(fn).toMatchObject({ kind: 'Function', namespaced: true, shortNames: ['fn'], categories: ['kfaas'] });
  }, TEST_TIMEOUT_MS);
});
