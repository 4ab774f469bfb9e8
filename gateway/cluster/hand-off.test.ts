import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import winston from 'winston';
import { loadConfig } from '../config.js';
import { createGateway, type Gateway } from '../index.js';
import { createGatewayMetrics } from '../metrics/gateway-metrics.js';
import { MemoryProvider } from '../testing/memory-provider.js';
import { createOwnerHandOff } from './hand-off.js';

const logger = winston.createLogger({ silent: true });

describe('createOwnerHandOff in a gateway', () => {
  let owner: Server;
  let ownerUrl: string;
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    // The owner answers with what it received, so the test sees exactly what was handed on.
    owner = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-owner': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), header: req.headers['x-test'], dropped: req.headers['x-drop'] ?? null }));
      });
    });
    await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
    ownerUrl = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`;
    const handOff = createOwnerHandOff((url) => url.startsWith('/function/'), () => ownerUrl);
    const config = loadConfig({ basic_auth: 'false', KFAAS_GATEWAY_PORT: '0', KFAAS_DRAIN_DELAY: '0s' });
    gateway = createGateway(config, { provider: new MemoryProvider(), logger, metrics: createGatewayMetrics(), handOff });
    base = `http://127.0.0.1:${(await gateway.start()).port}`;
  });

  afterAll(async () => {
    await gateway.close();
    owner.close();
  });

  it('hands what it does not serve to the owner, with method, path, query, headers and body, and returns its answer', async () => {
    const res = await request(base).post('/system/anything?x=1&y=2').set('x-test', 'kept').set('connection', 'x-drop').set('x-drop', 'hop').send('the body').expect(201);
    expect(res.headers['x-owner']).toBe('yes');
    // A header the client's Connection names is hop-by-hop: it stays on the client's own connection.
    expect(res.body).toEqual({ method: 'POST', url: '/system/anything?x=1&y=2', body: 'the body', header: 'kept', dropped: null });
  });

  it('serves the routes it is told to itself', async () => {
    // The memory provider has no such function: the gateway's own 404, not the owner's 201.
    const res = await request(base).post('/function/nope').send('x');
    expect(res.status).toBe(404);
    expect(res.headers['x-owner']).toBeUndefined();
  });

  it('answers 502 naming the problem when the owner does not answer', async () => {
    const url = ownerUrl;
    ownerUrl = 'http://127.0.0.1:1';
    try {
      const res = await request(base).get('/system/functions').expect(502);
      expect(res.text).toMatch(/^the kfaas up process did not answer: .*ECONNREFUSED/);
    } finally {
      ownerUrl = url;
    }
  });
});
