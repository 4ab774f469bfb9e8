/**
 * Keeps the leases of the rows this process runs: renews them every third of `leaseMs` while calls run, so a
 * long call keeps its row, and releases them on close, so another process may claim what was left unstored.
 * After a crash nothing renews them, and they expire by themselves.
 */
import type { Logger } from '../../common/logger.js';
import type { EmbeddedStore } from './store.js';

/** Renews and releases one owner's leases. */
export interface LeaseKeeper {
  start(): void;
  /** Stops renewing and releases every lease of the owner. */
  close(): void;
}

/** Creates the lease keeper of `owner`. */
export function createLeaseKeeper(o: {
  readonly store: EmbeddedStore;
  readonly owner: string;
  readonly leaseMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}): LeaseKeeper {
  let renewTimer: NodeJS.Timeout | undefined;
  return {
    start() {
      renewTimer = setInterval(() => {
        try {
          o.store.renewLeases(o.owner, o.now() + o.leaseMs);
        } catch (err) {
          o.logger.warn('renewing leases failed', { err });
        }
      }, Math.max(50, Math.floor(o.leaseMs / 3)));
    },
    close() {
      if (renewTimer) clearInterval(renewTimer);
      try {
        o.store.releaseLeases(o.owner);
      } catch (err) {
        o.logger.warn('releasing leases failed; they expire by themselves', { err });
      }
    },
  };
}
