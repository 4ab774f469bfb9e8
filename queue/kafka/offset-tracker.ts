/**
 * Which offsets of each partition this process holds, to commit only the contiguous finished prefix. Records
 * finish out of order (they run concurrently), so the committable position is the lowest unfinished offset, or
 * one past the highest seen once everything seen is finished. Offsets already seen are reported as duplicates:
 * kafkajs refetches from the last committed offset after every rejoin, and records we still hold must not run
 * twice. Pure: no I/O, no clock.
 */

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
  private unfinished = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Starts tracking `offset`; false when it was seen before (a redelivery of a record we hold or finished). */
  track(offset: string): boolean {
    const value = BigInt(offset);
    if (this.highest !== undefined && value <= this.highest) return false;
    this.highest = value;
    this.entries.push({ offset: value, done: false });
    this.unfinished += 1;
    return true;
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

  /** The offset to commit when it moved past the last commit, else undefined. */
  commitOffset(): string | undefined {
    const position = this.position();
    if (position === undefined || (this.lastCommitted !== undefined && position <= this.lastCommitted)) return undefined;
    return position.toString();
  }

  /** Records a successful commit of `offset`. */
  markCommitted(offset: string): void {
    const value = BigInt(offset);
    if (this.lastCommitted === undefined || value > this.lastCommitted) this.lastCommitted = value;
  }

  /** Forgets the last commit so the position is committed again (after a rejoin, whose commits may have been lost). */
  invalidateCommit(): void {
    this.lastCommitted = undefined;
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

/** A commit to send: one partition's next offset. */
export interface PartitionCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
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
   * the new owner), and the others forget their last commit. Returns the dropped ones.
   */
  reassign(assigned: ReadonlyArray<{ topic: string; partition: number }>): PartitionProgress[] {
    const keep = new Set(assigned.map(({ topic, partition }) => keyOf(topic, partition)));
    const revoked: PartitionProgress[] = [];
    for (const [key, progress] of this.partitions) {
      if (keep.has(key)) progress.invalidateCommit();
      else {
        this.partitions.delete(key);
        revoked.push(progress);
      }
    }
    return revoked;
  }

  /** Offsets that moved past their last commit. */
  commits(): PartitionCommit[] {
    const out: PartitionCommit[] = [];
    for (const progress of this.partitions.values()) {
      const offset = progress.commitOffset();
      if (offset !== undefined) out.push({ topic: progress.topic, partition: progress.partition, offset });
    }
    return out;
  }

  /** Records successful commits. */
  markCommitted(commits: readonly PartitionCommit[]): void {
    for (const c of commits) this.partitions.get(keyOf(c.topic, c.partition))?.markCommitted(c.offset);
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
