import request from 'supertest';
import winston from 'winston';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
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
