/**
 * Delayed async calls: `X-Delay: 90s` (the OpenFaaS duration grammar) or `X-Not-Before: <RFC 3339>` asks that a
 * call run no earlier than a time. The call is stored at once; the queue holds it until then (the retry
 * relay's due time on Kafka, the row's due time in SQLite), so no worker sleeps on it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { formatDuration, tryParseDuration } from '../../common/duration.js';
import { KfaasError } from '../../common/errors.js';
import { Headers } from '../../common/headers.js';

// RFC 3339 date-time: a full date, a time, and an explicit offset (Z or ±hh:mm); Date.parse alone is laxer.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The epoch ms a request asks its call to wait until, or undefined when it asks for no delay (or one in the past). */
export function requestedNotBefore(headers: IncomingHttpHeaders, now: number, maxDelayMs: number): number | undefined {
  const delay = single(headers, Headers.delay);
  const notBefore = single(headers, Headers.notBefore);
  if (delay !== undefined && notBefore !== undefined) {
    throw new KfaasError('INVALID_FIELD', 'X-Delay and X-Not-Before: give one of them, not both');
  }
  let at: number;
  if (delay !== undefined) {
    const ms = tryParseDuration(delay);
    if (ms === undefined) throw new KfaasError('INVALID_FIELD', `X-Delay: ${JSON.stringify(delay)} is not a duration (use 90s, 15m or whole seconds)`);
    at = now + ms;
  } else if (notBefore !== undefined) {
    const parsed = RFC3339.test(notBefore.trim()) ? Date.parse(notBefore.trim()) : NaN;
    if (Number.isNaN(parsed)) throw new KfaasError('INVALID_FIELD', `X-Not-Before: ${JSON.stringify(notBefore)} is not an RFC 3339 time like 2026-01-02T15:04:05Z`);
    at = parsed;
  } else {
    return undefined;
  }
  if (at - now > maxDelayMs) {
    throw new KfaasError('INVALID_FIELD', `${delay !== undefined ? 'X-Delay' : 'X-Not-Before'}: a call may be delayed by at most ${formatDuration(maxDelayMs)}`);
  }
  return at > now ? at : undefined;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new KfaasError('INVALID_FIELD', `${name}: give it once`);
  return value;
}
