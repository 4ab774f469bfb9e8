/** Header rules of the sync proxy (docs/openfaas-compatibility.md, "Calls"), as pure functions. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, Headers, connectionTokens } from '../../common/headers.js';

/** Facts about the inbound call that the upstream request carries. */
export interface CallFacts {
  readonly callId: string;
  /** Unix nanoseconds, as a decimal string. */
  readonly startTimeNs: string;
  readonly remoteAddress: string | undefined;
}

/**
 * The headers sent to the function: the caller's minus hop-by-hop ones and Host (the upstream gets its own;
 * the original goes in X-Forwarded-Host), plus the call id and start time, and X-Forwarded-* when absent.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, call: CallFacts): OutgoingHttpHeaders {
  const extra = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const key in incoming) {
    // Expect: 100-continue was already answered by the gateway's own server.
    if (HOP_BY_HOP.has(key) || key === 'host' || key === 'expect' || extra?.has(key)) continue;
    out[key] = incoming[key];
  }
  out[Headers.callId] = call.callId;
  out[Headers.startTime] = call.startTimeNs;
  if (out[Headers.forwardedFor] === undefined && call.remoteAddress) out[Headers.forwardedFor] = call.remoteAddress;
  if (out[Headers.forwardedHost] === undefined && incoming.host) out[Headers.forwardedHost] = incoming.host;
  return out;
}

/**
 * The headers returned to the caller: the function's minus hop-by-hop ones. Content-Type falls back to the
 * request's, then text/plain, as OpenFaaS does (bodiless 204/304 excepted); the platform headers are added by the caller.
 */
export function downstreamResponseHeaders(
  upstream: IncomingHttpHeaders,
  statusCode: number,
  requestContentType: string | undefined,
): OutgoingHttpHeaders {
  const extra = connectionTokens(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const key in upstream) {
    if (HOP_BY_HOP.has(key) || extra?.has(key)) continue;
    out[key] = upstream[key];
  }
  // 204 and 304 carry no body, so no type either.
  if (out['content-type'] === undefined && statusCode !== 204 && statusCode !== 304) out['content-type'] = requestContentType ?? 'text/plain';
  return out;
}

// Headers whose repeats node:http drops (keeping the first) instead of joining, since a list makes no sense for them.
const SINGLE_VALUED = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer',
  'retry-after', 'server', 'user-agent']);

/**
 * undici's raw header list as node:http's IncomingMessage shapes it: lower-case names, repeats joined (or dropped
 * for single-valued headers), Set-Cookie a list.
 */
export function headersFromRaw(raw: readonly Buffer[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = out[key];
    if (seen === undefined) out[key] = key === 'set-cookie' ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (SINGLE_VALUED.has(key)) continue;
    else out[key] = `${seen}, ${value}`;
  }
  return out;
}
