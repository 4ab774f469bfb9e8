/**
 * This worker's place in its consumer group, for splitting each function's concurrency total among the
 * members (queue/shared/concurrency-share.ts). The member list changes only at a rebalance, so it is read on
 * every join, and again every `intervalMs` in case a read failed or raced the join.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import { groupPosition, type GroupPosition } from '../shared/concurrency-share.js';

/** Options of trackGroupMembers. */
export interface GroupMembersOptions {
  readonly admin: Admin;
  readonly groupId: string;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called after the position changed. */
  readonly changed: () => void;
}

/** The tracked position. */
export interface GroupMembers {
  /** This member's position; undefined until known. */
  position(): GroupPosition | undefined;
  /** This member joined (again) under `memberId`: read the members now. */
  joined(memberId: string): void;
  stop(): void;
}

/** Starts tracking; reads nothing until the first join. */
export function trackGroupMembers(o: GroupMembersOptions): GroupMembers {
  let self: string | undefined;
  let position: GroupPosition | undefined;
  let stopped = false;
  let reading: Promise<void> | undefined;

  function read(): Promise<void> {
    const memberId = self;
    if (stopped || memberId === undefined) return Promise.resolve();
    reading ??= (async () => {
      try {
        const { groups } = await o.admin.describeGroups([o.groupId]);
        const next = groupPosition(groups[0]?.members.map((m) => m.memberId) ?? [], memberId);
        if (next && (next.rank !== position?.rank || next.members !== position.members)) {
          position = next;
          o.logger.info('position in the consumer group', { rank: next.rank, members: next.members });
          o.changed();
        }
      } catch (err) {
        // Without the list, each member runs one call per function at a time (see functionShare).
        o.logger.warn('reading the consumer group members failed; retrying', { err, groupId: o.groupId });
      }
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  const timer = setInterval(() => void read(), o.intervalMs);
  timer.unref();
  return {
    position: () => position,
    joined(memberId) {
      self = memberId;
      void read();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
