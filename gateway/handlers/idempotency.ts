/**
 * `Idempotency-Key` on `/async-function` (IETF httpapi draft "The Idempotency-Key HTTP Header Field"). The call
 * id is derived from the function and the key, so a repeat is recognised by the call's status, which both
 * queues already keep for the status retention: a key whose call is known is answered with that call's id and
 * `X-Idempotent-Replay: true`, and nothing is enqueued again. Across gateway replicas a repeat is caught once
 * the first call's status has reached the other replica (milliseconds); repeats racing within one gateway wait
 * for the first enqueue.
 */
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { KfaasError } from '../../common/errors.js';

/** Request and response headers of idempotent calls. */
export const IdempotencyHeaders = Object.freeze({
  key: 'idempotency-key',
  replay: 'x-idempotent-replay',
});

const MAX_KEY_LENGTH = 255;
// The draft makes the value a Structured Fields string ("…"); a bare token is accepted too.
const KEY = /^[\x21-\x7e]+$/;

/** The request's idempotency key, or undefined when it sends none; 400 for an unusable one. */
export function idempotencyKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers[IdempotencyHeaders.key];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new KfaasError('INVALID_FIELD', 'Idempotency-Key: give it once');
  const text = raw.trim();
  const key = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  if (key === '' || key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    throw new KfaasError('INVALID_FIELD', `Idempotency-Key: must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters`);
  }
  return key;
}

/** The call id of an idempotent call: a UUID-shaped digest of namespace, function and key. */
export function idempotentCallId(key: string, fn: string, namespace: string): string {
  const hex = crypto.createHash('sha256').update(`${namespace}\n${fn}\n${key}`).digest('hex');
  // Version 8 (custom) and the RFC 9562 variant bits, so it reads as the UUIDs kfaas mints otherwise.
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Serialises enqueues of one idempotent call id within this process, so a racing repeat waits for the first. */
export class InflightCalls {
  private readonly pending = new Map<string, Promise<unknown>>();

  /** The enqueue in flight for `callId`, if any. */
  get(callId: string): Promise<unknown> | undefined {
    return this.pending.get(callId);
  }

  /** Runs `work` as the enqueue of `callId`. */
  async run<T>(callId: string, work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.pending.set(callId, promise);
    try {
      return await promise;
    } finally {
      this.pending.delete(callId);
    }
  }
}
