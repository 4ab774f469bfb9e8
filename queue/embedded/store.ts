/**
 * The embedded queue's SQLite file (better-sqlite3, WAL): calls waiting or leased in `invocations`, dead letters
 * in `dead_letters`, each call's status in `call_status`. Writes go through a group commit: the writes requested
 * while the previous commit is being synced share one transaction (each in its own savepoint, so one failing
 * write does not undo the others), and each caller's promise settles once that commit is on disk: the WAL is
 * fdatasynced off the event loop (wal-sync.ts), so the process keeps serving while the disk works. A lease
 * (owner + expiry) marks a claimed row; a crashed owner's rows become claimable again once the lease expires.
 * Claims do not wait for a sync (see claim()).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openCallStatusTable, type CallStatusTable } from '../shared/call-status-table.js';
import { openWalSync, type WalSync } from './wal-sync.js';

/** The database file name inside the data dir. */
export const DB_FILE = 'kfaas-queue.db';

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  ordering_key TEXT,
  fn TEXT NOT NULL,
  envelope BLOB NOT NULL,
  due_at INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS invocations_due ON invocations (queue, due_at, id);
CREATE INDEX IF NOT EXISTS invocations_key ON invocations (queue, ordering_key, id) WHERE ordering_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS invocations_owner ON invocations (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS invocations_lease ON invocations (queue, lease_until) WHERE lease_owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fn TEXT,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_fn ON dead_letters (fn, id);
`;

// Version 2 keys rows by call id too, so a waiting call can be cancelled; rows of version 1 have none.
function addCallIdColumn(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('invocations')").all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'call_id')) db.exec('ALTER TABLE invocations ADD COLUMN call_id TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS invocations_call ON invocations (call_id) WHERE call_id IS NOT NULL');
}

/** A row to insert. */
export interface NewInvocationRow {
  readonly callId: string;
  readonly queue: string;
  readonly orderingKey: string | null;
  readonly fn: string;
  readonly envelope: Buffer;
  readonly dueAt: number;
  readonly enqueuedAt: number;
}

/** A claimed row. */
export interface ClaimedRow {
  readonly id: number;
  readonly envelope: Buffer;
}

/** A dead letter to insert. */
export interface NewDeadLetterRow {
  readonly fn: string | null;
  readonly reason: string;
  readonly deadAt: number;
  readonly record: Buffer;
}

interface PendingWrite {
  readonly op: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type WriteResult = { ok: true; value: unknown } | { ok: false; err: unknown };

/** A committed batch waiting for its sync. */
interface CommittedBatch {
  readonly writes: PendingWrite[];
  readonly results: WriteResult[];
}

/** Raised for writes after close(). */
export class StoreClosedError extends Error {
  constructor() {
    super('the embedded queue store is closed');
    this.name = 'StoreClosedError';
  }
}

/**
 * Opens (creating when missing) the store in `dataDir`; throws naming the path when it cannot. `openSync` makes
 * commits durable (tests pass one they control).
 */
export function openStore(dataDir: string, openSync: (dbFile: string) => WalSync = openWalSync): EmbeddedStore {
  if (typeof dataDir !== 'string' || dataDir === '') throw new Error('dataDir: must be a directory path');
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DB_FILE);
  let db: Database.Database;
  let wal: WalSync;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // NORMAL does not sync at commit: the store fdatasyncs the WAL itself, off the event loop, before it
    // acknowledges a write, so an acknowledged enqueue still survives power loss, not only a crash.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    addCallIdColumn(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    wal = openSync(file);
  } catch (err) {
    throw new Error(`cannot open the embedded queue database ${file}: ${(err as Error).message}`, { cause: err });
  }
  return new EmbeddedStore(db, file, wal);
}

/** Prepared statements and the group-commit writer over one SQLite connection. */
export class EmbeddedStore {
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  /** The committed batch whose sync runs now; the next batch commits after it ends. */
  private inFlight: CommittedBatch | undefined;
  /** Set when a sync failed: what was written since may not be on disk, so nothing is acknowledged any more. */
  private failure: Error | undefined;
  /** The first invocation id inserted by the commit not yet synced (at most one is: the next waits for its sync). */
  private unsyncedFromId: number | undefined;
  private closed = false;
  private readonly stmt;
  private readonly flushTx;
  private readonly claimTx;
  /** Call status by call id; write it inside write() next to the change of the call it describes. */
  readonly statuses: CallStatusTable;

  constructor(
    private readonly db: Database.Database,
    /** Path of the database file. */
    readonly file: string,
    private readonly wal: WalSync,
  ) {
    this.statuses = openCallStatusTable(db);
    this.stmt = {
      insert: db.prepare(
        'INSERT INTO invocations (call_id, queue, ordering_key, fn, envelope, due_at, enqueued_at) VALUES (@callId, @queue, @orderingKey, @fn, @envelope, @dueAt, @enqueuedAt)',
      ),
      claimable: db.prepare(`
        SELECT id, envelope FROM invocations AS i
        WHERE queue = @queue AND due_at <= @now AND id < @below
          AND (lease_until IS NULL OR lease_until <= @now)
          AND (lease_owner IS NULL OR lease_owner != @owner)
          AND (ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM invocations AS j
            WHERE j.queue = i.queue AND j.ordering_key = i.ordering_key AND j.id < i.id
              AND j.lease_until > @now AND j.lease_owner != @owner))
        ORDER BY due_at, id LIMIT @limit`),
      lease: db.prepare('UPDATE invocations SET lease_owner = @owner, lease_until = @until WHERE id = @id'),
      renew: db.prepare('UPDATE invocations SET lease_until = @until WHERE lease_owner = @owner'),
      release: db.prepare('UPDATE invocations SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner'),
      releaseOne: db.prepare('UPDATE invocations SET lease_owner = NULL, lease_until = NULL WHERE id = @id AND lease_owner = @owner'),
      remove: db.prepare('DELETE FROM invocations WHERE id = @id AND lease_owner = @owner'),
      retry: db.prepare(
        'UPDATE invocations SET envelope = @envelope, fn = @fn, due_at = @dueAt, lease_owner = NULL, lease_until = NULL WHERE id = @id AND lease_owner = @owner',
      ),
      cancel: db.prepare('DELETE FROM invocations WHERE call_id = @callId AND (lease_owner IS NULL OR lease_until <= @now)'),
      deadLetter: db.prepare('INSERT INTO dead_letters (fn, reason, dead_at, record) VALUES (@fn, @reason, @deadAt, @record)'),
      nextDue: db.prepare('SELECT MIN(due_at) AS next FROM invocations WHERE queue = @queue AND lease_owner IS NULL'),
      nextLeaseEnd: db.prepare(
        'SELECT MIN(lease_until) AS next FROM invocations INDEXED BY invocations_lease WHERE queue = @queue AND lease_owner IS NOT NULL AND lease_owner != @owner',
      ),
      deadLetters: db.prepare('SELECT record FROM dead_letters ORDER BY id DESC LIMIT @limit'),
      deadLettersOf: db.prepare('SELECT record FROM dead_letters WHERE fn = @fn ORDER BY id DESC LIMIT @limit'),
      count: db.prepare('SELECT COUNT(*) AS n FROM invocations WHERE queue = @queue'),
    };
    // A nested transaction is a savepoint: a failing write rolls back alone. One wrapper serves every write
    // (building one per write cost about a tenth of the source's CPU under load).
    const inSavepoint = db.transaction((op: () => unknown) => op());
    this.flushTx = db.transaction((batch: PendingWrite[]) => {
      const results: WriteResult[] = [];
      for (const write of batch) {
        try {
          results.push({ ok: true, value: inSavepoint(write.op) });
        } catch (err) {
          results.push({ ok: false, err });
        }
      }
      return results;
    });
    this.claimTx = db.transaction((queue: string, limit: number, now: number, until: number, owner: string, below: number): ClaimedRow[] => {
      const rows = this.stmt.claimable.all({ queue, now, owner, limit, below }) as ClaimedRow[];
      for (const row of rows) this.stmt.lease.run({ owner, until, id: row.id });
      return rows;
    });
  }

  /** Runs `op` inside the next group commit; resolves with its result after the commit is durable. */
  write<T>(op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    // While a sync runs, writes gather for the next commit: under load a commit takes all that came meanwhile.
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.inFlight || this.closed) return;
    const batch = this.commit();
    if (!batch) return;
    this.inFlight = batch;
    this.wal.sync((err) => {
      if (this.inFlight !== batch) return; // close() synced and settled it
      this.inFlight = undefined;
      this.unsyncedFromId = undefined;
      this.settle(batch, err);
      if (this.queue.length > 0) this.scheduleFlush();
    });
  }

  /** Commits the queued writes in one transaction; undefined when there were none or the transaction failed. */
  private commit(): CommittedBatch | undefined {
    const writes = this.queue;
    this.queue = [];
    if (writes.length === 0) return undefined;
    try {
      return { writes, results: this.flushTx(writes) };
    } catch (err) {
      this.unsyncedFromId = undefined; // rolled back: nothing of it is in the file
      for (const write of writes) write.reject(err);
      return undefined;
    }
  }

  private settle(batch: CommittedBatch, syncError: Error | null): void {
    if (syncError) {
      // After a failed fsync the kernel may have dropped the unwritten pages: refuse everything from now on.
      this.failure ??= new Error(`syncing the embedded queue's log to disk failed: ${syncError.message}`, { cause: syncError });
      for (const write of [...batch.writes, ...this.queue.splice(0)]) write.reject(this.failure);
      return;
    }
    batch.results.forEach((result, i) => {
      const write = batch.writes[i] as PendingWrite;
      if (result.ok) write.resolve(result.value);
      else write.reject(result.err);
    });
  }

  /** Inserts a call (inside write()). */
  insertInvocation(row: NewInvocationRow): void {
    const id = Number(this.stmt.insert.run(row).lastInsertRowid);
    this.unsyncedFromId ??= id;
  }

  /**
   * Leases up to `limit` due rows of `queue` to `owner` until `until`, oldest due first (enqueue times are kept
   * monotonic, so rows of one ordering key come in enqueue order); see the claim rules in the SQL. It commits at
   * once, in its own transaction, without waiting for a sync: a lease is only a hint to other claimers, and one
   * that a power loss takes back frees its row as an expired lease would, so the call runs again (a process
   * crash loses nothing that was committed). Rows inserted by the commit whose sync still runs are left for the
   * next claim: their enqueues are not acknowledged yet, and a call runs only once its enqueue is durable.
   */
  claim(queue: string, limit: number, now: number, until: number, owner: string): ClaimedRow[] {
    if (this.closed) throw new StoreClosedError();
    if (this.failure) throw this.failure;
    return this.claimTx(queue, limit, now, until, owner, this.unsyncedFromId ?? Number.MAX_SAFE_INTEGER);
  }

  /** Extends every lease of `owner` to `until`. */
  renewLeases(owner: string, until: number): void {
    if (!this.closed) this.stmt.renew.run({ owner, until });
  }

  /** Gives up every lease of `owner`, making its rows claimable now. */
  releaseLeases(owner: string): void {
    if (!this.closed) this.stmt.release.run({ owner });
  }

  /** Gives up one lease (inside write()). */
  releaseLease(id: number, owner: string): void {
    this.stmt.releaseOne.run({ id, owner });
  }

  /** Deletes a finished row still leased by `owner` (inside write()); false when the lease was lost. */
  removeInvocation(id: number, owner: string): boolean {
    return this.stmt.remove.run({ id, owner }).changes > 0;
  }

  /** Stores a retry: new envelope, new due time, lease released (inside write()); false when the lease was lost. */
  rescheduleInvocation(id: number, owner: string, envelope: Buffer, fn: string, dueAt: number): boolean {
    return this.stmt.retry.run({ id, owner, envelope, fn, dueAt }).changes > 0;
  }

  /** Deletes a call that no source holds (inside write()); false when it is leased, finished or unknown. */
  cancelInvocation(callId: string, now: number): boolean {
    return this.stmt.cancel.run({ callId, now }).changes > 0;
  }

  /** Inserts a dead letter (inside write()). */
  insertDeadLetter(row: NewDeadLetterRow): void {
    this.stmt.deadLetter.run(row);
  }

  /** When a row of `queue` not held by `owner` next becomes claimable (its due time or a lease's end), if any. */
  nextWakeAt(queue: string, owner: string): number | undefined {
    if (this.closed) return undefined;
    const due = (this.stmt.nextDue.get({ queue }) as { next: number | null }).next;
    const leaseEnd = (this.stmt.nextLeaseEnd.get({ queue, owner }) as { next: number | null }).next;
    const times = [due, leaseEnd].filter((t): t is number => t !== null);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Encoded dead letters, newest first. */
  deadLetterRecords(limit: number, fn?: string): Buffer[] {
    if (this.closed) throw new StoreClosedError();
    const rows = (fn === undefined ? this.stmt.deadLetters.all({ limit }) : this.stmt.deadLettersOf.all({ fn, limit })) as Array<{ record: Buffer }>;
    return rows.map((r) => r.record);
  }

  /** Rows (waiting or leased) of `queue`. */
  countInvocations(queue: string): number {
    return (this.stmt.count.get({ queue }) as { n: number }).n;
  }

  /** Commits pending writes, syncs and settles them, then closes the connection; idempotent. */
  close(): void {
    if (this.closed) return;
    const batch = this.failure ? undefined : this.commit();
    let syncError: Error | null = null;
    try {
      this.wal.syncNow();
    } catch (err) {
      syncError = err as Error;
    }
    this.closed = true;
    this.unsyncedFromId = undefined;
    // A sync still in flight began after its batch's commit, and this one did too: both batches are on disk.
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (inFlight) this.settle(inFlight, syncError);
    if (batch) this.settle(batch, syncError);
    this.wal.close();
    this.db.close();
  }
}
