/** Exponential backoff with equal jitter and a cap, for the sources' own retries of infrastructure faults. */

/** Bounds of a backoff sequence. */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Default backoff of infrastructure retries (a handler that threw, a decision that could not be stored). */
export const DEFAULT_INFRA_BACKOFF: BackoffOptions = Object.freeze({ minMs: 200, maxMs: 30_000 });

/**
 * Delay before retry number `attempt` (0-based): `min(maxMs, minMs * 2^attempt)`, of which the upper half is
 * random ("equal jitter"), so a fleet retrying together spreads out but never retries sooner than half the step.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (step / 2) * random());
}
