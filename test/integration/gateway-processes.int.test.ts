/**
 * `kfaas gateway` with KFAAS_GATEWAY_PROCESSES=2 (the built CLI, the kubernetes provider, the real apiserver):
 * two worker processes share the port, calls succeed whichever serves them, /metrics sums both from any
 * worker, a worker that dies is replaced, and SIGTERM drains both and exits 0.
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import request from 'supertest';
import { apiClient, applyCrd, createNamespace, deleteNamespace } from '../../operator/testing/kube-test-kit.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import { alive, childPids, kubeConfigFor, loadServices, startHttpServer, uniqueName, waitFor, type TestHttpServer } from '../helpers/index.js';
import { CLI, freePort, ROOT } from './compat-support.js';

jest.setTimeout(90_000);

let kc: KubeConfig;
let client: KubeRestClient;
let ns: string;
let fnServer: TestHttpServer;
let gateway: ChildProcess | undefined;
let output = '';

/** Every request on a fresh connection: the primary hands connections to the workers in turn. */
const CLOSE = { connection: 'close' };

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const services = loadServices();
  kc = kubeConfigFor(services);
  client = await apiClient(kc);
  await applyCrd(client);
  ns = uniqueName('gw-procs');
  await createNamespace(client, ns);
  fnServer = await startHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
});

afterAll(async () => {
  if (gateway?.exitCode === null) gateway.kill('SIGKILL');
  await fnServer?.close();
  if (client && ns) await deleteNamespace(client, ns);
  client?.close();
});

it('runs two gateway processes on one port, sums their metrics, replaces a dead one and drains both on SIGTERM', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, [CLI, 'gateway'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      KUBECONFIG: loadServices().kubeconfig,
      KFAAS_GATEWAY_PROCESSES: '2',
      KFAAS_GATEWAY_PORT: String(port),
      function_namespace: ns,
      basic_auth: 'false',
      KFAAS_DRAIN_DELAY: '0s',
      KFAAS_DRAIN_TIMEOUT: '2s',
      KFAAS_LOG_LEVEL: 'warn',
    },
  });
  gateway.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  gateway.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => gateway!.once('exit', (code) => resolve(code)));
  const primary = gateway.pid!;

  const workers = await waitFor(() => (childPids(primary).length === 2 ? childPids(primary) : undefined), { timeoutMs: 30_000, description: `two workers\n${output}` });
  // Each worker has its own provider; a new connection may reach either, so wait until several in a row are ready.
  await waitFor(async () => {
    for (let i = 0; i < 6; i++) if ((await request(url).get('/readyz').set(CLOSE)).status !== 200) return false;
    return true;
  }, { timeoutMs: 30_000, description: `both workers ready\n${output}` });

  const name = 'spread';
  await request(url).post('/system/functions').send({ service: name, image: 'img:1' }).expect(202);
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { ports: [{ name: 'http', port: 8080 }] } } });
  await discovery.createNamespacedEndpointSlice({
    namespace: ns,
    body: {
      metadata: { name: `${name}-local`, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'kfaas-test' } },
      addressType: 'FQDN',
      ports: [{ name: 'http', port: fnServer.port, protocol: 'TCP' }],
      endpoints: [{ addresses: [`${name}.localhost`], conditions: { ready: true } }],
    },
  });
  // Both workers' informers must see the slice: several fresh connections in a row must all get through.
  let ok = 0;
  await waitFor(async () => {
    for (let i = 0; i < 6; i++) {
      if ((await request(url).post(`/function/${name}`).set(CLOSE).send('x')).status !== 200) return false;
      ok++;
    }
    return true;
  }, { timeoutMs: 30_000, description: `calls through both workers\n${output}` });
  for (let i = 0; i < 20; i++) {
    await request(url).post(`/function/${name}`).set(CLOSE).send('x').expect(200);
    ok++;
  }

  // Every scrape, whichever worker answers it, counts the calls of both.
  const line = `gateway_function_invocation_total{function_name="${name}.${ns}",code="200"} ${ok}`;
  for (let i = 0; i < 4; i++) expect((await request(url).get('/metrics').set(CLOSE).expect(200)).text).toContain(line);
  const fn = (await request(url).get(`/system/function/${name}`).set(CLOSE).expect(200)).body as { invocationCount: number };
  expect(fn.invocationCount).toBe(ok);

  // A worker that dies is replaced; calls keep working meanwhile.
  process.kill(workers[0]!, 'SIGKILL');
  const replaced = await waitFor(() => {
    const now = childPids(primary);
    return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
  }, { timeoutMs: 20_000, description: 'a replacement worker' });
  await waitFor(async () => {
    for (let i = 0; i < 4; i++) if ((await request(url).post(`/function/${name}`).set(CLOSE).send('x')).status !== 200) return false;
    return true;
  }, { timeoutMs: 30_000, description: 'calls through both workers after the restart' });

  gateway.kill('SIGTERM');
  expect({ code: await exited, output }).toEqual({ code: 0, output: expect.any(String) });
  for (const pid of replaced) expect(alive(pid)).toBe(false);
});
