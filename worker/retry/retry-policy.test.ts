import { describe, expect, it } from '@jest/globals';
import { DEFAULT_POLICY, type DeliveryPolicy } from '../../common/delivery-policy.js';
import { type AttemptOutcome, classify, decide, isExpired, parseRetryAfter } from './retry-policy.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const policy: DeliveryPolicy = {
  ...DEFAULT_POLICY,
  maxAttempts: 4,
  minBackoffMs: 1000,
  maxBackoffMs: 5000,
  maxEventAgeMs: 60_000,
};
const ctx = (random = 0.5, enqueuedAt = NOW - 1000, jitter: 'full' | 'equal' = 'equal') => ({
  random: () => random,
  now: () => NOW,
  enqueuedAt,
  jitter,
});
const res = (status: number, headers: Record<string, string> = {}): AttemptOutcome => ({ kind: 'response', status, headers });
const net: AttemptOutcome = { kind: 'network-error', error: 'ECONNREFUSED' };

describe('decide', () => {
  it.each([
    ['200 is done', res(200), 1, { kind: 'done' }],
    ['204 is done', res(204), 3, { kind: 'done' }],
    ['302 is the function answer, done', res(302), 1, { kind: 'done' }],
    ['400 is final, never retried', res(400), 1, { kind: 'dead-letter', reason: 'not_retriable' }],
    ['404 from the function is final', res(404), 1, { kind: 'dead-letter', reason: 'not_retriable' }],
    ['404 from the platform: function gone', res(404, { 'x-kfaas-error': 'true' }), 1, { kind: 'dead-letter', reason: 'function_not_found' }],
    ['501 is not in the list', res(501), 1, { kind: 'dead-letter', reason: 'not_retriable' }],
    ['501 from the platform is retried', res(501, { 'x-openfaas-internal': 'gateway' }), 1, { kind: 'retry', delayMs: 750 }],
    ['500 first failure: equal jitter of 1s', res(500), 1, { kind: 'retry', delayMs: 750 }],
    ['503 second failure doubles', res(503), 2, { kind: 'retry', delayMs: 1500 }],
    ['504 third failure doubles again', res(504), 3, { kind: 'retry', delayMs: 3000 }],
    ['408 retried', res(408), 1, { kind: 'retry', delayMs: 750 }],
    ['502 retried', res(502), 1, { kind: 'retry', delayMs: 750 }],
    ['network error retried', net, 1, { kind: 'retry', delayMs: 750 }],
    ['attempts exhausted', res(500), 4, { kind: 'dead-letter', reason: 'max_attempts' }],
    ['network error, attempts exhausted', net, 4, { kind: 'dead-letter', reason: 'max_attempts' }],
    ['429 with Retry-After seconds', res(429, { 'retry-after': '7' }), 1, { kind: 'retry', delayMs: 7000 }],
    ['503 with Retry-After date', res(503, { 'retry-after': new Date(NOW + 9000).toUTCString() }), 1, { kind: 'retry', delayMs: 9000 }],
    ['500 ignores Retry-After', res(500, { 'retry-after': '7' }), 1, { kind: 'retry', delayMs: 750 }],
    ['garbage Retry-After falls back to backoff', res(429, { 'retry-after': 'soon' }), 1, { kind: 'retry', delayMs: 750 }],
    ['a watchdog 429 uses up no attempt', res(429, { 'x-openfaas-internal': 'watchdog' }), 2, { kind: 'retry', delayMs: 750, uncounted: true }],
    ['a watchdog 429 is retried even with attempts exhausted', res(429, { 'x-openfaas-internal': 'watchdog' }), 4, { kind: 'retry', delayMs: 750, uncounted: true }],
    ["the function's own 429 uses up an attempt", res(429), 4, { kind: 'dead-letter', reason: 'max_attempts' }],
  ])('%s', (_label, outcome, attempt, expected) => {
    expect(decide(outcome, attempt, policy, ctx())).toEqual(expected);
  });

  it.each([
    ['full jitter, random 0', 'full', 0, 2, 0],
    ['full jitter, random 0.5', 'full', 0.5, 2, 1000],
    ['full jitter, random ~1', 'full', 0.999, 2, 1998],
    ['equal jitter, random 0', 'equal', 0, 2, 1000],
    ['equal jitter, random ~1', 'equal', 0.999, 2, 1999],
    ['cap at maxBackoff (equal)', 'equal', 0.999, 10, 4998],
    ['cap at maxBackoff (full)', 'full', 0.5, 30, 2500],
  ] as const)('%s', (_label, jitter, random, attempt, delayMs) => {
    const big = { ...policy, maxAttempts: 100 };
    expect(decide(res(500), attempt, big, ctx(random, NOW, jitter))).toEqual({ kind: 'retry', delayMs });
  });

  it('dead-letters for age when the retry could only run after the maximum event age', () => {
    // 59.5 s old, 0.75 s backoff: the retry would run at 60.25 s, past the 60 s limit.
    expect(decide(res(500), 1, policy, ctx(0.5, NOW - 59_500))).toEqual({ kind: 'dead-letter', reason: 'max_event_age' });
    expect(decide(res(500), 1, policy, ctx(0.5, NOW - 59_000))).toEqual({ kind: 'retry', delayMs: 750 });
  });

  it('honours a Retry-After above maxBackoff, capped only by the maximum event age', () => {
    expect(decide(res(429, { 'retry-after': '30' }), 1, policy, ctx())).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(decide(res(429, { 'retry-after': '60' }), 1, policy, ctx())).toEqual({ kind: 'dead-letter', reason: 'max_event_age' });
  });

  it('a maximum event age of 0 means no limit', () => {
    const noAge = { ...policy, maxEventAgeMs: 0 };
    expect(decide(res(429, { 'retry-after': '86400' }), 1, noAge, ctx(0.5, 0))).toEqual({ kind: 'retry', delayMs: 86_400_000 });
  });

  it('uses the statuses of the policy', () => {
    const only500 = { ...policy, retryOn: [500] };
    expect(decide(res(503), 1, only500, ctx())).toEqual({ kind: 'dead-letter', reason: 'not_retriable' });
    expect(decide(res(503, { 'x-kfaas-error': 'true' }), 1, only500, ctx())).toEqual({ kind: 'retry', delayMs: 750 });
    expect(decide(res(418), 1, { ...policy, retryOn: [418] }, ctx())).toEqual({ kind: 'retry', delayMs: 750 });
  });

  it('maxAttempts 1 never retries', () => {
    expect(decide(res(503), 1, { ...policy, maxAttempts: 1 }, ctx())).toEqual({ kind: 'dead-letter', reason: 'max_attempts' });
  });
});

describe('classify', () => {
  it.each([
    [res(200), { kind: 'success' }],
    [res(429, { 'retry-after': '3' }), { kind: 'retryable', retryAfterMs: 3000 }],
    [res(400, { 'x-kfaas-error': 'true' }), { kind: 'final', reason: 'not_retriable' }],
    [res(429, { 'x-openfaas-internal': 'watchdog' }), { kind: 'retryable', overloaded: true }],
  ] as const)('%#', (outcome, expected) => {
    expect(classify(outcome, policy, NOW)).toEqual(expected);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120_000],
    [' 5 ', 5000],
    [new Date(NOW + 2000).toUTCString(), 2000],
    [new Date(NOW - 2000).toUTCString(), 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%p -> %p', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('isExpired', () => {
  it.each([
    [NOW - 60_001, 60_000, true],
    [NOW - 60_000, 60_000, false],
    [0, 0, false],
  ])('enqueued %i, max age %i -> %p', (enqueuedAt, maxEventAgeMs, expected) => {
    expect(isExpired(enqueuedAt, { maxEventAgeMs }, NOW)).toBe(expected);
  });
});
