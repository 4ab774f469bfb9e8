/**
 * The one backoff formula of kfaas: capped exponential steps with jitter. Every retry and restart (queue
 * infrastructure faults, retry relay, async call retries, callbacks, operator requeues, informer and process
 * restarts) draws its delay here, so they all mean the same thing by `minMs`, `maxMs` and jitter.
 */

/** How a step is spread: `full` draws from [0, step], `equal` from [step/2, step] (AWS architecture blog terms). */
export type JitterMode = 'full' | 'equal';

/** A backoff as data: the first step, the cap, and the jitter (`equal` unless given). */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly jitter?: JitterMode;
}

/**
 * Delay before retry number `attempt` (0-based): the step `min(maxMs, minMs * 2^attempt)`, jittered so that a
 * fleet failing together does not come back together. `equal` jitter never retries sooner than half the step.
 * `random` is uniform in [0, 1); it is injected so that tests are exact.
 */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  // 2^30 already exceeds any sane cap; clamping the exponent keeps the product finite.
  const step = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(backoff.jitter === 'full' ? r * step : step / 2 + (r * step) / 2);
}
