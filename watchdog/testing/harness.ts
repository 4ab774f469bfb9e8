/**
 * Test support for the watchdog's own tests: start it in-process or as the real `kfaas watchdog` child process,
 * call it over real sockets, and check processes by pid. Not used by production code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import winston from 'winston';
import { loadConfig } from '../config.js';
import { createWatchdog, type Watchdog, type WatchdogDeps } from '../index.js';
import { freeLoopbackPort } from '../../runtime/free-port.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/** A port that was free a moment ago (for an http-mode upstream, whose port must be known up front). */
export const freePort = freeLoopbackPort;

/** Absolute path of the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of an example function script. */
export function exampleFunction(name: string): string {
  return `${REPO_ROOT}examples/functions/${name}`;
}

/** A logger that keeps every entry as an object, for asserting on log lines. */
export function recordingLogger(): { logger: winston.Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      entries.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { logger, entries };
}

/** A watchdog started in this process on 127.0.0.1 and port 0. */
export interface InProcessWatchdog {
  readonly url: string;
  readonly watchdog: Watchdog;
  readonly entries: Array<Record<string, unknown>>;
}

/** Starts a watchdog in-process from an env literal (port, bind address and a short drain are preset). */
export async function startWatchdog(env: Record<string, string>, deps: Partial<WatchdogDeps> = {}): Promise<InProcessWatchdog> {
  const { logger, entries } = recordingLogger();
  const config = loadConfig({ port: '0', bind_address: '127.0.0.1', healthcheck_interval: '0', PATH: process.env['PATH'], ...env });
  const watchdog = createWatchdog(config, { logger, ...deps });
  const { port } = await watchdog.start().catch(async (err: unknown) => {
    await watchdog.close();
    throw err;
  });
  return { url: `http://127.0.0.1:${port}`, watchdog, entries };
}

/** A completed HTTP exchange. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends one request on a fresh connection and reads the whole answer. */
export function httpCall(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}


/** True when `pid` is a live process (a zombie awaiting its reaper counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** Resident set size of `pid` in kB (`VmRSS`), or peak (`VmHWM`). */
export function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]);
}

/** The real `kfaas watchdog` running as a child process. */
export interface CliWatchdog {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** Parsed JSON log lines from stdout so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Everything written to stderr so far. */
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const CLI = `${REPO_ROOT}dist/cli/kfaas.cjs`;

/** Spawns `node dist/cli/kfaas.cjs watchdog` (the `kfaas` executable) with `env` (plus PATH); does not wait for it to listen. */
export function spawnCliWatchdog(env: Record<string, string>): Omit<CliWatchdog, 'url'> {
  if (!existsSync(CLI) || !existsSync(`${REPO_ROOT}dist/watchdog/main.js`)) {
    throw new Error(`${CLI} or dist/watchdog/main.js is missing: run \`npm run build\` before these tests`);
  }
  const child = spawn(process.execPath, [CLI, 'watchdog'], {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    pending += text;
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line, unparsed: true });
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pid: child.pid!, logs, stderr: () => stderr, exited };
}

/** Spawns the CLI watchdog and waits for its "Listening on port" and ready log lines. */
export async function startCliWatchdog(env: Record<string, string>, timeoutMs = 15_000): Promise<CliWatchdog> {
  const proc = spawnCliWatchdog({ port: '0', bind_address: '127.0.0.1', ...env });
  let exitInfo: unknown;
  void proc.exited.then((info) => (exitInfo = info));
  const ready = () => {
    // An early exit stops the wait at once (waitFor rethrows the last error only at its deadline).
    if (exitInfo) return { exited: true } as const;
    const listening = proc.logs.find((l) => typeof l['message'] === 'string' && l['message'].startsWith('Listening on port'));
    const up = proc.logs.some((l) => typeof l['message'] === 'string' && l['message'].startsWith('Function ready'));
    return listening && up ? { port: String(listening['port']) } : undefined;
  };
  let state: Awaited<ReturnType<typeof ready>>;
  try {
    state = await waitFor(ready, { timeoutMs, intervalMs: 25, description: 'kfaas watchdog to get ready' });
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw new Error(`kfaas watchdog did not get ready within ${timeoutMs} ms: ${proc.stderr()}`, { cause: err });
  }
  if ('exited' in state!) throw new Error(`kfaas watchdog exited early (${JSON.stringify(exitInfo)}): ${proc.stderr()}`);
  return { ...proc, url: `http://127.0.0.1:${state!.port}` };
}
