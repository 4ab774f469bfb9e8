/**
 * Delivers a call's final outcome to its `X-Callback-Url`, with OpenFaaS's callback headers plus the Pro ones
 * (docs/openfaas-compatibility.md). One POST per call; retries are the handler's (a re-queued callback phase), so the
 * function itself never runs again just because a callback failed.
 */
import type http from 'node:http';
import type https from 'node:https';
import { HOP_BY_HOP, Headers, unixNanos } from '../../common/headers.js';
import type { DeadLetterReason, Invocation, InvocationResult } from '../../common/invocation.js';
import { KFAAS_VERSION } from '../../common/version.js';
import type { CallbackPolicy } from '../../common/callback-policy.js';
import { exchange } from '../http/http-exchange.js';
import { isTransientStatus } from '../retry/retry-policy.js';
import { CALLBACK_REFUSED_CODE, checkedLookup } from './checked-lookup.js';

/** How one callback POST went. */
export interface CallbackOutcome {
  readonly ok: boolean;
  /** True when retrying cannot help: the receiver refused the callback with a 4xx other than 408/429. */
  readonly permanent: boolean;
  /** True when the callback policy refused the host or an address it resolved to; nothing was sent. */
  readonly refused?: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** What the callback reports besides the function's response. */
export interface CallbackMeta {
  /** Invocation attempts made. */
  readonly attempts: number;
  /** Set when the call ends in the dead-letter queue. */
  readonly deadLetterReason?: DeadLetterReason;
}

/** Posts callbacks. */
export interface CallbackPoster {
  post(inv: Invocation, result: InvocationResult, meta: CallbackMeta, signal: AbortSignal): Promise<CallbackOutcome>;
}

/** Options of the callback poster. */
export interface CallbackPosterOptions {
  readonly timeoutMs: number;
  /** Where callbacks may go, checked on the URL and on every address its host resolves to. */
  readonly policy: CallbackPolicy;
  readonly agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
}

/** The User-Agent of every callback. */
export const CALLBACK_USER_AGENT = `kfaas-worker/${KFAAS_VERSION}`;

// Describe the function's response, not this POST: the transport sets these for the callback itself.
const NOT_COPIED = new Set([...HOP_BY_HOP, 'content-length', 'host', 'date']);

/**
 * Builds the callback's headers: the function's response headers first, then the platform's, which win.
 * X-Retry counts retries made and X-Retry-Max the retries allowed, so equal values mean none follow (Pro).
 */
export function callbackHeaders(inv: Invocation, result: InvocationResult, meta: CallbackMeta): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.headers)) {
    if (!NOT_COPIED.has(key.toLowerCase())) headers[key.toLowerCase()] = value;
  }
  headers[Headers.callId] = inv.callId;
  headers[Headers.functionName] = inv.function;
  headers[Headers.functionNamespace] = inv.namespace;
  headers[Headers.functionStatus] = String(result.failed ? 503 : result.status);
  headers[Headers.durationSeconds] = (result.durationMs / 1000).toFixed(6);
  headers[Headers.startTime] = unixNanos(inv.enqueuedAt);
  headers[Headers.attempts] = String(meta.attempts);
  headers[Headers.retry] = String(Math.max(0, meta.attempts - 1));
  headers[Headers.retryMax] = String(Math.max(0, inv.policy.maxAttempts - 1));
  headers[Headers.userAgent] = CALLBACK_USER_AGENT;
  if (meta.deadLetterReason) headers[Headers.deadLetter] = meta.deadLetterReason;
  return headers;
}

/** Creates the callback poster. */
export function createCallbackPoster(opts: CallbackPosterOptions): CallbackPoster {
  const lookup = checkedLookup(opts.policy);
  return {
    async post(inv, result, meta, signal) {
      if (!inv.callbackUrl) return { ok: true, permanent: false };
      let url: URL;
      try {
        url = new URL(inv.callbackUrl);
      } catch {
        return { ok: false, permanent: true, error: `callback URL ${JSON.stringify(inv.callbackUrl)} is not valid` };
      }
      // The gateway checked the URL at accept time; the policy may have changed since, and names are resolved now.
      const refused = opts.policy.checkUrl(url);
      if (refused) return { ok: false, permanent: true, refused: true, error: `callback refused: ${refused}` };
      const res = await exchange(url, {
        method: 'POST',
        headers: callbackHeaders(inv, result, meta),
        body: result.failed ? Buffer.alloc(0) : result.body,
        timeoutMs: opts.timeoutMs,
        signal,
        ...(opts.agents ? { agents: opts.agents } : {}),
        lookup,
      });
      if (res.kind === 'network-error' && res.code === CALLBACK_REFUSED_CODE) {
        return { ok: false, permanent: true, refused: true, error: res.error };
      }
      if (res.kind === 'network-error') return { ok: false, permanent: false, error: res.error };
      if (res.status < 400) return { ok: true, permanent: false, status: res.status };
      return { ok: false, permanent: !isTransientStatus(res.status), status: res.status, error: `callback receiver answered ${res.status}` };
    },
  };
}
