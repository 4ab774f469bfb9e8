import http from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import winston from 'winston';
import { DEFAULT_POLICY } from '../../common/delivery-policy.js';
import { KfaasError } from '../../common/errors.js';
import type { CallStatus, CallStatusReader } from '../../common/call-status.js';
import type { Invocation } from '../../common/invocation.js';
import type { InvocationQueue } from '../../common/queue.js';
import { createCallIdMiddleware } from '../http/call-id.js';
import { createErrorHandler } from '../http/error-handler.js';
import type { FunctionResolver, ResolvedFunction } from '../ports.js';
import { serve, type Served } from '../testing/serve.js';
import { compileCallbackPolicy } from '../../common/callback-policy.js';
import { type AsyncInvokeDeps, createAsyncInvokeHandler } from './async-invoke.js';

const logger = winston.createLogger({ silent: true });
const NOW = 1_700_000_000_123;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An in-memory queue at the port: records calls, or fails on demand. */
class FakeQueue implements InvocationQueue {
  readonly calls: Invocation[] = [];
  mode: 'ok' | 'fail' | 'too-large' = 'ok';
  async enqueue(inv: Invocation): Promise<void> {
    if (this.mode === 'fail') throw new KfaasError('QUEUE_UNAVAILABLE', 'broker down');
    if (this.mode === 'too-large') throw new KfaasError('PAYLOAD_TOO_LARGE', 'record too large for the topic');
    this.calls.push(inv);
  }
  async close(): Promise<void> {}
}

const fnA: ResolvedFunction = {
  name: 'fn-a',
  namespace: 'openfaas-fn',
  endpoints: ['http://127.0.0.1:1'],
  policy: { ...DEFAULT_POLICY, maxAttempts: 7 },
};
const fnB: ResolvedFunction = { name: 'fn-b', namespace: 'team', endpoints: [], policy: DEFAULT_POLICY, queue: 'slow' };

const resolver: FunctionResolver = {
  async resolve(name, namespace) {
    return [fnA, fnB].find((f) => f.name === name && f.namespace === namespace);
  },
};

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

/** Serves the handler the way createApp mounts it, on 127.0.0.1 (supertest's own listen binds every interface). */
async function makeApp(overrides: Partial<AsyncInvokeDeps> & { queue?: FakeQueue } = {}, opts: { callIdMiddleware?: boolean } = {}) {
  const queue = overrides.queue ?? new FakeQueue();
  const accepted: string[] = [];
  const handler = createAsyncInvokeHandler({
    resolver,
    queue,
    defaultNamespace: 'openfaas-fn',
    allowedNamespaces: ['openfaas-fn', 'team'],
    bodyLimitBytes: 1024,
    logger,
    now: () => NOW,
    observers: [{ onAccepted: (fn) => accepted.push(fn) }],
    ...overrides,
  });
  const app = express();
  if (opts.callIdMiddleware) app.use(createCallIdMiddleware(logger));
  app.all('/async-function{/*rest}', handler);
  app.use(createErrorHandler(logger));
  const server = await serve(app);
  served.push(server);
  return { app: server.url, port: server.port, queue, accepted };
}

describe('POST /async-function/:name', () => {
  it('stores the call, then answers 202 with X-Call-Id and X-Start-Time and an empty body', async () => {
    const { app, queue, accepted } = await makeApp();
    const res = await request(app)
      .post('/async-function/fn-a')
      .set('Content-Type', 'text/plain')
      .set('X-Custom', 'yes')
      .set('X-Callback-Url', 'http://127.0.0.1:9999/cb?k=v')
      .set('X-Kfaas-Ordering-Key', 'order-7')
      .send('hello');
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    expect(res.headers['x-call-id']).toMatch(UUID);
    expect(res.headers['x-start-time']).toBe('1700000000123000000');
    expect(queue.calls).toHaveLength(1);
    const inv = queue.calls[0]!;
    expect(inv).toMatchObject({
      version: 1,
      callId: res.headers['x-call-id'],
      function: 'fn-a',
      namespace: 'openfaas-fn',
      method: 'POST',
      path: '/',
      rawQuery: '',
      callbackUrl: 'http://127.0.0.1:9999/cb?k=v',
      enqueuedAt: NOW,
      attempt: 0,
      policy: fnA.policy,
      orderingKey: 'order-7',
    });
    expect(inv.queue).toBeUndefined();
    expect(inv.body.toString()).toBe('hello');
    expect(inv.headers['x-custom']).toBe('yes');
    expect(inv.headers['content-type']).toBe('text/plain');
    expect(inv.headers['x-call-id']).toBe(inv.callId);
    expect(inv.headers['x-start-time']).toBe('1700000000123000000');
    expect(accepted).toEqual(['fn-a.openfaas-fn']);
  });

  it('stores a delayed call with its due time: X-Delay from now, X-Not-Before as given', async () => {
    const { app, queue } = await makeApp({ maxDelayMs: 3_600_000 });
    expect((await request(app).post('/async-function/fn-a').set('X-Delay', '90s').send('x')).status).toBe(202);
    expect((await request(app).post('/async-function/fn-a').set('X-Not-Before', new Date(NOW + 600_000).toISOString()).send('x')).status).toBe(202);
    expect(queue.calls.map((c) => [c.notBefore, c.delayedUntil])).toEqual([
      [NOW + 90_000, NOW + 90_000],
      [NOW + 600_000, NOW + 600_000],
    ]);
    const tooFar = await request(app).post('/async-function/fn-a').set('X-Delay', '2h').send('x');
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.message).toBe('X-Delay: a call may be delayed by at most 1h');
    expect(queue.calls).toHaveLength(2);
  });

  describe('Idempotency-Key', () => {
    /** Statuses that know every call the fake queue stored, as both real queues do. */
    const statusesOf = (queue: FakeQueue): CallStatusReader => ({
      get: async (id) => (queue.calls.some((c) => c.callId === id) ? ({ callId: id } as CallStatus) : undefined),
      waitForFinal: async () => undefined,
      backlog: async () => ({ functions: [], truncated: false }),
    });

    it('stores the first call only; a repeat gets its call id with X-Idempotent-Replay, another function its own call', async () => {
      const queue = new FakeQueue();
      const { app } = await makeApp({ queue, statuses: statusesOf(queue) });
      const first = await request(app).post('/async-function/fn-a').set('Idempotency-Key', '"order-42"').send('x');
      const again = await request(app).post('/async-function/fn-a').set('Idempotency-Key', 'order-42').send('x');
      const other = await request(app).post('/async-function/fn-b.team').set('Idempotency-Key', 'order-42').send('x');
      expect([first.status, again.status, other.status]).toEqual([202, 202, 202]);
      expect(first.headers['x-idempotent-replay']).toBeUndefined();
      expect(again.headers['x-idempotent-replay']).toBe('true');
      expect(again.headers['x-call-id']).toBe(first.headers['x-call-id']);
      expect(other.headers['x-call-id']).not.toBe(first.headers['x-call-id']);
      expect(queue.calls.map((c) => c.callId)).toEqual([first.headers['x-call-id'], other.headers['x-call-id']]);
    });

    it('stores racing repeats once', async () => {
      const queue = new FakeQueue();
      const { app } = await makeApp({ queue, statuses: statusesOf(queue) });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => request(app).post('/async-function/fn-a').set('Idempotency-Key', 'race').send('x')),
      );
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(answers.map((a) => a.headers['x-call-id'])).size).toBe(1);
      expect(queue.calls).toHaveLength(1);
      expect(answers.filter((a) => a.headers['x-idempotent-replay'] === 'true')).toHaveLength(4);
    });

    it.each([
      ['', 'Idempotency-Key: must be 1 to 255 visible ASCII characters'],
      ['x'.repeat(256), 'must be 1 to 255'],
      ['two words', 'visible ASCII'],
    ])('refuses the key %j with 400', async (key, message) => {
      const queue = new FakeQueue();
      const { app } = await makeApp({ queue, statuses: statusesOf(queue) });
      const res = await request(app).post('/async-function/fn-a').set('Idempotency-Key', key).send('x');
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(message);
      expect(queue.calls).toHaveLength(0);
    });

    it('answers 501 when the gateway tracks no call status', async () => {
      const { app, queue } = await makeApp();
      expect((await request(app).post('/async-function/fn-a').set('Idempotency-Key', 'k').send('x')).status).toBe(501);
      expect(queue.calls).toHaveLength(0);
    });
  });

  it('keeps a valid caller X-Call-Id and replaces an unsafe one', async () => {
    const { app, queue } = await makeApp();
    const kept = await request(app).post('/async-function/fn-a').set('X-Call-Id', 'abc-123.x').send('');
    expect(kept.headers['x-call-id']).toBe('abc-123.x');
    const replaced = await request(app).post('/async-function/fn-a').set('X-Call-Id', 'bad id\twith spaces').send('');
    expect(replaced.headers['x-call-id']).toMatch(UUID);
    expect(queue.calls.map((c) => c.callId)).toEqual(['abc-123.x', replaced.headers['x-call-id']]);
  });

  it('reuses the id the call-id middleware chose', async () => {
    const { app, queue } = await makeApp({}, { callIdMiddleware: true });
    const res = await request(app).post('/async-function/fn-a').send('x');
    expect(res.status).toBe(202);
    expect(queue.calls[0]!.callId).toBe(res.headers['x-call-id']);
  });

  it('carries sub-path and query undecoded, and resolves fn.namespace and dedicated queues', async () => {
    const { app, queue } = await makeApp();
    await request(app).post('/async-function/fn-b.team/a/b%2Fc/?x=1&y=%20z&x=2').send('');
    await request(app).post('/async-function/fn-a/').send('');
    expect(queue.calls.map((c) => [c.function, c.namespace, c.path, c.rawQuery, c.queue])).toEqual([
      ['fn-b', 'team', '/a/b%2Fc/', 'x=1&y=%20z&x=2', 'slow'],
      ['fn-a', 'openfaas-fn', '/', '', undefined],
    ]);
  });

  it('keeps a binary body byte for byte', async () => {
    const { app, queue } = await makeApp();
    const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));
    const res = await request(app).post('/async-function/fn-a').set('Content-Type', 'application/octet-stream').send(bytes);
    expect(res.status).toBe(202);
    expect(Buffer.compare(queue.calls[0]!.body, bytes)).toBe(0);
  });

  it('drops hop-by-hop headers, including those named by Connection, and keeps repeated ones', async () => {
    const { port, queue } = await makeApp();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/async-function/fn-a',
          headers: { Connection: 'keep-alive, x-secret-hop', 'X-Secret-Hop': '1', 'Keep-Alive': 'timeout=5', 'Set-Thing': ['a', 'b'], 'X-Keep': 'k' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('x');
    });
    expect(status).toBe(202);
    const headers = queue.calls[0]!.headers;
    expect(headers['x-keep']).toBe('k');
    expect(headers['connection']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers['x-secret-hop']).toBeUndefined();
    expect(headers['set-thing']).toBe('a, b');
  });

  it.each(['get', 'put', 'delete', 'patch'] as const)('%s answers 405 with Allow: POST', async (method) => {
    const { app, queue } = await makeApp();
    const res = await request(app)[method]('/async-function/fn-a');
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('POST');
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
    expect(queue.calls).toHaveLength(0);
  });

  it.each([
    ['', 'FN_NOT_FOUND', 404],
    ['.openfaas-fn', 'FN_NOT_FOUND', 404],
    ['Bad_Name', 'FN_NOT_FOUND', 404],
    ['fn-a.Bad_NS', 'INVALID_NAMESPACE', 400],
    ['fn-a.other', 'INVALID_NAMESPACE', 400],
    ['nope', 'FN_NOT_FOUND', 404],
    ['fn-b', 'FN_NOT_FOUND', 404],
  ])('%s -> %s', async (segment, code, status) => {
    const { app, queue } = await makeApp();
    const res = await request(app).post(`/async-function/${segment}`).send('x');
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.headers['x-call-id']).toBeUndefined();
    expect(queue.calls).toHaveLength(0);
  });

  it.each([
    ['not a url', 'is not an absolute URL'],
    ['/relative/path', 'is not an absolute URL'],
    ['ftp://example.com/x', 'must use http or https'],
    ['javascript:alert(1)', 'must use http or https'],
  ])('refuses X-Callback-Url %p with 400 naming the header', async (url, problem) => {
    const { app, queue } = await makeApp();
    const res = await request(app).post('/async-function/fn-a').set('X-Callback-Url', url).send('x');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_CALLBACK_URL');
    expect(res.body.message).toContain('X-Callback-Url');
    expect(res.body.message).toContain(problem);
    expect(queue.calls).toHaveLength(0);
  });

  it.each([
    ['http://hooks.example.com/x', 202],
    ['https://a.b.example.com/x', 202],
    ['http://example.com/x', 403],
    ['http://ci.internal:8080/x', 202],
    ['http://evil.internal.attacker.io/x', 403],
    ['http://198.18.2.3/x', 202],
    ['http://198.20.2.3/x', 403],
    ['http://[fd00::5]:81/x', 202],
    ['http://[fe80::1]/x', 403],
    ['http://203.0.113.7/x', 202],
  ])('with an allowlist, callback %s -> %i', async (url, status) => {
    const { app, queue } = await makeApp({
      callbackPolicy: compileCallbackPolicy({
        allowlist: ['*.example.com', 'ci.internal', '198.18.0.0/15', 'fd00::/8', '203.0.113.7'],
        kubernetesApiAddresses: [],
      }),
    });
    const res = await request(app).post('/async-function/fn-a').set('X-Callback-Url', url).send('x');
    expect(res.status).toBe(status);
    if (status === 403) expect(res.body.code).toBe('CALLBACK_NOT_ALLOWED');
    expect(queue.calls).toHaveLength(status === 202 ? 1 : 0);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'X-Callback-Url refused: 169.254.169.254 is link-local (169.254.0.0/16, fe80::/10), refused unless KFAAS_CALLBACK_ALLOWLIST lists it'],
    ['https://kubernetes.default.svc/api/v1/secrets', 'X-Callback-Url refused: kubernetes.default.svc is the Kubernetes API'],
    ['http://198.18.0.1/api', 'X-Callback-Url refused: 198.18.0.1 is the Kubernetes API (kubernetes.default.svc, 198.18.0.1)'],
  ])('by default refuses callback %s with 403 naming the rule', async (url, message) => {
    const { app, queue } = await makeApp({ callbackPolicy: compileCallbackPolicy({ allowlist: [], kubernetesApiAddresses: ['198.18.0.1'] }) });
    const res = await request(app).post('/async-function/fn-a').set('X-Callback-Url', url).send('x');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('CALLBACK_NOT_ALLOWED');
    expect(res.body.message).toContain(message);
    expect(queue.calls).toHaveLength(0);
  });

  it('answers 413 naming the limit when Content-Length is over it, before reading', async () => {
    const { app, queue } = await makeApp();
    const res = await request(app).post('/async-function/fn-a').send(Buffer.alloc(1025));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.body.message).toContain('1024 bytes');
    expect(queue.calls).toHaveLength(0);
  });

  it('accepts a body of exactly the limit', async () => {
    const { app, queue } = await makeApp();
    const res = await request(app).post('/async-function/fn-a').send(Buffer.alloc(1024, 1));
    expect(res.status).toBe(202);
    expect(queue.calls[0]!.body.length).toBe(1024);
  });

  it('answers 413 for a chunked body that streams past the limit', async () => {
    const { port, queue } = await makeApp();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/async-function/fn-a' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // No Content-Length: Node sends chunked, so only counting streamed bytes can catch it.
      req.write(Buffer.alloc(600));
      req.write(Buffer.alloc(600));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(queue.calls).toHaveLength(0);
  });

  it('answers 503 QUEUE_UNAVAILABLE with Retry-After when the write fails, never 202', async () => {
    const { app, queue, accepted } = await makeApp({ retryAfterSeconds: 7 });
    queue.mode = 'fail';
    const res = await request(app).post('/async-function/fn-a').send('x');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('QUEUE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['x-kfaas-error']).toBe('true');
    expect(accepted).toEqual([]);
  });

  it('passes a non-retriable queue refusal through', async () => {
    const { app, queue } = await makeApp();
    queue.mode = 'too-large';
    const res = await request(app).post('/async-function/fn-a').send('x');
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
