/**
 * The watchdog's probes. `/_/health`: 200 `OK` while accepting calls and the function is up, else 503.
 * `/_/ready`: the same 503, then 429 while `max_inflight` is reached, else 200. GET only, as OpenFaaS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Headers } from '../common/headers.js';
import { INTERNAL_COMPONENT } from './call-error.js';

/** What the probes look at; kept as functions so the answer is always current. */
export interface ProbeState {
  /** False from SIGTERM on. */
  accepting(): boolean;
  /** False while an http-mode upstream is starting or restarting. */
  functionReady(): boolean;
  saturated(): boolean;
}

const PROBE_PATHS = new Set(['/_/health', '/_/ready']);

/** True when the request targets a probe path (the query is ignored). */
export function isProbe(url: string | undefined): boolean {
  return PROBE_PATHS.has(pathOf(url));
}

/** Answers a probe request. */
export function answerProbe(req: IncomingMessage, res: ServerResponse, state: ProbeState): void {
  if (req.method !== 'GET') {
    send(res, 405, 'Method Not Allowed', { allow: 'GET' });
    return;
  }
  if (!state.accepting()) {
    send(res, 503, 'draining: the watchdog is shutting down');
  } else if (!state.functionReady()) {
    send(res, 503, 'function is not ready');
  } else if (pathOf(req.url) === '/_/ready' && state.saturated()) {
    send(res, 429, 'max_inflight reached');
  } else {
    send(res, 200, 'OK', {}, false);
  }
}

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}, internal = true): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(internal ? { [Headers.internal]: INTERNAL_COMPONENT } : {}),
    ...extra,
  });
  res.end(body);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}
