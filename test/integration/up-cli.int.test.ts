/**
 * `kfaas up` end to end, as a new user runs it: the built CLI on a free port with the example stack, the
 * README's quick-start calls, callbacks with every header, retries, dead letters, durability across kill -9,
 * and the errors a user meets first (bad stack files, a busy port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { alive, childPids, waitFor } from '../helpers/index.js';
import { callbackReceiver, CLI, freePort } from './compat-support.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const STACK = join(ROOT, 'examples', 'stack.yaml');

interface Up {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  exited: Promise<number | null>;
}


function runUp(args: string[]): Up {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (make test does) first`);
  const child = spawn(process.execPath, [CLI, 'up', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KFAAS_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const port = args[args.indexOf('--port') + 1];
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

async function startUp(dataDir: string, port: number): Promise<Up> {
  const up = runUp(['-f', STACK, '--port', String(port), '--data-dir', dataDir]);
  await waitFor(() => up.output().includes('kfaas is up') || up.child.exitCode !== null, { timeoutMs: 60_000, description: 'kfaas up banner' });
  if (up.child.exitCode !== null) throw new Error(`kfaas up exited early:\n${up.output()}`);
  return up;
}

async function stopUp(up: Up | undefined): Promise<void> {
  if (!up || up.child.exitCode !== null) return;
  up.child.kill('SIGTERM');
  await up.exited;
}



/** Runs the kfaas CLI without blocking this process (its callback receiver must keep answering). */
function kfaas(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

function auth(dataDir: string): string {
  const user = readFileSync(join(dataDir, 'auth', 'basic-auth-user'), 'utf8').trim();
  const password = readFileSync(join(dataDir, 'auth', 'basic-auth-password'), 'utf8').trim();
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('kfaas up (the README quick start)', () => {
  let dataDir: string;
  let up: Up | undefined;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kfaas-up-'));
    receiver = await callbackReceiver();
    up = await startUp(dataDir, await freePort());
  }, 90_000);

  afterAll(async () => {
    await stopUp(up);
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the gateway URL, the functions and curl examples', () => {
    const out = up!.output();
    expect(out).toContain(`kfaas is up: ${up!.url}`);
    for (const fn of ['echo', 'word-count', 'sleep', 'flaky', 'always-fail', 'binary', 'callback-log']) expect(out).toContain(`  ${fn} `);
    expect(out).toContain(`curl -s ${up!.url}/function/echo -d 'hello kfaas'`);
    expect(out).not.toContain('NOT READY');
  });

  it('answers sync calls with the function output and the call headers', async () => {
    const res = await fetch(`${up!.url}/function/echo`, { method: 'POST', body: 'hello kfaas' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello kfaas');
    expect(res.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-start-time')).toMatch(/^\d{19}$/);
    const wc = await fetch(`${up!.url}/function/word-count`, { method: 'POST', body: 'one two three' });
    expect((await wc.text()).trim()).toBe('3');
  });

  it('returns binary bodies byte for byte', async () => {
    const res = await fetch(`${up!.url}/function/binary`, { method: 'POST' });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('enforces the function exec timeout with a 504 naming the limit', async () => {
    const res = await fetch(`${up!.url}/function/sleep`, { method: 'POST', body: '8' });
    expect(res.status).toBe(504);
    expect(await res.text()).toMatch(/exec_timeout/);
  });

  it('accepts an async call with 202 and calls back with every header', async () => {
    const res = await fetch(`${up!.url}/async-function/echo/sub/path?x=1`, {
      method: 'POST',
      body: 'queued hello',
      headers: { 'X-Callback-Url': `${receiver.url}/done`, 'X-Call-Id': 'quick-start-1' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-call-id')).toBe('quick-start-1');
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === 'quick-start-1'), { timeoutMs: 20_000 });
    expect(cb.body.toString()).toBe('queued hello');
    expect(cb.headers).toMatchObject({ 'x-function-name': 'echo', 'x-function-status': '200', 'x-attempts': '1' });
    expect(Number(cb.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(cb.headers['x-start-time']).toMatch(/^\d+$/);
    const metrics = await (await fetch(`${up!.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_async_accepted_total\{function_name="echo.openfaas-fn"\} [1-9]/);
    expect(metrics).toMatch(/gateway_function_invocation_total\{function_name="echo.openfaas-fn",code="200"\} [1-9]/);
  });

  it('retries the flaky function until it succeeds', async () => {
    // The flaky example counts attempts per call id in a temp dir, so every run needs a call id of its own.
    const callId = `flaky-${process.pid}-${Date.now()}`;
    const res = await fetch(`${up!.url}/async-function/flaky`, { method: 'POST', body: 'x', headers: { 'X-Callback-Url': receiver.url, 'X-Call-Id': callId } });
    expect(res.status).toBe(202);
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === callId), { timeoutMs: 30_000 });
    expect(cb.headers['x-function-status']).toBe('200');
    expect(Number(cb.headers['x-attempts'])).toBe(3);
    expect(cb.body.toString()).toContain('succeeded on attempt 3');
  });

  it('dead-letters the always-failing function and shows why', async () => {
    const res = await fetch(`${up!.url}/async-function/always-fail`, { method: 'POST', body: 'doomed', headers: { 'X-Callback-Url': receiver.url, 'X-Call-Id': 'doomed-1' } });
    expect(res.status).toBe(202);
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === 'doomed-1'), { timeoutMs: 30_000 });
    expect(cb.headers['x-function-status']).toBe('500');
    expect(cb.headers['x-attempts']).toBe('3');
    const letters = await waitFor(async () => {
      const list = (await (await fetch(`${up!.url}/system/dead-letters?function=always-fail`, { headers: { authorization: auth(dataDir) } })).json()) as Array<Record<string, unknown>>;
      return list.find((d) => d['callId'] === 'doomed-1');
    }, { timeoutMs: 10_000 });
    expect(letters).toMatchObject({ reason: 'max_attempts', attempts: 3, lastStatus: 500, function: 'always-fail' });
    const unauth = await fetch(`${up!.url}/system/dead-letters`);
    expect(unauth.status).toBe(401);
  });

  it('tells what happened to the dead-lettered call, and redrives it from the CLI', async () => {
    const status = await waitFor(async () => {
      const s = (await (await fetch(`${up!.url}/async-calls/doomed-1`)).json()) as Record<string, unknown>;
      return s['state'] === 'dead-lettered' ? s : undefined;
    }, { timeoutMs: 30_000 });
    expect(status).toMatchObject({ callId: 'doomed-1', function: 'always-fail', reason: 'max_attempts', attempts: 3, lastStatus: 500 });
    const got = await kfaas('calls', 'get', 'doomed-1', '--gateway', up!.url);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ state: 'dead-lettered' });
    const password = join(dataDir, 'auth', 'basic-auth-password');
    const redrive = await kfaas('dead-letters', 'redrive', '--call-id', 'doomed-1', '--gateway', up!.url, '--user', 'admin', '--password-file', password);
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout)).toEqual({ redriven: ['doomed-1'], skipped: 0 });
    // It fails again, for good: the status counts the redrive and restarts its attempts.
    const waited = await kfaas('calls', 'wait', 'doomed-1', '--gateway', up!.url, '--timeout', '30s');
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ state: 'dead-lettered', redrives: 1, attempts: 3 });
  });

  it('refuses an unknown async function with 404 instead of accepting it', async () => {
    const res = await fetch(`${up!.url}/async-function/nope`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'FN_NOT_FOUND' });
  });

  it('deploys a function at run time through /system and calls it', async () => {
    const deploy = await fetch(`${up!.url}/system/functions`, {
      method: 'POST',
      headers: { authorization: auth(dataDir), 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'upper', image: 'local/upper', envProcess: 'tr a-z A-Z' }),
    });
    expect(deploy.status).toBe(202);
    const res = await waitFor(async () => {
      const r = await fetch(`${up!.url}/function/upper`, { method: 'POST', body: 'shout' });
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 20_000 });
    expect(await res.text()).toBe('SHOUT');
  });

  it('starts the worker of a dedicated queue when a function using it is deployed at run time', async () => {
    const deploy = await fetch(`${up!.url}/system/functions`, {
      method: 'POST',
      headers: { authorization: auth(dataDir), 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'reverse', image: 'local/reverse', envProcess: 'rev', annotations: { 'com.openfaas.queue': 'reports' } }),
    });
    expect(deploy.status).toBe(202);
    await waitFor(async () => (await fetch(`${up!.url}/function/reverse`, { method: 'POST', body: 'x' })).status === 200, { timeoutMs: 20_000 });
    const callId = `reports-${process.pid}-${Date.now()}`;
    const res = await fetch(`${up!.url}/async-function/reverse`, { method: 'POST', body: 'abc', headers: { 'X-Callback-Url': receiver.url, 'X-Call-Id': callId } });
    expect(res.status).toBe(202);
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === callId), { timeoutMs: 20_000 });
    expect(cb.body.toString().trim()).toBe('cba');
  });

  it('names the port and --port when the port is taken', async () => {
    const port = Number(new URL(up!.url).port);
    const second = runUp(['-f', STACK, '--port', String(port), '--data-dir', mkdtempSync(join(tmpdir(), 'kfaas-up2-'))]);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(second.output()).toContain('--port');
  });
});

describe('kfaas up durability', () => {
  it('leaves no function processes after kill -9, and runs and calls back every accepted call after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kfaas-up-kill-'));
    const receiver = await callbackReceiver();
    const port = await freePort();
    let up: Up | undefined = await startUp(dataDir, port);
    try {
      // Calls that take a while each, so most are still queued or running when the process dies.
      const ids = Array.from({ length: 30 }, (_, i) => `durable-${i}`);
      const accepted = await Promise.all(
        ids.map((id) => fetch(`${up!.url}/async-function/sleep`, { method: 'POST', body: '1', headers: { 'X-Callback-Url': receiver.url, 'X-Call-Id': id } })),
      );
      expect(accepted.map((r) => r.status)).toEqual(ids.map(() => 202));
      // The fork-mode watchdogs are hosted in kfaas up itself, so its children are the function processes of
      // the calls in flight, each in its own process group.
      const children = await waitFor(() => {
        const pids = childPids(up!.child.pid!);
        return pids.length > 0 && pids;
      }, { description: 'function processes of the calls in flight' });
      up.child.kill('SIGKILL');
      await up.exited;
      // Nothing kills them for us: with their pipes closed and their calls short, they end on their own.
      await waitFor(() => children.every((pid) => !alive(pid)), { timeoutMs: 15_000, description: 'the function processes of the killed kfaas up to exit' });
      const before = new Set(receiver.received.map((c) => String(c.headers['x-call-id'])));
      expect(before.size).toBeLessThan(ids.length);

      up = await startUp(dataDir, port);
      await waitFor(() => ids.every((id) => receiver.received.some((c) => c.headers['x-call-id'] === id)), { timeoutMs: 90_000, description: 'every accepted call called back' });
      for (const id of ids) {
        const cb = receiver.received.find((c) => c.headers['x-call-id'] === id)!;
        expect(cb.headers['x-function-status']).toBe('200');
      }
    } finally {
      await stopUp(up);
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('kfaas up bad input', () => {
  it.each([
    ['functions:\n  echo: {handler: cat, timeouts: {exec: soon}}', 'functions.echo.timeouts.exec: invalid duration "soon"'],
    ['functions:\n  echo: {handler: cat, colour: blue}', 'functions.echo.colour: unknown field'],
    ['functions: [', 'not valid YAML'],
  ])('names the file, the field and the problem before starting (%j)', async (text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-bad-stack-'));
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, text);
    const up = runUp(['-f', file, '--port', String(await freePort()), '--data-dir', join(dir, 'data')]);
    expect(await up.exited).toBe(2);
    expect(up.output()).toContain(`${file}: ${message}`);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names a missing stack file', async () => {
    const up = runUp(['-f', '/nonexistent/stack.yaml', '--port', String(await freePort())]);
    expect(await up.exited).toBe(2);
    expect(up.output()).toContain('/nonexistent/stack.yaml: cannot read the file: ENOENT');
  });
});
