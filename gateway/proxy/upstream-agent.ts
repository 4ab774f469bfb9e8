/** The keep-alive agent every sync call to a function goes through. */
import { Agent } from 'node:http';

/** How the shared upstream agent keeps idle connections. */
export interface UpstreamAgentOptions {
  readonly maxIdleSocketsPerHost: number;
  /** An idle pooled connection is closed after this long (ms); 0 keeps it until the function closes it. */
  readonly idleTimeoutMs: number;
}

/**
 * Creates the shared upstream agent: unbounded concurrency, idle sockets reused most-recent first, and closed
 * by the gateway before the function would close them.
 *
 * A function that closes an idle keep-alive connection just as the gateway sends a call on it turns that call
 * into a 502 (the request went out on a dying socket). Closing idle connections first on our side leaves no
 * such window: after idleTimeoutMs, or one second before a `Keep-Alive: timeout=N` the function announced
 * (Node's agent applies that hint only when a timeout is set, so the timeout also switches the hint on).
 */
export function createUpstreamAgent(options: UpstreamAgentOptions): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: options.maxIdleSocketsPerHost,
    // LIFO keeps a few warm sockets busy and lets the rest time out, instead of cycling through all of them.
    scheduling: 'lifo',
    // On a socket in use this only emits 'timeout', which the proxy ignores: its own deadline governs calls.
    ...(options.idleTimeoutMs > 0 ? { timeout: options.idleTimeoutMs } : {}),
  });
}
