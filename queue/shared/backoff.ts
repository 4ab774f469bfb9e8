/** The queue adapters' default pacing of their own retries of infrastructure faults. */
import type { Backoff } from '../../common/backoff.js';

/** Default backoff of infrastructure retries (a handler that threw, a decision that could not be stored). */
export const DEFAULT_INFRA_BACKOFF: Backoff = Object.freeze({ minMs: 200, maxMs: 30_000 });
