/**
 * `kfaas calls get|wait|cancel <callId>`: what became of an async call, asked of a gateway's /async-calls API
 * with the invocation credentials. Exit status: 0 when answered (wait: when the call is final), 1 when the
 * gateway refuses (unknown call, too late to cancel), 2 for bad usage or an unreachable gateway, 3 when a wait
 * ends before the call does.
 */
import { readFileSync } from 'node:fs';
import { isFinal, type CallState } from '../common/call-status.js';
import { tryParseDuration } from '../common/duration.js';

/** What `calls` does. */
export type CallsAction = 'get' | 'wait' | 'cancel';

/** The command's flags, as commander gives them. */
export interface CallsOptions {
  readonly gateway?: string;
  readonly user?: string;
  readonly password?: string;
  readonly passwordFile?: string;
  readonly timeout?: string;
}

/** A request the command makes; pure, so tests check it without a gateway. */
export interface CallsRequest {
  readonly method: 'GET' | 'DELETE';
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** The gateway URL without a trailing slash; throws for one that is not http(s). */
export function gatewayBase(opts: Pick<CallsOptions, 'gateway'>): string {
  const base = (opts.gateway ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new Error(`--gateway ${JSON.stringify(opts.gateway)}: must be an http(s) URL`);
  return base;
}

/** Basic-auth headers from --user with --password or --password-file; none when neither is given. */
export function authHeaders(opts: CallsOptions, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, string> {
  const password = opts.passwordFile !== undefined ? readFile(opts.passwordFile).trim() : opts.password;
  if (opts.user === undefined && password === undefined) return {};
  if (opts.user === undefined || password === undefined) throw new Error('--user and --password (or --password-file) go together');
  return { authorization: `Basic ${Buffer.from(`${opts.user}:${password}`).toString('base64')}` };
}

/** Builds the request of `action` for `callId`; throws a message for bad flags. */
export function callsRequest(action: CallsAction, callId: string, opts: CallsOptions, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CallsRequest {
  const base = gatewayBase(opts);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(callId)) throw new Error(`call id ${JSON.stringify(callId)} is not a valid X-Call-Id`);
  const headers = authHeaders(opts, readFile);
  const url = `${base}/async-calls/${encodeURIComponent(callId)}`;
  if (action === 'cancel') return { method: 'DELETE', url, headers };
  if (action === 'get') return { method: 'GET', url, headers };
  const timeout = opts.timeout ?? '60s';
  if (tryParseDuration(timeout) === undefined) throw new Error(`--timeout ${JSON.stringify(timeout)}: not a duration (30s, 5m)`);
  return { method: 'GET', url: `${url}?wait=${encodeURIComponent(timeout)}`, headers };
}

/** Runs the command; prints the gateway's JSON answer. */
export async function main(action: CallsAction, callId: string, opts: CallsOptions): Promise<void> {
  let req: CallsRequest;
  try {
    req = callsRequest(action, callId, opts);
  } catch (err) {
    process.stderr.write(`kfaas calls ${action}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers });
  } catch (err) {
    process.stderr.write(`kfaas calls ${action}: cannot reach ${req.url}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): print it as it came.
  }
  const out = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  if (!res.ok) {
    process.stderr.write(`kfaas calls ${action}: ${res.status} ${out}\n`);
    process.exit(res.status === 401 || res.status === 400 ? 2 : 1);
  }
  process.stdout.write(`${out}\n`);
  const state = (body as { state?: CallState }).state;
  if (action === 'wait' && state !== undefined && !isFinal(state)) process.exit(3);
}
