/** The queue adapters' default pacing of their own retries of infrastructure faults. */
import type { Backoff } from '../../common/backoff.js';

/** Default backoff of infrastructure retries (a handler that threw, a decision that could not be stored). */
export const DEFAULT_INFRA_BACKOFF: Backoff = Object.freeze({ minMs: 200, maxMs: 30_000 });

/**
 * How long a call put back for fairness waits before it is fetched again: 250 ms, doubling with each deferral
 * of the same call up to 8 s, so a long backlog of one function is re-read rarely rather than churned.
 */
export const DEFAULT_DEFER_BACKOFF: Backoff = Object.freeze({ minMs: 250, maxMs: 8_000 });
