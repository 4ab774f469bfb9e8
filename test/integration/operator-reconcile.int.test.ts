/**
 * The operator against the real apiserver and kube-controller-manager: Functions become Deployments and
 * Services with every spec field mapped, updates roll out, manual drift is reverted, bad input stalls with a
 * clear condition and Event (and recovers), and deletion garbage-collects what the operator created.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Operator } from '../../operator/index.js';
import { deploymentPath, functionPath, servicePath } from '../../operator/kube/paths.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import {
  conditionOf,
  createFunction,
  editObject,
  getFunction,
  getOrUndefined,
  patchFunctionSpec,
  functionEvents,
  functionNamed,
  startOperatorInNamespace,
  type OperatorInNamespace,
} from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';

// Explicit per test: the control plane is shared and slow under load; waitFor deadlines inside are shorter.
const TEST_TIMEOUT_MS = 120_000;

let client: KubeRestClient;
let operator: Operator;
let ns: string;
let setup: OperatorInNamespace | undefined;

beforeAll(async () => {
  setup = await startOperatorInNamespace(kubeConfigFor(loadServices()), uniqueName('op-rec'), { identity: 'reconcile-test' });
  ({ client, ns, operator } = setup);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await setup?.stop();
}, TEST_TIMEOUT_MS);

const deployment = (name: string) => getOrUndefined<V1Deployment>(client, deploymentPath(ns, name));
const service = (name: string) => getOrUndefined<V1Service>(client, servicePath(ns, name));

async function createSecret(name: string, data: Record<string, string>): Promise<void> {
  await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data },
  });
}

describe('operator reconcile', () => {
  it('creates the Deployment and Service with every spec field mapped', async () => {
    const name = uniqueName('full');
    await createSecret('api-key', { token: 's3cret' });
    await createSecret('db', { password: 'pw' });
    const created = await createFunction(
      client,
      ns,
      functionNamed(name, {
        handler: 'node index.js',
        mode: 'http',
        environment: { ZED: 'z', alpha: 'a' },
        labels: { team: 'blue' },
        annotations: { 'example.com/owner': 'me' },
        secrets: ['api-key', 'db'],
        constraints: ['kubernetes.io/arch=amd64'],
        limits: { cpu: '0.5', memory: '256Mi' },
        requests: { cpu: '100m', memory: '64Mi' },
        readOnlyRootFilesystem: true,
        replicas: 2,
        timeouts: { read: '10s', write: '20s', exec: '15' },
      }),
    );
    const dep = await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment' });
    const svc = await waitFor(() => service(name), { timeoutMs: 15_000, description: 'Service' });

    const owner = { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name, uid: created.metadata.uid, controller: true, blockOwnerDeletion: true };
    const labels = { team: 'blue', app: name, faas_function: name, 'kfaas.dev/function': name };
    expect(dep.metadata!.ownerReferences).toEqual([owner]);
    expect(dep.metadata!.labels).toEqual(labels);
    expect(dep.metadata!.annotations!['example.com/owner']).toBe('me');
    expect(dep.metadata!.annotations!['kfaas.dev/spec-hash']).toMatch(/^[0-9a-f]{20}$/);
    expect(dep.spec!.replicas).toBe(2);
    expect(dep.spec!.selector).toEqual({ matchLabels: { faas_function: name } });
    expect(dep.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = dep.spec!.template;
    expect(pod.metadata!.labels).toEqual(labels);
    expect(pod.metadata!.annotations).toEqual({ 'prometheus.io.scrape': 'false', 'example.com/owner': 'me' });
    expect(pod.spec!.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(pod.spec!.terminationGracePeriodSeconds).toBe(42);
    expect(pod.spec!.volumes).toEqual([
      { name: 'function-secrets', projected: { sources: [{ secret: { name: 'api-key' } }, { secret: { name: 'db' } }], defaultMode: 420 } },
      { name: 'tmp', emptyDir: {} },
    ]);
    const c = pod.spec!.containers[0]!;
    expect(c.name).toBe(name);
    expect(c.image).toBe('ghcr.io/kfaas/echo:1');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.env).toEqual([
      { name: 'ZED', value: 'z' },
      { name: 'alpha', value: 'a' },
      { name: 'exec_timeout', value: '15' },
      { name: 'fprocess', value: 'node index.js' },
      { name: 'mode', value: 'http' },
      { name: 'read_timeout', value: '10s' },
      { name: 'write_timeout', value: '20s' },
    ]);
    // The apiserver stores quantities canonically: 0.5 becomes 500m.
    expect(c.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/_/ready', port: 'http' }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/_/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(c.volumeMounts).toEqual([
      { name: 'function-secrets', mountPath: '/var/openfaas/secrets', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(c.securityContext).toEqual({ readOnlyRootFilesystem: true });

    expect(svc.metadata!.ownerReferences).toEqual([owner]);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: { faas_function: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }] });

    // No scheduler runs: pods stay Pending, so the rollout never completes and the status says so.
    const fn = await waitFor(
      async () => {
        const f = await getFunction(client, ns, name);
        return f?.status?.replicas === 2 ? f : undefined;
      },
      { timeoutMs: 20_000, description: 'status with the ReplicaSet counts' },
    );
    expect(conditionOf(fn, 'Ready')).toBe('False/RolloutInProgress');
    expect(conditionOf(fn, 'Reconciling')).toBe('True/RolloutInProgress');
    expect(conditionOf(fn, 'Stalled')).toBe('False/Progressing');
    expect(fn.status).toMatchObject({ observedGeneration: 1, replicas: 2, availableReplicas: 0, unavailableReplicas: 2 });
    expect(fn.status!.conditions!.find((x) => x.type === 'Ready')!.message).toBe('0 of 2 replicas available');
    const events = await waitFor(async () => ((await functionEvents(client, ns, name)).length >= 1 ? functionEvents(client, ns, name) : undefined), { description: 'events' });
    expect(events).toEqual([{ type: 'Normal', reason: 'Created', message: `created Deployment ${name} and Service ${name}` }]);
  }, TEST_TIMEOUT_MS);

  it('applies OpenFaaS-style settings from environment, and the documented defaults', async () => {
    const name = uniqueName('ofstyle');
    await createFunction(client, ns, functionNamed(name, { environment: { write_timeout: '5s', fprocess: 'cat' }, labels: { 'com.openfaas.scale.min': '3' } }));
    const dep = await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment' });
    expect(dep.spec!.replicas).toBe(3);
    expect(dep.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: 'exec_timeout', value: '30s' },
      { name: 'fprocess', value: 'cat' },
      { name: 'read_timeout', value: '30s' },
      { name: 'write_timeout', value: '5s' },
    ]);
    expect(dep.spec!.template.spec!.terminationGracePeriodSeconds).toBe(12);
  }, TEST_TIMEOUT_MS);

  it('rolls out a spec change and reports the new generation', async () => {
    const name = uniqueName('upd');
    await createFunction(client, ns, functionNamed(name, { environment: { A: '1' } }));
    await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment' });
    await patchFunctionSpec(client, ns, name, { image: 'ghcr.io/kfaas/echo:2', environment: { A: '2', B: 'x' }, labels: { tier: 'gold' } });
    const dep = await waitFor(
      async () => {
        const d = await deployment(name);
        return d?.spec?.template.spec?.containers[0]?.image === 'ghcr.io/kfaas/echo:2' ? d : undefined;
      },
      { timeoutMs: 15_000, description: 'updated Deployment' },
    );
    expect(dep.spec!.template.spec!.containers[0]!.env!.filter((e) => e.name === 'A' || e.name === 'B')).toEqual([
      { name: 'A', value: '2' },
      { name: 'B', value: 'x' },
    ]);
    const svc = await waitFor(async () => ((await service(name))?.metadata?.labels?.tier === 'gold' ? service(name) : undefined), {
      description: 'Service labels updated',
    });
    expect(svc!.metadata!.labels!.tier).toBe('gold');
    await waitFor(async () => (await getFunction(client, ns, name))?.status?.observedGeneration === 2, { description: 'observedGeneration 2' });
    await patchFunctionSpec(client, ns, name, { labels: null });
    await waitFor(async () => (await deployment(name))?.metadata?.labels?.tier === undefined, { description: 'dropped label removed' });
    await waitFor(async () => (await functionEvents(client, ns, name)).some((e) => e.reason === 'Updated' && e.message.includes(`Deployment ${name}`)), { description: 'Updated event' });
  }, TEST_TIMEOUT_MS);

  it('reverts manual edits of owned fields and recreates deleted objects', async () => {
    const name = uniqueName('drift');
    await createFunction(client, ns, functionNamed(name));
    const dep = await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment' });
    await editObject<V1Deployment>(client, deploymentPath(ns, name), (edited) => {
      edited.spec!.template.spec!.containers[0]!.image = 'evil:latest';
      edited.spec!.template.spec!.containers[0]!.env!.push({ name: 'INJECTED', value: '1' });
      delete edited.metadata!.labels!.faas_function;
    });
    const reverted = await waitFor(
      async () => {
        const d = await deployment(name);
        const c = d?.spec?.template.spec?.containers[0];
        return c?.image === 'ghcr.io/kfaas/echo:1' && !c.env?.some((e) => e.name === 'INJECTED') && d?.metadata?.labels?.faas_function === name ? d : undefined;
      },
      { timeoutMs: 15_000, description: 'drift reverted' },
    );
    expect(reverted.metadata!.uid).toBe(dep.metadata!.uid);
    await waitFor(async () => (await functionEvents(client, ns, name)).some((e) => e.reason === 'DriftReverted' && e.message.includes('image')), {
      description: 'DriftReverted event',
    });

    const svc = (await service(name))!;
    await client.request('PATCH', servicePath(ns, name), { body: { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await service(name))?.spec?.ports?.[0]?.port === 8080, { description: 'Service port reverted' });
    expect((await service(name))!.spec!.clusterIP).toBe(svc.spec!.clusterIP);

    await client.request('DELETE', deploymentPath(ns, name));
    const recreated = await waitFor(
      async () => {
        const d = await deployment(name);
        return d && d.metadata!.uid !== dep.metadata!.uid ? d : undefined;
      },
      { timeoutMs: 15_000, description: 'Deployment recreated' },
    );
    expect(recreated.spec!.template.spec!.containers[0]!.image).toBe('ghcr.io/kfaas/echo:1');
  }, TEST_TIMEOUT_MS);

  it('never overrides the live replica count when spec.replicas is unset, and applies it when set', async () => {
    const name = uniqueName('scale');
    await createFunction(client, ns, functionNamed(name));
    await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment' });
    // What an HPA or `kubectl scale` does: the scale subresource.
    await client.request('PATCH', `${deploymentPath(ns, name)}/scale`, { body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await getFunction(client, ns, name))?.status?.replicas === 4, { timeoutMs: 15_000, description: 'status shows 4 replicas' });
    expect((await deployment(name))!.spec!.replicas).toBe(4);
    // What the gateway's scale endpoint does: set spec.replicas on the Function.
    await patchFunctionSpec(client, ns, name, { replicas: 0 });
    await waitFor(async () => (await deployment(name))?.spec?.replicas === 0, { timeoutMs: 15_000, description: 'scaled to 0' });
    const fn = await waitFor(
      async () => {
        const f = await getFunction(client, ns, name);
        return conditionOf(f, 'Ready') === 'True/ScaledToZero' ? f : undefined;
      },
      { timeoutMs: 20_000, description: 'Ready=True/ScaledToZero' },
    );
    expect(conditionOf(fn, 'Reconciling')).toBe('False/RolloutComplete');
    expect(fn.status!.replicas).toBe(0);
  }, TEST_TIMEOUT_MS);

  it('stalls on a spec the schema cannot reject, writes nothing, and recovers when fixed', async () => {
    const name = uniqueName('bad');
    await createFunction(client, ns, functionNamed(name, { limits: { cpu: '100m' }, requests: { cpu: '1' }, retry: { minBackoff: '1m', maxBackoff: '1s' } }));
    const fn = await waitFor(
      async () => {
        const f = await getFunction(client, ns, name);
        return conditionOf(f, 'Stalled') === 'True/InvalidSpec' ? f : undefined;
      },
      { timeoutMs: 15_000, description: 'Stalled=True/InvalidSpec' },
    );
    const message = fn.status!.conditions!.find((c) => c.type === 'Stalled')!.message;
    expect(message).toContain('spec.requests.cpu: 1 must not exceed spec.limits.cpu 100m');
    expect(message).toContain('spec.retry.maxBackoff: must not be below retry.minBackoff');
    expect(conditionOf(fn, 'Ready')).toBe('False/InvalidSpec');
    expect(fn.status!.observedGeneration).toBe(1);
    expect(await deployment(name)).toBeUndefined();
    expect(await service(name)).toBeUndefined();
    await waitFor(async () => (await functionEvents(client, ns, name)).some((e) => e.type === 'Warning' && e.reason === 'InvalidSpec' && e.message.includes('spec.requests.cpu')), {
      description: 'InvalidSpec warning event',
    });
    await patchFunctionSpec(client, ns, name, { requests: { cpu: '50m' }, retry: null });
    await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment after the fix' });
    await waitFor(async () => conditionOf(await getFunction(client, ns, name), 'Stalled') === 'False/Progressing', { description: 'no longer stalled' });
  }, TEST_TIMEOUT_MS);

  it('stalls while a secret is missing and deploys once it is created', async () => {
    const name = uniqueName('nosecret');
    const secret = uniqueName('creds');
    await createFunction(client, ns, functionNamed(name, { secrets: [secret] }));
    const fn = await waitFor(
      async () => {
        const f = await getFunction(client, ns, name);
        return conditionOf(f, 'Stalled') === 'True/SecretNotFound' ? f : undefined;
      },
      { timeoutMs: 15_000, description: 'Stalled=True/SecretNotFound' },
    );
    expect(fn.status!.conditions!.find((c) => c.type === 'Ready')!.message).toContain(`secret "${secret}" not found in namespace ${ns}`);
    await waitFor(async () => (await functionEvents(client, ns, name)).some((e) => e.type === 'Warning' && e.reason === 'SecretNotFound'), { description: 'SecretNotFound event' });
    expect(await deployment(name)).toBeUndefined();
    await createSecret(secret, { key: 'v' });
    const dep = await waitFor(() => deployment(name), { timeoutMs: 15_000, description: 'Deployment once the secret exists' });
    expect(dep.spec!.template.spec!.volumes![0]!.projected!.sources).toEqual([{ secret: { name: secret } }]);
    await waitFor(async () => conditionOf(await getFunction(client, ns, name), 'Stalled') === 'False/Progressing', { description: 'recovered' });
  }, TEST_TIMEOUT_MS);

  it('leaves deletion to the garbage collector, which removes the Deployment and Service', async () => {
    const name = uniqueName('gc');
    await createFunction(client, ns, functionNamed(name));
    await waitFor(async () => (await deployment(name)) && (await service(name)), { timeoutMs: 15_000, description: 'owned objects' });
    await client.request('DELETE', functionPath(ns, name), { body: { propagationPolicy: 'Background' } });
    await waitFor(async () => (await deployment(name)) === undefined && (await service(name)) === undefined, {
      timeoutMs: 30_000,
      description: 'kube-controller-manager to garbage-collect the Deployment and Service',
    });
    const replicaSets = await client.request<any>('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`, { query: { labelSelector: `faas_function=${name}` } });
    await waitFor(async () => {
      const rs = await client.request<any>('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`, { query: { labelSelector: `faas_function=${name}` } });
      return rs.items.length === 0;
    }, { timeoutMs: 30_000, description: 'ReplicaSets collected' });
    expect(Array.isArray(replicaSets.items)).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('serves health, readiness and metrics', async () => {
    const base = `http://127.0.0.1:${operator.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/kfaas_operator_reconcile_total\{result="progressing"\} [1-9]/);
    expect(metrics).toMatch(/kfaas_operator_reconcile_total\{result="stalled"\} [1-9]/);
    expect(metrics).toContain('kfaas_operator_reconcile_duration_seconds_bucket');
    expect(metrics).toMatch(/kfaas_operator_queue_depth \d+/);
    expect(metrics).toMatch(/kfaas_operator_api_requests_total\{verb="create",resource="deployments",code="201"\} [1-9]/);
    expect(operator.apiRequestCounts()['create deployments']).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});
