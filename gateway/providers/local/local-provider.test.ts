import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import winston from 'winston';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { serve, type Served } from '../../testing/serve.js';
import { createLocalProvider, type LocalProvider, type LocalProviderOptions } from './index.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

// These tests run real `kfaas watchdog` children from the build, as `kfaas up` does.
const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
const logger = winston.createLogger({ silent: true });

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const until = <T>(fn: () => T | Promise<T>, description: string) => waitFor(fn, { timeoutMs: 15_000, intervalMs: 50, description });

describe('local provider (real watchdog children)', () => {
  let provider: LocalProvider | undefined;
  let served: Served | undefined;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
  });

  afterEach(async () => {
    await served?.close();
    await provider?.close();
    served = undefined;
    provider = undefined;
  });

  async function start(options: Partial<LocalProviderOptions> = {}) {
    const config = loadConfig({ basic_auth: 'false', KFAAS_PROVIDER: 'local' });
    provider = createLocalProvider({
      cliEntryPath: CLI,
      namespace: config.functionNamespace,
      logger,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      restartBackoff: { minMs: 50, maxMs: 500 },
      healthIntervalMs: 200,
      stopTimeoutMs: 2000,
      ...options,
    });
    await provider.ready();
    served = await serve(createApp({ config, provider, logger }));
    return { provider, http: request(served.server) };
  }

  const readyEndpoints = (p: LocalProvider, name: string, n = 1) =>
    until(async () => ((await p.resolver.resolve(name, 'openfaas-fn'))?.endpoints.length ?? 0) >= n, `${name} to have ${n} ready replica(s)`);

  it('runs stack-file functions as watchdog children and routes calls to them', async () => {
    const { provider, http } = await start({ functions: [{ name: 'cat-fn', image: 'local', handler: 'cat' }] });
    await readyEndpoints(provider, 'cat-fn');
    const res = await http.post('/function/cat-fn').set('content-type', 'text/plain').send('hello local');
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello local');
    const [status] = (await http.get('/system/functions').expect(200)).body;
    expect(status).toMatchObject({ name: 'cat-fn', namespace: 'openfaas-fn', envProcess: 'cat', replicas: 1, availableReplicas: 1, invocationCount: 1 });
  });

  it('deploys through /system with an envProcess, passing only the function environment on', async () => {
    const { provider, http } = await start();
    await http
      .post('/system/functions')
      .send({ service: 'env-fn', image: 'ignored-locally', envProcess: 'env', envVars: { GREETING: 'hi', exec_timeout: '5s' } })
      .expect(202);
    await readyEndpoints(provider, 'env-fn');
    const res = await http.post('/function/env-fn').send('');
    expect(res.status).toBe(200);
    const env = res.text;
    expect(env).toMatch(/^GREETING=hi$/m);
    expect(env).toMatch(/^fprocess=env$/m);
    expect(env).toMatch(/^exec_timeout=5s$/m);
    expect(env).toMatch(/^bind_address=127\.0\.0\.1$/m);
    // Nothing else of this process's environment leaks in (HOME was not in baseEnv).
    expect(env).not.toMatch(/^HOME=/m);
    expect((await provider.resolver.resolve('env-fn', 'openfaas-fn'))!.policy.execTimeoutMs).toBe(5000);

    const noCommand = await http.post('/system/functions').send({ service: 'no-cmd', image: 'x' });
    expect(noCommand.status).toBe(400);
    expect(noCommand.body.message).toMatch(/^envProcess: /);
    await http.post('/system/functions').send({ service: 'env-fn', image: 'x', envProcess: 'cat' }).expect(409);
  });

  it('restarts a crashed replica on a fresh port', async () => {
    const { provider, http } = await start({ functions: [{ name: 'crashy', image: 'local', handler: 'cat' }] });
    await readyEndpoints(provider, 'crashy');
    const replica = provider.running('crashy')!.processes[0]!;
    const firstPid = replica.pid!;
    const firstEndpoint = replica.endpoint;
    process.kill(-firstPid, 'SIGKILL');
    await until(() => replica.restartCount === 1 && replica.endpoint !== undefined, 'the replica to come back');
    expect(replica.pid).not.toBe(firstPid);
    expect(replica.endpoint).not.toBe(firstEndpoint);
    await http.post('/function/crashy').send('back').expect(200, 'back');
  });

  it('scales replicas up and down, to zero and back, and a call to a function at zero scales it up', async () => {
    const { provider, http } = await start({ functions: [{ name: 'scaled', image: 'local', handler: 'cat' }] });
    await readyEndpoints(provider, 'scaled');
    await http.post('/system/scale-function/scaled').send({ replicas: 3 }).expect(202);
    await readyEndpoints(provider, 'scaled', 3);
    const pids = provider.running('scaled')!.processes.map((p) => p.pid);
    expect(new Set(pids).size).toBe(3);
    expect((await http.get('/system/function/scaled')).body).toMatchObject({ replicas: 3, availableReplicas: 3 });

    await http.post('/system/scale-function/scaled').send({ replicas: 0 }).expect(202);
    await until(() => pids.every((pid) => !alive(pid)), 'the replicas to stop');
    expect((await http.get('/system/function/scaled')).body).toMatchObject({ replicas: 0, availableReplicas: 0 });
    // The call waits while the gateway scales the function back to one replica and it becomes ready.
    await http.post('/function/scaled').send('from zero').expect(200, 'from zero');
    expect((await http.get('/system/function/scaled')).body).toMatchObject({ replicas: 1, availableReplicas: 1 });

    await http.post('/system/scale-function/scaled').send({ replicas: 3 }).expect(202);
    await readyEndpoints(provider, 'scaled', 3);
    await http.post('/function/scaled').send('one').expect(200, 'one');
  });

  it('starts a function at com.openfaas.scale.min replicas', async () => {
    const labels = { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '2' };
    const { provider, http } = await start({ functions: [{ name: 'two', image: 'local', handler: 'cat', labels }] });
    await readyEndpoints(provider, 'two', 2);
    expect((await http.get('/system/function/two')).body).toMatchObject({ replicas: 2, availableReplicas: 2 });
    await http.post('/system/scale-function/two').send({ replicas: 5 }).expect(409);
    expect(provider.running('two')!.processes).toHaveLength(2);
  });

  it('updates by starting the new spec before stopping the old one', async () => {
    const { provider, http } = await start();
    await http.post('/system/functions').send({ service: 'upd', image: 'x', envProcess: 'env', envVars: { V: '1' } }).expect(202);
    await readyEndpoints(provider, 'upd');
    const oldPid = provider.running('upd')!.processes[0]!.pid;
    await http.put('/system/functions').send({ service: 'upd', image: 'x', envProcess: 'env', envVars: { V: '2' } }).expect(202);
    expect((await http.post('/function/upd').send('')).text).toMatch(/^V=2$/m);
    expect(alive(oldPid)).toBe(false);
    expect((await http.get('/system/function/upd')).body.envVars).toEqual({ V: '2' });
    await http.put('/system/functions').send({ service: 'nope', image: 'x', envProcess: 'cat' }).expect(404);
  });

  it('keeps each function output in a bounded ring served by /system/logs', async () => {
    const { provider, http } = await start({ logLines: 3, functions: [{ name: 'loggy', image: 'local', handler: 'cat' }] });
    await readyEndpoints(provider, 'loggy');
    for (let i = 0; i < 5; i++) await http.post('/function/loggy').send(`call ${i}`).expect(200);
    await until(() => provider.running('loggy')!.logs.snapshot().some((l) => l.text.includes('Wrote')), 'the watchdog to log a call');
    const res = await http.get('/system/logs?name=loggy').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatchObject({ name: 'loggy', namespace: 'openfaas-fn', instance: 'loggy-0', timestamp: expect.any(String) });
    const tail = (await http.get('/system/logs?name=loggy&tail=1').expect(200)).text.trim().split('\n');
    expect(tail).toHaveLength(1);
    await http.get('/system/logs?name=missing').expect(404);
  });

  it('close() ends every child process group', async () => {
    const { provider } = await start({
      functions: [
        { name: 'one', image: 'local', handler: 'cat' },
        { name: 'two', image: 'local', handler: 'cat', replicas: 2 },
      ],
    });
    await readyEndpoints(provider, 'one');
    await readyEndpoints(provider, 'two', 2);
    const pids = [...provider.running('one')!.processes, ...provider.running('two')!.processes].map((p) => p.pid);
    expect(pids.every(alive)).toBe(true);
    await provider.close();
    await provider.close();
    await until(() => pids.every((pid) => !alive(pid)), 'every child to exit');
  });

  it('restores /system deployments from its state dir, but not stack-file functions', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kfaas-local-'));
    try {
      const first = await start({ stateDir, functions: [{ name: 'stacked', image: 'local', handler: 'cat' }] });
      await first.http.post('/system/functions').send({ service: 'kept', image: 'x', envProcess: 'cat' }).expect(202);
      await served!.close();
      await first.provider.close();

      const second = await start({ stateDir });
      const names = (await second.http.get('/system/functions').expect(200)).body.map((s: { name: string }) => s.name);
      expect(names).toEqual(['kept']);
      await readyEndpoints(second.provider, 'kept');
      await second.http.post('/function/kept').send('persisted').expect(200, 'persisted');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('manages secrets as files, refuses functions naming missing ones, and runs functions in the working dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-local-'));
    const secretsDir = join(dir, 'secrets');
    try {
      const { provider, http } = await start({ secretsDir, workingDir: dir });
      await http.get('/system/secrets').expect(200, []);
      const missing = await http.post('/system/functions').send({ service: 'needs', image: 'x', envProcess: 'env', secrets: ['db-pass'] });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toBe('secrets: db-pass not found; create them with /system/secrets first');

      await http.post('/system/secrets').send({ name: 'db-pass', value: 's3cret' }).expect(201);
      await http.post('/system/secrets').send({ name: 'db-pass', value: 'again' }).expect(409);
      await http.put('/system/secrets').send({ name: 'db-pass', rawValue: Buffer.from('rotated').toString('base64') }).expect(200);
      expect(readFileSync(join(secretsDir, 'db-pass'), 'utf8')).toBe('rotated');
      expect(statSync(join(secretsDir, 'db-pass')).mode & 0o777).toBe(0o600);
      await http.get('/system/secrets').expect(200, [{ name: 'db-pass', namespace: 'openfaas-fn' }]);

      await http.post('/system/functions').send({ service: 'needs', image: 'x', envProcess: 'env', secrets: ['db-pass'] }).expect(202);
      await readyEndpoints(provider, 'needs');
      expect((await http.post('/function/needs').send('')).text).toMatch(new RegExp(`^KFAAS_SECRETS_DIR=${secretsDir}$`, 'm'));

      await http.post('/system/functions').send({ service: 'where', image: 'x', envProcess: 'pwd' }).expect(202);
      await readyEndpoints(provider, 'where');
      expect((await http.post('/function/where').send('')).text.trim()).toBe(dir);

      await http.delete('/system/secrets').send({ name: 'db-pass' }).expect(202);
      await http.delete('/system/secrets').send({ name: 'db-pass' }).expect(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
