/** The per-function gateway deadline rule. */

/**
 * The gateway's deadline for one sync call: the function's own exec timeout plus a margin (so the watchdog's
 * 504, which names the function's limit, arrives before ours), capped by the gateway maximum. An exec
 * timeout of 0 means the function has no limit of its own, so only the cap applies. A caller's `X-Timeout`
 * (`requestedMs`, which the watchdog honours too) may only lower the result, never raise it.
 */
export function upstreamDeadlineMs(execTimeoutMs: number, marginMs: number, maxMs: number, requestedMs?: number): number {
  const own = execTimeoutMs > 0 ? Math.min(execTimeoutMs + marginMs, maxMs) : maxMs;
  if (requestedMs === undefined || !(requestedMs > 0)) return own;
  return Math.min(own, requestedMs + marginMs);
}
