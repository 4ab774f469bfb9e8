/** A real `kfaas up` child process for the bench suites: the built CLI on a free port with a stack of its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/harness/ports.js';
import { repoRoot } from './support.js';

/** A running `kfaas up`. */
export interface UpChild {
  readonly url: string;
  readonly authorization: string;
  readonly child: ChildProcess;
  readonly dir: string;
}

/**
 * Starts `kfaas up -f <stack>` with `env` added (log level warn) and waits for its banner; `files` are written
 * beside the stack file, where its handlers run.
 */
export async function startUpChild(
  stack: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  files: Readonly<Record<string, string>> = {},
): Promise<UpChild> {
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-bench-up-'));
  writeFileSync(join(dir, 'stack.yml'), stack);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = await freePort();
  const cli = join(repoRoot(), 'dist/cli/main.js');
  const child = spawn(process.execPath, [cli, 'up', '--port', String(port), '--data-dir', join(dir, 'data'), ...args, '-f', join(dir, 'stack.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KFAAS_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await until(() => out.includes('kfaas is up') || child.exitCode !== null, 60_000, 'the kfaas up banner');
  if (child.exitCode !== null) throw new Error(`kfaas up exited:\n${out}`);
  const auth = (f: string) => readFileSync(join(dir, 'data', 'auth', f), 'utf8').trim();
  return { url: `http://127.0.0.1:${port}`, authorization: `Basic ${Buffer.from(`${auth('basic-auth-user')}:${auth('basic-auth-password')}`).toString('base64')}`, child, dir };
}

/** Stops it with SIGTERM, waits for the exit and removes its directory. */
export async function stopUpChild(up: UpChild): Promise<void> {
  const exited = new Promise((resolve) => up.child.once('exit', resolve));
  up.child.kill('SIGTERM');
  await exited;
  rmSync(up.dir, { recursive: true, force: true });
}

/** Polls `check` every 20 ms until it is truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench: ${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
