import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import winston from 'winston';
import { createApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { serve, type Served } from '../../testing/serve.js';
import { createLocalProvider, type LocalProvider } from './index.js';
import { pidAlive } from '../../../test/harness/process.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import type { FunctionSpec } from '../../../common/function-types.js';

// Fork-mode watchdogs hosted in the gateway's process (kfaas up's default): real watchdogs, real processes.
const SPAWN_TREE = fileURLToPath(new URL('../../../examples/functions/spawn-tree.sh', import.meta.url));
const logger = winston.createLogger({ silent: true });

describe('local provider with hosted watchdogs', () => {
  let provider: LocalProvider | undefined;
  let served: Served | undefined;
  let dir = '';

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'kfaas-hosted-')));
  });
  afterEach(async () => {
    await served?.close();
    await provider?.close();
    served = undefined;
    provider = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(functions: FunctionSpec[], waitReady = true) {
    const config = loadConfig({ basic_auth: 'false', KFAAS_PROVIDER: 'local' });
    provider = createLocalProvider({
      cliEntryPath: '/nonexistent/kfaas-cli-not-needed-when-hosted',
      namespace: config.functionNamespace,
      logger,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      functions,
      workingDir: dir,
      hostForkWatchdogs: true,
      restartBackoff: { minMs: 50, maxMs: 500 },
    });
    await provider.ready();
    served = await serve(createApp({ config, provider, logger }));
    for (const fn of waitReady ? functions : []) {
      await waitFor(async () => ((await provider!.resolver.resolve(fn.name, 'openfaas-fn'))?.endpoints.length ?? 0) > 0, {
        timeoutMs: 10_000,
        description: `${fn.name} ready`,
      });
    }
    return { provider, http: request(served.server) };
  }

  it('keeps each function its own limits, working directory and logs, with no watchdog process', async () => {
    const { provider, http } = await start([
      { name: 'short', image: 'local', handler: 'sleep 2', environment: { exec_timeout: '500ms' } },
      { name: 'long', image: 'local', handler: 'sleep 1' },
      { name: 'capped', image: 'local', handler: 'sleep 1', environment: { max_inflight: '1' } },
      { name: 'where', image: 'local', handler: 'pwd' },
    ]);
    const [short, long, capped1, capped2] = await Promise.all([
      http.post('/function/short').send(''),
      http.post('/function/long').send(''),
      http.post('/function/capped').send(''),
      http.post('/function/capped').send(''),
    ]);
    expect(short.status).toBe(504);
    expect(short.text).toContain('exec_timeout of 500ms exceeded');
    expect(long.status).toBe(200);
    expect([capped1.status, capped2.status].sort()).toEqual([200, 429]);
    expect((await http.post('/function/where').send('')).text.trim()).toBe(dir);

    // Hosted: no child process per replica, but its own log records in /system/logs.
    expect(provider.running('long')!.processes[0]!.pid).toBeUndefined();
    const logs = (await http.get('/system/logs?name=long').expect(200)).text;
    expect(logs).toContain('Forking fprocess.');
  });

  it('kills the whole process group of a call on its exec_timeout', async () => {
    const { http } = await start([{ name: 'tree', image: 'local', handler: `sh ${SPAWN_TREE}`, environment: { exec_timeout: '1s' } }]);
    const pidFile = join(dir, 'pids');
    const res = await http.post('/function/tree').set('x-pid-file', pidFile).send('');
    expect(res.status).toBe(504);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(4);
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), { timeoutMs: 3_000, description: `${pids.join(',')} gone` });
  });

  it('says why a hosted watchdog cannot start, in the function log, and keeps retrying with backoff', async () => {
    const { provider, http } = await start([{ name: 'broken', image: 'local', handler: 'cat', environment: { max_inflight: 'many' } }], false);
    const replica = provider.running('broken')!.processes[0]!;
    await waitFor(() => replica.restartCount >= 2, { timeoutMs: 5_000, description: 'two retries' });
    expect(replica.endpoint).toBeUndefined();
    const logs = (await http.get('/system/logs?name=broken').expect(200)).text;
    expect(logs).toContain('invalid watchdog setting max_inflight=');
    expect(logs).toContain('must be an integer');
  });
});
