/**
 * Replays a queued call through the gateway's sync route, as the OpenFaaS queue-worker does: async gets the
 * sync path's routing, deadlines and metrics, and the worker needs no provider or cluster credentials.
 */
import type http from 'node:http';
import type https from 'node:https';
import { Headers } from '../../common/headers.js';
import type { Invocation } from '../../common/invocation.js';
import { exchange, type ExchangeResult } from '../http/http-exchange.js';


/** The result of one attempt: the exchange's outcome, timed. */
export type InvokeResult = ExchangeResult & { readonly startedAt: number; readonly durationMs: number };

/** Runs one attempt of a call. */
export interface FunctionInvoker {
  invoke(inv: Invocation, attempt: number, signal: AbortSignal): Promise<InvokeResult>;
}

/** Options of the gateway invoker. */
export interface GatewayInvokerOptions {
  /** Gateway base URL without a trailing slash. */
  readonly gatewayUrl: string;
  /** Added to the function's exec timeout, so the gateway's (or watchdog's) own 504 arrives before ours. */
  readonly timeoutMarginMs: number;
  readonly agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
  readonly now?: () => number;
}

// Set by the transport (or by us) for this request; a stored value would be stale or wrong.
const NOT_REPLAYED = new Set(['host', 'content-length', 'expect', Headers.callId, Headers.attempt]);

/** Builds the sync-route URL of a call: `{gateway}/function/{fn}.{ns}{path}?{rawQuery}`. */
export function syncRouteUrl(gatewayUrl: string, inv: Invocation): URL {
  const path = inv.path.startsWith('/') ? inv.path : `/${inv.path}`;
  const query = inv.rawQuery ? `?${inv.rawQuery}` : '';
  return new URL(`${gatewayUrl}/function/${inv.function}.${inv.namespace}${path}${query}`);
}

/** Creates an invoker that calls functions through the gateway's sync route. */
export function createGatewayInvoker(opts: GatewayInvokerOptions): FunctionInvoker {
  const now = opts.now ?? Date.now;
  return {
    async invoke(inv, attempt, signal) {
      const headers: Record<string, string | readonly string[]> = {};
      for (const [key, value] of Object.entries(inv.headers)) {
        if (!NOT_REPLAYED.has(key.toLowerCase())) headers[key] = value;
      }
      headers[Headers.callId] = inv.callId;
      headers[Headers.attempt] = String(attempt);
      // exec_timeout 0 disables the function's limit; the gateway's global cap is then the only deadline.
      const timeoutMs = inv.policy.execTimeoutMs > 0 ? inv.policy.execTimeoutMs + opts.timeoutMarginMs : undefined;
      const startedAt = now();
      const t0 = performance.now();
      const result = await exchange(syncRouteUrl(opts.gatewayUrl, inv), {
        method: inv.method,
        headers,
        body: inv.body,
        timeoutMs,
        signal,
        ...(opts.agents ? { agents: opts.agents } : {}),
      });
      const durationMs = performance.now() - t0;
      return result.kind === 'response'
        ? { ...result, startedAt, durationMs }
        : { ...result, startedAt, durationMs };
    },
  };
}
