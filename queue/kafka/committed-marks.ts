/**
 * Seeds newly assigned partitions with the done-marks of their last commit (done-marks.ts), so that records the
 * previous owner finished out of order are skipped instead of run again. One OffsetFetch per join; the fetch
 * loop waits for it before admitting a record of those partitions. If the marks cannot be read in time the
 * partition runs unseeded: the skipped duty is only the at-least-once duplicate it would have prevented.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import { withDeadline } from '../../runtime/deadline.js';
import { decodeDoneMarks } from './done-marks.js';
import type { PartitionProgress } from './offset-tracker.js';

/** Options of a seeder. */
export interface DoneMarksSeederOptions {
  readonly admin: Admin;
  readonly groupId: string;
  readonly topic: string;
  /** How long a join may wait for the marks. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** Seeds fresh partitions; `ready` resolves once a partition's marks are in (or given up on). */
export interface DoneMarksSeeder {
  seed(fresh: readonly PartitionProgress[]): void;
  ready(progress: PartitionProgress): Promise<void> | undefined;
}

/**
 * How long a join waits for the marks: a third of the session, so the wait never costs the membership (kafkajs
 * does not heartbeat while a batch is held), and at least a second.
 */
export function doneMarksTimeoutMs(sessionTimeoutMs: number): number {
  return Math.max(1_000, Math.floor(sessionTimeoutMs / 3));
}

/** Creates a seeder for one topic of one group. */
export function createDoneMarksSeeder(o: DoneMarksSeederOptions): DoneMarksSeeder {
  const pending = new WeakMap<PartitionProgress, Promise<void>>();

  async function load(fresh: readonly PartitionProgress[]): Promise<void> {
    try {
      const answer = await withDeadline(
        o.admin.fetchOffsets({ groupId: o.groupId, topics: [o.topic] }),
        o.timeoutMs,
        () => new Error(`reading the committed offsets of ${o.groupId} took over ${o.timeoutMs} ms`),
      );
      const committed = new Map((answer.find((t) => t.topic === o.topic)?.partitions ?? []).map((p) => [p.partition, p]));
      for (const progress of fresh) {
        const c = committed.get(progress.partition);
        if (!c || Number(c.offset) < 0) continue;
        try {
          const finished = decodeDoneMarks(BigInt(c.offset), c.metadata);
          progress.seed(finished);
          if (finished.length > 0) o.logger.info('skipping records the previous owner finished', { partition: progress.partition, from: c.offset, count: finished.length });
        } catch (err) {
          o.logger.warn('ignoring unreadable done-marks; those records may run again', { partition: progress.partition, err });
        }
      }
    } catch (err) {
      o.logger.warn('could not read done-marks; records finished out of order by the previous owner may run again', { err });
    }
  }

  return {
    seed(fresh) {
      if (fresh.length === 0) return;
      const loading = load(fresh);
      for (const progress of fresh) pending.set(progress, loading);
    },
    ready: (progress) => pending.get(progress),
  };
}
