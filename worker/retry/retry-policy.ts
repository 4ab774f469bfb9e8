/**
 * The pure retry policy of async calls: given what one attempt produced, finish, retry after a backoff, or
 * dead-letter. No clock or randomness of its own: both are injected, so the table tests are exact.
 */
import { backoffDelayMs, type JitterMode } from '../../common/backoff.js';
import type { DeliveryPolicy } from '../../common/delivery-policy.js';
import { Headers } from '../../common/headers.js';
import type { DeadLetterReason } from '../../common/invocation.js';

/** What one invocation attempt produced. */
export type AttemptOutcome =
  /** The gateway (or the function behind it) answered with a status. */
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Response headers, lower-case names; `retry-after` and the platform-error markers are read. */
      readonly headers: Readonly<Record<string, string>>;
    }
  /** No answer: connection refused or reset, or the worker's own deadline passed. */
  | { readonly kind: 'network-error'; readonly error: string };

/** The injected environment of a decision. */
export interface DecideContext {
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Epoch ms. */
  readonly now: () => number;
  /** Epoch ms when the call was accepted, for the maximum event age. */
  readonly enqueuedAt: number;
  readonly jitter: JitterMode;
}

/** The policy's verdict on one attempt. */
export type Decision =
  | { readonly kind: 'done' }
  /** `uncounted`: the platform turned the call away unrun (a watchdog at max_inflight); no attempt is used up. */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly uncounted?: true }
  | { readonly kind: 'dead-letter'; readonly reason: DeadLetterReason };

/** How an outcome is treated, before attempts and age are considered. */
export type OutcomeClass =
  | { readonly kind: 'success' }
  | { readonly kind: 'retryable'; readonly retryAfterMs?: number; readonly overloaded?: true }
  | { readonly kind: 'final'; readonly reason: 'not_retriable' | 'function_not_found' };

/** True when a response was made by the platform (gateway, watchdog) rather than by the function's code. */
export function isPlatformError(headers: Readonly<Record<string, string>>): boolean {
  return headers[Headers.kfaasError] === 'true' || headers[Headers.internal] !== undefined;
}

/** True for the statuses that say "not now" rather than "no": any 5xx, 408 and 429. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Classifies an outcome. Network errors and platform errors (5xx, 408, 429 carrying the internal marker) are
 * always retryable, whatever the function's list says: no function code ran, or it could not be reached. A
 * platform 404 means the function was deleted after the call was accepted.
 */
export function classify(outcome: AttemptOutcome, policy: Pick<DeliveryPolicy, 'retryOn'>, nowMs = Date.now()): OutcomeClass {
  if (outcome.kind === 'network-error') return { kind: 'retryable' };
  const { status, headers } = outcome;
  if (status < 400) return { kind: 'success' };
  const platform = isPlatformError(headers);
  if (platform && status === 404) return { kind: 'final', reason: 'function_not_found' };
  const retryable = policy.retryOn.includes(status) || (platform && isTransientStatus(status));
  if (!retryable) return { kind: 'final', reason: 'not_retriable' };
  // Retry-After is only meaningful on 429 and 503 (RFC 9110 §10.2.3); elsewhere it is ignored.
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers[Headers.retryAfter], nowMs) : undefined;
  // A platform 429 is a watchdog at its max_inflight: the function never saw the call.
  const overloaded = platform && status === 429 ? ({ overloaded: true } as const) : {};
  return retryAfterMs === undefined ? { kind: 'retryable', ...overloaded } : { kind: 'retryable', retryAfterMs, ...overloaded };
}

/** Parses a Retry-After value (delta seconds or an HTTP date) to milliseconds from `nowMs`; undefined if invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date forms (RFC 9110 §5.6.7) start with a day name; Date.parse alone accepts "1.5" or "-1".
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Decides what follows attempt number `attempt` (1-based, this attempt included). Order: success, final
 * failures, attempts exhausted, then the delay; a retry that could only run after the maximum event age is
 * dead-lettered now rather than parked for nothing. A Retry-After is honoured as given, even above
 * `maxBackoffMs` (the server knows when it will recover); the maximum event age is its only cap. A watchdog's
 * 429 (over its max_inflight) is retried without using up an attempt, after the first backoff step: only the
 * maximum event age ends those.
 */
export function decide(outcome: AttemptOutcome, attempt: number, policy: DeliveryPolicy, ctx: DecideContext): Decision {
  const now = ctx.now();
  const cls = classify(outcome, policy, now);
  if (cls.kind === 'success') return { kind: 'done' };
  if (cls.kind === 'final') return { kind: 'dead-letter', reason: cls.reason };
  const uncounted = cls.overloaded === true;
  if (!uncounted && attempt >= policy.maxAttempts) return { kind: 'dead-letter', reason: 'max_attempts' };
  const delayMs =
    cls.retryAfterMs ??
    backoffDelayMs(uncounted ? 0 : attempt - 1, { minMs: policy.minBackoffMs, maxMs: policy.maxBackoffMs, jitter: ctx.jitter }, ctx.random);
  if (policy.maxEventAgeMs > 0 && now + delayMs - ctx.enqueuedAt > policy.maxEventAgeMs) {
    return { kind: 'dead-letter', reason: 'max_event_age' };
  }
  return uncounted ? { kind: 'retry', delayMs, uncounted } : { kind: 'retry', delayMs };
}

/** True when a call accepted at `enqueuedAt` is older than the policy's maximum event age at `now`. */
export function isExpired(enqueuedAt: number, policy: Pick<DeliveryPolicy, 'maxEventAgeMs'>, now: number): boolean {
  return policy.maxEventAgeMs > 0 && now - enqueuedAt > policy.maxEventAgeMs;
}
