/**
 * The gateway with the kubernetes provider against the real apiserver and kube-controller-manager: /system
 * writes land as Function resources, the informer caches follow API changes, and calls are routed to a real
 * process through an FQDN EndpointSlice (`<fn>.localhost`: the apiserver refuses loopback IPs in slices, and
 * FQDNs of one label).
 */
import { jest } from '@jest/globals';
import { CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import type { FunctionResource } from '../../common/function-types.js';
import { loadConfig } from '../../gateway/config.js';
import { createGateway, type Gateway } from '../../gateway/index.js';
import { createGatewayMetrics } from '../../gateway/metrics/gateway-metrics.js';
import { createKubernetesProvider } from '../../gateway/providers/kubernetes/index.js';
import type { Provider } from '../../gateway/ports.js';
import { functionPath } from '../../operator/kube/paths.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import {
  CuttableProxy,
  apiClient,
  applyCrd,
  createFunction,
  createNamespace,
  deleteNamespace,
  getFunction,
  kubeConfigVia,
} from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, silentLogger, startHttpServer, uniqueName, waitFor, type TestHttpServer } from '../helpers/index.js';
import { impersonating } from './chart-support.js';

jest.setTimeout(60_000);

const USER = 'admin';
const PASSWORD = 'pa55-word';

let kc: KubeConfig;
let client: KubeRestClient;
let ns: string;
let fnServer: TestHttpServer;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];

beforeAll(async () => {
  kc = kubeConfigFor(loadServices());
  client = await apiClient(kc);
  await applyCrd(client);
  ns = uniqueName('gw-kube');
  await createNamespace(client, ns);
  // The "function": a real process (this test's) listening on 127.0.0.1, reached via the FQDN `<fn>.localhost`.
  fnServer = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': 'yes' });
      res.end(`echo:${Buffer.concat(chunks).toString()}`);
    });
  });
});

afterAll(async () => {
  await fnServer?.close();
  if (client && ns) await deleteNamespace(client, ns);
  client?.close();
});

interface Running {
  gateway: Gateway;
  provider: Provider;
  url: string;
}

async function startGateway(kubeConfig: KubeConfig, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({
    KFAAS_GATEWAY_PORT: '0',
    function_namespace: ns,
    KFAAS_BASIC_AUTH_USER: USER,
    KFAAS_BASIC_AUTH_PASSWORD: PASSWORD,
    KFAAS_DRAIN_DELAY: '0s',
    KFAAS_DRAIN_TIMEOUT: '2s',
    ...env,
  });
  const provider = createKubernetesProvider({
    kubeConfig,
    namespaces: config.allowedNamespaces,
    clusterWide: config.clusterWide,
    logger: silentLogger(),
    informerBackoff: { minMs: 100, maxMs: 1000 },
  });
  const gateway = createGateway(config, { provider, logger: silentLogger(), metrics: createGatewayMetrics() });
  const { port } = await gateway.start();
  return { gateway, provider, url: `http://127.0.0.1:${port}` };
}

async function stopGateway(r: Running | undefined): Promise<void> {
  await r?.gateway.close();
  await r?.provider.close();
}

async function createFqdnSlice(service: string, port: number, ready = true, namespace = ns): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  // A selector-less Service, as for any externally managed endpoints; the slice is ours, not the controller's.
  await core.createNamespacedService({ namespace, body: { metadata: { name: service }, spec: { ports: [{ name: 'http', port: 8080 }] } } });
  await discovery.createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: {
        name: `${service}-local`,
        labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'kfaas-test' },
      },
      addressType: 'FQDN',
      ports: [{ name: 'http', port, protocol: 'TCP' }],
      endpoints: [{ addresses: [`${service}.localhost`], conditions: { ready } }],
    },
  });
}

async function setSliceReady(service: string, ready: boolean): Promise<void> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await discovery.patchNamespacedEndpointSlice({
    namespace: ns,
    name: `${service}-local`,
    body: [{ op: 'replace', path: '/endpoints/0/conditions/ready', value: ready }],
  });
}

describe('gateway with the kubernetes provider', () => {
  let gw: Running;

  beforeAll(async () => {
    // Calls to functions with no ready endpoint wait this long before their 503 (the default is 30 s).
    gw = await startGateway(kc, { KFAAS_SCALE_FROM_ZERO_TIMEOUT: '300ms' });
    await waitFor(async () => (await request(gw.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'gateway ready' });
  });
  afterAll(async () => {
    await stopGateway(gw);
  });

  const system = () => ({
    get: (path: string) => request(gw.url).get(path).auth(USER, PASSWORD),
    post: (path: string) => request(gw.url).post(path).auth(USER, PASSWORD),
    put: (path: string) => request(gw.url).put(path).auth(USER, PASSWORD),
    delete: (path: string) => request(gw.url).delete(path).auth(USER, PASSWORD),
  });

  it('requires basic auth on /system and leaves /function public', async () => {
    const denied = await request(gw.url).get('/system/functions');
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Basic realm="Restricted"');
    await request(gw.url).get('/system/functions').auth(USER, 'wrong').expect(401);
    await system().get('/system/functions').expect(200, []);
    await request(gw.url).get('/function/nothing-here').expect(404);
  });

  it('deploys a Function resource, lists it, and routes calls to its FQDN endpoint', async () => {
    const name = 'echo';
    await system()
      .post('/system/functions')
      .send({
        service: name,
        image: 'ghcr.io/kfaas/echo:1',
        envProcess: 'cat',
        envVars: { FOO: 'bar', exec_timeout: '5s', write_timeout: '6s' },
        labels: { team: 'a' },
        annotations: { note: 'x' },
        limits: { memory: '128Mi', cpu: '' },
      })
      .expect(202);

    // The resource the operator will reconcile.
    const fn = (await getFunction(client, ns, name))!;
    expect(fn.spec).toMatchObject({
      name,
      image: 'ghcr.io/kfaas/echo:1',
      handler: 'cat',
      environment: { FOO: 'bar' },
      timeouts: { exec: '5s', write: '6s' },
      labels: { team: 'a', faas_function: name },
      annotations: { note: 'x' },
      limits: { memory: '128Mi' },
    });
    expect(fn.metadata.labels).toMatchObject({ faas_function: name });

    // Readable at once (the deploy waited for the cache).
    const list = await system().get('/system/functions').expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({
        name,
        namespace: ns,
        image: 'ghcr.io/kfaas/echo:1',
        envProcess: 'cat',
        envVars: { FOO: 'bar' },
        labels: { team: 'a', faas_function: name },
        annotations: { note: 'x' },
        replicas: 1,
        availableReplicas: 0,
        invocationCount: 0,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);

    // Known, but no ready endpoint yet.
    const noEndpoints = await request(gw.url).get(`/function/${name}`);
    expect(noEndpoints.status).toBe(503);
    expect(noEndpoints.headers['retry-after']).toBe('1');
    expect(noEndpoints.headers['x-openfaas-internal']).toBe('gateway');

    await createFqdnSlice(name, fnServer.port);
    const res = await waitFor(
      async () => {
        const r = await request(gw.url).post(`/function/${name}/sub/path?q=1`).set('content-type', 'text/plain').send('hi');
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 10_000, description: 'the call to reach the function via the slice' },
    );
    expect(res.text).toBe('echo:hi');
    expect(res.headers['x-echo']).toBe('yes');
    expect(res.headers['x-served-by']).toBe('kfaas/0.1.0');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/sub/path?q=1' });
    expect(seen.at(-1)!.headers['x-call-id']).toBe(res.headers['x-call-id']);

    // Also addressable as name.namespace.
    await request(gw.url).get(`/function/${name}.${ns}`).expect(200);

    // A slice whose endpoint turns unready takes the function out of rotation.
    await setSliceReady(name, false);
    await waitFor(async () => (await request(gw.url).get(`/function/${name}`)).status === 503, { description: 'unready endpoint gives 503' });
    await setSliceReady(name, true);
    await waitFor(async () => (await request(gw.url).get(`/function/${name}`)).status === 200, { description: 'ready again' });

    const got = await system().get(`/system/function/${name}`).expect(200);
    expect(got.body.invocationCount).toBeGreaterThanOrEqual(4);
  });

  it('scales, updates and reflects the status the operator writes', async () => {
    const name = 'scaled';
    await system().post('/system/functions').send({ service: name, image: 'img:1' }).expect(202);
    await system().post('/system/functions').send({ service: name, image: 'img:1' }).expect(409);

    await system().post(`/system/scale-function/${name}`).send({ serviceName: name, replicas: 3, namespace: ns }).expect(202);
    expect((await getFunction(client, ns, name))!.spec.replicas).toBe(3);
    expect((await system().get(`/system/function/${name}`).expect(200)).body.replicas).toBe(3);

    // The operator's status write, through the status subresource.
    await client.request('PATCH', `${functionPath(ns, name)}/status`, {
      body: { status: { replicas: 3, availableReplicas: 2 } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(async () => (await system().get(`/system/function/${name}`)).body.availableReplicas === 2, {
      description: 'availableReplicas from the Function status',
    });

    // An update replaces the spec but keeps the scaled replica count.
    await system().put('/system/functions').send({ service: name, image: 'img:2', envVars: { A: '1' } }).expect(202);
    const updated = (await getFunction(client, ns, name))!;
    expect(updated.spec).toMatchObject({ image: 'img:2', environment: { A: '1' }, replicas: 3 });
    const status = (await system().get(`/system/function/${name}`).expect(200)).body;
    expect(status).toMatchObject({ image: 'img:2', envVars: { A: '1' }, replicas: 3 });

    await system().put('/system/functions').send({ service: 'no-such-fn', image: 'x' }).expect(404);
    await system().post('/system/scale-function/no-such-fn').send({ replicas: 1 }).expect(404);
  });

  it('scales a function at zero to scale.min when a call arrives, and the call waits for its endpoint', async () => {
    const name = 'idle';
    await system().post('/system/functions').send({ service: name, image: 'img:1', labels: { 'com.openfaas.scale.min': '2' } }).expect(202);
    await system().post(`/system/scale-function/${name}`).send({ serviceName: name, replicas: 0, namespace: ns }).expect(202);
    const patient = await startGateway(kc, { KFAAS_SCALE_FROM_ZERO_TIMEOUT: '20s' });
    try {
      await waitFor(async () => (await request(patient.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'second gateway ready' });
      const call = request(patient.url).post(`/function/${name}.${ns}`).set('content-type', 'text/plain').send('woken');
      const answered = call.then((r) => r);
      // The gateway asks for max(1, scale.min) replicas; this test then plays the kubelet and makes one ready.
      await waitFor(async () => (await getFunction(client, ns, name))!.spec.replicas === 2, { description: 'the scale from zero' });
      await createFqdnSlice(name, fnServer.port);
      const res = await answered;
      expect(res.status).toBe(200);
      expect(res.text).toBe('echo:woken');
    } finally {
      await stopGateway(patient);
    }
    // A pinned function (scale.min = scale.max) is not scaled by /system/scale-function.
    await system().post('/system/functions').send({ service: 'pinned', image: 'img:1', labels: { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '2' } }).expect(202);
    await system().post('/system/scale-function/pinned').send({ serviceName: 'pinned', replicas: 5, namespace: ns }).expect(409);
    expect((await getFunction(client, ns, 'pinned'))!.spec.replicas).toBeUndefined();
  });

  it('sees Functions created directly in the API (kubectl apply) and their deletion', async () => {
    const name = 'applied';
    const resource: FunctionResource = {
      apiVersion: 'kfaas.dev/v1alpha1',
      kind: 'Function',
      metadata: { name },
      spec: { name, image: 'img:applied', timeouts: { exec: '2s' } },
    };
    await createFunction(client, ns, resource);
    await waitFor(async () => (await system().get(`/system/function/${name}`)).status === 200, { description: 'informer sees the new Function' });
    const status = (await system().get(`/system/function/${name}`)).body;
    // Always objects, never null; envVars omitted when empty.
    expect(status.labels).toEqual({ faas_function: name });
    expect(status.annotations).toEqual({});
    expect(status).not.toHaveProperty('envVars');

    await client.request('DELETE', functionPath(ns, name));
    await waitFor(async () => (await system().get(`/system/function/${name}`)).status === 404, { description: 'informer sees the deletion' });
  });

  it('deletes through /system: the resource goes, and calls get 404', async () => {
    const name = 'doomed';
    await system().post('/system/functions').send({ service: name, image: 'img:1' }).expect(202);
    await system().delete('/system/functions').send({ functionName: name, namespace: ns }).expect(202);
    await system().get(`/system/function/${name}`).expect(404);
    await request(gw.url).get(`/function/${name}`).expect(404);
    // Foreground deletion: the object lingers, marked, until the garbage collector has removed its children.
    const live = await getFunction(client, ns, name);
    expect(live === undefined || live.metadata.deletionTimestamp !== undefined).toBe(true);
    await system().delete('/system/functions').send({ functionName: name, namespace: ns }).expect(404);
    if (live) {
      // The garbage collector may finish between the read above and this deploy: then the name is free again and
      // the deploy makes a new Function. While the old one lingers, the answer is 409 saying why.
      const again = await system().post('/system/functions').send({ service: name, image: 'img:1' });
      if (again.status === 409) {
        expect(again.body.message).toMatch(/still being deleted/);
      } else {
        expect(again.status).toBe(202);
        const fresh = await getFunction(client, ns, name);
        expect(fresh?.metadata.uid).not.toBe(live.metadata.uid);
        expect(fresh?.metadata.deletionTimestamp).toBeUndefined();
      }
    }
    // ?namespace= works as well as the body's namespace.
    const other = 'doomed-too';
    await system().post('/system/functions').send({ service: other, image: 'img:1' }).expect(202);
    await system().delete(`/system/functions?namespace=${ns}`).send({ functionName: other }).expect(202);
    await system().get(`/system/function/${other}`).expect(404);
    await system().delete('/system/functions').send({ functionName: 'never-was', namespace: ns }).expect(404);
  });

  it('manages secrets as labelled Kubernetes Secrets', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    // A Secret some other tool owns stays invisible and untouchable.
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'foreign' }, stringData: { x: 'y' } } });
    await system().post('/system/secrets').send({ name: 'db-pass', value: 's3cret' }).expect(201);
    await system().post('/system/secrets').send({ name: 'db-pass', value: 's3cret' }).expect(409);
    const live = await core.readNamespacedSecret({ name: 'db-pass', namespace: ns });
    expect(Buffer.from(live.data!['db-pass']!, 'base64').toString()).toBe('s3cret');
    expect(live.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kfaas' });
    await system().get('/system/secrets').expect(200, [{ name: 'db-pass', namespace: ns }]);
    await system().put('/system/secrets').send({ name: 'db-pass', rawValue: Buffer.from('rotated').toString('base64') }).expect(200);
    const rotated = await core.readNamespacedSecret({ name: 'db-pass', namespace: ns });
    expect(Buffer.from(rotated.data!['db-pass']!, 'base64').toString()).toBe('rotated');
    await system().put('/system/secrets').send({ name: 'foreign', value: 'z' }).expect(404);
    await system().delete('/system/secrets').send({ name: 'foreign' }).expect(404);
    await system().delete('/system/secrets').send({ name: 'db-pass' }).expect(202);
    await system().delete('/system/secrets').send({ name: 'db-pass' }).expect(404);
    await system().get('/system/secrets').expect(200, []);
  });

  it('validates bodies and namespaces', async () => {
    const bad = await system().post('/system/functions').send({ service: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('image: is required');
    const badName = await system().post('/system/functions').send({ service: 'Bad_Name', image: 'x' });
    expect(badName.status).toBe(400);
    const badNs = await system().get('/system/functions?namespace=kube-system');
    expect(badNs.status).toBe(400);
    expect(badNs.body.message).toBe(`namespace must be: ${ns}`);
    await system().get('/system/namespaces').expect(200, [ns]);
    const info = await system().get('/system/info').expect(200);
    expect(info.body).toMatchObject({ provider: { provider: 'kfaas-kubernetes', orchestration: 'kubernetes' }, version: { release: '0.1.0' } });
    // A name Kubernetes would refuse for the Service (DNS-1035) is refused up front, naming the rule.
    const digitFirst = await system().post('/system/functions').send({ service: '1abc', image: 'x' });
    expect(digitFirst.status).toBe(400);
    expect(digitFirst.body.message).toMatch(/must start with a lower-case letter/);
  });
});

describe('informer recovery', () => {
  it('restarts its watches after the apiserver connection drops, and catches up', async () => {
    const server = new URL(kc.getCurrentCluster()!.server);
    const proxy = new CuttableProxy({ host: server.hostname, port: Number(server.port) });
    await proxy.listen();
    let gw: Running | undefined;
    try {
      gw = await startGateway(kubeConfigVia(kc, proxy.url));
      const running = gw;
      await waitFor(async () => (await request(running.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'gateway ready' });

      const before = 'before-cut';
      await createFunction(client, ns, { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name: before }, spec: { name: before, image: 'img:1' } });
      await waitFor(async () => (await request(running.url).get(`/system/function/${before}`).auth(USER, PASSWORD)).status === 200, {
        description: 'the Function created before the outage',
      });

      await proxy.cut();
      // Changes made while the gateway cannot see the apiserver.
      const name = 'during-cut';
      await createFunction(client, ns, { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name }, spec: { name, image: 'img:1' } });
      // Still serving from its cache meanwhile.
      await request(running.url).get(`/system/function/${before}`).auth(USER, PASSWORD).expect(200);
      await proxy.listen();

      await waitFor(async () => (await request(running.url).get(`/system/function/${name}`).auth(USER, PASSWORD)).status === 200, {
        timeoutMs: 20_000,
        description: 'the restarted informer to list the Function created during the outage',
      });
    } finally {
      await stopGateway(gw);
      await proxy.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('turns not-ready first, lets an in-flight call finish, then closes', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = await startHttpServer((_req, res) => {
      void released.then(() => res.end('done'));
    });
    const name = 'slowpoke';
    let gw: Running | undefined;
    try {
      gw = await startGateway(kc, { KFAAS_DRAIN_DELAY: '300ms', KFAAS_DRAIN_TIMEOUT: '10s' });
      const running = gw;
      await waitFor(async () => (await request(running.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'ready' });
      await request(running.url).post('/system/functions').auth(USER, PASSWORD).send({ service: name, image: 'x' }).expect(202);
      await createFqdnSlice(name, slow.port);
      await waitFor(() => running.provider.resolver.resolve(name, ns).then((r) => (r?.endpoints.length ?? 0) > 0), { description: 'endpoint' });

      const inflight = request(running.url).get(`/function/${name}`);
      const call = inflight.then((r) => r);
      await waitFor(() => running.gateway.metrics.registry.metrics().then((m) => m.includes(`gateway_function_invocation_inflight{function_name="${name}.${ns}"} 1`)), {
        description: 'call in flight',
      });
      const closing = running.gateway.close();
      await waitFor(async () => (await request(running.url).get('/readyz')).status === 503, { description: 'not ready while draining' });
      release();
      const res = await call;
      expect(res.status).toBe(200);
      expect(res.text).toBe('done');
      await closing;
      await expect(request(running.url).get('/healthz')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      release();
      await stopGateway(gw);
      await slow.close();
    }
  });
});

describe('namespace management (KFAAS_CLUSTER_WIDE, as functions.clusterWide sets it)', () => {
  let gw: Running;
  let other: Running | undefined;
  const created: string[] = [];
  const system = (r: Running = gw) => ({
    get: (path: string) => request(r.url).get(path).auth(USER, PASSWORD),
    send: (method: 'post' | 'put' | 'delete', path: string, body?: object) => request(r.url)[method](path).auth(USER, PASSWORD).send(body),
  });

  beforeAll(async () => {
    gw = await startGateway(kc, { KFAAS_CLUSTER_WIDE: 'true' });
    await waitFor(async () => (await request(gw.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'gateway ready' });
  });
  afterAll(async () => {
    await stopGateway(gw);
    await stopGateway(other);
    for (const name of created) await deleteNamespace(client, name);
  });

  it('creates a labelled namespace that takes deploys and calls at once, relabels it keeping the marker, and deletes it', async () => {
    const team = uniqueName('gw-team');
    created.push(team);
    // faas-cli `namespace create` posts to the collection with the name in the body.
    const create = await system().send('post', '/system/namespace/', { name: team, labels: { team: 'a' }, annotations: { owner: 'x' } });
    expect({ status: create.status, body: create.body }).toMatchObject({ status: 201, body: { name: team, labels: { team: 'a', openfaas: '1' }, annotations: { owner: 'x' } } });
    const real = await kc.makeApiClient(CoreV1Api).readNamespace({ name: team });
    expect(real.metadata?.labels).toMatchObject({ openfaas: '1', team: 'a' });
    expect((await system().get('/system/namespaces')).body).toEqual([ns, team]);
    expect((await system().send('post', '/system/namespace/', { name: team })).status).toBe(409);

    // Deploy, list and call in the new namespace with no restart (the endpoint is a test-made FQDN slice).
    await system().send('post', '/system/functions', { service: 'hello', namespace: team, image: 'ghcr.io/kfaas/echo:1', envProcess: 'cat' }).expect(202);
    expect((await system().get(`/system/functions?namespace=${team}`)).body.map((f: { name: string }) => f.name)).toEqual(['hello']);
    await createFqdnSlice('hello', fnServer.port, true, team);
    await waitFor(async () => (await request(gw.url).post(`/function/hello.${team}`).send('hi')).text === 'echo:hi', {
      timeoutMs: 10_000,
      description: 'a call to the function in the new namespace',
    });

    // faas-cli `namespace update`: the labels and annotations are replaced, the marker stays.
    const update = await system().send('put', `/system/namespace/${team}`, { name: team, labels: { team: 'b' }, annotations: {} });
    expect({ status: update.status, body: update.body }).toMatchObject({ status: 200, body: { name: team, labels: { team: 'b', openfaas: '1' }, annotations: {} } });
    expect((await system().get(`/system/namespace/${team}`)).body.labels).toMatchObject({ team: 'b', openfaas: '1' });

    expect((await system().send('delete', `/system/namespace/${team}`)).status).toBe(202);
    expect((await system().get('/system/namespaces')).body).toEqual([ns]);
    const gone = await request(gw.url).post(`/function/hello.${team}`).send('hi');
    expect({ status: gone.status, message: gone.body.message }).toEqual({ status: 400, message: `namespace must be: ${ns}` });
    // Really deleted: Terminating, or already gone.
    const phase = await kc.makeApiClient(CoreV1Api).readNamespace({ name: team }).then((n) => n.status?.phase, () => 'gone');
    expect(['Terminating', 'gone']).toContain(phase);
  });

  it('refuses to delete the configured namespace and unmarked ones, saying why; refuses kube-* names', async () => {
    const plain = uniqueName('gw-plain');
    created.push(plain);
    await createNamespace(client, plain);
    const configured = await system().send('delete', `/system/namespace/${ns}`);
    expect({ status: configured.status, message: configured.body.message }).toEqual({ status: 400, message: expect.stringMatching(new RegExp(`namespace ${ns} is configured`)) });
    const unmarked = await system().send('delete', `/system/namespace/${plain}`);
    expect({ status: unmarked.status, message: unmarked.body.message }).toEqual({ status: 400, message: expect.stringMatching(/is not a function namespace \(no openfaas=1 label or annotation\)/) });
    expect((await system().get(`/system/namespace/${plain}`)).status).toBe(404);
    expect((await system().send('put', `/system/namespace/${plain}`, { labels: { a: 'b' } })).status).toBe(404);
    expect((await system().send('post', '/system/namespace/', { name: 'kube-extra' })).status).toBe(400);
    // Neither refusal touched them.
    await kc.makeApiClient(CoreV1Api).readNamespace({ name: plain });
    expect((await kc.makeApiClient(CoreV1Api).readNamespace({ name: ns })).status?.phase).toBe('Active');
  });

  it('serves a namespace another client marks (annotation openfaas: "1"), in every gateway replica, without a restart', async () => {
    const marked = uniqueName('gw-marked');
    created.push(marked);
    await createNamespace(client, marked);
    other = await startGateway(kc, { KFAAS_CLUSTER_WIDE: 'true' });
    await waitFor(async () => (await request(other!.url).get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'second gateway ready' });
    expect((await system(other).get('/system/namespaces')).body).not.toContain(marked);
    await kc.makeApiClient(CoreV1Api).patchNamespace({ name: marked, body: [{ op: 'add', path: '/metadata/annotations', value: { openfaas: '1' } }] });
    for (const r of [gw, other]) {
      await waitFor(async () => ((await system(r).get('/system/namespaces')).body as string[]).includes(marked), {
        timeoutMs: 10_000,
        description: 'the annotated namespace to be served',
      });
    }
    expect((await system(other).get(`/system/functions?namespace=${marked}`)).status).toBe(200);
    // Deleted by another client: no longer served (a Terminating namespace is not a function namespace).
    await deleteNamespace(client, marked);
    await waitFor(async () => !((await system(other).get('/system/namespaces')).body as string[]).includes(marked), {
      timeoutMs: 10_000,
      description: 'the deleted namespace to be dropped',
    });
  });

  it('serves a marked namespace only once its caches sync, and one unmarked before that does not hold up readiness', async () => {
    // An identity that may watch namespaces everywhere but read Functions and EndpointSlices only in `ns` and
    // `ok`: its informers in `stuck` are refused (403) and retry, so that namespace can never sync.
    const user = uniqueName('gw-limited');
    const [ok, stuck] = [uniqueName('gw-ok'), uniqueName('gw-stuck')];
    created.push(ok, stuck);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [ok, stuck]) await core.createNamespace({ body: { metadata: { name, labels: { openfaas: '1' } } } });
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: user }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] }] } });
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user }, subjects: [{ kind: 'User', name: user }] },
    });
    for (const namespace of [ns, ok]) {
      await rbac.createNamespacedRole({
        namespace,
        body: {
          metadata: { name: user },
          rules: [
            { apiGroups: ['kfaas.dev'], resources: ['functions'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
          ],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: { metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: user }, subjects: [{ kind: 'User', name: user }] },
      });
    }
    const limited = impersonating(kc, user);
    await waitFor(() => limited.makeApiClient(CoreV1Api).listNamespace().then(() => true, () => false), {
      timeoutMs: 20_000,
      description: 'the test ClusterRoleBinding to take effect',
    });
    const provider = createKubernetesProvider({ kubeConfig: limited, namespaces: [ns], clusterWide: true, logger: silentLogger(), informerBackoff: { minMs: 50, maxMs: 200 } });
    let ready = false;
    const started = provider.ready().then(() => (ready = true));
    try {
      // `ok` is served once synced, which shows the gateway has listed both marked namespaces.
      await waitFor(() => provider.namespaceManager!.allowed().includes(ok), { timeoutMs: 20_000, description: 'the syncable marked namespace to be served' });
      expect(provider.namespaceManager!.allowed()).toEqual([ns, ok]);
      expect(ready).toBe(false);
      await core.patchNamespace({ name: stuck, body: [{ op: 'remove', path: '/metadata/labels/openfaas' }] });
      await waitFor(() => ready, { timeoutMs: 10_000, description: 'readiness once the namespace that cannot sync is unmarked' });
      await started;
      expect(provider.namespaceManager!.allowed()).toEqual([ns, ok]);
    } finally {
      await provider.close();
      await rbac.deleteClusterRoleBinding({ name: user });
      await rbac.deleteClusterRole({ name: user });
      // The Roles go with their namespaces at the end of the file.
    }
  });

  it('answers 501 naming functions.clusterWide when not cluster-wide', async () => {
    const plainGw = await startGateway(kc);
    try {
      const res = await system(plainGw).send('post', '/system/namespace/', { name: 'team-z' });
      expect(res.status).toBe(501);
      expect(res.body.message).toMatch(/functions\.clusterWide: true/);
    } finally {
      await stopGateway(plainGw);
    }
  });
});
