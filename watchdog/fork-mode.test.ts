import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../test/helpers/wait-for.js';
import { exampleFunction, httpCall, processAlive, startWatchdog, type InProcessWatchdog } from './testing/harness.js';

describe('watchdog in fork mode', () => {
  let running: InProcessWatchdog[] = [];
  const start = async (env: Record<string, string>): Promise<InProcessWatchdog> => {
    const wd = await startWatchdog(env);
    running.push(wd);
    return wd;
  };
  afterEach(async () => {
    await Promise.all(running.map((wd) => wd.watchdog.close()));
    running = [];
  });

  it('round-trips a binary body through cat, byte for byte', async () => {
    const { url } = await start({ fprocess: 'cat' });
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1024 * 1024)]);
    const res = await httpCall(`${url}/`, { body });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBe(String(body.length));
    expect(Number(res.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(res.body.equals(body)).toBe(true);
  });

  it('spawns on the main thread with spawn_threads=0', async () => {
    const { url } = await start({ fprocess: 'cat', spawn_threads: '0' });
    const res = await httpCall(`${url}/`, { body: 'same bytes back' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('same bytes back');
  });

  it('answers with content_type, else the request content type', async () => {
    const plain = await start({ fprocess: 'cat' });
    const mirrored = await httpCall(plain.url, { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(mirrored.headers['content-type']).toBe('application/json');
    const fixed = await start({ fprocess: 'cat', content_type: 'text/csv' });
    const overridden = await httpCall(fixed.url, { body: 'a,b', headers: { 'content-type': 'application/json' } });
    expect(overridden.headers['content-type']).toBe('text/csv');
    expect(overridden.body.toString()).toBe('a,b');
  });

  it('passes the request as Http_* variables plus the watchdog environment', async () => {
    const { url } = await start({ fprocess: 'env', GREETING: 'hello' });
    const res = await httpCall(`${url}/a/b?x=1&y=two`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-call-id': 'call-42', 'x-custom-thing': 'v' },
      body: 'ignored',
    });
    expect(res.status).toBe(200);
    const lines = res.body.toString().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Http_Method=PUT',
        'Http_Path=/a/b',
        'Http_Query=x=1&y=two',
        'Http_Content_Type=text/plain',
        'Http_X_Call_Id=call-42',
        'Http_X_Custom_Thing=v',
        'GREETING=hello',
      ]),
    );
  });

  it('logs the classic watchdog lines with the call id', async () => {
    const wd = await start({ fprocess: 'cat' });
    await httpCall(wd.url, { body: 'hello', headers: { 'x-call-id': 'log-call-1' } });
    await waitFor(() => wd.entries.some((e) => String(e['message']).startsWith('Wrote')));
    const forking = wd.entries.find((e) => e['message'] === 'Forking fprocess.');
    const wrote = wd.entries.find((e) => String(e['message']).startsWith('Wrote'));
    expect(forking?.['callId']).toBe('log-call-1');
    expect(wrote?.['message']).toMatch(/^Wrote 5 Bytes - Duration: \d+\.\d{6} seconds$/);
    expect(wrote?.['callId']).toBe('log-call-1');
  });

  it('answers 500 with an excerpt of stderr when the function exits non-zero', async () => {
    const wd = await start({ fprocess: `sh ${exampleFunction('always-fail.sh')}` });
    const res = await httpCall(wd.url, { body: 'x' });
    expect(res.status).toBe(500);
    expect(res.body.toString()).toContain('exit code 1');
    expect(res.body.toString()).toContain('always-fail: this function never succeeds');
    // The function failed, not the platform.
    expect(res.headers['x-openfaas-internal']).toBeUndefined();
    await waitFor(() => wd.entries.some((e) => e['stream'] === 'stderr' && String(e['message']).includes('never succeeds')));
  });

  it('answers 500 marked internal when fprocess cannot be started', async () => {
    const { url } = await start({ fprocess: 'no-such-command-kfaas' });
    const res = await httpCall(url, { body: 'x' });
    expect(res.status).toBe(500);
    expect(res.headers['x-openfaas-internal']).toBe('watchdog');
    expect(res.body.toString()).toContain('no-such-command-kfaas');
  });

  it('kills the whole process tree on exec_timeout and answers 504', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-wd-'));
    const pidFile = join(dir, 'pids');
    try {
      const { url } = await start({ fprocess: `sh ${exampleFunction('spawn-tree.sh')}`, exec_timeout: '1s' });
      const startedAt = Date.now();
      const res = await httpCall(url, { headers: { 'x-pid-file': pidFile } });
      expect(res.status).toBe(504);
      expect(res.body.toString().trim()).toBe('exec_timeout of 1s exceeded');
      expect(res.headers['x-openfaas-internal']).toBe('watchdog');
      expect(Number(res.headers['x-duration-seconds'])).toBeGreaterThanOrEqual(1);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
      // The shell, its child, the subshell and the subshell's child (a grandchild).
      expect(pids).toHaveLength(4);
      await waitFor(() => pids.every((pid) => !processAlive(pid)), { timeoutMs: 3_000, description: `${pids.join(',')} gone` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills the process tree when the client goes away mid-call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-wd-'));
    const pidFile = join(dir, 'pids');
    try {
      const wd = await start({ fprocess: `sh ${exampleFunction('spawn-tree.sh')}`, exec_timeout: '0' });
      const req = request(wd.url, { method: 'POST', agent: false, headers: { 'x-pid-file': pidFile } });
      req.on('error', () => undefined);
      req.end();
      const pids = await waitFor(() => {
        const lines = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n') : [];
        return lines.length === 4 && lines.map(Number);
      }, { description: 'the process tree started' });
      expect(pids.every(processAlive)).toBe(true);
      req.destroy();
      await waitFor(() => pids.every((pid) => !processAlive(pid)), { timeoutMs: 3_000, description: 'tree gone' });
      await waitFor(() => wd.watchdog.inflight() === 0, { description: 'call released' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets X-Timeout lower exec_timeout for one call', async () => {
    const { url } = await start({ fprocess: `sh ${exampleFunction('sleep.sh')}`, exec_timeout: '10s' });
    const startedAt = Date.now();
    const res = await httpCall(url, { body: '5', headers: { 'x-timeout': '300ms' } });
    expect(res.status).toBe(504);
    expect(res.body.toString()).toContain('exec_timeout of 300ms exceeded (lowered by X-Timeout from 10s)');
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });

  it('never lets X-Timeout raise exec_timeout', async () => {
    const { url } = await start({ fprocess: `sh ${exampleFunction('sleep.sh')}`, exec_timeout: '500ms' });
    const startedAt = Date.now();
    const res = await httpCall(url, { body: '5', headers: { 'x-timeout': '20s' } });
    expect(res.status).toBe(504);
    expect(res.body.toString().trim()).toBe('exec_timeout of 500ms exceeded');
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });

  it('runs without a limit when exec_timeout is 0, ignoring X-Timeout', async () => {
    const { url } = await start({ fprocess: `sh ${exampleFunction('sleep.sh')}`, exec_timeout: '0' });
    const res = await httpCall(url, { body: '0.5', headers: { 'x-timeout': '100ms' } });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('slept 0.5s\n');
  });

  it('answers 504 naming write_timeout when the function outlives it', async () => {
    const { url } = await start({ fprocess: `sh ${exampleFunction('sleep.sh')}`, exec_timeout: '0', write_timeout: '400ms' });
    const res = await httpCall(url, { body: '5' });
    expect(res.status).toBe(504);
    expect(res.body.toString().trim()).toBe('write_timeout of 400ms exceeded');
    expect(res.headers['x-openfaas-internal']).toBe('watchdog');
  });

  it('answers 408 naming read_timeout when the request body stalls', async () => {
    const wd = await start({ fprocess: 'cat', read_timeout: '300ms' });
    const { port } = new URL(wd.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    socket.write('POST / HTTP/1.1\r\nHost: fn\r\nContent-Length: 100\r\n\r\nonly ten b');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toMatch(/x-openfaas-internal: watchdog/i);
    expect(text).toContain('read_timeout of 300ms exceeded');
    await waitFor(() => wd.watchdog.inflight() === 0, { description: 'call released' });
  });

  describe('streaming mode', () => {
    it('streams stdout as it is written', async () => {
      const { url } = await start({ fprocess: 'cat', mode: 'streaming' });
      const body = randomBytes(300_000);
      const res = await httpCall(url, { body });
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.body.equals(body)).toBe(true);
    });

    it('still answers 500 when the function fails before writing anything', async () => {
      const { url } = await start({ fprocess: `sh ${exampleFunction('always-fail.sh')}`, mode: 'streaming' });
      const res = await httpCall(url, { body: 'x' });
      expect(res.status).toBe(500);
      expect(res.body.toString()).toContain('never succeeds');
    });
  });
});
