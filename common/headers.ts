/** HTTP header names shared by gateway, worker and watchdog. Node lower-cases incoming names. */
export const Headers = Object.freeze({
  callId: 'x-call-id',
  startTime: 'x-start-time',
  durationSeconds: 'x-duration-seconds',
  callbackUrl: 'x-callback-url',
  functionName: 'x-function-name',
  functionNamespace: 'x-function-namespace',
  functionStatus: 'x-function-status',
  attempts: 'x-attempts',
  retry: 'x-retry',
  retryMax: 'x-retry-max',
  timeout: 'x-timeout',
  orderingKey: 'x-kfaas-ordering-key',
  /** Run an async call no earlier than this long after it is accepted (a duration). */
  delay: 'x-delay',
  /** Run an async call no earlier than this RFC 3339 time. */
  notBefore: 'x-not-before',
  /** The attempt number the worker sends with each replay of an async call (1 for the first). */
  attempt: 'x-kfaas-attempt',
  kfaasError: 'x-kfaas-error',
  /** Why a call was dead-lettered, on its callback (a kfaas addition). */
  deadLetter: 'x-kfaas-dead-letter',
  /** OpenFaaS marks platform-made errors with this header; its value names the component. */
  internal: 'x-openfaas-internal',
  servedBy: 'x-served-by',
  forwardedFor: 'x-forwarded-for',
  forwardedHost: 'x-forwarded-host',
  retryAfter: 'retry-after',
  userAgent: 'user-agent',
});

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The header names a `Connection` header lists, lower-cased: they are hop-by-hop too (RFC 9110 §7.6.1).
 * Undefined when there is no such header or it holds one of the usual values, which name no other header, so
 * the hot paths (every sync call, async accept and watchdog call) skip the split.
 */
export function connectionTokens(connection: unknown): Set<string> | undefined {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close' || connection === 'Keep-Alive') return undefined;
  const tokens = new Set<string>();
  for (const token of connection.split(',')) tokens.add(token.trim().toLowerCase());
  return tokens;
}

/**
 * Removes hop-by-hop headers, including any listed in the `Connection` header, returning a new object. It runs on
 * every async accept and every watchdog call, so it walks the keys in place (no entry arrays).
 */
export function withoutHopByHop<V>(headers: Readonly<Record<string, V | undefined>>): Record<string, V> {
  const named = connectionTokens(headers['connection']);
  const out: Record<string, V> = {};
  for (const key in headers) {
    const value = headers[key];
    const lower = key.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out[key] = value;
  }
  return out;
}

const CALL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** True when a caller-supplied call id is safe to keep (bounded length, no control or separator characters). */
export function isValidCallId(id: string | undefined): id is string {
  return typeof id === 'string' && CALL_ID.test(id);
}

/** Current Unix time in nanoseconds as a decimal string, the X-Start-Time format OpenFaaS uses. */
export function unixNanos(nowMs: number = Date.now()): string {
  // Appending six zeros is the multiplication by 10^6, without a BigInt per call (this runs on every sync call).
  const ms = Math.floor(nowMs);
  return ms === 0 ? '0' : `${ms}000000`;
}
