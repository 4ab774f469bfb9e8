// The async call lifecycle through the HTTP API, as `kfaas up` serves it: a real gateway, the embedded queue,
// a real worker and a scripted function server on 127.0.0.1. Status with ?wait, result, cancel, idempotency,
// a delayed call and a redrive, all as a client sees them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createGateway } from '../../gateway/index.js';
import { MemoryProvider } from '../../gateway/testing/memory-provider.js';
import { createEmbeddedQueue } from '../../queue/embedded/index.js';
import { createRedriver } from '../../queue/shared/redrive.js';
import { loadConfig as loadWorkerConfig } from '../../worker/config.js';
import { createWorker } from '../../worker/index.js';
import { silentLogger, startHttpServer, waitFor } from '../helpers/index.js';

const NS = 'kfaas-fn';
const logger = silentLogger();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A function answering by request body: `fail` → 422, `slow` → 200 after 1.5 s, else 200 `got <body>`. */
async function functionServer() {
  const seen: string[] = [];
  const server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(String(req.headers['x-call-id']));
      if (body === 'fail') res.writeHead(422, { 'content-type': 'text/plain' }).end('unprocessable');
      else if (body === 'slow') setTimeout(() => res.writeHead(200).end('slow done'), 1_500);
      else res.writeHead(200, { 'content-type': 'text/plain', 'x-fn': 'yes' }).end(`got ${body}`);
    });
  });
  cleanups.push(() => server.close());
  return { url: server.url, seen };
}

async function startStack(fnUrl: string, withWorker = true) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-call-http-'));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const queue = createEmbeddedQueue({ dataDir, logger });
  const provider = new MemoryProvider({ namespaces: [NS] });
  provider.put({ name: 'fn', timeouts: { exec: '5s' }, retry: { maxAttempts: 1 } }, NS, [fnUrl]);
  const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' });
  const gateway = createGateway(config, {
    provider,
    logger,
    queue,
    deadLetters: queue,
    callStatus: queue,
    callCanceller: queue,
    redriver: createRedriver({ deadLetters: queue, queue, statuses: queue }),
  });
  const { port } = await gateway.start();
  const url = `http://127.0.0.1:${port}`;
  const startWorker = async () => {
    const worker = createWorker({ config: loadWorkerConfig({ KFAAS_GATEWAY_URL: url }), source: queue.source({ pollIntervalMs: 100 }), logger, serveMetrics: false });
    await worker.start();
    cleanups.push(() => worker.close());
  };
  if (withWorker) await startWorker();
  cleanups.push(async () => {
    await gateway.close();
    await queue.close();
  });
  return { url, startWorker };
}

async function accept(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${url}/async-function/fn`, { method: 'POST', body, headers });
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${await res.text()}`);
  return res;
}

const json = async (res: Response): Promise<Record<string, unknown>> => (await res.json()) as Record<string, unknown>;

describe('async call lifecycle over HTTP (embedded queue)', () => {
  it('waits for a call with ?wait, then serves its result; a failure is "failed" with its 4xx answer', async () => {
    const fn = await functionServer();
    const { url } = await startStack(fn.url);
    const id = (await accept(url, 'hello')).headers.get('x-call-id');
    const done = await json(await fetch(`${url}/async-calls/${id}?wait=20s`));
    expect(done).toMatchObject({ callId: id, function: 'fn', namespace: NS, state: 'succeeded', attempts: 1, lastStatus: 200 });
    expect(done['result']).toEqual({ status: 200, bytes: 9, truncated: false });
    const result = await fetch(`${url}/async-calls/${id}/result`);
    expect(result.status).toBe(200);
    expect(await result.text()).toBe('got hello');
    expect(result.headers.get('x-result-status')).toBe('200');
    expect(result.headers.get('x-fn')).toBe('yes');

    const failedId = (await accept(url, 'fail')).headers.get('x-call-id');
    const failed = await json(await fetch(`${url}/async-calls/${failedId}?wait=20s`));
    expect(failed).toMatchObject({ state: 'failed', reason: 'not_retriable', lastStatus: 422 });
    const failedResult = await fetch(`${url}/async-calls/${failedId}/result`);
    expect([failedResult.headers.get('x-result-status'), await failedResult.text()]).toEqual(['422', 'unprocessable']);
    expect((await fetch(`${url}/async-calls/unknown-call`)).status).toBe(404);
  });

  it('cancels a queued call (it never runs) and refuses a running one with 409', async () => {
    const fn = await functionServer();
    const { url, startWorker } = await startStack(fn.url, false);
    const id = (await accept(url, 'doomed')).headers.get('x-call-id');
    const cancel = await fetch(`${url}/async-calls/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(202);
    expect((await json(cancel))['state']).toBe('cancelled');
    await startWorker();
    const slowId = (await accept(url, 'slow')).headers.get('x-call-id');
    await waitFor(async () => (await json(await fetch(`${url}/async-calls/${slowId}`)))['state'] === 'running', { description: 'the slow call running' });
    const late = await fetch(`${url}/async-calls/${slowId}`, { method: 'DELETE' });
    expect(late.status).toBe(409);
    expect((await json(late))['message']).toContain('is running');
    expect((await json(await fetch(`${url}/async-calls/${slowId}?wait=20s`)))['state']).toBe('succeeded');
    expect(fn.seen).toEqual([slowId]);
    expect((await json(await fetch(`${url}/async-calls/${id}`)))['state']).toBe('cancelled');
  });

  it('replays an Idempotency-Key, and runs a delayed call no earlier than asked', async () => {
    const fn = await functionServer();
    const { url } = await startStack(fn.url);
    const first = await accept(url, 'once', { 'idempotency-key': 'order-42' });
    const again = await accept(url, 'once', { 'idempotency-key': 'order-42' });
    expect(again.headers.get('x-call-id')).toBe(first.headers.get('x-call-id'));
    expect(again.headers.get('x-idempotent-replay')).toBe('true');
    const t0 = Date.now();
    const delayedId = (await accept(url, 'later', { 'x-delay': '2s' })).headers.get('x-call-id');
    const queued = await json(await fetch(`${url}/async-calls/${delayedId}`));
    expect(queued['state']).toBe('queued');
    expect(Date.parse(String(queued['nextAttemptAt']))).toBeGreaterThanOrEqual(t0 + 2_000);
    const done = await json(await fetch(`${url}/async-calls/${delayedId}?wait=20s`));
    expect(done['state']).toBe('succeeded');
    expect(Date.parse(String(done['startedAt']))).toBeGreaterThanOrEqual(t0 + 2_000);
    await waitFor(() => fn.seen.includes(String(first.headers.get('x-call-id'))), { description: 'the keyed call' });
    expect(fn.seen.filter((s) => s === first.headers.get('x-call-id'))).toHaveLength(1);
  });
});
