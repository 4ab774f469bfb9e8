import type { Admin } from 'kafkajs';
import winston from 'winston';
import { waitFor } from '../../test/helpers/wait-for.js';
import { trackGroupMembers } from './group-members.js';

const logger = winston.createLogger({ silent: true });

/** An admin whose describeGroups lists `members` (or fails while `failing`). */
function fakeAdmin(state: { members: string[]; failing?: boolean }): Admin {
  return {
    describeGroups: async () => {
      if (state.failing) throw new Error('broker away');
      return { groups: [{ members: state.members.map((memberId) => ({ memberId })) }] };
    },
  } as unknown as Admin;
}

describe('trackGroupMembers', () => {
  it('knows nothing before the first join, then this member\'s rank among the sorted members, and tells of changes', async () => {
    const state = { members: ['m-b', 'm-a'], failing: false };
    let changes = 0;
    const members = trackGroupMembers({ admin: fakeAdmin(state), groupId: 'g', intervalMs: 60_000, logger, changed: () => (changes += 1) });
    try {
      expect(members.position()).toBeUndefined();
      members.joined('m-b');
      await waitFor(() => members.position() !== undefined, { timeoutMs: 1_000, intervalMs: 1 });
      expect(members.position()).toEqual({ rank: 1, members: 2 });
      expect(changes).toBe(1);
      // A rebalance adds a member before this one.
      state.members = ['m-b', 'm-a', 'm-0'];
      members.joined('m-b');
      await waitFor(() => members.position()?.members === 3, { timeoutMs: 1_000, intervalMs: 1 });
      expect(members.position()).toEqual({ rank: 2, members: 3 });
      expect(changes).toBe(2);
      // A failed read keeps the last position.
      state.failing = true;
      members.joined('m-b');
      await new Promise((resolve) => setImmediate(resolve));
      expect(members.position()).toEqual({ rank: 2, members: 3 });
    } finally {
      members.stop();
    }
  });
});
