import request from 'supertest';
import winston from 'winston';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { FunctionNamespace, NamespaceManager } from '../../ports.js';
import { MemoryProvider } from '../../testing/memory-provider.js';
import { serve, type Served } from '../../testing/serve.js';

const logger = winston.createLogger({ silent: true });

describe('/system/info and /system/namespaces', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it.each(['/system/info', '/system/namespaces'])('%s accepts an allowed ?namespace= and refuses others with 400', async (path) => {
    const config = loadConfig({ basic_auth: 'false', KFAAS_ALLOWED_NAMESPACES: 'openfaas-fn,other' });
    served = await serve(createApp({ config, provider: new MemoryProvider({ namespaces: config.allowedNamespaces }), logger }));
    const http = request(served.server);
    await http.get(`${path}?namespace=other`).expect(200);
    const bad = await http.get(`${path}?namespace=elsewhere`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_NAMESPACE', message: 'namespace must be: openfaas-fn, other' });
  });
});

describe('/system/namespace writes', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('go to the NamespaceManager, whose namespaces every route then accepts without a new app', async () => {
    const config = loadConfig({ basic_auth: 'false' });
    const namespaces = new Map<string, FunctionNamespace>();
    const manager: NamespaceManager = {
      allowed: () => [config.functionNamespace, ...namespaces.keys()],
      get: async (name) => namespaces.get(name),
      create: async (ns) => void namespaces.set(ns.name, { ...ns, labels: { ...ns.labels, openfaas: '1' } }),
      update: async (ns) => void namespaces.set(ns.name, ns),
      remove: async (name) => void namespaces.delete(name),
    };
    const provider = Object.assign(new MemoryProvider({ namespaces: config.allowedNamespaces }), { namespaceManager: manager });
    served = await serve(createApp({ config, provider, logger }));
    const http = request(served.server);
    expect((await http.post('/function/fn.team-a')).status).toBe(400);
    const created = await http.post('/system/namespace/').send({ name: 'team-a', labels: { t: 'a' } });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: { name: 'team-a', labels: { t: 'a', openfaas: '1' }, annotations: {} } });
    await http.get('/system/functions?namespace=team-a').expect(200);
    // Past the namespace check: no such function.
    expect((await http.post('/function/fn.team-a')).status).toBe(404);
    await http.put('/system/namespace/team-a').send({ labels: { t: 'b' } }).expect(200, { name: 'team-a', labels: { t: 'b' }, annotations: {} });
    const mismatch = await http.put('/system/namespace/team-a').send({ name: 'team-b' });
    expect(mismatch.status).toBe(400);
    await http.delete('/system/namespace/team-a').expect(202);
    expect((await http.post('/function/fn.team-a')).status).toBe(400);
    await http.get('/system/namespace/team-a').expect(404);
  });
});
