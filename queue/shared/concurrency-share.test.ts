import { concurrencyShare, concurrencyTotal, groupPosition } from './concurrency-share.js';

const shares = (total: number, members: number, epoch = 0): number[] =>
  Array.from({ length: members }, (_, rank) => concurrencyShare(total, { rank, members }, epoch));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('concurrencyShare', () => {
  it('splits a total exactly among the members, the remainder to the lowest ranks', () => {
    expect(shares(10, 3)).toEqual([4, 3, 3]);
    expect(shares(9, 3)).toEqual([3, 3, 3]);
    expect(shares(7, 1)).toEqual([7]);
  });

  it('sums to the total for every total, member count and epoch', () => {
    for (let members = 1; members <= 7; members += 1) {
      for (let total = 0; total <= 40; total += 1) {
        for (let epoch = 0; epoch < 9; epoch += 1) expect(sum(shares(total, members, epoch))).toBe(total);
      }
    }
  });

  it('rotates the remainder below one per member, so no member is stuck at 0', () => {
    const seen = new Set<number>();
    for (let epoch = 0; epoch < 3; epoch += 1) {
      const s = shares(1, 3, epoch);
      expect(sum(s)).toBe(1);
      seen.add(s.indexOf(1));
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it('does not rotate when every member has at least one (no overshoot at epoch changes)', () => {
    expect(shares(10, 3, 0)).toEqual(shares(10, 3, 1));
  });

  it('refuses a rank outside the group', () => {
    expect(() => concurrencyShare(4, { rank: 3, members: 3 })).toThrow(/rank must be in \[0, 3\)/);
    expect(() => concurrencyShare(4, { rank: 0, members: 0 })).toThrow(/members must be an integer >= 1/);
  });
});

describe('concurrencyTotal', () => {
  it('is ready replicas x capacity, and 1 at zero replicas so a call wakes the function', () => {
    expect(concurrencyTotal(3, 4)).toBe(12);
    expect(concurrencyTotal(0, 4)).toBe(1);
  });
});

describe('groupPosition', () => {
  it('ranks this member among the sorted member ids', () => {
    expect(groupPosition(['m-c', 'm-a', 'm-b'], 'm-b')).toEqual({ rank: 1, members: 3 });
    expect(groupPosition(['m-a'], 'm-z')).toBeUndefined();
  });
});
