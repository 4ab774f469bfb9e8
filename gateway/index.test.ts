import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import winston from 'winston';
import { loadConfig } from './config.js';
import { createGateway } from './index.js';
import { createGatewayMetrics } from './metrics/gateway-metrics.js';
import { MemoryProvider } from './testing/memory-provider.js';
import { serve } from './testing/serve.js';
import { waitFor } from '../test/helpers/wait-for.js';

const logger = winston.createLogger({ silent: true });

describe('createGateway', () => {
  it('listens on 127.0.0.1 (and a metrics port), becomes ready with the provider, and closes idempotently', async () => {
    const config = loadConfig({ basic_auth: 'false', KFAAS_GATEWAY_PORT: '0', KFAAS_METRICS_PORT: '0', KFAAS_DRAIN_DELAY: '0s' });
    const gateway = createGateway(config, { provider: new MemoryProvider(), logger, metrics: createGatewayMetrics() });
    const address = await gateway.start();
    expect(await gateway.start()).toEqual(address);
    const base = `http://127.0.0.1:${address.port}`;
    await request(base).get('/healthz').expect(200);
    await request(base).get('/readyz').expect(200);
    const metrics = await request(`http://127.0.0.1:${address.metricsPort}`).get('/metrics').expect(200);
    expect(metrics.text).toContain('# TYPE gateway_function_invocation_total counter');
    await request(`http://127.0.0.1:${address.metricsPort}`).get('/other').expect(404);
    const closing = gateway.close();
    expect(gateway.close()).toBe(closing);
    await closing;
    await expect(request(base).get('/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reads basic-auth credentials from the secret mount path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-gw-'));
    try {
      writeFileSync(join(dir, 'basic-auth-user'), 'admin');
      writeFileSync(join(dir, 'basic-auth-password'), 'pw');
      const config = loadConfig({ KFAAS_GATEWAY_PORT: '0', secret_mount_path: dir, KFAAS_DRAIN_DELAY: '0s' });
      const gateway = createGateway(config, { provider: new MemoryProvider(), logger, metrics: createGatewayMetrics() });
      const { port } = await gateway.start();
      await request(`http://127.0.0.1:${port}`).get('/system/functions').expect(401);
      await request(`http://127.0.0.1:${port}`).get('/system/functions').auth('admin', 'pw').expect(200);
      await gateway.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drains: not ready first, in-flight calls finish with Connection: close, then the deadline cuts the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    const fn = await serve((req, res) => {
      arrived++;
      if (req.url === '/hang') return; // never answers: only the drain deadline ends it
      void released.then(() => res.end('finished'));
    });
    const provider = new MemoryProvider();
    provider.put({ name: 'slow' }, 'openfaas-fn', [fn.url]);
    const config = loadConfig({ basic_auth: 'false', KFAAS_GATEWAY_PORT: '0', KFAAS_DRAIN_DELAY: '100ms', KFAAS_DRAIN_TIMEOUT: '300ms' });
    const gateway = createGateway(config, { provider, logger, metrics: createGatewayMetrics() });
    const { port } = await gateway.start();
    const base = `http://127.0.0.1:${port}`;
    await request(base).get('/readyz').expect(200);

    const finishing = request(base).get('/function/slow/ok');
    const finished = finishing.then((r) => r);
    const hanging = new Promise<string>((resolve) => {
      const req = httpRequest(`${base}/function/slow/hang`, (res) => res.resume().on('end', () => resolve('ended')));
      req.on('error', (err) => resolve(`error: ${err.message}`));
      req.end();
    });
    // Both calls must be in flight at the function before the drain starts.
    await waitFor(() => arrived >= 2, { timeoutMs: 5000, intervalMs: 5, description: 'both calls to reach the function' });
    const closing = gateway.close();
    expect(gateway.lifecycle.ready).toBe(false);
    await request(base).get('/readyz').expect(503);
    release();
    const res = await finished;
    expect(res.status).toBe(200);
    expect(res.text).toBe('finished');
    expect(res.headers['connection']).toBe('close');
    const started = Date.now();
    await closing;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hanging).toMatch(/^error: (socket hang up|.*ECONNRESET)/);
    await fn.close();
  });
});
