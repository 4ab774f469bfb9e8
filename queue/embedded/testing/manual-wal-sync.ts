/** Test support: a WAL sync that the test ends by hand, to hold a commit between its write and its fsync. */
import type { WalSync } from '../wal-sync.js';

/** The sync to pass to openStore, the syncs waiting to end, and `end` to finish the oldest one. */
export interface ManualWalSync {
  readonly wal: WalSync;
  readonly waiting: Array<(err: Error | null) => void>;
  /** Ends the oldest waiting sync, with `err` if given. */
  end(err?: Error | null): void;
}

/** Creates a WAL sync whose syncs end only when the test calls `end`. */
export function manualWalSync(): ManualWalSync {
  const waiting: Array<(err: Error | null) => void> = [];
  const wal: WalSync = {
    sync: (done) => void waiting.push(done),
    syncNow: () => undefined,
    close: () => undefined,
  };
  return { wal, waiting, end: (err: Error | null = null) => waiting.shift()?.(err) };
}
