import { request } from 'node:http';
import { connect } from 'node:net';
import { waitFor } from '../test/helpers/wait-for.js';
import { exampleFunction, freePort, httpCall, processAlive, REPO_ROOT, startWatchdog, type InProcessWatchdog } from './testing/harness.js';

const echo = `${process.execPath} ${exampleFunction('http-echo.mjs')}`;

async function startHttp(env: Record<string, string> = {}, backoffMs = 400): Promise<InProcessWatchdog> {
  const port = await freePort();
  return startWatchdog(
    { mode: 'http', fprocess: echo, upstream_url: `http://127.0.0.1:${port}`, ...env },
    { restartBackoff: { minMs: backoffMs, maxMs: 2_000, stableMs: 60_000 } },
  );
}

describe('watchdog in http mode', () => {
  let wd: InProcessWatchdog | undefined;
  afterEach(async () => {
    await wd?.watchdog.close();
    wd = undefined;
  });

  it('proxies method, path, query, headers, Host and body, and drops hop-by-hop headers', async () => {
    wd = await startHttp();
    const res = await httpCall(`${wd.url}/some/path?a=1&b=2`, {
      method: 'PATCH',
      headers: { host: 'fn.example', 'content-type': 'application/json', 'x-call-id': 'c-1', connection: 'close, x-drop-me', 'x-drop-me': 'secret' },
      body: '{"hello":"world"}',
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"hello":"world"}');
    expect(res.headers).toMatchObject({
      'x-echo-method': 'PATCH',
      'x-echo-path': '/some/path?a=1&b=2',
      'x-echo-host': 'fn.example',
      'x-echo-call-id': 'c-1',
      'content-type': 'application/json',
    });
    expect(Number(res.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(res.headers['x-openfaas-internal']).toBeUndefined();
    const forwarded = String(res.headers['x-echo-header-names']).split(',');
    expect(forwarded).toEqual(expect.arrayContaining(['host', 'content-type', 'x-call-id']));
    expect(forwarded).not.toContain('x-drop-me');
    const logged = await waitFor(() => wd!.entries.find((e) => String(e['message']).startsWith('PATCH /some/path?a=1&b=2 - 200 - Duration:')));
    expect(logged['callId']).toBe('c-1');
  });

  it('resends a call whose kept-alive socket the upstream closed, so the caller never sees the stale socket', async () => {
    const port = await freePort();
    const dropper = `${process.execPath} ${REPO_ROOT}watchdog/testing/drop-reused-upstream.mjs`;
    wd = await startWatchdog({ mode: 'http', fprocess: dropper, upstream_url: `http://127.0.0.1:${port}` });
    // One at a time, so each call after the first goes out on a pooled socket that the upstream then drops.
    for (let i = 0; i < 10; i += 1) {
      const res = await httpCall(`${wd.url}/`, { body: `call ${i}` });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(`call ${i}`);
    }
    const stats = await httpCall(`${wd.url}/stats`, { method: 'GET' });
    // The upstream did drop reused sockets (else this test proves nothing), and every call still succeeded.
    expect(Number(stats.body.toString())).toBeGreaterThanOrEqual(5);
  });

  it('answers 504 naming exec_timeout and keeps the upstream for the next call', async () => {
    wd = await startHttp({ exec_timeout: '500ms' });
    const startedAt = Date.now();
    const res = await httpCall(`${wd.url}/?sleep_ms=3000`, { body: 'x' });
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    expect(res.status).toBe(504);
    expect(res.body.toString().trim()).toBe('exec_timeout of 500ms exceeded');
    expect(res.headers['x-openfaas-internal']).toBe('watchdog');
    expect(Number(res.headers['x-duration-seconds'])).toBeGreaterThanOrEqual(0.5);
    const next = await httpCall(wd.url, { body: 'again' });
    expect([next.status, next.body.toString()]).toEqual([200, 'again']);
  });

  it('lets X-Timeout lower exec_timeout but never raise it', async () => {
    wd = await startHttp({ exec_timeout: '600ms' });
    const lowered = await httpCall(`${wd.url}/?sleep_ms=400`, { headers: { 'x-timeout': '100ms' } });
    expect(lowered.status).toBe(504);
    expect(lowered.body.toString()).toContain('exec_timeout of 100ms exceeded');
    const notRaised = await httpCall(`${wd.url}/?sleep_ms=2000`, { headers: { 'x-timeout': '30s' } });
    expect(notRaised.status).toBe(504);
    expect(notRaised.body.toString().trim()).toBe('exec_timeout of 600ms exceeded');
    const withinLimit = await httpCall(`${wd.url}/?sleep_ms=100`, { headers: { 'x-timeout': 'garbage' }, body: 'ok' });
    expect([withinLimit.status, withinLimit.body.toString()]).toEqual([200, 'ok']);
  });

  it('answers 504 naming write_timeout when no response started in time', async () => {
    wd = await startHttp({ exec_timeout: '0', write_timeout: '300ms' });
    const res = await httpCall(`${wd.url}/?sleep_ms=2000`);
    expect(res.status).toBe(504);
    expect(res.body.toString().trim()).toBe('write_timeout of 300ms exceeded');
  });

  it('cuts a streamed response that outlives write_timeout', async () => {
    wd = await startHttp({ exec_timeout: '0', write_timeout: '500ms' });
    const startedAt = Date.now();
    const outcome = await new Promise<{ status: number; received: string; error?: string }>((resolve) => {
      let received = '';
      const req = request(`${wd!.url}/?drip=30&drip_ms=100`, { agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (text: string) => (received += text));
        res.on('error', (err) => resolve({ status: res.statusCode ?? 0, received, error: err.message }));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, received }));
      });
      req.end();
    });
    expect(outcome.status).toBe(200);
    expect(outcome.received).toContain('chunk 1\n');
    expect(outcome.received).not.toContain('chunk 30\n');
    expect(outcome.error).toBe('aborted');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  const rawExchange = (url: string, text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.write(text);
    });

  it('answers 408 naming read_timeout when the request body stalls', async () => {
    wd = await startHttp({ read_timeout: '300ms' });
    const text = await rawExchange(wd.url, 'PUT /?sleep_ms=2000 HTTP/1.1\r\nHost: fn\r\nContent-Length: 1000\r\n\r\npartial');
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('read_timeout of 300ms exceeded');
  });

  it('cuts the connection on read_timeout once the upstream has started answering', async () => {
    wd = await startHttp({ read_timeout: '300ms' });
    const text = await rawExchange(wd.url, 'PUT / HTTP/1.1\r\nHost: fn\r\nContent-Length: 1000\r\n\r\npartial');
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('partial');
    // No terminating chunk: the client can tell the answer is incomplete.
    expect(text.endsWith('0\r\n\r\n')).toBe(false);
  });

  it('restarts a crashed upstream, reporting unhealthy until it is back', async () => {
    wd = await startHttp({}, 700);
    const { url } = wd;
    const before = await httpCall(url, { body: 'x' });
    const firstPid = Number(before.headers['x-echo-pid']);
    expect(processAlive(firstPid)).toBe(true);

    const crash = await httpCall(`${url}/?exit=1`).catch((err: Error) => err);
    expect(crash instanceof Error ? crash.message : crash.status).toBe(502);
    const unhealthy = await waitFor(async () => {
      const health = await httpCall(`${url}/_/health`, { method: 'GET' });
      return health.status === 503 && health;
    }, { intervalMs: 20, description: 'health 503 after the crash' });
    expect(unhealthy.body.toString()).toContain('not ready');
    const duringRestart = await httpCall(url, { body: 'x' });
    expect(duringRestart.status).toBe(503);
    expect(duringRestart.headers['x-openfaas-internal']).toBe('watchdog');

    await waitFor(async () => (await httpCall(`${url}/_/health`, { method: 'GET' })).status === 200, {
      timeoutMs: 10_000,
      description: 'health back to 200',
    });
    const after = await httpCall(url, { body: 'back' });
    expect([after.status, after.body.toString()]).toEqual([200, 'back']);
    expect(Number(after.headers['x-echo-pid'])).not.toBe(firstPid);
    expect(processAlive(firstPid)).toBe(false);
    expect(wd.entries.some((e) => String(e['message']).includes('exited with code 1; restarting'))).toBe(true);
  });

  it('stops the upstream process on close', async () => {
    wd = await startHttp();
    const pid = Number((await httpCall(wd.url, { body: 'x' })).headers['x-echo-pid']);
    expect(processAlive(pid)).toBe(true);
    await wd.watchdog.close();
    await waitFor(() => !processAlive(pid), { timeoutMs: 3_000, description: `upstream ${pid} gone` });
  });

  it('fails to start, with the stderr excerpt, when the upstream exits at once', async () => {
    const port = await freePort();
    await expect(
      startWatchdog({ mode: 'http', fprocess: `sh ${exampleFunction('always-fail.sh')}`, upstream_url: `http://127.0.0.1:${port}` }),
    ).rejects.toThrow(/exited with code 1 before accepting connections on 127\.0\.0\.1:\d+; stderr: always-fail: this function never succeeds/);
  });

  it('fails to start when the upstream never listens within upstream_start_timeout', async () => {
    const port = await freePort();
    await expect(
      startWatchdog({ mode: 'http', fprocess: 'sleep 30', upstream_url: `http://127.0.0.1:${port}`, upstream_start_timeout: '300ms' }),
    ).rejects.toThrow(`fprocess "sleep 30" did not accept connections on 127.0.0.1:${port} within 300ms`);
  });
});
