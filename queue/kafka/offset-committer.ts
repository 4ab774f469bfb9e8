/**
 * Sends the tracker's committable offsets to the group coordinator: debounced (one commit covers every record
 * finished within `intervalMs`), one commit in flight at a time, retried on failure, and flushed on close.
 */
import type { Logger } from '../../common/logger.js';
import type { OffsetTracker, PartitionCommit } from './offset-tracker.js';

/** Options of an offset committer. */
export interface OffsetCommitterOptions {
  readonly tracker: OffsetTracker;
  /** Commits the offsets (kafkajs `consumer.commitOffsets`). */
  readonly commit: (commits: PartitionCommit[]) => Promise<void>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** Commits finished offsets; see the file comment. */
export interface OffsetCommitter {
  /** Commits within `intervalMs`. */
  schedule(): void;
  /** Commits now (after any commit in flight); rejects when the commit fails. */
  flush(): Promise<void>;
  /** Cancels a scheduled commit. */
  stop(): void;
}

/** Creates a committer. */
export function createOffsetCommitter(options: OffsetCommitterOptions): OffsetCommitter {
  const { tracker, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const commitOnce = async (): Promise<void> => {
    const commits = tracker.commits();
    if (commits.length === 0) return;
    await options.commit(commits);
    tracker.markCommitted(commits);
  };

  const run = (): Promise<void> => {
    const next = (inFlight ?? Promise.resolve()).catch(() => undefined).then(commitOnce);
    const settled = next.finally(() => {
      if (inFlight === settled) inFlight = undefined;
    });
    inFlight = settled;
    return settled;
  };

  const schedule = (delayMs: number): void => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      run().catch((err: unknown) => {
        logger.warn('committing offsets failed; retrying', { err });
        schedule(Math.max(options.intervalMs, 1_000));
      });
    }, delayMs);
  };

  return {
    schedule: () => schedule(options.intervalMs),
    flush: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      return run();
    },
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
