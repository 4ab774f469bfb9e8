/**
 * Which offsets of each partition this process holds, to commit only the contiguous finished prefix. Records
 * finish out of order (they run concurrently), so the committable position is the lowest unfinished offset, or
 * one past the highest seen once everything seen is finished. Offsets already seen are reported as duplicates:
 * kafkajs refetches from the last committed offset after every rejoin, and records we still hold must not run
 * twice. The offsets finished beyond the position go along with each commit as done-marks (done-marks.ts), and
 * a partition's next owner seeds them, so a record finished out of order is not run again after a crash. Pure:
 * no I/O, no clock.
 */
import { encodeDoneMarks } from './done-marks.js';

interface Entry {
  readonly offset: bigint;
  done: boolean;
}

/** Progress of one partition during one ownership of it. */
export class PartitionProgress {
  private entries: Entry[] = [];
  private head = 0;
  private highest: bigint | undefined;
  private lastCommitted: bigint | undefined;
  private lastMarks: string | undefined;
  private unfinished = 0;
  /** Offsets a previous owner finished and this one has not fetched yet (seeded from its commit's marks). */
  private readonly finishedBefore = new Set<bigint>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /**
   * Starts tracking `offset`; false when it must not run: seen before (a redelivery of a record we hold or
   * finished), or finished by the partition's previous owner (seeded).
   */
  track(offset: string): boolean {
    const value = BigInt(offset);
    if (this.highest !== undefined && value <= this.highest) return false;
    this.highest = value;
    if (this.finishedBefore.delete(value)) {
      this.entries.push({ offset: value, done: true });
      this.compact();
      return false;
    }
    this.entries.push({ offset: value, done: false });
    this.unfinished += 1;
    return true;
  }

  /** Takes the offsets a previous owner finished out of order (its commit's done-marks); call before fetching. */
  seed(finished: readonly bigint[]): void {
    for (const offset of finished) if (this.highest === undefined || offset > this.highest) this.finishedBefore.add(offset);
  }

  /** Marks a tracked offset finished (its decision is stored); unknown offsets are ignored. */
  finish(offset: string): void {
    const value = BigInt(offset);
    let lo = this.head;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.entries[mid] as Entry;
      if (entry.offset === value) {
        if (!entry.done) {
          entry.done = true;
          this.unfinished -= 1;
          this.compact();
        }
        return;
      }
      if (entry.offset < value) lo = mid + 1;
      else hi = mid - 1;
    }
  }

  private compact(): void {
    while (this.head < this.entries.length && (this.entries[this.head] as Entry).done) this.head += 1;
    // Drop the finished prefix now and then instead of on every finish, keeping finish() amortised O(log n).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The next offset to consume: the lowest unfinished one, else one past the highest seen. */
  position(): bigint | undefined {
    const first = this.entries[this.head];
    if (first) return first.offset;
    return this.highest === undefined ? undefined : this.highest + 1n;
  }

  /** The offset to commit when it or its done-marks changed since the last commit, else undefined. */
  commitOffset(): string | undefined {
    return this.pendingCommit()?.offset;
  }

  /** The position and done-marks to commit when either changed since the last commit, else undefined. */
  pendingCommit(): { offset: string; metadata: string } | undefined {
    const position = this.position();
    if (position === undefined || (this.lastCommitted !== undefined && position < this.lastCommitted)) return undefined;
    const metadata = encodeDoneMarks(position, this.doneBeyond(position));
    if (position === this.lastCommitted && metadata === this.lastMarks) return undefined;
    return { offset: position.toString(), metadata };
  }

  /** Finished offsets above `position`, ascending: ours, then the seeded ones not fetched yet. Lazy: the encoder stops at its budget. */
  private *doneBeyond(position: bigint): Generator<bigint> {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      if (entry.done && entry.offset > position) yield entry.offset;
    }
    if (this.finishedBefore.size > 0) {
      const floor = this.highest ?? position;
      yield* [...this.finishedBefore].filter((o) => o > floor && o > position).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
  }

  /** Records a successful commit of `offset` with its done-marks. */
  markCommitted(offset: string, metadata = ''): void {
    const value = BigInt(offset);
    if (this.lastCommitted === undefined || value >= this.lastCommitted) {
      this.lastCommitted = value;
      this.lastMarks = metadata;
    }
  }

  /** Forgets the last commit so the position is committed again (after a rejoin, whose commits may have been lost). */
  invalidateCommit(): void {
    this.lastCommitted = undefined;
    this.lastMarks = undefined;
  }

  /** Records seen and not finished. */
  get pending(): number {
    return this.unfinished;
  }

  /** True while records are unfinished or finished ones are not yet committed: the partition must not move. */
  get busy(): boolean {
    return this.unfinished > 0 || this.commitOffset() !== undefined;
  }
}

/** A commit to send: one partition's next offset, and the offsets finished beyond it (done-marks.ts). */
export interface PartitionCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Progress of every partition this process currently owns. */
export class OffsetTracker {
  private readonly partitions = new Map<string, PartitionProgress>();

  /** The progress of a partition, created on first use. Hold on to it: after a revoke a new one replaces it. */
  partition(topic: string, partition: number): PartitionProgress {
    const key = keyOf(topic, partition);
    let progress = this.partitions.get(key);
    if (!progress) {
      progress = new PartitionProgress(topic, partition);
      this.partitions.set(key, progress);
    }
    return progress;
  }

  /** True when `progress` is still the live progress of its partition (it was not revoked since). */
  isCurrent(progress: PartitionProgress): boolean {
    return this.partitions.get(keyOf(progress.topic, progress.partition)) === progress;
  }

  /**
   * Applies a new assignment: partitions not in it are dropped (their unfinished records will be redelivered to
   * the new owner), the kept ones forget their last commit, and new ones get a fresh progress. Returns the
   * dropped ones, and the fresh ones (to seed with their previous owner's done-marks before fetching).
   */
  reassign(assigned: ReadonlyArray<{ topic: string; partition: number }>): { revoked: PartitionProgress[]; fresh: PartitionProgress[] } {
    const keep = new Set(assigned.map(({ topic, partition }) => keyOf(topic, partition)));
    const revoked: PartitionProgress[] = [];
    for (const [key, progress] of this.partitions) {
      if (keep.has(key)) progress.invalidateCommit();
      else {
        this.partitions.delete(key);
        revoked.push(progress);
      }
    }
    const fresh: PartitionProgress[] = [];
    for (const { topic, partition } of assigned) {
      if (!this.partitions.has(keyOf(topic, partition))) fresh.push(this.partition(topic, partition));
    }
    return { revoked, fresh };
  }

  /** Offsets that moved past their last commit. */
  commits(): PartitionCommit[] {
    const out: PartitionCommit[] = [];
    for (const progress of this.partitions.values()) {
      const pending = progress.pendingCommit();
      if (pending) out.push({ topic: progress.topic, partition: progress.partition, ...pending });
    }
    return out;
  }

  /** Records successful commits. */
  markCommitted(commits: readonly PartitionCommit[]): void {
    for (const c of commits) this.partitions.get(keyOf(c.topic, c.partition))?.markCommitted(c.offset, c.metadata);
  }

  /** Partitions that must stay with this member across a rebalance, by topic. */
  busyPartitions(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const progress of this.partitions.values()) {
      if (progress.busy) (out[progress.topic] ??= []).push(progress.partition);
    }
    return out;
  }

  /** Unfinished records over all partitions. */
  get pending(): number {
    let total = 0;
    for (const progress of this.partitions.values()) total += progress.pending;
    return total;
  }
}
