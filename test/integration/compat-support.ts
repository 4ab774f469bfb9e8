// Shared by the compat-*.int.test.ts suites: a real `kfaas up` child process on a free port, its basic-auth
// credentials, a callback receiver, and JSON checks that mirror how Go's encoding/json decodes the faas-provider
// types (what faas-cli does with our answers).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join, resolve } from 'node:path';
import { freePort } from '../harness/ports.js';
import { startHttpServer, waitFor, type TestHttpServer } from '../helpers/index.js';

export { freePort };

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The built CLI. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** A running `kfaas up`. */
export interface Up {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  /** `Basic …` for the generated admin credentials. */
  readonly authorization: string;
  output(): string;
  readonly exited: Promise<number | null>;
}


/** Starts `kfaas up --port <free> --data-dir <dataDir> ...extra` (with `env` added to this shell's) and waits for its banner. */
export async function startUp(dataDir: string, extra: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<Up> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (make test does) first`);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'up', '--port', String(port), '--data-dir', dataDir, ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KFAAS_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await waitFor(() => out.includes('kfaas is up') || child.exitCode !== null, { timeoutMs: 60_000, description: 'kfaas up banner' });
  if (child.exitCode !== null) throw new Error(`kfaas up exited early:\n${out}`);
  const user = readFileSync(join(dataDir, 'auth', 'basic-auth-user'), 'utf8').trim();
  const password = readFileSync(join(dataDir, 'auth', 'basic-auth-password'), 'utf8').trim();
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    output: () => out,
    exited,
  };
}

/** Stops a `kfaas up` with SIGTERM and waits for it to exit. */
export async function stopUp(up: Up | undefined): Promise<void> {
  if (!up || up.child.exitCode !== null) return;
  up.child.kill('SIGTERM');
  await up.exited;
}

/** Writes an executable shell script (a local function's handler) and returns its path. */
export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A callback that arrived. */
export interface Callback {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A loopback server that records every request it receives. */
export async function callbackReceiver(): Promise<TestHttpServer & { received: Callback[] }> {
  const received: Callback[] = [];
  const server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  return Object.assign(server, { received });
}

// Go's time.Time.UnmarshalJSON accepts RFC 3339 only: a date, `T`, a time, optional fraction, and a zone.
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function stringMapOrNull(value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${field}: not a JSON object: ${JSON.stringify(value)}`);
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') throw new Error(`${field}.${k}: not a string`);
}

function optional(value: unknown, type: 'string' | 'boolean', field: string): void {
  if (value !== undefined && value !== null && typeof value !== type) throw new Error(`${field}: not a ${type}: ${JSON.stringify(value)}`);
}

function unsigned(value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${field}: not a uint64: ${JSON.stringify(value)}`);
}

/**
 * Throws where Go's json.Unmarshal into faas-provider's types.FunctionStatus would fail (a wrong type, a
 * negative replica count, a createdAt that is not RFC 3339). Returns the object for further checks.
 */
export function asGoFunctionStatus(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`FunctionStatus: not an object: ${JSON.stringify(value)}`);
  const s = value as Record<string, unknown>;
  for (const field of ['name', 'image', 'namespace', 'envProcess']) optional(s[field], 'string', field);
  for (const field of ['envVars', 'labels', 'annotations']) stringMapOrNull(s[field], field);
  for (const field of ['constraints', 'secrets']) {
    if (s[field] !== undefined && s[field] !== null && !(Array.isArray(s[field]) && (s[field] as unknown[]).every((x) => typeof x === 'string'))) {
      throw new Error(`${field}: not a string array`);
    }
  }
  optional(s['readOnlyRootFilesystem'], 'boolean', 'readOnlyRootFilesystem');
  if (s['invocationCount'] !== undefined && typeof s['invocationCount'] !== 'number') throw new Error('invocationCount: not a number');
  unsigned(s['replicas'], 'replicas');
  unsigned(s['availableReplicas'], 'availableReplicas');
  if (s['createdAt'] !== undefined && !(typeof s['createdAt'] === 'string' && RFC3339.test(s['createdAt']))) {
    throw new Error(`createdAt: not RFC 3339: ${JSON.stringify(s['createdAt'])}`);
  }
  return s;
}

/** Parses an NDJSON body as faas-cli's json.Decoder loop does, checking each line against logs.Message. */
export function asGoLogMessages(body: string): Array<{ name: string; namespace: string; instance: string; timestamp: string; text: string }> {
  const out = [];
  for (const raw of body.split('\n')) {
    if (raw.trim() === '') continue;
    const m = JSON.parse(raw) as Record<string, unknown>;
    for (const field of ['name', 'namespace', 'instance', 'text']) optional(m[field], 'string', field);
    if (typeof m['timestamp'] !== 'string' || !RFC3339.test(m['timestamp'])) throw new Error(`timestamp: not RFC 3339: ${JSON.stringify(m['timestamp'])}`);
    out.push(m as { name: string; namespace: string; instance: string; timestamp: string; text: string });
  }
  return out;
}
