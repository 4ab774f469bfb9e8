// The real `kfaas watchdog` as a child process (node dist/cli/kfaas.cjs): start-up validation, SIGTERM drain, and
// memory while streaming. Needs `npm run build` first.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { waitFor } from '../test/helpers/wait-for.js';
import {
  exampleFunction,
  freePort,
  httpCall,
  memoryKb,
  processAlive,
  spawnCliWatchdog,
  startCliWatchdog,
  type CliWatchdog,
} from './testing/harness.js';

const SLOW_MS = 60_000;
const MB = 1024 * 1024;

/** POSTs `mb` MiB through the echo function, streaming both ways; reports the bytes back and whether they match. */
async function echoThrough(url: string, mb: number): Promise<{ bytes: number; intact: boolean }> {
  const block = randomBytes(64 * 1024);
  const sent = createHash('sha256');
  const received = createHash('sha256');
  let bytes = 0;
  const body = Readable.from(
    (function* () {
      for (let off = 0; off < mb * MB; off += block.length) {
        sent.update(block);
        yield block;
      }
    })(),
  );
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        received.update(chunk);
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    body.pipe(req);
  });
  return { bytes, intact: sent.digest('hex') === received.digest('hex') };
}

describe('kfaas watchdog process', () => {
  let proc: CliWatchdog | undefined;
  afterEach(async () => {
    // SIGTERM, not SIGKILL: a killed watchdog cannot stop its http upstream, which would outlive the test.
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      const timer = setTimeout(() => proc?.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(timer);
    }
    proc = undefined;
  }, 15_000);

  it.each([
    [{ fprocess: 'cat', exec_timeout: 'abc' }, 'exec_timeout="abc"'],
    [{ fprocess: 'cat', max_inflight: 'many' }, 'max_inflight="many"'],
    [{ fprocess: 'cat', mode: 'http', upstream_url: 'ftp://x:1' }, 'upstream_url="ftp://x:1"'],
    [{}, 'missing watchdog setting fprocess'],
  ])('refuses to start with %j, naming %s on stderr', async (env, named) => {
    const started = spawnCliWatchdog(env);
    const { code } = await started.exited;
    expect(code).not.toBe(0);
    expect(started.stderr()).toContain(named);
    expect(started.logs.some((l) => String(l['message']).startsWith('Listening'))).toBe(false);
  });

  it('runs overlapping fork-mode calls on the spawn thread of the bundled watchdog', async () => {
    // Overlapping calls start the spawn thread, which loads node:worker_threads lazily inside the bundle.
    proc = await startCliWatchdog({ fprocess: 'cat', max_inflight: '16' });
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => httpCall(proc!.url, { body: `call ${i}` })));
    expect(answers.map((a) => [a.status, a.body.toString()])).toEqual(Array.from({ length: 16 }, (_, i) => [200, `call ${i}`]));
    expect(processAlive(proc.pid)).toBe(true);
  }, SLOW_MS);

  it('drains on SIGTERM: health 503 during healthcheck_interval, the in-flight call completes, exit 0', async () => {
    proc = await startCliWatchdog({ fprocess: `sh ${exampleFunction('sleep.sh')}`, healthcheck_interval: '700ms', write_timeout: '5s' });
    const { url, child, logs } = proc;
    let callDoneAt = 0;
    const inflight = httpCall(url, { body: '1.5' }).then((res) => {
      callDoneAt = Date.now();
      return res;
    });
    await waitFor(() => logs.some((l) => l['message'] === 'Forking fprocess.'), { description: 'call forked' });

    child.kill('SIGTERM');
    const health = await waitFor(async () => {
      const res = await httpCall(`${url}/_/health`, { method: 'GET' });
      return res.status === 503 && res;
    }, { intervalMs: 20, timeoutMs: 2_000, description: 'health 503 after SIGTERM' });
    expect(health.body.toString()).toContain('draining');

    const res = await inflight;
    expect([res.status, res.body.toString()]).toEqual([200, 'slept 1.5s\n']);
    const { code, signal } = await proc.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(callDoneAt).toBeGreaterThan(0);
    expect(logs.some((l) => l['message'] === 'Drained; watchdog stopped')).toBe(true);
  }, SLOW_MS);

  it('streams a 50 MB body through http mode with bounded memory, then stops the upstream on SIGTERM', async () => {
    const upstreamPort = await freePort();
    proc = await startCliWatchdog({
      mode: 'http',
      fprocess: `${process.execPath} ${exampleFunction('http-echo.mjs')}`,
      upstream_url: `http://127.0.0.1:${upstreamPort}`,
      healthcheck_interval: '0',
    });
    const { url, pid } = proc;
    let upstreamPid = 0;
    for (let i = 0; i < 5; i += 1) upstreamPid = Number((await httpCall(url, { body: 'warm-up' })).headers['x-echo-pid']);
    expect(processAlive(upstreamPid)).toBe(true);

    const rssBeforeKb = memoryKb(pid, 'VmRSS');
    const first = await echoThrough(url, 50);
    const growthMb = (memoryKb(pid, 'VmHWM') - rssBeforeKb) / 1024;
    expect(first).toEqual({ bytes: 50 * MB, intact: true });
    const more = await echoThrough(url, 150);
    const growthAfterMoreMb = (memoryKb(pid, 'VmHWM') - rssBeforeKb) / 1024;
    expect(more).toEqual({ bytes: 150 * MB, intact: true });
    // Holding the body would cost at least its size (50, then 150 MB; twice, request and response). What remains
    // is V8 letting dead 64 KB read buffers pile up before a GC (~30-40 MB here, up to ~50 MB when GC runs late on
    // a loaded machine), which does not grow with the body size: three times the body adds under 15 MB.
    expect(growthMb).toBeLessThan(48);
    expect(growthAfterMoreMb).toBeLessThan(64);
    expect(growthAfterMoreMb - growthMb).toBeLessThan(15);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => !processAlive(upstreamPid), { timeoutMs: 3_000, description: `upstream ${upstreamPid} gone` });
  }, SLOW_MS);
});
