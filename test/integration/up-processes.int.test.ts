/**
 * `kfaas up` with KFAAS_GATEWAY_PROCESSES=2 (the built CLI): two gateway worker processes share the port while
 * the `kfaas up` process keeps the functions. Calls are answered by both workers; /metrics, invocationCount and
 * the autoscaler's signals sum every process; a call to a function at zero through a worker scales it up; a killed
 * worker is replaced; SIGTERM stops them all with exit code 0.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { alive, childPids, waitFor } from '../helpers/index.js';
import { startUp, stopUp, type Up } from './compat-support.js';

jest.setTimeout(120_000);

/** A fresh connection per request: the cluster hands each new connection to the next worker. */
const CLOSE = { connection: 'close' };
const BODY = 'x'.repeat(8 * 1024);

let dir: string;
let up: Up | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfaas-up-procs-'));
  writeFileSync(
    join(dir, 'stack.yaml'),
    ['functions:', '  echo: {handler: cat, mode: fork}', '  idle: {handler: cat, mode: fork, replicas: 0}', '  slow: {handler: sh slow.sh, mode: fork}', ''].join('\n'),
  );
  writeFileSync(join(dir, 'slow.sh'), 'sleep 5\ncat\n');
});

afterAll(async () => {
  if (up?.child.exitCode === null) up.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The gateway worker processes of a `kfaas up`: its children running `main.js up` (not watchdogs or handlers). */
function gatewayWorkers(pid: number): number[] {
  return childPids(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[2] === 'up';
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** Bytes a process has written so far (sockets included). */
function written(pid: number): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

async function callsSucceed(url: string, name: string, n: number): Promise<boolean> {
  for (let i = 0; i < n; i++) if ((await request(url).post(`/function/${name}`).set(CLOSE).send('hi')).status !== 200) return false;
  return true;
}

it('serves sync calls from two worker processes, sums metrics, scales from zero, replaces a dead worker and stops on SIGTERM', async () => {
  up = await startUp(join(dir, 'data'), ['-f', join(dir, 'stack.yaml')], { KFAAS_GATEWAY_PROCESSES: '2', KFAAS_DRAIN_TIMEOUT: '2s' });
  const { url } = up;
  const owner = up.child.pid!;
  const workers = await waitFor(() => (gatewayWorkers(owner).length === 2 ? gatewayWorkers(owner) : undefined), {
    timeoutMs: 30_000,
    description: `two gateway workers\n${up.output()}`,
  });
  for (let i = 0; i < 4; i++) await request(url).get('/readyz').set(CLOSE).expect(200);

  // Both workers answer: each writes a share of the 40 responses of 8 KiB to its clients' sockets.
  const before = workers.map(written);
  const calls = 40;
  for (let i = 0; i < calls; i++) {
    const res = await request(url).post('/function/echo').set(CLOSE).set('content-type', 'text/plain').send(BODY);
    expect({ status: res.status, length: res.text.length }).toEqual({ status: 200, length: BODY.length });
  }
  const share = workers.map((pid, i) => written(pid) - before[i]!);
  for (const bytes of share) expect(bytes).toBeGreaterThan(5 * BODY.length);

  // Any scrape counts the calls of every process; so does the function's invocationCount.
  const line = `gateway_function_invocation_total{function_name="echo.openfaas-fn",code="200"} ${calls}`;
  for (let i = 0; i < 4; i++) expect((await request(url).get('/metrics').set(CLOSE).expect(200)).text).toContain(line);
  const echo = await request(url).get('/system/function/echo').set(CLOSE).set('authorization', up.authorization).expect(200);
  expect((echo.body as { invocationCount: number }).invocationCount).toBe(calls);

  // The autoscaler's signals count the sync calls in flight in every process: six at once, spread over both.
  const slow = Array.from({ length: 6 }, () => request(url).post('/function/slow').set(CLOSE).send('s').then((r) => r.status));
  const signals = () => request(url).get('/system/scale-signals').set(CLOSE).set('authorization', up!.authorization).expect(200);
  await waitFor(
    async () => ((await signals()).body as { functions: Array<{ name: string; syncInflight: number }> }).functions.find((f) => f.name === 'slow')?.syncInflight === 6,
    { timeoutMs: 4_000, intervalMs: 50, description: 'six slow calls in flight in the scale signals' },
  );
  expect(await Promise.all(slow)).toEqual([200, 200, 200, 200, 200, 200]);

  // A call to a function at zero, through a worker, waits for the scale-up and succeeds; then workers serve it.
  const idle = () => request(url).get('/system/function/idle').set(CLOSE).set('authorization', up!.authorization).expect(200);
  expect((await idle()).body).toMatchObject({ replicas: 0, availableReplicas: 0 });
  await request(url).post('/function/idle').set(CLOSE).send('wake').expect(200, 'wake');
  expect((await idle()).body).toMatchObject({ replicas: 1, availableReplicas: 1 });
  expect(await callsSucceed(url, 'idle', 6)).toBe(true);

  // A worker that dies is replaced; calls keep working.
  process.kill(workers[0]!, 'SIGKILL');
  const replaced = await waitFor(
    () => {
      const now = gatewayWorkers(owner);
      return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
    },
    { timeoutMs: 20_000, description: `a replacement worker\n${up.output()}` },
  );
  await waitFor(() => callsSucceed(url, 'echo', 6), { timeoutMs: 20_000, description: 'calls through both workers after the restart' });

  up.child.kill('SIGTERM');
  expect({ code: await up.exited, output: up.output() }).toEqual({ code: 0, output: expect.any(String) });
  for (const pid of replaced) expect(alive(pid)).toBe(false);
  await stopUp(up);
});
