import { encodeDoneMarks } from './done-marks.js';
import { OffsetTracker, PartitionProgress } from './offset-tracker.js';

describe('PartitionProgress', () => {
  it('commits only the contiguous finished prefix, whatever order records finish in', () => {
    const p = new PartitionProgress('t', 0);
    for (const o of ['10', '11', '12', '13']) expect(p.track(o)).toBe(true);
    expect(p.commitOffset()).toBe('10');
    p.markCommitted('10');
    expect(p.commitOffset()).toBeUndefined();
    p.finish('12');
    // The position stays, but 12 finished out of order: the commit is sent again to carry its done-mark.
    expect(p.pendingCommit()).toEqual({ offset: '10', metadata: encodeDoneMarks(10n, [12n]) });
    p.markCommitted('10', encodeDoneMarks(10n, [12n]));
    expect(p.commitOffset()).toBeUndefined();
    p.finish('10');
    expect(p.commitOffset()).toBe('11');
    p.finish('11');
    expect(p.commitOffset()).toBe('13');
    p.finish('13');
    expect(p.commitOffset()).toBe('14');
    expect(p.pending).toBe(0);
  });

  it('steps over offset gaps (compacted or control records)', () => {
    const p = new PartitionProgress('t', 0);
    p.track('5');
    p.track('9');
    p.finish('5');
    expect(p.commitOffset()).toBe('9');
    p.finish('9');
    expect(p.commitOffset()).toBe('10');
  });

  it('reports offsets seen before as duplicates (a refetch after a rejoin)', () => {
    const p = new PartitionProgress('t', 0);
    p.track('0');
    p.track('1');
    p.finish('0');
    expect(p.track('0')).toBe(false);
    expect(p.track('1')).toBe(false);
    expect(p.track('2')).toBe(true);
    expect(p.pending).toBe(2);
  });

  it('is busy while records are unfinished or finished ones are uncommitted', () => {
    const p = new PartitionProgress('t', 0);
    expect(p.busy).toBe(false);
    p.track('0');
    expect(p.busy).toBe(true);
    p.finish('0');
    expect(p.busy).toBe(true);
    p.markCommitted('1');
    expect(p.busy).toBe(false);
    p.invalidateCommit();
    expect(p.commitOffset()).toBe('1');
  });

  it('skips offsets a previous owner finished (seeded) and carries the marks not fetched yet in its commits', () => {
    const p = new PartitionProgress('t', 0);
    p.seed([11n, 12n, 15n]);
    expect(p.commitOffset()).toBeUndefined();
    expect(p.track('10')).toBe(true);
    expect(p.track('11')).toBe(false);
    expect(p.track('12')).toBe(false);
    expect(p.pending).toBe(1);
    // 15 is not fetched yet, so it is still a mark of this owner's commits.
    expect(p.pendingCommit()).toEqual({ offset: '10', metadata: encodeDoneMarks(10n, [11n, 12n, 15n]) });
    p.finish('10');
    expect(p.pendingCommit()).toEqual({ offset: '13', metadata: encodeDoneMarks(13n, [15n]) });
    expect(p.track('13')).toBe(true);
    expect(p.track('15')).toBe(false);
    p.finish('13');
    expect(p.pendingCommit()).toEqual({ offset: '16', metadata: '' });
    expect(p.pending).toBe(0);
  });

  it('ignores seeded offsets it has already fetched', () => {
    const p = new PartitionProgress('t', 0);
    p.track('5');
    p.seed([4n, 5n, 7n]);
    expect(p.pendingCommit()).toEqual({ offset: '5', metadata: encodeDoneMarks(5n, [7n]) });
    expect(p.track('6')).toBe(true);
    expect(p.track('7')).toBe(false);
  });

  it('ignores unknown and repeated finishes', () => {
    const p = new PartitionProgress('t', 0);
    p.track('3');
    p.finish('2');
    p.finish('4');
    expect(p.pending).toBe(1);
    p.finish('3');
    p.finish('3');
    expect(p.pending).toBe(0);
  });

  it('handles offsets beyond 2^53 and long runs of finishes', () => {
    const p = new PartitionProgress('t', 0);
    const base = 2n ** 60n;
    const offsets = Array.from({ length: 5_000 }, (_, i) => (base + BigInt(i)).toString());
    for (const o of offsets) p.track(o);
    for (const o of [...offsets].reverse()) if (o !== offsets[0]) p.finish(o);
    expect(p.commitOffset()).toBe(offsets[0]);
    p.finish(offsets[0] as string);
    expect(p.commitOffset()).toBe((base + 5_000n).toString());
  });
});

describe('OffsetTracker', () => {
  it('collects commits over partitions and applies them', () => {
    const t = new OffsetTracker();
    const a = t.partition('t', 0);
    const b = t.partition('t', 1);
    a.track('0');
    b.track('7');
    a.finish('0');
    expect(t.commits()).toEqual([
      { topic: 't', partition: 0, offset: '1', metadata: '' },
      { topic: 't', partition: 1, offset: '7', metadata: '' },
    ]);
    t.markCommitted(t.commits());
    expect(t.commits()).toEqual([]);
    expect(t.pending).toBe(1);
    expect(t.busyPartitions()).toEqual({ t: [1] });
  });

  it('drops revoked partitions, keeps and re-commits retained ones', () => {
    const t = new OffsetTracker();
    const keep = t.partition('t', 0);
    const lose = t.partition('t', 1);
    keep.track('0');
    keep.finish('0');
    lose.track('0');
    t.markCommitted(t.commits());
    expect(t.commits()).toEqual([]);
    const { revoked, fresh } = t.reassign([{ topic: 't', partition: 0 }]);
    expect(revoked).toEqual([lose]);
    expect(fresh).toEqual([]);
    expect(t.isCurrent(keep)).toBe(true);
    expect(t.isCurrent(lose)).toBe(false);
    expect(t.commits()).toEqual([{ topic: 't', partition: 0, offset: '1', metadata: '' }]);
    expect(t.partition('t', 1)).not.toBe(lose);
  });

  it('gives partitions new to it a fresh progress, and only those', () => {
    const t = new OffsetTracker();
    const known = t.partition('t', 0);
    const { fresh } = t.reassign([{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }]);
    expect(fresh).toEqual([t.partition('t', 2)]);
    expect(t.reassign([{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }]).fresh).toEqual([]);
    expect(t.partition('t', 0)).toBe(known);
  });
});
