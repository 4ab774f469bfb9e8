/** The keep-alive connection pool every sync call to a function goes through (undici's, loaded alone). */
import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';

/** How the shared upstream pool keeps idle connections. */
export interface UpstreamAgentOptions {
  /** An idle pooled connection is closed after this long (ms); 0 keeps it until the function closes it. */
  readonly idleTimeoutMs: number;
}

/** The upstream pool as the proxy sees it: a dispatcher that can be closed at shutdown. */
export type UpstreamAgent = Dispatcher;

// setTimeout's largest delay, about 24.8 days: "never" for an idle connection.
const NEVER_MS = 2 ** 31 - 1;

/**
 * Creates the shared upstream pool: unbounded connections per function endpoint, one call at a time on each,
 * idle connections closed by the gateway before the function would close them.
 *
 * A function that closes an idle keep-alive connection just as the gateway sends a call on it turns that call
 * into a 502 (the request went out on a dying socket). Closing idle connections first on our side leaves no
 * such window: after idleTimeoutMs, or one second before a `Keep-Alive: timeout=N` the function announced,
 * whichever is sooner.
 */
export function createUpstreamAgent(options: UpstreamAgentOptions): UpstreamAgent {
  const idleMs = options.idleTimeoutMs > 0 ? options.idleTimeoutMs : NEVER_MS;
  return new Agent({
    keepAliveTimeout: idleMs,
    keepAliveMaxTimeout: idleMs,
    keepAliveTimeoutThreshold: 1_000,
    // The proxy's own deadline governs a call; undici's per-phase timeouts would cut long calls short.
    headersTimeout: 0,
    bodyTimeout: 0,
    // HTTP/1.1 pipelining would queue a call behind a slow one on the same connection.
    pipelining: 1,
  });
}
