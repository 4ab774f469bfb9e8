import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import request from 'supertest';
import winston from 'winston';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createGatewayMetrics, type GatewayMetrics } from '../metrics/gateway-metrics.js';
import { MemoryProvider } from '../testing/memory-provider.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { serve } from '../testing/serve.js';

const logger = winston.createLogger({ silent: true });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  remotePort: number;
}

/** A scripted upstream that records what it saw and answers with `reply`. */
async function upstream(reply: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = defaultReply) {
  const seen: Seen[] = [];
  const served = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, remotePort: req.socket.remotePort ?? 0 });
      reply(req, res, body);
    });
  });
  return { ...served, seen };
}

function defaultReply(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  res.writeHead(201, { 'content-type': 'application/json', 'x-fn': 'yes' });
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ method: req.method, url: req.url, bytes: body.length }));
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A request with full control over method and body chunks (supertest cannot send every method or stall). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // A 413 closes the connection while we may still be writing: the response is what counts.
    req.on('error', (err) => reject(err));
    for (const c of options.chunks ?? []) req.write(c);
    req.end();
  });
}

function expectGatewayError(res: { status: number; headers: Record<string, unknown>; body: unknown }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['x-kfaas-error']).toBe('true');
  expect(res.headers['x-openfaas-internal']).toBe('gateway');
  expect(res.headers['x-call-id']).toEqual(expect.any(String));
  expect(res.body).toEqual({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
}

function makeGateway(env: Record<string, string> = {}) {
  const config = loadConfig({ basic_auth: 'false', KFAAS_ALLOWED_NAMESPACES: 'openfaas-fn,other', ...env });
  const provider = new MemoryProvider({ namespaces: config.allowedNamespaces });
  const metrics = createGatewayMetrics();
  const app = createApp({ config, provider, logger, metrics });
  return { config, provider, metrics, app };
}

describe('sync invocation proxy', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((c) => c()));
  });

  async function setup(env: Record<string, string> = {}, reply?: Parameters<typeof upstream>[0]) {
    const gw = makeGateway(env);
    const up = await upstream(reply);
    const served = await serve(gw.app);
    cleanup.push(up.close, served.close);
    gw.provider.put({ name: 'echo' }, 'openfaas-fn', [up.url]);
    return { ...gw, up, served, http: request(served.server) };
  }

  it('forwards method, sub-path, raw query and headers, and returns status, headers and body unchanged', async () => {
    const { up, http } = await setup();
    const res = await http
      .post('/function/echo/a/b%2Fc?x=1&y=%20&x=2')
      .set('content-type', 'text/plain')
      .set('x-custom', 'v1')
      .set('connection', 'keep-alive, x-hop')
      .set('x-hop', 'must-not-pass')
      .send('hello');
    expect(res.status).toBe(201);
    expect(res.headers['x-fn']).toBe('yes');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({ method: 'POST', url: '/a/b%2Fc?x=1&y=%20&x=2', bytes: 5 });

    const seen = up.seen[0]!;
    expect(seen.body.toString()).toBe('hello');
    expect(seen.headers['x-custom']).toBe('v1');
    expect(seen.headers['x-hop']).toBeUndefined();
    expect(seen.headers['x-call-id']).toMatch(UUID);
    expect(seen.headers['x-start-time']).toMatch(/^\d{19}$/);
    expect(seen.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
    expect(seen.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
    // Host is the upstream's own, not the gateway's.
    expect(seen.headers.host).toBe(`127.0.0.1:${up.port}`);

    expect(res.headers['x-call-id']).toBe(seen.headers['x-call-id']);
    expect(res.headers['x-start-time']).toBe(seen.headers['x-start-time']);
    expect(Number(res.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(res.headers['x-served-by']).toBe('kfaas/0.1.0');
    // X-Start-Time is Unix nanoseconds: within a minute of now.
    expect(Math.abs(Number(BigInt(res.headers['x-start-time'] as string) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
  });

  it.each([['/function/echo'], ['/function/echo/']])('%s reaches the function as /', async (path) => {
    const { up, http } = await setup();
    await http.get(path).expect(201);
    expect(up.seen[0]!.url).toBe('/');
  });

  it('routes fn.namespace to that namespace and refuses a namespace outside the allowed set', async () => {
    const { provider, up, http } = await setup();
    provider.put({ name: 'echo' }, 'other', [up.url]);
    await http.get('/function/echo.other/x').expect(201);
    expect(up.seen[0]!.url).toBe('/x');
    const res = await http.get('/function/echo.elsewhere');
    expectGatewayError(res, 400, 'INVALID_NAMESPACE');
    expect(res.body.message).toBe('namespace must be: openfaas-fn, other');
  });

  it('keeps a valid caller X-Call-Id and replaces an invalid one', async () => {
    const { up, http } = await setup();
    const kept = await http.get('/function/echo').set('x-call-id', 'caller-id.1:2');
    expect(kept.headers['x-call-id']).toBe('caller-id.1:2');
    expect(up.seen[0]!.headers['x-call-id']).toBe('caller-id.1:2');
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const res = await http.get('/function/echo').set('x-call-id', bad);
      expect(res.headers['x-call-id']).toMatch(UUID);
      expect(up.seen.at(-1)!.headers['x-call-id']).toBe(res.headers['x-call-id']);
    }
  });

  it('keeps caller-supplied X-Forwarded-For and X-Forwarded-Host', async () => {
    const { up, http } = await setup();
    await http.get('/function/echo').set('x-forwarded-for', '203.0.113.9').set('x-forwarded-host', 'example.com');
    expect(up.seen[0]!.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(up.seen[0]!.headers['x-forwarded-host']).toBe('example.com');
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'])('forwards %s', async (method) => {
    const { up, served } = await setup();
    const res = await raw(`${served.url}/function/echo/m`, { method });
    expect(res.status).toBe(201);
    expect(up.seen[0]!.method).toBe(method);
  });

  it.each(['TRACE', 'PROPFIND', 'PURGE'])('answers 405 to %s without calling the function', async (method) => {
    const { up, served } = await setup();
    const res = await raw(`${served.url}/function/echo`, { method });
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD');
    expect(JSON.parse(res.body.toString()).code).toBe('METHOD_NOT_ALLOWED');
    expect(up.seen).toHaveLength(0);
  });

  it('falls back to the request content type, then text/plain', async () => {
    const { http } = await setup({}, (_req, res) => res.end('plain'));
    const typed = await http.post('/function/echo').set('content-type', 'application/x-thing').send('x');
    expect(typed.headers['content-type']).toBe('application/x-thing');
    const untyped = await http.get('/function/echo');
    expect(untyped.headers['content-type']).toBe('text/plain');
  });

  it('passes multi-valued response headers through', async () => {
    const { http } = await setup({}, (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end();
    });
    const res = await http.get('/function/echo');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('reuses upstream connections (keep-alive)', async () => {
    const { up, http } = await setup();
    for (let i = 0; i < 10; i++) await http.get('/function/echo').expect(201);
    expect(new Set(up.seen.map((s) => s.remotePort)).size).toBe(1);
  });

  describe('idle upstream connections are closed by the gateway first', () => {
    /** Watches the upstream's connections: `ended` means the gateway sent FIN (the upstream's own close never does). */
    function watchConnections(server: import('node:http').Server) {
      const conns: Array<{ ended: boolean; closed: boolean }> = [];
      server.on('connection', (socket: import('node:net').Socket) => {
        const c = { ended: false, closed: false };
        conns.push(c);
        socket.on('end', () => (c.ended = true));
        socket.on('close', () => (c.closed = true));
      });
      return conns;
    }

    it("1 s before the function's announced Keep-Alive timeout, so no call is sent on a connection it is closing", async () => {
      const { up, http } = await setup();
      // Announces `Keep-Alive: timeout=2` and closes idle connections after 2 s, as Node does (5 s by default).
      up.server.keepAliveTimeout = 2_000;
      const conns = watchConnections(up.server);
      const sent = Date.now();
      await http.get('/function/echo').expect(201);
      expect(conns).toHaveLength(1);
      await waitFor(() => conns[0]!.ended, { timeoutMs: 1_900, intervalMs: 20, description: 'the gateway to close the idle connection' });
      expect(Date.now() - sent).toBeLessThan(2_000);
      // The next call opens a fresh connection instead of racing the function's close.
      await http.get('/function/echo').expect(201);
      expect(conns).toHaveLength(2);
    });

    it('after KFAAS_UPSTREAM_IDLE_TIMEOUT when the function announces none', async () => {
      const { up, http } = await setup({ KFAAS_UPSTREAM_IDLE_TIMEOUT: '300ms' });
      // keepAliveTimeout 0: no Keep-Alive header, and the function never closes an idle connection itself.
      up.server.keepAliveTimeout = 0;
      const conns = watchConnections(up.server);
      await http.get('/function/echo').expect(201);
      await waitFor(() => conns[0]?.ended, { timeoutMs: 2_000, intervalMs: 20, description: 'the gateway to close the idle connection' });
    });

    it('beyond max_idle_conns_per_host, as each call ends', async () => {
      const slow = (req: IncomingMessage, res: ServerResponse, body: Buffer) => setTimeout(() => defaultReply(req, res, body), 100);
      const limited = await setup({ max_idle_conns_per_host: '1' }, slow);
      const limitedConns = watchConnections(limited.up.server);
      const unlimited = await setup({}, slow);
      const unlimitedConns = watchConnections(unlimited.up.server);
      for (const { http } of [limited, unlimited]) {
        const calls = await Promise.all(Array.from({ length: 3 }, () => http.get('/function/echo')));
        expect(calls.map((c) => c.status)).toEqual([201, 201, 201]);
      }
      expect(limitedConns).toHaveLength(3);
      await waitFor(() => limitedConns.filter((c) => c.ended).length === 2, { timeoutMs: 2_000, intervalMs: 20, description: 'two of three idle connections closed' });
      // Both pools have settled; the default limit (1024) keeps all three.
      expect(limitedConns.filter((c) => c.ended)).toHaveLength(2);
      expect(unlimitedConns).toHaveLength(3);
      expect(unlimitedConns.filter((c) => c.ended)).toHaveLength(0);
      // The one kept is reused.
      await limited.http.get('/function/echo').expect(201);
      expect(limitedConns).toHaveLength(3);
    });

    it('keeps a connection open for a call longer than the idle timeout', async () => {
      const { up, http } = await setup({ KFAAS_UPSTREAM_IDLE_TIMEOUT: '100ms' }, (req, res, body) => {
        setTimeout(() => defaultReply(req, res, body), 400);
      });
      up.server.keepAliveTimeout = 0;
      const conns = watchConnections(up.server);
      await http.get('/function/echo').expect(201);
      expect(conns).toHaveLength(1);
    });
  });

  it('balances round-robin across ready endpoints', async () => {
    const { provider, up, http } = await setup();
    const second = await upstream();
    cleanup.push(second.close);
    provider.setEndpoints('echo', 'openfaas-fn', [up.url, second.url]);
    for (let i = 0; i < 6; i++) await http.get('/function/echo').expect(201);
    expect(up.seen).toHaveLength(3);
    expect(second.seen).toHaveLength(3);
  });

  describe('gateway-made errors', () => {
    it('404 for a name no function can have: empty, not DNS-1123, longer than 63 characters', async () => {
      const { up, http } = await setup();
      for (const path of ['/function/', '/function/.openfaas-fn', '/function/Echo', `/function/${'a'.repeat(64)}`, '/function/bad_name']) {
        expectGatewayError(await http.get(path), 404, 'FN_NOT_FOUND');
      }
      expect(up.seen).toHaveLength(0);
    });

    it('404 for an unknown function', async () => {
      const { http } = await setup();
      const res = await http.get('/function/missing');
      expectGatewayError(res, 404, 'FN_NOT_FOUND');
      expect(res.body.message).toBe('function missing.openfaas-fn not found');
    });

    it('503 with Retry-After for a known function without ready endpoints, once the wait for one is over', async () => {
      const { provider, http } = await setup({ KFAAS_SCALE_FROM_ZERO_TIMEOUT: '100ms' });
      provider.setEndpoints('echo', 'openfaas-fn', []);
      const res = await http.get('/function/echo');
      expectGatewayError(res, 503, 'NO_ENDPOINTS');
      expect(res.body.message).toBe('No endpoints available for: echo.openfaas-fn. (none became ready within 100 ms)');
      expect(res.headers['retry-after']).toBe('1');
      const { http: noWait, provider: other } = await setup({ KFAAS_SCALE_FROM_ZERO_TIMEOUT: '0' });
      other.setEndpoints('echo', 'openfaas-fn', []);
      expect((await noWait.get('/function/echo')).body.message).toBe('No endpoints available for: echo.openfaas-fn.');
    });

    it('scales a function at zero to max(1, scale.min) and waits for its first endpoint', async () => {
      const { provider, up, http } = await setup();
      provider.put({ name: 'idle', replicas: 0, labels: { 'com.openfaas.scale.min': '2' } }, 'openfaas-fn', []);
      // The "platform": once the gateway asks for replicas, an endpoint becomes ready a little later.
      const platform = (async () => {
        await waitFor(async () => (await provider.functions.get('idle', 'openfaas-fn'))!.replicas === 2, { timeoutMs: 5_000, description: 'the scale-up' });
        provider.setEndpoints('idle', 'openfaas-fn', [up.url]);
      })();
      const calls = await Promise.all(Array.from({ length: 20 }, () => http.post('/function/idle').send('x')));
      await platform;
      expect(calls.map((c) => c.status)).toEqual(Array(20).fill(201));
    });

    it('502 when the connection is refused', async () => {
      const { provider, http } = await setup();
      const gone = await serve((_req, res) => res.end());
      await gone.close();
      provider.setEndpoints('echo', 'openfaas-fn', [gone.url]);
      const res = await http.get('/function/echo');
      expectGatewayError(res, 502, 'UPSTREAM_UNREACHABLE');
      expect(res.body.message).toMatch(/ECONNREFUSED/);
    });

    it('502 when the function resets the connection before answering', async () => {
      const { http } = await setup({}, (req) => req.socket.destroy());
      expectGatewayError(await http.post('/function/echo').send('x'), 502, 'UPSTREAM_UNREACHABLE');
    });

    describe('a bodiless call cut off before any reply', () => {
      /** Answers the first call on each connection and drops the connection on any later one, unanswered. */
      function dropsReusedConnections(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
        const socket = req.socket as typeof req.socket & { calls?: number };
        socket.calls = (socket.calls ?? 0) + 1;
        if (socket.calls > 1) socket.destroy();
        else defaultReply(req, res, body);
      }

      it('is resent once on a new connection when it went out on a reused one', async () => {
        const { up, http } = await setup({}, dropsReusedConnections);
        await http.get('/function/echo').expect(201);
        // The gateway reuses the first connection; the function drops it, and the call is resent on a fresh one.
        await http.get('/function/echo').expect(201);
        expect(up.seen.map((s) => s.method)).toEqual(['GET', 'GET', 'GET']);
        expect(new Set(up.seen.map((s) => s.remotePort)).size).toBe(2);
      });

      it('is not resent when it went out on a new connection: the function may have run it', async () => {
        const { up, http } = await setup({}, (req) => req.socket.destroy());
        expectGatewayError(await http.get('/function/echo'), 502, 'UPSTREAM_UNREACHABLE');
        expect(up.seen).toHaveLength(1);
      });

      it('is not resent when it carries a body, even on a reused connection', async () => {
        const { up, http } = await setup({}, dropsReusedConnections);
        await http.post('/function/echo').send('x').expect(201);
        expectGatewayError(await http.post('/function/echo').send('x'), 502, 'UPSTREAM_UNREACHABLE');
        expect(up.seen).toHaveLength(2);
      });
    });

    it("504 after the function's own exec timeout plus the margin", async () => {
      const { provider, up, http } = await setup({ KFAAS_TIMEOUT_MARGIN: '100ms' }, () => {
        /* never answers */
      });
      provider.put({ name: 'slow', timeouts: { exec: '200ms' } }, 'openfaas-fn', [up.url]);
      const started = Date.now();
      const res = await http.get('/function/slow');
      const took = Date.now() - started;
      expectGatewayError(res, 504, 'UPSTREAM_TIMEOUT');
      expect(res.body.message).toBe('function slow.openfaas-fn did not complete within 300 ms');
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(2000);
    });

    it('caps a long exec timeout (and exec timeout 0) by the gateway maximum', async () => {
      const { provider, up, http } = await setup({ upstream_timeout: '250ms' }, () => {
        /* never answers */
      });
      provider.put({ name: 'long', timeouts: { exec: '1h' } }, 'openfaas-fn', [up.url]);
      provider.put({ name: 'unlimited', timeouts: { exec: '0' } }, 'openfaas-fn', [up.url]);
      for (const fn of ['long', 'unlimited']) {
        const res = await http.get(`/function/${fn}`);
        expectGatewayError(res, 504, 'UPSTREAM_TIMEOUT');
        expect(res.body.message).toMatch(/within 250 ms/);
      }
    });

    it('takes the deadline from an exec_timeout set as an environment variable', async () => {
      const { provider, up, http } = await setup({ KFAAS_TIMEOUT_MARGIN: '50ms' }, () => {
        /* never answers */
      });
      provider.put({ name: 'env-timeout', environment: { exec_timeout: '200ms' } }, 'openfaas-fn', [up.url]);
      const res = await http.get('/function/env-timeout');
      expectGatewayError(res, 504, 'UPSTREAM_TIMEOUT');
      expect(res.body.message).toMatch(/within 250 ms/);
    });

    it('lets a caller lower (never raise) the deadline with X-Timeout', async () => {
      const { provider, up, http } = await setup({ KFAAS_TIMEOUT_MARGIN: '50ms' }, () => {
        /* never answers */
      });
      provider.put({ name: 'slow', timeouts: { exec: '400ms' } }, 'openfaas-fn', [up.url]);
      const lowered = await http.get('/function/slow').set('x-timeout', '100ms');
      expectGatewayError(lowered, 504, 'UPSTREAM_TIMEOUT');
      expect(lowered.body.message).toMatch(/within 150 ms/);
      const raised = await http.get('/function/slow').set('x-timeout', '1h');
      expect(raised.body.message).toMatch(/within 450 ms/);
      const garbage = await http.get('/function/slow').set('x-timeout', 'soon');
      expect(garbage.body.message).toMatch(/within 450 ms/);
    });

    it('cuts a streamed reply that outlives the deadline', async () => {
      const { provider, up, served } = await setup({ KFAAS_TIMEOUT_MARGIN: '0s' }, (_req, res) => {
        res.writeHead(200);
        res.write('partial');
      });
      provider.put({ name: 'stream', timeouts: { exec: '200ms' } }, 'openfaas-fn', [up.url]);
      await expect(raw(`${served.url}/function/stream`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    });

    it('413 up front when Content-Length exceeds the sync limit, without calling the function', async () => {
      const { up, served } = await setup({ KFAAS_SYNC_BODY_LIMIT: '1Ki' });
      const res = await raw(`${served.url}/function/echo`, { method: 'POST', chunks: [Buffer.alloc(2048)] });
      expect(res.status).toBe(413);
      expect(res.headers['x-openfaas-internal']).toBe('gateway');
      expect(JSON.parse(res.body.toString())).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
      expect(up.seen).toHaveLength(0);
    });

    it('413 when a chunked body grows past the sync limit', async () => {
      const { up, served } = await setup({ KFAAS_SYNC_BODY_LIMIT: '1Ki' });
      const res = await raw(`${served.url}/function/echo`, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        chunks: [Buffer.alloc(600), Buffer.alloc(600)],
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body.toString()).code).toBe('PAYLOAD_TOO_LARGE');
      // The function never saw a complete body.
      expect(up.seen).toHaveLength(0);
    });

    it('a body exactly at the limit passes', async () => {
      const { up, http } = await setup({ KFAAS_SYNC_BODY_LIMIT: '1Ki' });
      await http.post('/function/echo').send(Buffer.alloc(1024)).expect(201);
      expect(up.seen[0]!.body).toHaveLength(1024);
    });
  });

  it('cuts the reply when the function dies mid-response', async () => {
    const { served } = await setup({}, (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setImmediate(() => res.socket?.destroy());
    });
    await expect(raw(`${served.url}/function/echo`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('aborts the upstream call when the client goes away', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const gw = makeGateway();
    const up = await serve((_req, res) => {
      res.writeHead(200);
      res.write('start');
      res.on('close', () => upstreamClosed());
    });
    const served = await serve(gw.app);
    cleanup.push(up.close, served.close);
    gw.provider.put({ name: 'echo' }, 'openfaas-fn', [up.url]);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${served.url}/function/echo`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await closed;
    const fragment = 'gateway_function_invocation_total{function_name="echo.openfaas-fn",code="499"} 1';
    await waitFor(async () => (await gw.metrics.registry.metrics()).includes(fragment), { timeoutMs: 5000, intervalMs: 20, description: 'the 499 metric' });
  });

  describe('streaming', () => {
    const SIZE = 20 * 1024 * 1024;

    it('streams a 20 MB request body and a 20 MB reply through, byte for byte', async () => {
      const { served } = await setup({}, (_req, res, body) => {
        res.writeHead(200, { 'x-sha': createHash('sha256').update(body).digest('hex') });
        res.end(body);
      });
      const payload = randomBytes(SIZE);
      const res = await raw(`${served.url}/function/echo`, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        chunks: Array.from({ length: 20 }, (_, i) => payload.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024)),
      });
      expect(res.status).toBe(200);
      const sha = createHash('sha256').update(payload).digest('hex');
      expect(res.headers['x-sha']).toBe(sha);
      expect(res.body.length).toBe(SIZE);
      expect(createHash('sha256').update(res.body).digest('hex')).toBe(sha);
    });

    it('delivers the first reply bytes before the function has finished (no response buffering)', async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const { served } = await setup({}, (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        // The rest only comes once the client proved it got the first event: a buffering proxy deadlocks here.
        void released.then(() => res.end('data: last\n\n'));
      });
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${served.url}/function/echo`, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.includes('first')) release();
          });
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
      expect(text).toBe('data: first\n\ndata: last\n\n');
    });

    it('delivers request bytes to the function before the client has finished sending (no request buffering)', async () => {
      let firstSeen!: () => void;
      const seenFirst = new Promise<void>((resolve) => (firstSeen = resolve));
      const reader = await serve((req, res) => {
        let total = 0;
        req.on('data', (c: Buffer) => {
          total += c.length;
          firstSeen();
        });
        req.on('end', () => res.end(String(total)));
      });
      const gw = makeGateway();
      gw.provider.put({ name: 'reader' }, 'openfaas-fn', [reader.url]);
      const served = await serve(gw.app);
      cleanup.push(reader.close, served.close);
      const result = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${served.url}/function/reader`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.write(Buffer.alloc(1024, 1));
        // The rest is sent only after the function saw the first chunk: a buffering proxy deadlocks here.
        void seenFirst.then(() => req.end(Buffer.alloc(1024, 2)));
      });
      expect(result).toBe('2048');
    });
  });

  it('counts invocations by function and status code in Prometheus', async () => {
    const { http, served } = await setup();
    await http.get('/function/echo').expect(201);
    await http.get('/function/echo').expect(201);
    await http.get('/function/missing').expect(404);
    const text = (await request(served.server).get('/metrics').expect(200)).text;
    expect(text).toContain('gateway_function_invocation_total{function_name="echo.openfaas-fn",code="201"} 2');
    expect(text).toMatch(/gateway_functions_seconds_count\{function_name="echo.openfaas-fn",code="201"\} 2/);
    expect(text).toContain('gateway_function_invocation_inflight{function_name="echo.openfaas-fn"} 0');
    // Unknown names are not counted: no label per arbitrary URL.
    expect(text).not.toContain('missing');
  });
});

