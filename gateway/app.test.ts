import type { Invocation } from '../common/invocation.js';
import type { InvocationQueue } from '../common/queue.js';
import request from 'supertest';
import winston from 'winston';
import { createApp, type AppDeps } from './app.js';
import { loadConfig } from './config.js';
import { Lifecycle } from './http/health.js';
import { createGatewayMetrics } from './metrics/gateway-metrics.js';
import { MemoryProvider } from './testing/memory-provider.js';
import { serve, type Served } from './testing/serve.js';

const logger = winston.createLogger({ silent: true });
const USER = 'admin';
const PASSWORD = 's3cret';

describe('gateway app', () => {
  const open: Served[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function setup(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}) {
    const config = loadConfig({ KFAAS_ALLOWED_NAMESPACES: 'openfaas-fn,other', KFAAS_SYSTEM_BODY_LIMIT: '4Ki', ...env });
    const provider = new MemoryProvider({ namespaces: config.allowedNamespaces });
    const metrics = createGatewayMetrics();
    const app = createApp({
      config,
      provider,
      logger,
      metrics,
      ...(config.auth.enabled ? { credentials: { user: USER, password: PASSWORD } } : {}),
      ...extra,
    });
    const served = await serve(app);
    open.push(served);
    const http = request(served.server);
    const sys = {
      get: (p: string) => http.get(p).auth(USER, PASSWORD),
      post: (p: string) => http.post(p).auth(USER, PASSWORD),
      put: (p: string) => http.put(p).auth(USER, PASSWORD),
      delete: (p: string) => http.delete(p).auth(USER, PASSWORD),
    };
    return { config, provider, metrics, http, sys, served };
  }

  describe('basic auth', () => {
    it('guards /system with a 401 and WWW-Authenticate', async () => {
      const { http, sys } = await setup();
      const none = await http.get('/system/functions');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="Restricted"');
      expect(none.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED', message: 'invalid credentials' });
      await http.get('/system/functions').auth(USER, 'wrong').expect(401);
      await http.get('/system/functions').auth('someone', PASSWORD).expect(401);
      await http.get('/system/functions').set('authorization', 'Bearer abc').expect(401);
      await sys.get('/system/functions').expect(200, []);
    });

    it('leaves invocations, health and metrics public unless KFAAS_INVOKE_AUTH is on', async () => {
      const open = await setup();
      await open.http.get('/function/missing').expect(404);
      await open.http.get('/healthz').expect(200);
      await open.http.get('/metrics').expect(200);

      const closed = await setup({ KFAAS_INVOKE_AUTH: 'true' });
      await closed.http.get('/function/missing').expect(401);
      await closed.http.post('/async-function/missing').expect(401);
      await closed.http.get('/function/missing').auth(USER, PASSWORD).expect(404);
      await closed.http.get('/healthz').expect(200);
    });

    it('refuses to build without credentials when auth is on', () => {
      const config = loadConfig({});
      expect(() => createApp({ config, provider: new MemoryProvider(), logger })).toThrow(/needs credentials/);
    });
  });

  describe('/system/functions', () => {
    const deployment = {
      service: 'hello',
      image: 'ghcr.io/acme/hello:1',
      envProcess: 'node index.js',
      envVars: { GREETING: 'hi', exec_timeout: '10s' },
      labels: { team: 'a' },
    };

    it('deploys (202), lists in the OpenFaaS shape, and refuses a duplicate (409)', async () => {
      const { sys } = await setup();
      const created = await sys.post('/system/functions').send(deployment);
      expect(created.status).toBe(202);
      expect(created.text).toBe('');
      expect(created.headers['x-call-id']).toEqual(expect.any(String));
      const list = await sys.get('/system/functions').expect(200);
      expect(list.body).toEqual([
        {
          name: 'hello',
          namespace: 'openfaas-fn',
          image: 'ghcr.io/acme/hello:1',
          envProcess: 'node index.js',
          envVars: { GREETING: 'hi' },
          labels: { team: 'a', faas_function: 'hello' },
          annotations: {},
          invocationCount: 0,
          replicas: 1,
          availableReplicas: 0,
        },
      ]);
      const dup = await sys.post('/system/functions').send(deployment);
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('CONFLICT');
      // Other namespaces are separate.
      await sys.get('/system/functions?namespace=other').expect(200, []);
      await sys.post('/system/functions').send({ ...deployment, namespace: 'other' }).expect(202);
      expect((await sys.get('/system/functions?namespace=other')).body).toHaveLength(1);
    });

    it('gets one function (same shape) or 404', async () => {
      const { sys } = await setup();
      await sys.post('/system/functions').send(deployment).expect(202);
      const one = await sys.get('/system/function/hello').expect(200);
      expect(one.body).toMatchObject({ name: 'hello', namespace: 'openfaas-fn', labels: { faas_function: 'hello' } });
      const missing = await sys.get('/system/function/nope');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('FN_NOT_FOUND');
      await sys.get('/system/function/Bad_Name').expect(400);
      await sys.get('/system/function/hello?namespace=other').expect(404);
    });

    it('updates (202) or answers 404 for a missing function, so faas-cli can fall back to POST', async () => {
      const { sys, provider } = await setup();
      await sys.put('/system/functions').send(deployment).expect(404);
      await sys.post('/system/functions').send(deployment).expect(202);
      await sys.post('/system/scale-function/hello').send({ replicas: 4 }).expect(202);
      await sys.put('/system/functions').send({ ...deployment, image: 'ghcr.io/acme/hello:2' }).expect(202);
      const status = (await provider.functions.get('hello', 'openfaas-fn'))!;
      expect(status).toMatchObject({ image: 'ghcr.io/acme/hello:2', replicas: 4 });
    });

    it('deletes by body or ?namespace=, with 404 when missing', async () => {
      const { sys } = await setup();
      await sys.post('/system/functions').send(deployment).expect(202);
      await sys.post('/system/functions').send({ ...deployment, namespace: 'other' }).expect(202);
      await sys.delete('/system/functions').send({ functionName: 'hello' }).expect(202);
      await sys.get('/system/function/hello').expect(404);
      await sys.delete('/system/functions?namespace=other').send({ functionName: 'hello' }).expect(202);
      await sys.get('/system/function/hello?namespace=other').expect(404);
      await sys.delete('/system/functions').send({ functionName: 'hello' }).expect(404);
      const bad = await sys.delete('/system/functions').send({ name: 'hello' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('functionName: is required');
    });

    it.each([
      ['{"service": ', /^request body is not valid JSON/],
      [JSON.stringify({ image: 'x' }), /^service: is required$/],
      [JSON.stringify({ service: 'x' }), /^image: is required$/],
      [JSON.stringify({ service: 'x', image: 'i', envVars: { A: 1 } }), /^envVars\.A: must be string$/],
      [JSON.stringify({ service: 'x', image: 'i', labels: ['a'] }), /^labels: must be object$/],
      [JSON.stringify({ service: 'x', image: 'i', readOnlyRootFilesystem: 'yes' }), /^readOnlyRootFilesystem: must be boolean$/],
      [JSON.stringify({ service: 'x', image: 'i', limits: { gpu: '1' } }), /^limits: must NOT have additional properties$/],
      [JSON.stringify({ service: 'x', image: 'i', limits: { memory: 'lots' } }), /^limits\.memory: "lots" is not a Kubernetes quantity/],
      [JSON.stringify({ service: 'x', image: 'i', envVars: { exec_timeout: '1.5' } }), /^envVars\.exec_timeout: invalid duration "1.5"/],
      [JSON.stringify({ service: 'x', image: 'i', constraints: ['no-equals'] }), /^constraints: "no-equals" must look like "key=value"/],
      [JSON.stringify({ service: 'x', image: 'i', annotations: { 'com.openfaas.retry.attempts': 'many' } }), /com\.openfaas\.retry\.attempts: must be a whole number/],
      [JSON.stringify({ service: 'Hello', image: 'i' }), /^service: must be a DNS-1123 label/],
      [JSON.stringify({ service: 'x', image: 'i', namespace: 'elsewhere' }), /^namespace must be: openfaas-fn, other$/],
      [JSON.stringify({ service: 'x', image: 'i', namespace: 'kube-system' }), /^namespace must be: openfaas-fn, other$/],
      ['[1,2]', /^request body must be object$/],
      // An empty body parses as {}: the first missing field is named.
      ['', /^service: is required$/],
    ])('400 for %s', async (body, message) => {
      const { sys } = await setup();
      const res = await sys.post('/system/functions').set('content-type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['x-openfaas-internal']).toBe('gateway');
      expect(res.body.message).toMatch(message);
    });

    it('accepts nulls for optional fields, as Go clients send them', async () => {
      const { sys } = await setup();
      await sys.post('/system/functions').send({ service: 'nully', image: 'i', labels: null, envVars: null, limits: null }).expect(202);
    });

    it('413 for a body over the /system limit', async () => {
      const { sys } = await setup();
      const res = await sys.post('/system/functions').send({ service: 'x', image: 'i', envVars: { BIG: 'x'.repeat(5000) } });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('405 with Allow for other methods, 404 JSON for unknown routes', async () => {
      const { sys, http } = await setup();
      const res = await sys.get('/system/functions').set('x', 'y');
      expect(res.status).toBe(200);
      const patch = await http.patch('/system/functions').auth(USER, PASSWORD);
      expect(patch.status).toBe(405);
      expect(patch.headers['allow']).toBe('GET, HEAD, POST, PUT, DELETE');
      const unknown = await http.get('/nowhere');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    });
  });

  describe('/system/scale-function', () => {
    it('scales (202), validates, and 404s a missing function', async () => {
      const { sys, provider } = await setup();
      await sys.post('/system/functions').send({ service: 'sc', image: 'i' }).expect(202);
      await sys.post('/system/scale-function/sc').send({ serviceName: 'sc', replicas: 0, namespace: 'openfaas-fn' }).expect(202);
      expect((await provider.functions.get('sc', 'openfaas-fn'))!.replicas).toBe(0);
      const negative = await sys.post('/system/scale-function/sc').send({ replicas: -1 });
      expect(negative.status).toBe(400);
      expect(negative.body.message).toBe('replicas: must be >= 0');
      const fractional = await sys.post('/system/scale-function/sc').send({ replicas: 1.5 });
      expect(fractional.body.message).toBe('replicas: must be integer');
      const mismatch = await sys.post('/system/scale-function/sc').send({ serviceName: 'other', replicas: 1 });
      expect(mismatch.status).toBe(400);
      await sys.post('/system/scale-function/missing').send({ replicas: 1 }).expect(404);
    });

    it('keeps a function whose scale.min equals scale.max at that count (409 for any other)', async () => {
      const { sys, provider } = await setup();
      const labels = { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '2' };
      await sys.post('/system/functions').send({ service: 'pinned', image: 'i', labels }).expect(202);
      const refused = await sys.post('/system/scale-function/pinned').send({ replicas: 0 });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe('pinned.openfaas-fn is pinned at 2 replicas (com.openfaas.scale.min = com.openfaas.scale.max): scaling is disabled');
      await sys.post('/system/scale-function/pinned').send({ replicas: 2 }).expect(202);
      expect((await provider.functions.get('pinned', 'openfaas-fn'))!.replicas).toBe(2);
    });
  });

  describe('info, namespaces, secrets, logs', () => {
    it('answers /system/info and /system/namespaces in the OpenFaaS shape', async () => {
      const { sys } = await setup();
      const info = await sys.get('/system/info').expect(200);
      expect(info.body).toEqual({
        provider: { provider: 'memory', orchestration: 'none', version: { release: '0.1.0', sha: 'unknown' } },
        version: { release: '0.1.0', sha: 'unknown' },
        arch: process.arch,
      });
      await sys.get('/system/namespaces').expect(200, ['openfaas-fn', 'other']);
    });

    // faas-cli namespace get/create/update/delete.
    it('describes a function namespace, 404s others, and answers 501 naming the setting to namespace writes', async () => {
      const { sys } = await setup();
      await sys.get('/system/namespace/openfaas-fn').expect(200, { name: 'openfaas-fn', labels: {}, annotations: {} });
      const missing = await sys.get('/system/namespace/kube-public');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('namespace "kube-public" is not a function namespace');
      for (const [method, path] of [['post', '/system/namespace/'], ['post', '/system/namespace'], ['put', '/system/namespace/other'], ['delete', '/system/namespace/other']] as const) {
        const res = await sys[method](path).send({ name: 'team-a', labels: {}, annotations: {} });
        expect(res.status).toBe(501);
        expect(res.body.message).toMatch(/KFAAS_ALLOWED_NAMESPACES \(Helm: functions.namespace and functions.extraNamespaces\); a Kubernetes install with functions\.clusterWide: true manages/);
      }
    });

    it('answers 501 for secrets and logs when the provider has none', async () => {
      const { sys } = await setup();
      const secrets = await sys.get('/system/secrets');
      expect(secrets.status).toBe(501);
      expect(secrets.body.code).toBe('NOT_IMPLEMENTED');
      await sys.get('/system/logs?name=x').expect(501);
    });
  });

  describe('invocationCount', () => {
    it('comes from the gateway metrics counter', async () => {
      const { sys, http, provider } = await setup();
      const fn = await serve((_req, res) => res.end('ok'));
      open.push(fn);
      await sys.post('/system/functions').send({ service: 'counted', image: 'i' }).expect(202);
      provider.setEndpoints('counted', 'openfaas-fn', [fn.url]);
      for (let i = 0; i < 3; i++) await http.get('/function/counted').expect(200);
      expect((await sys.get('/system/function/counted')).body.invocationCount).toBe(3);
      expect((await sys.get('/system/functions')).body[0].invocationCount).toBe(3);
    });
  });

  describe('probes', () => {
    it('/readyz is 503 until the provider is ready and while draining; /healthz is always 200', async () => {
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      const config = loadConfig({ basic_auth: 'false' });
      const lifecycle = new Lifecycle();
      const provider = new MemoryProvider({ ready });
      void provider.ready().then(() => lifecycle.markReady());
      const served = await serve(createApp({ config, provider, logger, lifecycle }));
      open.push(served);
      const http = request(served.server);
      await http.get('/readyz').expect(503);
      await http.get('/healthz').expect(200, 'OK');
      await http.get('/livez').expect(200);
      markReady();
      await ready;
      await http.get('/readyz').expect(200, 'OK');
      lifecycle.startDraining();
      await http.get('/readyz').expect(503, 'draining');
      await http.get('/healthz').expect(200);
    });
  });

  describe('/async-function', () => {
    it('answers 501 when no queue is wired', async () => {
      const { http } = await setup({ basic_auth: 'false' });
      const res = await http.post('/async-function/anything').send('x');
      expect(res.status).toBe(501);
      expect(res.body.code).toBe('NOT_IMPLEMENTED');
    });

    it('mounts the async handler on both route forms when a queue is given', async () => {
      const stored: Invocation[] = [];
      const queue: InvocationQueue = {
        enqueue: async (inv) => {
          stored.push(inv);
        },
        close: async () => {},
      };
      const { http, provider } = await setup({ basic_auth: 'false' }, { queue });
      provider.put({ name: 'later' });
      const res = await http.post('/async-function/later/sub/path?x=1').set('x-callback-url', 'http://cb.example.com/hook').send('payload');
      expect(res.status).toBe(202);
      await http.post('/async-function/later').send('two').expect(202);
      expect(stored.map((s) => [s.function, s.path, s.rawQuery, s.body.toString()])).toEqual([
        ['later', '/sub/path', 'x=1', 'payload'],
        ['later', '/', '', 'two'],
      ]);
      expect(res.headers['x-call-id']).toBe(stored[0]!.callId);
      await http.get('/async-function/later').expect(405);
      await http.post('/async-function/unknown').send('x').expect(404);
    });

    it('takes /async-function as a whole segment: the bare prefix reaches the handler, a longer word does not', async () => {
      const queue: InvocationQueue = { enqueue: async () => {}, close: async () => {} };
      const { http } = await setup({ basic_auth: 'false' }, { queue });
      const bare = await http.get('/async-function').expect(405);
      expect(bare.headers['allow']).toBe('POST');
      expect((await http.post('/async-function?x=1').send('x').expect(404)).body.code).toBe('FN_NOT_FOUND');
      expect((await http.post('/async-functions/later').send('x').expect(404)).body.code).toBe('NOT_FOUND');
    });
  });
});
