import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { DEFAULT_POLICY } from '../common/delivery-policy.js';
import type { Invocation } from '../common/invocation.js';
import type { InvocationHandler, InvocationSource, ProcessDecision } from '../common/queue.js';
import { loadConfig } from './config.js';
import { createWorker } from './index.js';

const logger = winston.createLogger({ silent: true });

/** An in-memory source at the port: the test hands it calls and reads back the decisions. */
class FakeSource implements InvocationSource {
  handler: InvocationHandler | undefined;
  closes = 0;
  private readonly controller = new AbortController();
  async start(handler: InvocationHandler): Promise<void> {
    this.handler = handler;
  }
  deliver(inv: Invocation): Promise<ProcessDecision> {
    if (!this.handler) throw new Error('not started');
    return this.handler(inv, this.controller.signal);
  }
  async close(): Promise<void> {
    this.closes += 1;
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function functionServer(): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(req.url?.includes('fail') ? 400 : 200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const inv = (path: string): Invocation => ({
  version: 1,
  callId: `c-${path}`,
  function: 'echo',
  namespace: 'fns',
  method: 'POST',
  path,
  rawQuery: '',
  headers: {},
  body: Buffer.alloc(0),
  enqueuedAt: Date.now(),
  attempt: 0,
  policy: DEFAULT_POLICY,
});

describe('createWorker', () => {
  it('wires the handler to the source, counts calls in /metrics, and reports readiness', async () => {
    const gatewayUrl = await functionServer();
    const source = new FakeSource();
    const worker = createWorker({ config: loadConfig({ KFAAS_GATEWAY_URL: gatewayUrl, KFAAS_METRICS_PORT: '0' }), source, logger });
    cleanups.push(() => worker.close());
    await worker.start();
    expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${worker.metricsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${worker.metricsUrl}/livez`)).status).toBe(200);

    expect(await source.deliver(inv('/ok'))).toMatchObject({ action: 'complete' });
    expect(await source.deliver(inv('/fail'))).toMatchObject({ action: 'dead-letter', reason: 'not_retriable' });
    const text = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    expect(text).toContain('kfaas_worker_invocations_started_total{function_name="echo.fns"} 2');
    expect(text).toContain('kfaas_worker_invocations_succeeded_total{function_name="echo.fns"} 1');
    expect(text).toContain('kfaas_worker_invocations_failed_total{function_name="echo.fns"} 1');
    expect(text).toContain('kfaas_worker_dead_letters_total{function_name="echo.fns",reason="not_retriable"} 1');
    expect(text).toContain('kfaas_worker_inflight 0');

    worker.metrics.queueObserver.onLag?.('kfaas.invocations', 0, 42);
    expect(await (await fetch(`${worker.metricsUrl}/metrics`)).text()).toContain('kfaas_worker_consumer_lag{topic="kfaas.invocations",partition="0"} 42');
  });

  it('close() is idempotent, closes the source once and stops serving', async () => {
    const source = new FakeSource();
    const worker = createWorker({ config: loadConfig({ KFAAS_METRICS_PORT: '0' }), source, logger });
    await worker.start();
    const url = worker.metricsUrl!;
    const first = worker.close();
    expect(worker.close()).toBe(first);
    await first;
    expect(source.closes).toBe(1);
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
    await expect(worker.start()).rejects.toThrow('closed');
  });

  it('fails /livez and /readyz once the source reports it can no longer consume', async () => {
    let healthy = true;
    const worker = createWorker({ config: loadConfig({ KFAAS_METRICS_PORT: '0' }), source: new FakeSource(), logger, sourceHealthy: () => healthy });
    cleanups.push(() => worker.close());
    await worker.start();
    expect((await fetch(`${worker.metricsUrl}/livez`)).status).toBe(200);
    healthy = false;
    expect((await fetch(`${worker.metricsUrl}/livez`)).status).toBe(503);
    expect((await fetch(`${worker.metricsUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${worker.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('can run without a metrics server', async () => {
    const source = new FakeSource();
    const worker = createWorker({ config: loadConfig({}), source, logger, serveMetrics: false });
    await worker.start();
    expect(worker.metricsUrl).toBeUndefined();
    expect(source.handler).toBeDefined();
    await worker.close();
  });
});
