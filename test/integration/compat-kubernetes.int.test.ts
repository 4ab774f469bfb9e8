/**
 * OpenFaaS wire compatibility of the gateway's kubernetes provider against the real apiserver,
 * kube-controller-manager and the kfaas operator: the FunctionStatus shape (no platform env echoed back,
 * faas_function on the function and its pods), secrets mounted where OpenFaaS functions read them, and
 * /system/logs from the pod log API, which answers 501 here because pods stay Pending (no scheduler, no kubelet).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Operator } from '../../operator/index.js';
import { loadConfig } from '../../gateway/config.js';
import { createGateway, type Gateway } from '../../gateway/index.js';
import { createGatewayMetrics } from '../../gateway/metrics/gateway-metrics.js';
import { createKubernetesProvider } from '../../gateway/providers/kubernetes/index.js';
import type { Provider } from '../../gateway/ports.js';
import { apiClient, applyCrd, startTestOperator } from '../../operator/testing/kube-test-kit.js';
import { createNamespace, deleteNamespace, kubeConfigFor, loadServices, silentLogger, uniqueName, waitFor } from '../helpers/index.js';
import { asGoFunctionStatus, asGoLogMessages } from './compat-support.js';

jest.setTimeout(90_000);

const USER = 'admin';
const PASSWORD = 'compat-pass';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
/** Watched by the operator: its functions get Deployments and (Pending) pods. */
let ns: string;
/** Allowed to the gateway but not watched: its functions never get pods. */
let quiet: string;
let operator: Operator | undefined;
let provider: Provider;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  kc = kubeConfigFor(loadServices());
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  const client = await apiClient(kc);
  try {
    await applyCrd(client);
  } finally {
    client.close();
  }
  ns = await createNamespace(kc, 'compat-kube');
  quiet = await createNamespace(kc, 'compat-quiet');
  operator = await startTestOperator({ kubeConfig: kc, namespaces: [ns], identity: uniqueName('compat-op') });
  const config = loadConfig({
    KFAAS_GATEWAY_PORT: '0',
    function_namespace: ns,
    KFAAS_ALLOWED_NAMESPACES: `${ns},${quiet}`,
    KFAAS_BASIC_AUTH_USER: USER,
    KFAAS_BASIC_AUTH_PASSWORD: PASSWORD,
    KFAAS_DRAIN_DELAY: '0s',
    KFAAS_DRAIN_TIMEOUT: '2s',
  });
  provider = createKubernetesProvider({ kubeConfig: kc, namespaces: config.allowedNamespaces, logger: silentLogger(), informerBackoff: { minMs: 100, maxMs: 1000 } });
  gateway = createGateway(config, { provider, logger: silentLogger(), metrics: createGatewayMetrics() });
  url = `http://127.0.0.1:${(await gateway.start()).port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 20_000, description: 'gateway ready' });
});

afterAll(async () => {
  await gateway?.close();
  await provider?.close();
  await operator?.close();
  for (const name of [ns, quiet]) if (name) await deleteNamespace(kc, name);
});

const sys = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
};

const podsOf = async (name: string, namespace = ns): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace, labelSelector: `faas_function=${name}` })).items;

describe('OpenFaaS compatibility of the kubernetes provider', () => {
  it('answers deploy with 202, is readable at once, and never echoes the env the operator injects', async () => {
    const deploy = await sys('POST', '/system/functions', {
      service: 'shape',
      image: 'ghcr.io/acme/shape:1',
      envProcess: 'cat',
      envVars: { GREETING: 'hi', exec_timeout: '5s', read_timeout: '6s', mode: 'fork' },
      labels: null,
      annotations: null,
    });
    expect(deploy.status).toBe(202);
    const got = await sys('GET', '/system/function/shape');
    expect(got.status).toBe(200);
    expect(asGoFunctionStatus(got.body)).toEqual({
      name: 'shape',
      image: 'ghcr.io/acme/shape:1',
      namespace: ns,
      envProcess: 'cat',
      envVars: { GREETING: 'hi' },
      labels: { faas_function: 'shape' },
      annotations: {},
      invocationCount: 0,
      replicas: 1,
      availableReplicas: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
    const list = await sys('GET', `/system/functions?namespace=${ns}`);
    // Same shape as the single read; the replica counts are live (the operator's status may land in between).
    const { replicas: _r, availableReplicas: _a, ...rest } = got.body as Record<string, unknown>;
    expect(list.body.find((f: { name: string }) => f.name === 'shape')).toEqual({ ...rest, replicas: expect.any(Number), availableReplicas: expect.any(Number) });

    // The operator puts fprocess, mode and the three timeouts into the container env ...
    const deployment = await waitFor(async () => apps.readNamespacedDeployment({ name: 'shape', namespace: ns }).catch(() => undefined), {
      timeoutMs: 20_000,
      description: 'the operator to create the Deployment',
    });
    const env = Object.fromEntries((deployment.spec!.template.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ GREETING: 'hi', fprocess: 'cat', mode: 'fork', exec_timeout: '5s', read_timeout: '6s', write_timeout: expect.any(String) });
    expect(deployment.spec!.template.metadata!.labels).toMatchObject({ faas_function: 'shape' });
    // ... and the gateway still reports only what the user set.
    expect((await sys('GET', '/system/function/shape')).body.envVars).toEqual({ GREETING: 'hi' });

    const twice = await sys('POST', '/system/functions', { service: 'shape', image: 'x' });
    expect(twice.status).toBe(409);
    expect((await sys('PUT', '/system/functions', { service: 'not-there', image: 'x' })).status).toBe(404);
  });

  it('answers /system/logs with 501 naming the Pending pods, since none has started', async () => {
    await waitFor(async () => (await podsOf('shape')).length > 0, { timeoutMs: 30_000, description: 'kube-controller-manager to create the pod' });
    const pods = await podsOf('shape');
    expect(pods.every((p) => p.status?.phase === 'Pending')).toBe(true);
    const res = await sys('GET', `/system/logs?name=shape&namespace=${ns}&follow=false&tail=-1`);
    expect(res.status).toBe(501);
    expect(res.body).toMatchObject({
      code: 'NOT_IMPLEMENTED',
      message: `no started pods for function shape.${ns} (${pods.length} Pending); logs come from the Kubernetes pod log API once a pod has started`,
    });
  });

  it('answers /system/logs with 501 when the function has no pods at all', async () => {
    expect((await sys('POST', '/system/functions', { service: 'podless', image: 'x', namespace: quiet })).status).toBe(202);
    const res = await sys('GET', `/system/logs?name=podless&namespace=${quiet}`);
    expect(res.status).toBe(501);
    expect(res.body.message).toBe(`no pods exist for function podless.${quiet} (label faas_function=podless); logs come from the Kubernetes pod log API once a pod has started`);
    expect((await sys('GET', `/system/logs?name=ghost&namespace=${quiet}`)).status).toBe(404);
  });

  it('reads started pods through the pod log API, and names the apiserver answer when it refuses', async () => {
    const [pod] = await podsOf('shape');
    // The pod "starts" (its status says Running) but is bound to no node: the log API answers that it has no
    // log yet (204), which is an empty NDJSON stream.
    await core.patchNamespacedPodStatus({ name: pod!.metadata!.name!, namespace: ns, body: [{ op: 'add', path: '/status/phase', value: 'Running' }] });
    await waitFor(async () => (await podsOf('shape')).some((p) => p.status?.phase === 'Running'), { description: 'the pod status patch' });
    const empty = await fetch(`${url}/system/logs?name=shape&namespace=${ns}&follow=false&tail=-1`, { headers: { authorization: AUTH } });
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(await empty.text()).toBe('');
    // Asking for another instance than the started one is the 501 again.
    const other = await sys('GET', `/system/logs?name=shape&namespace=${ns}&instance=not-a-pod`);
    expect(other.status).toBe(501);
    expect(other.body.message).toMatch(/^no pods exist for pod not-a-pod of function shape\./);

    // A started pod on a node the apiserver does not know: the log API refuses, and the refusal is named.
    expect((await sys('POST', '/system/functions', { service: 'stray', image: 'x', namespace: quiet })).status).toBe(202);
    const stray = await core.createNamespacedPod({
      namespace: quiet,
      body: { metadata: { name: 'stray-pod', labels: { faas_function: 'stray' } }, spec: { nodeName: 'no-such-node', containers: [{ name: 'stray', image: 'x' }] } },
    });
    await core.patchNamespacedPodStatus({ name: stray.metadata!.name!, namespace: quiet, body: [{ op: 'add', path: '/status/phase', value: 'Running' }] });
    const refused = await waitFor(
      async () => {
        const res = await sys('GET', `/system/logs?name=stray&namespace=${quiet}`);
        return res.status === 501 ? undefined : res;
      },
      { description: 'the stray pod to count as started' },
    );
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('UNAVAILABLE');
    expect(refused.body.message).toMatch(/^could not read the logs of pod stray-pod: Kubernetes answered \d{3}: .*no-such-node/);
  });

  it('serves a started pod log from its kubelet as NDJSON, tail and follow included', async () => {
    // A stand-in kubelet: the apiserver fetches pod logs from the node's kubelet endpoint, so a Node that points at
    // this loopback HTTPS server (the apiserver does not verify kubelet certificates unless told to) lets the whole
    // read path run: gateway -> apiserver pod log API -> kubelet, with the kubelet's real wire format.
    const pki = join(loadServices().runDir, 'pki');
    const requests: string[] = [];
    const followers: ServerResponse[] = [];
    const kubelet = https.createServer({ cert: readFileSync(join(pki, 'apiserver.crt')), key: readFileSync(join(pki, 'apiserver.key')) }, (req, res) => {
      requests.push(req.url ?? '');
      const query = new URL(req.url ?? '/', 'https://kubelet').searchParams;
      res.writeHead(200, { 'content-type': 'text/plain' });
      const lines = ['2024-05-01T10:00:01.000000001Z Forking fprocess.', '2024-05-01T10:00:02.5Z Wrote 5 Bytes - Duration: 0.010 seconds', '2024-05-01T10:00:03Z third line'];
      const tail = Number(query.get('tailLines') ?? lines.length);
      res.write(lines.slice(-tail).map((l) => `${l}\n`).join(''));
      if (query.get('follow') === 'true') followers.push(res);
      else res.end();
    });
    await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', () => resolve()));
    const node = uniqueName('fake-node');
    try {
      await core.createNode({ body: { metadata: { name: node } } });
      await core.patchNodeStatus({
        name: node,
        body: [
          { op: 'add', path: '/status/addresses', value: [{ type: 'InternalIP', address: '127.0.0.1' }] },
          { op: 'add', path: '/status/daemonEndpoints', value: { kubeletEndpoint: { Port: (kubelet.address() as AddressInfo).port } } },
        ],
      });
      expect((await sys('POST', '/system/functions', { service: 'talky', image: 'x', namespace: quiet })).status).toBe(202);
      await core.createNamespacedPod({
        namespace: quiet,
        body: { metadata: { name: 'talky-1', labels: { faas_function: 'talky' } }, spec: { nodeName: node, containers: [{ name: 'talky', image: 'x' }] } },
      });
      await core.patchNamespacedPodStatus({ name: 'talky-1', namespace: quiet, body: [{ op: 'add', path: '/status/phase', value: 'Running' }] });

      const all = await waitFor(
        async () => {
          const res = await fetch(`${url}/system/logs?name=talky&namespace=${quiet}&follow=false&tail=-1`, { headers: { authorization: AUTH } });
          return res.status === 200 ? res.text() : undefined;
        },
        { description: 'the pod logs through the apiserver' },
      );
      expect(asGoLogMessages(all)).toEqual([
        { name: 'talky', namespace: quiet, instance: 'talky-1', timestamp: '2024-05-01T10:00:01.000Z', text: 'Forking fprocess.' },
        { name: 'talky', namespace: quiet, instance: 'talky-1', timestamp: '2024-05-01T10:00:02.500Z', text: 'Wrote 5 Bytes - Duration: 0.010 seconds' },
        { name: 'talky', namespace: quiet, instance: 'talky-1', timestamp: '2024-05-01T10:00:03.000Z', text: 'third line' },
      ]);
      expect(requests.at(-1)).toMatch(new RegExp(`^/containerLogs/${quiet}/talky-1/talky\\?`));
      expect(requests.at(-1)).toContain('timestamps=true');

      const tail = asGoLogMessages(await (await fetch(`${url}/system/logs?name=talky&namespace=${quiet}&tail=1`, { headers: { authorization: AUTH } })).text());
      expect(tail.map((l) => l.text)).toEqual(['third line']);
      expect(requests.at(-1)).toContain('tailLines=1');

      const abort = new AbortController();
      const follow = await fetch(`${url}/system/logs?name=talky&namespace=${quiet}&follow=true&tail=1`, { headers: { authorization: AUTH }, signal: abort.signal });
      expect(follow.status).toBe(200);
      const reader = follow.body!.getReader();
      let streamed = '';
      const readUntil = (text: string) =>
        waitFor(
          async () => {
            streamed += new TextDecoder().decode((await reader.read()).value);
            return streamed.includes(text);
          },
          { description: `the followed stream to show ${JSON.stringify(text)}` },
        );
      await readUntil('third line');
      await waitFor(() => followers.length === 1, { description: 'the kubelet to hold the follow request' });
      followers[0]!.write('2024-05-01T10:00:04Z a later line\n');
      await readUntil('a later line');
      expect(asGoLogMessages(streamed.slice(0, streamed.lastIndexOf('\n') + 1)).map((l) => l.text)).toEqual(['third line', 'a later line']);
      // The client leaving ends the gateway's request to the apiserver, and so the kubelet's.
      abort.abort();
      await waitFor(() => followers[0]!.destroyed || followers[0]!.writableEnded || followers[0]!.socket === null, { description: 'the kubelet stream to close' });
    } finally {
      for (const res of followers) res.destroy();
      kubelet.closeAllConnections();
      await new Promise<void>((resolve) => kubelet.close(() => resolve()));
      await core.deleteNode({ name: node }).catch(() => undefined);
    }
  });

  it('keeps secrets as labelled Secrets that the operator mounts at /var/openfaas/secrets/<name>', async () => {
    expect((await sys('POST', `/system/secrets?namespace=${ns}`, { name: 'api-key', value: 's3cr3t' })).status).toBe(201);
    expect((await sys('GET', '/system/secrets')).body).toEqual([{ name: 'api-key', namespace: ns }]);
    const secret = await core.readNamespacedSecret({ name: 'api-key', namespace: ns });
    // One key named like the secret: projected, it becomes the file /var/openfaas/secrets/api-key.
    expect(Object.keys(secret.data ?? {})).toEqual(['api-key']);
    expect(secret.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kfaas' });

    expect((await sys('POST', '/system/functions', { service: 'reader', image: 'x', envProcess: 'cat /var/openfaas/secrets/api-key', secrets: ['api-key'] })).status).toBe(202);
    const deployment = await waitFor(async () => apps.readNamespacedDeployment({ name: 'reader', namespace: ns }).catch(() => undefined), {
      timeoutMs: 20_000,
      description: 'the Deployment of the function with a secret',
    });
    const podSpec = deployment.spec!.template.spec!;
    const mount = podSpec.containers[0]!.volumeMounts?.find((m) => m.mountPath === '/var/openfaas/secrets');
    expect(mount).toMatchObject({ readOnly: true });
    const volume = podSpec.volumes?.find((v) => v.name === mount!.name);
    expect(volume?.projected?.sources).toEqual([{ secret: { name: 'api-key' } }]);
    expect((await sys('GET', '/system/function/reader')).body.secrets).toEqual(['api-key']);

    expect((await sys('DELETE', '/system/secrets', { name: 'api-key', namespace: ns })).status).toBe(202);
    expect((await sys('GET', `/system/secrets?namespace=${ns}`)).body).toEqual([]);
  });

  it('scales and deletes with 202, taking the namespace from the query string or the body', async () => {
    expect((await sys('POST', `/system/scale-function/podless?namespace=${quiet}`, { serviceName: 'podless', replicas: 3 })).status).toBe(202);
    expect((await sys('GET', `/system/function/podless?namespace=${quiet}`)).body.replicas).toBe(3);
    expect((await sys('POST', '/system/scale-function/podless', { serviceName: 'podless', replicas: 0, namespace: quiet })).status).toBe(202);
    expect((await sys('GET', `/system/function/podless?namespace=${quiet}`)).body.replicas).toBe(0);
    expect((await sys('DELETE', '/system/functions', { functionName: 'podless', namespace: quiet })).status).toBe(202);
    expect((await sys('GET', `/system/function/podless?namespace=${quiet}`)).status).toBe(404);
  });

  it('lists its namespaces, and refuses any other on /system calls with 400 naming the allowed ones', async () => {
    expect(await sys('GET', '/system/namespaces')).toEqual({ status: 200, body: [ns, quiet] });
    for (const path of ['/system/functions?namespace=kube-system', '/system/secrets?namespace=default', '/system/logs?name=shape&namespace=default', '/system/info?namespace=default']) {
      const res = await sys('GET', path);
      expect({ path, status: res.status, message: res.body?.message }).toEqual({ path, status: 400, message: `namespace must be: ${ns}, ${quiet}` });
    }
    const body = await sys('POST', '/system/secrets', { name: 'x', value: 'y', namespace: 'default' });
    expect(body.status).toBe(400);
  });
});
