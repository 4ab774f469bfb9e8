/**
 * How a function's concurrency total (ready replicas x per-replica capacity) is split among the W members of a
 * consumer group, so the members together never exceed it: member `rank` gets floor(total/W), plus one when it is
 * among the `total mod W` members holding the remainder. When total < W some members get 0, so there the
 * remainder rotates among the members with the epoch: no member is stuck at 0 for good (its calls of that
 * function would never run). A rotation may overshoot by the calls still running on the member that lost its
 * turn, until they end; with total >= W the split never rotates and never overshoots.
 */

/** One member's position in its consumer group. */
export interface GroupPosition {
  /** 0-based index of this member in the sorted member ids. */
  readonly rank: number;
  /** Members in the group (>= 1). */
  readonly members: number;
}

/** The share of `total` that member `rank` of `members` may run at once during `epoch`. */
export function concurrencyShare(total: number, position: GroupPosition, epoch = 0): number {
  const { rank, members } = position;
  if (!Number.isInteger(members) || members < 1) throw new Error(`members must be an integer >= 1 (got ${members})`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= members) throw new Error(`rank must be in [0, ${members}) (got ${rank})`);
  const base = Math.floor(total / members);
  const extra = total % members;
  const turn = base === 0 ? (((rank - epoch) % members) + members) % members : rank;
  return base + (turn < extra ? 1 : 0);
}

/** The concurrency total of a function: ready replicas x capacity, and at least 1 so a function at 0 is woken. */
export function concurrencyTotal(readyReplicas: number, perReplicaCapacity: number): number {
  return Math.max(1, readyReplicas * perReplicaCapacity);
}

/** This member's position: its index among the sorted member ids; undefined when it is not (yet) listed. */
export function groupPosition(memberIds: readonly string[], self: string): GroupPosition | undefined {
  const sorted = [...new Set(memberIds)].sort();
  const rank = sorted.indexOf(self);
  return rank < 0 ? undefined : { rank, members: sorted.length };
}
