// The chart's RBAC, installed for real on the real kube-apiserver, exercised by acting as each component's
// ServiceAccount (impersonation): enough for what the gateway and the operator do, and nothing more.
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import winston from 'winston';
import { FUNCTION_GROUP, FUNCTION_PLURAL, FUNCTION_VERSION } from '../../common/function-types.js';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createKubernetesProvider } from '../../gateway/providers/kubernetes/index.js';
import { loadConfig as loadOperatorConfig } from '../../operator/config.js';
import { createOperator, type Operator } from '../../operator/index.js';
import { createNamespace, deleteNamespace, kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';
import { CHART, envOf, impersonating, kubeRequest, pick, REPO, renderChart, serverSideApply, serviceAccountUser, statusFrom, type Manifest } from './chart-support.js';

// Helm, the apiserver and RBAC propagation take seconds: the integration project's 120 s testTimeout is a
// global-only jest option that projects ignore, so the suite sets its own.
jest.setTimeout(120_000);

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const fnApi = { group: FUNCTION_GROUP, version: FUNCTION_VERSION, plural: FUNCTION_PLURAL };
const BROKERS = { kafka: { brokers: 'kafka:9092' } };

/** Installs the chart's CRD as the README tells admins to (`kubectl apply --server-side -f charts/kfaas/crds/`). */
async function installCrds(admin: k8s.KubeConfig): Promise<void> {
  for (const file of fs.readdirSync(path.join(CHART, 'crds'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(CHART, 'crds', file), 'utf8'))) {
      const crd = doc.toJS() as Manifest | null;
      if (!crd) continue;
      const problem = await serverSideApply(admin, crd);
      if (problem) throw new Error(`installing the chart's CRD failed: ${problem}`);
    }
  }
}

/** A chart release's RBAC objects created for real; returns the cluster-scoped ones for cleanup. */
async function installRbac(admin: k8s.KubeConfig, objects: Manifest[]): Promise<Manifest[]> {
  const rbac = objects.filter((o) => RBAC_KINDS.has(o.kind));
  for (const obj of rbac) {
    const problem = await serverSideApply(admin, obj);
    if (problem) throw new Error(`installing the chart's RBAC failed: ${problem}`);
  }
  return rbac.filter((o) => o.kind.startsWith('Cluster'));
}

async function deleteClusterObjects(admin: k8s.KubeConfig, objects: Manifest[]): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(admin);
  for (const obj of objects) await statusFrom(() => client.delete(obj as k8s.KubernetesObject));
}

/**
 * The resource rules the apiserver computes for `kc`'s user in `namespace` (SelfSubjectRulesReview), as sorted
 * `group/resource: verbs` lines. The review APIs every authenticated user may call are left out.
 */
async function rulesIn(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const review = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace } } });
  const lines = new Set<string>();
  for (const rule of review.status?.resourceRules ?? []) {
    for (const group of rule.apiGroups ?? []) {
      if (group === 'authorization.k8s.io' || group === 'authentication.k8s.io') continue;
      for (const resource of rule.resources ?? []) lines.add(`${group || 'core'}/${resource}: ${[...rule.verbs].sort().join(',')}`);
    }
  }
  return [...lines].sort();
}

function aFunction(name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: `${FUNCTION_GROUP}/${FUNCTION_VERSION}`,
    kind: 'Function',
    metadata: { name, namespace },
    spec: { name, image: 'example/wordcount:0.1.0' },
  };
}

describe('chart RBAC on the real apiserver (functions in listed namespaces)', () => {
  let admin: k8s.KubeConfig;
  let release: string;
  let nsA: string;
  let nsB: string;
  let outsider: string;
  let prefix: string;
  let clusterObjects: Manifest[] = [];
  let rendered: Manifest[] = [];
  const sa = (component: string) => serviceAccountUser(release, `${prefix}-${component}`);
  const as = (component: string) => impersonating(admin, sa(component));

  beforeAll(async () => {
    admin = kubeConfigFor(loadServices());
    [release, nsA, nsB, outsider] = await Promise.all(['rbac-sys', 'rbac-fn-a', 'rbac-fn-b', 'rbac-other'].map((p) => createNamespace(admin, p))) as [string, string, string, string];
    prefix = uniqueName('rbac');
    await installCrds(admin);
    await waitFor(() => admin.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: nsA }), {
      timeoutMs: 20_000,
      description: 'the Function CRD to be served',
    });
    const objects = await renderChart({
      namespace: release,
      values: { ...BROKERS, fullnameOverride: prefix, functions: { namespace: nsA, extraNamespaces: [nsB], createNamespaces: false } },
    });
    rendered = objects;
    clusterObjects = await installRbac(admin, objects);
    // The RBAC authorizer reads from its own watch cache: wait until the new bindings are in effect.
    await waitFor(async () => (await statusFrom(() => as('operator').makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: nsB }))) === 200, {
      timeoutMs: 20_000,
      description: 'the operator RoleBinding to take effect',
    });
    await waitFor(async () => (await statusFrom(() => as('gateway').makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: nsB }))) === 200, {
      timeoutMs: 20_000,
      description: 'the gateway RoleBinding to take effect',
    });
  });

  afterAll(async () => {
    if (!admin) return;
    await deleteClusterObjects(admin, clusterObjects);
    await Promise.all([release, nsA, nsB, outsider].filter(Boolean).map((ns) => deleteNamespace(admin, ns)));
  });

  it('lets the gateway deploy, watch, resolve, scale and delete a Function, and manage secrets and logs', async () => {
    const kc = as('gateway');
    const fns = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const name = uniqueName('gw-fn');

    const seen: string[] = [];
    const watch = await new k8s.Watch(kc).watch(
      `/apis/${FUNCTION_GROUP}/${FUNCTION_VERSION}/namespaces/${nsA}/functions`,
      {},
      (type, obj: k8s.KubernetesObject) => seen.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    try {
      await fns.createNamespacedCustomObject({ ...fnApi, namespace: nsA, body: aFunction(name, nsA) });
      const got = (await fns.getNamespacedCustomObject({ ...fnApi, namespace: nsA, name })) as Manifest;
      expect(got.spec.image).toBe('example/wordcount:0.1.0');
      const list = (await fns.listNamespacedCustomObject({ ...fnApi, namespace: nsB })) as Manifest;
      expect(list.items).toEqual([]);
      await waitFor(() => seen.includes(`ADDED ${name}`), { timeoutMs: 10_000, description: 'the gateway watch to see the new Function' });
    } finally {
      watch.abort();
    }

    // Endpoints of the function's Service, as the resolver's informer lists them.
    await admin.makeApiClient(k8s.DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: nsA,
      body: {
        metadata: { name: `${name}-abc`, labels: { 'kubernetes.io/service-name': name } },
        // A documentation address: nothing ever connects to it.
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.0.2.10'], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    });
    const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({
      namespace: nsA,
      labelSelector: `kubernetes.io/service-name=${name}`,
    });
    expect(slices.items.map((s) => s.endpoints[0]?.addresses)).toEqual([['192.0.2.10']]);

    // Scale = a patch of the Function's spec.
    const scaled = (await fns.patchNamespacedCustomObject(
      { ...fnApi, namespace: nsA, name, body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )) as Manifest;
    expect(scaled.spec.replicas).toBe(3);

    // /system/secrets: a Secret labelled as kfaas's, created, listed, updated, deleted.
    const secret = { metadata: { name: `${name}-key`, labels: { 'app.kubernetes.io/managed-by': 'kfaas' } }, stringData: { key: 'v1' } };
    await core.createNamespacedSecret({ namespace: nsA, body: secret });
    const secrets = await core.listNamespacedSecret({ namespace: nsA, labelSelector: 'app.kubernetes.io/managed-by=kfaas' });
    expect(secrets.items.map((s) => s.metadata?.name)).toEqual([`${name}-key`]);
    await core.replaceNamespacedSecret({ namespace: nsA, name: `${name}-key`, body: { ...secret, stringData: { key: 'v2' } } });
    await core.deleteNamespacedSecret({ namespace: nsA, name: `${name}-key` });

    // /system/logs: pods are listed and their logs read. A 404 (no such pod) means authorised: authz comes first.
    expect(await statusFrom(() => core.listNamespacedPod({ namespace: nsB }))).toBe(200);
    expect(await statusFrom(() => core.readNamespacedPodLog({ namespace: nsA, name: 'no-such-pod' }))).toBe(404);

    await fns.deleteNamespacedCustomObject({ ...fnApi, namespace: nsA, name });
    expect(await statusFrom(() => fns.getNamespacedCustomObject({ ...fnApi, namespace: nsA, name }))).toBe(404);
  });

  it('denies the gateway everything else: owned objects, status, other namespaces, the control plane', async () => {
    const kc = as('gateway');
    const fns = kc.makeApiClient(k8s.CustomObjectsApi);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const statuses = {
      deleteDeployment: await statusFrom(() => apps.deleteNamespacedDeployment({ namespace: nsA, name: 'any' })),
      createDeployment: await statusFrom(() =>
        apps.createNamespacedDeployment({ namespace: nsA, body: { metadata: { name: 'x' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } } }),
      ),
      patchFunctionStatus: await statusFrom(() =>
        fns.patchNamespacedCustomObjectStatus({ ...fnApi, namespace: nsA, name: 'any', body: { status: {} } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
      ),
      functionsInOtherNamespace: await statusFrom(() => fns.listNamespacedCustomObject({ ...fnApi, namespace: outsider })),
      functionsClusterWide: await statusFrom(() => fns.listClusterCustomObject(fnApi)),
      secretsOfTheRelease: await statusFrom(() => core.listNamespacedSecret({ namespace: release })),
      secretsInOtherNamespace: await statusFrom(() => core.readNamespacedSecret({ namespace: outsider, name: 'any' })),
      createNamespace: await statusFrom(() => core.createNamespace({ body: { metadata: { name: uniqueName('nope') } } })),
      listNamespaces: await statusFrom(() => core.listNamespace()),
      leases: await statusFrom(() => kc.makeApiClient(k8s.CoordinationV1Api).listNamespacedLease({ namespace: release })),
    };
    expect(statuses).toEqual(Object.fromEntries(Object.keys(statuses).map((k) => [k, 403])));
  });

  it('lets the operator reconcile: read Functions, own Deployments and Services, write status, check secrets, record Events, hold its Lease', async () => {
    const kc = as('operator');
    const name = uniqueName('op-fn');
    const created = (await admin.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({ ...fnApi, namespace: nsB, body: aFunction(name, nsB) })) as Manifest;
    const fns = kc.makeApiClient(k8s.CustomObjectsApi);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const listed = (await fns.listNamespacedCustomObject({ ...fnApi, namespace: nsB })) as Manifest;
    expect(listed.items.map((f: Manifest) => f.metadata.name)).toEqual([name]);
    const seen: string[] = [];
    const watch = await new k8s.Watch(kc).watch(`/apis/${FUNCTION_GROUP}/${FUNCTION_VERSION}/namespaces/${nsB}/functions`, {}, (type, obj: k8s.KubernetesObject) => seen.push(`${type} ${obj.metadata?.name}`), () => undefined);
    try {
      await waitFor(() => seen.includes(`ADDED ${name}`), { timeoutMs: 10_000, description: 'the operator watch to see the Function' });
    } finally {
      watch.abort();
    }

    const owner = { apiVersion: created.apiVersion, kind: 'Function', name, uid: created.metadata.uid, controller: true, blockOwnerDeletion: true };
    const labels = { faas_function: name, 'kfaas.dev/function': name };
    const deployment: k8s.V1Deployment = {
      metadata: { name, namespace: nsB, labels, ownerReferences: [owner] },
      spec: { selector: { matchLabels: { faas_function: name } }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'example/wordcount:0.1.0' }] } } },
    };
    await apps.createNamespacedDeployment({ namespace: nsB, body: deployment });
    // kube-controller-manager writes the status meanwhile: read, replace, and retry on a 409 as the operator does.
    await waitFor(async () => {
      const live = await apps.readNamespacedDeployment({ namespace: nsB, name });
      return (await statusFrom(() => apps.replaceNamespacedDeployment({ namespace: nsB, name, body: { ...live, spec: { ...live.spec!, replicas: 2 } } }))) === 200;
    }, { timeoutMs: 10_000, description: 'the operator to replace its Deployment' });
    const owned = await apps.listNamespacedDeployment({ namespace: nsB, labelSelector: 'kfaas.dev/function' });
    expect(owned.items.map((d) => `${d.metadata?.name} ${d.spec?.replicas}`)).toEqual([`${name} 2`]);
    const svc = await core.createNamespacedService({
      namespace: nsB,
      body: { metadata: { name, labels, ownerReferences: [owner] }, spec: { selector: { faas_function: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
    });
    await core.replaceNamespacedService({ namespace: nsB, name, body: { ...svc, metadata: { ...svc.metadata, annotations: { a: 'b' } } } });
    expect((await core.readNamespacedService({ namespace: nsB, name })).metadata?.annotations).toEqual({ a: 'b' });

    await fns.patchNamespacedCustomObjectStatus(
      { ...fnApi, namespace: nsB, name, body: { status: { observedGeneration: 1, replicas: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const withStatus = (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ ...fnApi, namespace: nsB, name })) as Manifest;
    expect(withStatus.status).toEqual({ observedGeneration: 1, replicas: 2 });

    // Secret existence: found and missing are both answers (200 / 404), never 403.
    await admin.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({ namespace: nsB, body: { metadata: { name: 'db' }, stringData: { p: 'x' } } });
    expect(await statusFrom(() => core.readNamespacedSecret({ namespace: nsB, name: 'db' }))).toBe(200);
    expect(await statusFrom(() => core.readNamespacedSecret({ namespace: nsB, name: 'missing' }))).toBe(404);

    await core.createNamespacedEvent({
      namespace: nsB,
      body: { metadata: { name: `${name}.1` }, involvedObject: { apiVersion: created.apiVersion, kind: 'Function', name, namespace: nsB, uid: created.metadata.uid }, reason: 'DeploymentCreated', message: 'created', type: 'Normal' },
    });

    const leases = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await leases.createNamespacedLease({ namespace: release, body: { metadata: { name: `${prefix}-manual-lease` }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } } });
    const read = await leases.readNamespacedLease({ namespace: release, name: `${prefix}-manual-lease` });
    expect(read.spec?.holderIdentity).toBe('a');
    await leases.replaceNamespacedLease({ namespace: release, name: `${prefix}-manual-lease`, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } });
  });

  it('denies the operator what it never does: writing specs, deleting, listing or writing secrets, other namespaces', async () => {
    const kc = as('operator');
    const fns = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const name = uniqueName('op-deny');
    await admin.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({ ...fnApi, namespace: nsA, body: aFunction(name, nsA) });
    const statuses = {
      patchFunctionSpec: await statusFrom(() =>
        fns.patchNamespacedCustomObject({ ...fnApi, namespace: nsA, name, body: { spec: { replicas: 9 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
      ),
      createFunction: await statusFrom(() => fns.createNamespacedCustomObject({ ...fnApi, namespace: nsA, body: aFunction(uniqueName('x'), nsA) })),
      deleteFunction: await statusFrom(() => fns.deleteNamespacedCustomObject({ ...fnApi, namespace: nsA, name })),
      deleteDeployment: await statusFrom(() => apps.deleteNamespacedDeployment({ namespace: nsA, name })),
      deleteService: await statusFrom(() => core.deleteNamespacedService({ namespace: nsA, name })),
      listSecrets: await statusFrom(() => core.listNamespacedSecret({ namespace: nsA })),
      createSecret: await statusFrom(() => core.createNamespacedSecret({ namespace: nsA, body: { metadata: { name: 'x' } } })),
      readPods: await statusFrom(() => core.listNamespacedPod({ namespace: nsA })),
      functionsInOtherNamespace: await statusFrom(() => fns.listNamespacedCustomObject({ ...fnApi, namespace: outsider })),
      functionsClusterWide: await statusFrom(() => fns.listClusterCustomObject(fnApi)),
      leasesOutsideTheRelease: await statusFrom(() => kc.makeApiClient(k8s.CoordinationV1Api).listNamespacedLease({ namespace: nsA })),
      deleteLease: await statusFrom(() => kc.makeApiClient(k8s.CoordinationV1Api).deleteNamespacedLease({ namespace: release, name: `${prefix}-manual-lease` })),
    };
    expect(statuses).toEqual(Object.fromEntries(Object.keys(statuses).map((k) => [k, 403])));
    // The function is untouched.
    const fn = (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ ...fnApi, namespace: nsA, name })) as Manifest;
    expect(fn.spec.replicas).toBeUndefined();
  });

  it('gives the worker no access to anything', async () => {
    const kc = as('worker');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const statuses = {
      listSecrets: await statusFrom(() => core.listNamespacedSecret({ namespace: release })),
      readBasicAuth: await statusFrom(() => core.readNamespacedSecret({ namespace: release, name: `${prefix}-basic-auth` })),
      functions: await statusFrom(() => kc.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: nsA })),
      pods: await statusFrom(() => core.listNamespacedPod({ namespace: release })),
      endpointSlices: await statusFrom(() => kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: nsA })),
    };
    expect(statuses).toEqual(Object.fromEntries(Object.keys(statuses).map((k) => [k, 403])));
    expect(await rulesIn(kc, nsA)).toEqual([]);
    expect(await rulesIn(kc, release)).toEqual([]);
  });

  it('runs the real operator as its ServiceAccount, configured by the chart’s env: it leads, reconciles and reports', async () => {
    // The env the chart gives the operator pod, with the downward-API values filled in as the kubelet would,
    // a free health port, and short lease timings so the test does not wait 15 s for a lease.
    const env = envOf(pick(rendered, 'Deployment', `${prefix}-operator`).spec.template.spec.containers[0]);
    const identity = `${prefix}-operator-pod-1`;
    const config = loadOperatorConfig({
      ...env,
      KFAAS_LEASE_NAMESPACE: release,
      POD_NAME: identity,
      KFAAS_HEALTH_BIND: '127.0.0.1',
      KFAAS_HEALTH_PORT: '0',
      KFAAS_LEASE_DURATION: '3s',
      KFAAS_LEASE_RENEW_DEADLINE: '2s',
      KFAAS_LEASE_RETRY_PERIOD: '250ms',
      KFAAS_SECRET_RECHECK_PERIOD: '300ms',
    });
    expect(config.watchNamespaces).toEqual([nsA, nsB]);
    const adminFns = admin.makeApiClient(k8s.CustomObjectsApi);
    const good = uniqueName('real-ok');
    const stalled = uniqueName('real-stalled');
    await admin.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({ namespace: nsA, body: { metadata: { name: 'api-key' }, stringData: { key: 'k' } } });
    await adminFns.createNamespacedCustomObject({ ...fnApi, namespace: nsA, body: { ...aFunction(good, nsA), spec: { name: good, image: 'example/wordcount:0.1.0', secrets: ['api-key'] } } });
    await adminFns.createNamespacedCustomObject({ ...fnApi, namespace: nsB, body: { ...aFunction(stalled, nsB), spec: { name: stalled, image: 'example/wordcount:0.1.0', secrets: ['not-there'] } } });

    let operator: Operator | undefined;
    try {
      operator = createOperator({ config, kubeConfig: as('operator'), logger: winston.createLogger({ silent: true }), identity });
      await operator.start();
      const apps = admin.makeApiClient(k8s.AppsV1Api);
      const core = admin.makeApiClient(k8s.CoreV1Api);
      const deployment = await waitFor(() => apps.readNamespacedDeployment({ namespace: nsA, name: good }), { timeoutMs: 30_000, description: 'the operator to create the Deployment' });
      expect(deployment.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Function', name: good, controller: true, blockOwnerDeletion: true });
      await waitFor(() => core.readNamespacedService({ namespace: nsA, name: good }), { timeoutMs: 10_000, description: 'the operator to create the Service' });
      const withStatus = await waitFor(async () => {
        const fn = (await adminFns.getNamespacedCustomObject({ ...fnApi, namespace: nsA, name: good })) as Manifest;
        return fn.status?.observedGeneration === 1 ? fn : undefined;
      }, { timeoutMs: 10_000, description: 'the operator to write the Function status' });
      expect(withStatus.status.conditions.map((c: { type: string }) => c.type)).toContain('Ready');
      // The missing secret was looked up (a 404, not a 403), so the Function is Stalled with a clear reason.
      const stalledFn = await waitFor(async () => {
        const fn = (await adminFns.getNamespacedCustomObject({ ...fnApi, namespace: nsB, name: stalled })) as Manifest;
        const c = fn.status?.conditions?.find((x: { type: string }) => x.type === 'Stalled');
        return c?.status === 'True' ? c : undefined;
      }, { timeoutMs: 10_000, description: 'the Function naming a missing secret to be Stalled' });
      expect(stalledFn.message).toContain('not-there');
      const events = await waitFor(async () => {
        // The Deployment shares the Function's name, so only the Function's own Events count here.
        const list = await core.listNamespacedEvent({ namespace: nsA, fieldSelector: `involvedObject.name=${good},involvedObject.kind=Function` });
        return list.items.some((e) => e.reason === 'Created') ? list.items : undefined;
      }, { timeoutMs: 10_000, description: 'the operator to record a Created Event on the Function' });
      expect(events.map((e) => e.reason)).toContain('Created');
      const lease = await admin.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ namespace: release, name: config.leaderElection.leaseName });
      expect(lease.spec?.holderIdentity).toBe(identity);
      expect(operator.isLeader).toBe(true);
    } finally {
      await operator?.close();
    }
  });

  it('runs the real gateway provider as its ServiceAccount, in the namespaces the chart configures: deploy, resolve, scale, delete', async () => {
    const env = envOf(pick(rendered, 'Deployment', `${prefix}-gateway`).spec.template.spec.containers[0]);
    const config = loadGatewayConfig(Object.fromEntries(Object.entries(env).filter(([, v]) => !v.startsWith('<'))));
    expect(config.allowedNamespaces).toEqual([nsA, nsB]);
    const provider = createKubernetesProvider({ kubeConfig: as('gateway'), namespaces: config.allowedNamespaces, logger: winston.createLogger({ silent: true }) });
    const name = uniqueName('real-gw');
    try {
      await provider.ready();
      await provider.functions.deploy({ service: name, image: 'example/wordcount:0.1.0', envProcess: 'node handler.mjs' }, nsB);
      expect(await provider.functions.get(name, nsB)).toMatchObject({ name, namespace: nsB, image: 'example/wordcount:0.1.0', envProcess: 'node handler.mjs' });
      await provider.functions.update({ service: name, image: 'example/wordcount:0.2.0', envProcess: 'node handler.mjs' }, nsB);
      await waitFor(async () => (await provider.functions.get(name, nsB))?.image === 'example/wordcount:0.2.0', { timeoutMs: 10_000, description: 'the update to show' });
      // Other tests of this suite share nsB.
      expect((await provider.functions.list(nsB)).map((f) => f.name)).toContain(name);
      await admin.makeApiClient(k8s.DiscoveryV1Api).createNamespacedEndpointSlice({
        namespace: nsB,
        body: {
          metadata: { name: `${name}-x1`, labels: { 'kubernetes.io/service-name': name } },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['192.0.2.20'], conditions: { ready: true } }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      });
      const resolved = await waitFor(async () => {
        const r = await provider.resolver.resolve(name, nsB);
        return r && r.endpoints.length > 0 ? r : undefined;
      }, { timeoutMs: 10_000, description: 'the gateway to resolve the function from its EndpointSlice informer' });
      expect(resolved.endpoints).toEqual(['http://192.0.2.20:8080']);
      await provider.functions.scale(name, nsB, 4);
      const fn = (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ ...fnApi, namespace: nsB, name })) as Manifest;
      expect(fn.spec.replicas).toBe(4);
      await provider.functions.remove(name, nsB);
      await waitFor(async () => (await provider.resolver.resolve(name, nsB)) === undefined, { timeoutMs: 10_000, description: 'the deleted function to disappear' });
    } finally {
      await provider.close();
    }
  });

  it('lets the gateway create the documented example Function (examples/function-image/function.yaml), strictly validated', async () => {
    const fn = parseAllDocuments(fs.readFileSync(path.join(REPO, 'examples/function-image/function.yaml'), 'utf8'))[0]!.toJS() as Manifest;
    fn.metadata.namespace = nsA;
    const res = await kubeRequest(as('gateway'), 'POST', `/apis/${FUNCTION_GROUP}/${FUNCTION_VERSION}/namespaces/${nsA}/functions`, {
      body: fn,
      query: { dryRun: 'All', fieldValidation: 'Strict' },
    });
    expect({ status: res.status, message: res.body?.message }).toEqual({ status: 201, message: undefined });
    expect(res.body.spec).toEqual(fn.spec);
  });

  it('grants exactly the documented rules per namespace, as the apiserver computes them', async () => {
    const gatewayRules = [
      'core/pods/log: get',
      'core/pods: get,list,watch',
      'core/secrets: create,delete,get,list,patch,update',
      'discovery.k8s.io/endpointslices: get,list,watch',
      'kfaas.dev/functions: create,delete,get,list,patch,update,watch',
    ];
    const operatorRules = [
      'apps/deployments/scale: patch',
      'apps/deployments: create,get,list,update,watch',
      'autoscaling/horizontalpodautoscalers: list',
      'core/events: create',
      'core/secrets: get',
      'core/services: create,get,list,update,watch',
      'kfaas.dev/functions/finalizers: update',
      'kfaas.dev/functions/status: patch',
      'kfaas.dev/functions: get,list,watch',
    ];
    expect(await rulesIn(as('gateway'), nsA)).toEqual(gatewayRules);
    expect(await rulesIn(as('gateway'), nsB)).toEqual(gatewayRules);
    expect(await rulesIn(as('gateway'), outsider)).toEqual([]);
    expect(await rulesIn(as('gateway'), release)).toEqual([]);
    expect(await rulesIn(as('operator'), nsB)).toEqual(operatorRules);
    expect(await rulesIn(as('operator'), release)).toEqual(['coordination.k8s.io/leases: create,get,update', 'discovery.k8s.io/endpointslices: list']);
    expect(await rulesIn(as('operator'), outsider)).toEqual([]);
  });
});

describe('chart RBAC with functions.clusterWide', () => {
  let admin: k8s.KubeConfig;
  let release: string;
  let outsider: string;
  let prefix: string;
  let clusterObjects: Manifest[] = [];

  beforeAll(async () => {
    admin = kubeConfigFor(loadServices());
    [release, outsider] = (await Promise.all(['rbac-cw', 'rbac-cw-other'].map((p) => createNamespace(admin, p)))) as [string, string];
    prefix = uniqueName('rbac-cw');
    await installCrds(admin);
    const objects = await renderChart({
      namespace: release,
      values: { ...BROKERS, fullnameOverride: prefix, functions: { namespace: release, createNamespaces: false, clusterWide: true } },
    });
    clusterObjects = await installRbac(admin, objects);
  });

  afterAll(async () => {
    if (!admin) return;
    await deleteClusterObjects(admin, clusterObjects);
    await Promise.all([release, outsider].filter(Boolean).map((ns) => deleteNamespace(admin, ns)));
  });

  it('lets the operator watch Functions in every namespace, and the gateway serve and manage namespaces', async () => {
    const operator = impersonating(admin, serviceAccountUser(release, `${prefix}-operator`));
    const gateway = impersonating(admin, serviceAccountUser(release, `${prefix}-gateway`));
    await waitFor(async () => (await statusFrom(() => operator.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject(fnApi))) === 200, {
      timeoutMs: 20_000,
      description: 'the operator ClusterRoleBinding to take effect',
    });
    await waitFor(async () => (await statusFrom(() => gateway.makeApiClient(k8s.CoreV1Api).listNamespace())) === 200, {
      timeoutMs: 20_000,
      description: 'the gateway ClusterRoleBinding to take effect',
    });
    expect(await statusFrom(() => operator.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: outsider }))).toBe(200);
    expect(await statusFrom(() => operator.makeApiClient(k8s.AppsV1Api).listDeploymentForAllNamespaces())).toBe(200);
    expect(await statusFrom(() => operator.makeApiClient(k8s.CoreV1Api).listSecretForAllNamespaces())).toBe(403);
    expect(await statusFrom(() => operator.makeApiClient(k8s.CoreV1Api).listNamespace())).toBe(403);
    expect(await statusFrom(() => gateway.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: outsider }))).toBe(200);
    expect(await statusFrom(() => gateway.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ ...fnApi, namespace: release }))).toBe(200);
    // Still nothing it does not use: owned objects stay the operator's.
    expect(await statusFrom(() => gateway.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: outsider }))).toBe(403);
    const gatewayRules = [
      'core/namespaces: create,delete,get,list,patch,update,watch',
      'core/pods/log: get',
      'core/pods: get,list,watch',
      'core/secrets: create,delete,get,list,patch,update',
      'discovery.k8s.io/endpointslices: get,list,watch',
      'kfaas.dev/functions: create,delete,get,list,patch,update,watch',
    ];
    expect(await rulesIn(gateway, outsider)).toEqual(gatewayRules);
  });

  it('runs the real gateway provider as its ServiceAccount, cluster-wide: create a namespace, deploy into it, relabel, delete', async () => {
    const gateway = impersonating(admin, serviceAccountUser(release, `${prefix}-gateway`));
    const provider = createKubernetesProvider({ kubeConfig: gateway, namespaces: [release], clusterWide: true, logger: winston.createLogger({ silent: true }) });
    const team = uniqueName('rbac-cw-team');
    try {
      await provider.ready();
      const manager = provider.namespaceManager!;
      await manager.create({ name: team, labels: { team: 'a' }, annotations: {} });
      // Cluster-wide, every marked namespace is allowed, including those other test files create meanwhile: the
      // checks look at this file's own (all named rbac-cw-*), exactly.
      const ours = (): string[] => manager.allowed().filter((ns) => ns.startsWith('rbac-cw'));
      expect(ours()).toEqual([release, team]);
      await provider.functions.deploy({ service: 'hello', image: 'example/wordcount:0.1.0' }, team);
      expect((await provider.functions.list(team)).map((f) => f.name)).toEqual(['hello']);
      await manager.update({ name: team, labels: { team: 'b' }, annotations: { note: 'x' } });
      expect(await manager.get(team)).toMatchObject({ labels: { team: 'b', openfaas: '1' }, annotations: { note: 'x' } });
      await expect(manager.remove(release)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await manager.remove(team);
      expect(ours()).toEqual([release]);
    } finally {
      await provider.close();
      await deleteNamespace(admin, team);
    }
  });
});
