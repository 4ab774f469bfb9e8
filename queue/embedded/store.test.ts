import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type EmbeddedStore } from './store.js';
import { manualWalSync } from './testing/manual-wal-sync.js';

describe('EmbeddedStore', () => {
  let dir: string;
  let store: EmbeddedStore;
  let seq = 0;
  const row = (over: { orderingKey?: string; dueAt?: number; queue?: string; callId?: string } = {}) => ({
    callId: over.callId ?? `call-${(seq += 1)}`,
    queue: over.queue ?? 'q',
    orderingKey: over.orderingKey ?? null,
    fn: 'f',
    envelope: Buffer.from('e'),
    dueAt: over.dueAt ?? 0,
    enqueuedAt: 0,
  });
  const ids = (rows: Array<{ id: number }>) => rows.map((r) => r.id);
  /** Runs `test` on a store of its own whose syncs end only when the test says. */
  async function withManualSync(name: string, test: (store: EmbeddedStore, sync: ReturnType<typeof manualWalSync>) => Promise<void>) {
    const sync = manualWalSync();
    const manual = openStore(path.join(dir, name), () => sync.wal);
    try {
      await test(manual, sync);
    } finally {
      manual.close();
    }
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-store-'));
    store = openStore(dir);
  });

  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits writes of one turn together, and a failing write alone rolls back', async () => {
    const results = await Promise.allSettled([
      store.write(() => store.insertInvocation(row())),
      store.write(() => {
        store.insertInvocation(row());
        throw new Error('this write fails');
      }),
      store.write(() => store.insertInvocation(row())),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.countInvocations('q')).toBe(2);
  });

  it('claims due rows oldest first, leases them, and hands them out again only after the lease ends', async () => {
    await store.write(() => {
      store.insertInvocation(row({ dueAt: 20 }));
      store.insertInvocation(row({ dueAt: 10 }));
      store.insertInvocation(row({ dueAt: 500 }));
    });
    const first = await store.write(() => store.claim('q', 10, 100, 200, 'a'));
    expect(ids(first)).toEqual([2, 1]);
    expect(await store.write(() => store.claim('q', 10, 150, 250, 'b'))).toEqual([]);
    expect(store.nextWakeAt('q', 'b')).toBe(200);
    expect(ids(await store.write(() => store.claim('q', 10, 200, 300, 'b')))).toEqual([2, 1]);
    // The owner itself never re-claims its rows, even past the lease: it still runs them.
    expect(await store.write(() => store.claim('q', 10, 1_000, 1_100, 'b'))).toHaveLength(1);
  });

  it('holds back a row whose ordering key has an earlier row leased by another owner', async () => {
    await store.write(() => {
      store.insertInvocation(row({ orderingKey: 'k' }));
      store.insertInvocation(row({ orderingKey: 'k' }));
      store.insertInvocation(row({ orderingKey: 'other' }));
    });
    expect(ids(await store.write(() => store.claim('q', 1, 100, 1_000, 'a')))).toEqual([1]);
    expect(ids(await store.write(() => store.claim('q', 10, 100, 1_000, 'b')))).toEqual([3]);
    expect(ids(await store.write(() => store.claim('q', 10, 100, 1_000, 'a')))).toEqual([2]);
  });

  it('applies decisions only while the lease is held', async () => {
    await store.write(() => store.insertInvocation(row()));
    await store.write(() => store.claim('q', 1, 0, 100, 'a'));
    expect(await store.write(() => store.removeInvocation(1, 'b'))).toBe(false);
    expect(await store.write(() => store.rescheduleInvocation(1, 'a', Buffer.from('next'), 'f', 5_000))).toBe(true);
    expect(store.nextWakeAt('q', 'a')).toBe(5_000);
    expect(await store.write(() => store.claim('q', 1, 4_999, 6_000, 'a'))).toEqual([]);
    const [again] = await store.write(() => store.claim('q', 1, 5_000, 6_000, 'a'));
    expect(again?.envelope.toString()).toBe('next');
    expect(await store.write(() => store.removeInvocation(1, 'a'))).toBe(true);
    expect(store.countInvocations('q')).toBe(0);
  });

  it('renews and releases leases by owner', async () => {
    await store.write(() => store.insertInvocation(row()));
    await store.write(() => store.claim('q', 1, 0, 100, 'a'));
    store.renewLeases('a', 1_000);
    expect(store.nextWakeAt('q', 'b')).toBe(1_000);
    store.releaseLeases('a');
    expect(ids(await store.write(() => store.claim('q', 1, 0, 100, 'b')))).toEqual([1]);
  });

  it('cancels a call by id only while no source holds it', async () => {
    await store.write(() => {
      store.insertInvocation(row({ callId: 'held' }));
      store.insertInvocation(row({ callId: 'waiting' }));
    });
    await store.write(() => store.claim('q', 1, 0, 100, 'a'));
    expect(await store.write(() => store.cancelInvocation('held', 50))).toBe(false);
    expect(await store.write(() => store.cancelInvocation('waiting', 50))).toBe(true);
    expect(await store.write(() => store.cancelInvocation('waiting', 50))).toBe(false);
    // An expired lease is no hold: its owner is gone.
    expect(await store.write(() => store.cancelInvocation('held', 100))).toBe(true);
    expect(store.countInvocations('q')).toBe(0);
  });

  it('adds the call id column to a version 1 database', () => {
    store.close();
    const file = path.join(dir, 'kfaas-queue.db');
    fs.rmSync(file);
    const v1 = new Database(file);
    v1.exec('CREATE TABLE invocations (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, ordering_key TEXT, fn TEXT NOT NULL, envelope BLOB NOT NULL, due_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER)');
    v1.prepare("INSERT INTO invocations (queue, fn, envelope, due_at, enqueued_at) VALUES ('q', 'f', x'00', 0, 0)").run();
    v1.close();
    store = openStore(dir);
    expect(store.countInvocations('q')).toBe(1);
    return store.write(() => store.insertInvocation(row({ callId: 'new' }))).then(() => expect(store.countInvocations('q')).toBe(2));
  });

  it('lists dead letters newest first, by function', async () => {
    await store.write(() => {
      store.insertDeadLetter({ fn: 'f', reason: 'max_attempts', deadAt: 1, record: Buffer.from('1') });
      store.insertDeadLetter({ fn: 'g', reason: 'max_attempts', deadAt: 2, record: Buffer.from('2') });
      store.insertDeadLetter({ fn: null, reason: 'undecodable', deadAt: 3, record: Buffer.from('3') });
    });
    expect(store.deadLetterRecords(10).map(String)).toEqual(['3', '2', '1']);
    expect(store.deadLetterRecords(10, 'f').map(String)).toEqual(['1']);
    expect(store.deadLetterRecords(1).map(String)).toEqual(['3']);
  });

  it('settles a write only once its commit is synced, and commits what came meanwhile together afterwards', async () => {
    await withManualSync('manual', async (manual, sync) => {
      let settled = false;
      const first = manual.write(() => manual.insertInvocation(row())).then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(manual.countInvocations('q')).toBe(1);
      expect(sync.waiting).toHaveLength(1);
      const later = [manual.write(() => manual.insertInvocation(row())), manual.write(() => manual.insertInvocation(row()))];
      await new Promise((resolve) => setImmediate(resolve));
      // Committed, not yet synced: not acknowledged; and nothing more commits while the sync runs.
      expect(settled).toBe(false);
      expect(manual.countInvocations('q')).toBe(1);
      sync.end();
      await first;
      await new Promise((resolve) => setImmediate(resolve));
      expect(manual.countInvocations('q')).toBe(3);
      expect(sync.waiting).toHaveLength(1);
      sync.end();
      await Promise.all(later);
    });
  });

  it('claims without waiting for a sync, leaving the rows of the commit being synced for later', async () => {
    await withManualSync('claims', async (manual, sync) => {
      const durable = manual.write(() => manual.insertInvocation(row()));
      await new Promise((resolve) => setImmediate(resolve));
      sync.end();
      await durable;
      const unsynced = manual.write(() => manual.insertInvocation(row()));
      await new Promise((resolve) => setImmediate(resolve));
      expect(sync.waiting).toHaveLength(1);
      // The first row's enqueue was acknowledged: it is claimed at once, with the second row's sync still running.
      expect(ids(manual.claim('q', 10, 100, 1_000, 'a'))).toEqual([1]);
      // The second row's enqueue is not acknowledged yet: it must not run before it is durable.
      expect(manual.claim('q', 10, 100, 1_000, 'a')).toEqual([]);
      sync.end();
      await unsynced;
      expect(ids(manual.claim('q', 10, 100, 1_000, 'a'))).toEqual([2]);
    });
  });

  it('refuses every write once a sync failed, naming the failure', async () => {
    await withManualSync('failing', async (failing, sync) => {
      const first = failing.write(() => failing.insertInvocation(row()));
      await new Promise((resolve) => setImmediate(resolve));
      const queued = failing.write(() => failing.insertInvocation(row()));
      sync.end(new Error('EIO: i/o error, fdatasync'));
      await expect(first).rejects.toThrow(/syncing the embedded queue's log to disk failed: EIO/);
      await expect(queued).rejects.toThrow(/EIO/);
      await expect(failing.write(() => undefined)).rejects.toThrow(/EIO/);
      // The first row is committed but was never known durable: it is not claimed either.
      expect(() => failing.claim('q', 10, 100, 1_000, 'a')).toThrow(/EIO/);
    });
  });

  it('syncs the WAL file SQLite writes, which keeps its inode through checkpoints', async () => {
    const wal = `${store.file}-wal`;
    const inode = fs.statSync(wal).ino;
    for (let i = 0; i < 20; i += 1) {
      await store.write(() => {
        for (let j = 0; j < 50; j += 1) store.insertInvocation({ ...row(), envelope: Buffer.alloc(4_096, 1) });
      });
    }
    // Past the auto-checkpoint (1,000 pages), the log has been rewound at least once.
    expect(fs.statSync(wal).ino).toBe(inode);
    expect(store.countInvocations('q')).toBe(1_000);
  });

  it('refuses writes after close and names a data dir it cannot use', async () => {
    store.close();
    await expect(store.write(() => undefined)).rejects.toThrow(/closed/);
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, '');
    expect(() => openStore(file)).toThrow(/not-a-dir/);
  });
});
