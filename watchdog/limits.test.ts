import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../test/helpers/wait-for.js';
import { exampleFunction, httpCall, processAlive, startWatchdog, type InProcessWatchdog } from './testing/harness.js';

describe('watchdog probes and max_inflight', () => {
  let wd: InProcessWatchdog | undefined;
  afterEach(async () => {
    await wd?.watchdog.close();
    wd = undefined;
  });

  it('answers /_/health and /_/ready with 200 OK to GET only', async () => {
    wd = await startWatchdog({ fprocess: 'cat' });
    for (const path of ['/_/health', '/_/ready']) {
      const ok = await httpCall(`${wd.url}${path}`, { method: 'GET' });
      expect([ok.status, ok.body.toString()]).toEqual([200, 'OK']);
      const post = await httpCall(`${wd.url}${path}`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers['allow']).toBe('GET');
    }
  });

  it('answers 429 above max_inflight and /_/ready 429 while saturated', async () => {
    wd = await startWatchdog({ fprocess: `sh ${exampleFunction('sleep.sh')}`, max_inflight: '2' });
    const { url, watchdog } = wd;
    const slow = [httpCall(url, { body: '1' }), httpCall(url, { body: '1' })];
    await waitFor(() => watchdog.inflight() === 2, { description: 'two calls in flight' });

    const rejected = await httpCall(url, { body: '0' });
    expect(rejected.status).toBe(429);
    expect(rejected.headers['content-type']).toMatch(/^text\/plain/);
    expect(rejected.headers['x-openfaas-internal']).toBe('watchdog');
    expect(rejected.body.toString().trim()).toBe('Concurrent request limit exceeded. Max concurrent requests: 2');
    expect((await httpCall(`${url}/_/ready`, { method: 'GET' })).status).toBe(429);
    expect((await httpCall(`${url}/_/health`, { method: 'GET' })).status).toBe(200);

    const done = await Promise.all(slow);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(() => watchdog.inflight() === 0, { description: 'calls released' });
    expect((await httpCall(`${url}/_/ready`, { method: 'GET' })).status).toBe(200);
    expect((await httpCall(url, { body: '0' })).status).toBe(200);
  });

  it('drains on close: health turns 503 while the in-flight call still completes', async () => {
    wd = await startWatchdog({ fprocess: `sh ${exampleFunction('sleep.sh')}`, healthcheck_interval: '300ms', write_timeout: '5s' });
    const { url, watchdog } = wd;
    const inflight = httpCall(url, { body: '0.8' });
    await waitFor(() => watchdog.inflight() === 1, { description: 'call in flight' });
    const closed = watchdog.close();
    const health = await httpCall(`${url}/_/health`, { method: 'GET' });
    expect(health.status).toBe(503);
    expect((await httpCall(`${url}/_/ready`, { method: 'GET' })).status).toBe(503);
    const res = await inflight;
    expect([res.status, res.body.toString()]).toEqual([200, 'slept 0.8s\n']);
    await closed;
    await expect(httpCall(`${url}/_/health`, { method: 'GET' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('leaves no function process behind when calls outlive write_timeout during the drain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-wd-'));
    const pidFile = join(dir, 'pids');
    try {
      wd = await startWatchdog({ fprocess: `sh ${exampleFunction('spawn-tree.sh')}`, write_timeout: '500ms', exec_timeout: '0' });
      const { url, watchdog } = wd;
      const inflight = httpCall(url, { headers: { 'x-pid-file': pidFile } }).catch((err: Error) => err);
      const pids = await waitFor(() => {
        const lines = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n') : [];
        return lines.length === 4 && lines.map(Number);
      }, { description: 'the process tree started' });
      const startedAt = Date.now();
      await watchdog.close();
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(watchdog.inflight()).toBe(0);
      const res = await inflight;
      expect(res instanceof Error ? res.message : res.status).toBe(504);
      await waitFor(() => pids.every((pid) => !processAlive(pid)), { timeoutMs: 3_000, description: 'tree gone' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close is idempotent', async () => {
    wd = await startWatchdog({ fprocess: 'cat' });
    const first = wd.watchdog.close();
    expect(wd.watchdog.close()).toBe(first);
    await first;
  });
});
