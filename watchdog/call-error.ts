/**
 * Errors a call can end with, and the one place they become an HTTP response. Platform-made errors carry
 * `X-OpenFaaS-Internal: watchdog` so the gateway and worker can tell them from the function's own answers.
 */
import type { ServerResponse } from 'node:http';
import { formatDuration } from '../common/duration.js';
import { Headers } from '../common/headers.js';
import { nowMs } from './clock.js';

/** The component name the watchdog puts in `X-OpenFaaS-Internal`. */
export const INTERNAL_COMPONENT = 'watchdog';

/** Why a call failed: status, stable code, a plain-text message, and whether the platform (not the function) made it. */
export class CallError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly internal: boolean = true,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

/** Which watchdog limit expired. */
export type TimeoutLimit = 'read_timeout' | 'write_timeout' | 'exec_timeout';

/** A timeout error naming the limit and its value, e.g. `exec_timeout of 2s exceeded`. */
export function timeoutError(limit: TimeoutLimit, ms: number, note = ''): CallError {
  const statusCode = limit === 'read_timeout' ? 408 : 504;
  const code = limit === 'read_timeout' ? 'READ_TIMEOUT' : limit === 'write_timeout' ? 'WRITE_TIMEOUT' : 'EXEC_TIMEOUT';
  return new CallError(statusCode, code, `${limit} of ${formatDuration(ms)} exceeded${note}`);
}

/** Seconds since `startedAtMs` in the `%f` format of the OpenFaaS `X-Duration-Seconds` header. */
export function durationSeconds(startedAtMs: number, now: number = nowMs()): string {
  return ((now - startedAtMs) / 1000).toFixed(6);
}

/** Writes `err` as a text/plain response; the caller must check that headers were not sent yet. */
export function writeCallError(res: ServerResponse, err: CallError, startedAtMs: number): void {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    [Headers.durationSeconds]: durationSeconds(startedAtMs),
  };
  if (err.internal) {
    headers[Headers.internal] = INTERNAL_COMPONENT;
    headers[Headers.kfaasError] = err.code;
  }
  res.writeHead(err.statusCode, headers);
  res.end(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
}
