// Async invocation end to end on the embedded (SQLite) queue, as `kfaas up` runs it: a real gateway, the
// embedded queue and its source, a real worker, function servers and a callback receiver, all on 127.0.0.1.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { FunctionSpec } from '../../common/function-types.js';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createGateway } from '../../gateway/index.js';
import { MemoryProvider } from '../../gateway/testing/memory-provider.js';
import { createEmbeddedQueue, type EmbeddedQueue } from '../../queue/embedded/index.js';
import { loadConfig as loadWorkerConfig } from '../../worker/config.js';
import { createWorker, type Worker } from '../../worker/index.js';
import { silentLogger, startHttpServer, waitFor } from '../helpers/index.js';

const NS = 'openfaas-fn';
const logger = silentLogger();

interface Received {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A server on 127.0.0.1:0 recording requests and answering the n-th (1-based) with `script(n)`. */
async function recorder(script: (n: number, body: Buffer) => { status: number; body?: string | Buffer }) {
  const requests: Received[] = [];
  const server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ url: req.url ?? '', headers: req.headers, body });
      const reply = script(requests.length, body);
      res.writeHead(reply.status).end(reply.body ?? '');
    });
  });
  cleanups.push(() => server.close());
  const { url } = server;
  return { url, requests, forCall: (id: string) => requests.filter((r) => r.headers['x-call-id'] === id) };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Gateway + embedded queue (+ worker when asked) over `dataDir`, functions served at `fnUrl`. */
async function startStack(dataDir: string, fnUrl: string, spec: Partial<FunctionSpec> = {}, withWorker = true) {
  const queue: EmbeddedQueue = createEmbeddedQueue({ dataDir, logger });
  const provider = new MemoryProvider({ namespaces: [NS] });
  provider.put({ name: 'fn', timeouts: { exec: '5s' }, retry: { maxAttempts: 2, minBackoff: '50ms', maxBackoff: '100ms' }, ...spec }, NS, [fnUrl]);
  const gateway = createGateway(loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' }), {
    provider,
    logger,
    queue,
  });
  const { port } = await gateway.start();
  const url = `http://127.0.0.1:${port}`;
  let worker: Worker | undefined;
  if (withWorker) {
    worker = createWorker({ config: loadWorkerConfig({ KFAAS_GATEWAY_URL: url, KFAAS_CALLBACK_MIN_BACKOFF: '50ms' }), source: queue.source(), logger, serveMetrics: false });
    await worker.start();
  }
  const close = async () => {
    await worker?.close();
    await gateway.close();
    await queue.close();
  };
  cleanups.push(close);
  return { url, queue, close };
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-async-embedded-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function accept(url: string, body: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(url, { method: 'POST', body, headers });
  expect(res.status).toBe(202);
  return res.headers.get('x-call-id') ?? '';
}

describe('async invocation on the embedded queue', () => {
  it('runs a call, retries a 503, and calls back with the result', async () => {
    const fn = await recorder((n, body) => (n === 1 ? { status: 503 } : { status: 200, body: Buffer.concat([Buffer.from('got '), body]) }));
    const callbacks = await recorder(() => ({ status: 200 }));
    const stack = await startStack(tempDir(), fn.url);
    const callId = await accept(`${stack.url}/async-function/fn/sub?q=1`, 'hello', { 'x-callback-url': callbacks.url, 'x-custom': 'c' });
    const hook = await waitFor(() => callbacks.forCall(callId)[0], { timeoutMs: 20_000, description: 'callback' });
    expect(hook.body.toString()).toBe('got hello');
    expect(hook.headers).toMatchObject({ 'x-function-status': '200', 'x-attempts': '2', 'x-function-name': 'fn' });
    expect(fn.forCall(callId).map((r) => [r.url, r.headers['x-custom'], r.headers['x-kfaas-attempt']])).toEqual([
      ['/sub?q=1', 'c', '1'],
      ['/sub?q=1', 'c', '2'],
    ]);
  });

  it('dead-letters after the last attempt, readable through the queue', async () => {
    const fn = await recorder(() => ({ status: 500, body: 'boom' }));
    const callbacks = await recorder(() => ({ status: 200 }));
    const stack = await startStack(tempDir(), fn.url);
    const callId = await accept(`${stack.url}/async-function/fn`, 'x', { 'x-callback-url': callbacks.url });
    const letter = await waitFor(async () => (await stack.queue.list({ functionName: 'fn' })).find((l) => l.invocation?.callId === callId), {
      timeoutMs: 20_000,
      description: 'dead letter',
    });
    expect(letter).toMatchObject({ reason: 'max_attempts', attempts: 2, lastStatus: 500 });
    expect(callbacks.forCall(callId)[0]?.headers['x-kfaas-dead-letter']).toBe('max_attempts');
    expect(fn.forCall(callId)).toHaveLength(2);
  });

  it('keeps accepted calls across a restart and runs them once a worker starts', async () => {
    const fn = await recorder(() => ({ status: 200, body: 'ok' }));
    const callbacks = await recorder(() => ({ status: 200 }));
    const dir = tempDir();
    const first = await startStack(dir, fn.url, {}, false);
    const ids = [
      await accept(`${first.url}/async-function/fn`, 'a', { 'x-callback-url': callbacks.url }),
      await accept(`${first.url}/async-function/fn`, 'b', { 'x-callback-url': callbacks.url }),
    ];
    await first.close();
    expect(fn.requests).toHaveLength(0);

    await startStack(dir, fn.url);
    await waitFor(() => ids.every((id) => callbacks.forCall(id).length === 1), { timeoutMs: 20_000, description: 'both callbacks' });
    expect(ids.map((id) => fn.forCall(id).length)).toEqual([1, 1]);
  });
});
