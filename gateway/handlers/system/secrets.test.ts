import request from 'supertest';
import winston from 'winston';
import { KfaasError } from '../../../common/errors.js';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { SecretStore, SecretValue } from '../../ports.js';
import { MemoryProvider } from '../../testing/memory-provider.js';
import { serve, type Served } from '../../testing/serve.js';

const logger = winston.createLogger({ silent: true });

/** A SecretStore in a Map, keyed `namespace/name`. */
class MapSecrets implements SecretStore {
  readonly values = new Map<string, Buffer>();
  async list(namespace: string) {
    return [...this.values.keys()].filter((k) => k.startsWith(`${namespace}/`)).map((k) => ({ name: k.split('/')[1]!, namespace }));
  }
  async create(s: SecretValue) {
    if (this.values.has(`${s.namespace}/${s.name}`)) throw new KfaasError('CONFLICT', `secret ${s.name} exists`);
    this.values.set(`${s.namespace}/${s.name}`, s.value);
  }
  async update(s: SecretValue) {
    if (!this.values.has(`${s.namespace}/${s.name}`)) throw new KfaasError('NOT_FOUND', `secret ${s.name} not found`);
    this.values.set(`${s.namespace}/${s.name}`, s.value);
  }
  async remove(name: string, namespace: string) {
    if (!this.values.delete(`${namespace}/${name}`)) throw new KfaasError('NOT_FOUND', `secret ${name} not found`);
  }
}

class ProviderWithSecrets extends MemoryProvider {
  constructor(readonly secrets: MapSecrets) {
    super({ namespaces: ['openfaas-fn', 'other'] });
  }
}

describe('/system/secrets', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function setup() {
    const secrets = new MapSecrets();
    const config = loadConfig({ basic_auth: 'false', KFAAS_ALLOWED_NAMESPACES: 'openfaas-fn,other' });
    served = await serve(createApp({ config, provider: new ProviderWithSecrets(secrets), logger }));
    return { secrets, http: request(served.server) };
  }

  it('takes the namespace from the body or the query string, and lists names only', async () => {
    const { http, secrets } = await setup();
    await http.post('/system/secrets').send({ name: 'a', namespace: 'other', value: 'v1' }).expect(201);
    await http.post('/system/secrets?namespace=other').send({ name: 'b', rawValue: Buffer.from([0, 1, 255]).toString('base64') }).expect(201);
    await http.post('/system/secrets').send({ name: 'c', value: 'default-ns' }).expect(201);
    expect(secrets.values.get('other/b')).toEqual(Buffer.from([0, 1, 255]));
    const listed = await http.get('/system/secrets?namespace=other').expect(200);
    expect(listed.body).toEqual([
      { name: 'a', namespace: 'other' },
      { name: 'b', namespace: 'other' },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('v1');
    await http.get('/system/secrets').expect(200, [{ name: 'c', namespace: 'openfaas-fn' }]);
    await http.put('/system/secrets?namespace=other').send({ name: 'a', value: 'v2' }).expect(200);
    expect(secrets.values.get('other/a')!.toString()).toBe('v2');
    await http.delete('/system/secrets?namespace=other').send({ name: 'a' }).expect(202);
    await http.delete('/system/secrets').send({ name: 'b', namespace: 'other' }).expect(202);
    expect([...secrets.values.keys()]).toEqual(['openfaas-fn/c']);
    // Secret names are Kubernetes Secret names (DNS-1123 subdomains), as faas-cli checks them: dots are fine.
    await http.post('/system/secrets').send({ name: 'db.password', value: 'p' }).expect(201);
    await http.delete('/system/secrets').send({ name: 'db.password' }).expect(202);
  });

  // faas-cli 0.18.12 `secret create --from-file` sends the file both as value and as rawValue.
  it('takes rawValue when a client sends both value and rawValue', async () => {
    const { http, secrets } = await setup();
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    await http.post('/system/secrets').send({ name: 'both', value: bytes.toString('latin1'), rawValue: bytes.toString('base64') }).expect(201);
    expect(secrets.values.get('openfaas-fn/both')).toEqual(bytes);
    await http.put('/system/secrets').send({ name: 'both', value: 'text', rawValue: Buffer.from('raw').toString('base64') }).expect(200);
    expect(secrets.values.get('openfaas-fn/both')!.toString()).toBe('raw');
  });

  it.each([
    [{ name: 'x' }, 'value: give value (text) or rawValue (base64)'],
    [{ name: 'x', value: 'a', rawValue: 'not base64!' }, 'rawValue: must be base64'],
    [{ name: 'x', rawValue: 'not base64!' }, 'rawValue: must be base64'],
    [{ name: 'x', value: 'a', namespace: 'kube-system' }, 'namespace must be: openfaas-fn, other'],
    [{ name: 'Bad_Name', value: 'a' }, 'name: "Bad_Name" must be a DNS-1123 subdomain'],
    [{ name: 'trailing.', value: 'a' }, 'name: "trailing." must be a DNS-1123 subdomain'],
  ])('refuses %j with 400', async (body, message) => {
    const { http, secrets } = await setup();
    const res = await http.post('/system/secrets').send(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(secrets.values.size).toBe(0);
  });
});
