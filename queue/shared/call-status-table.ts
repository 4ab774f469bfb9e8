/**
 * The `call_status` table: one row per call id holding its latest snapshot. The embedded queue keeps it in its
 * own database, written in the transactions that move the call; a Kafka gateway keeps it in a local file it
 * fills from the status topic. Rows live on disk, so memory does not grow with the number of calls.
 */
import type Database from 'better-sqlite3';
import { decodeCallStatus, encodeCallStatus, isFinal, progressKey, type AsyncBacklog, type CallStatus } from '../../common/call-status.js';

// Rows are appended by rowid and found by the unique index on call_id: the index entries are small, and the
// open-calls index holds rowids, so a write touches fewer pages than in a table clustered by random call ids
// (measured: about half the CPU per write). `progress` is progressKey() of the snapshot, so a write keeps the
// most advanced snapshot in SQL, without reading the row back; a row without one (from an older file) is
// always replaced.
const TABLE = `
CREATE TABLE IF NOT EXISTS call_status (
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL UNIQUE,
  snapshot BLOB NOT NULL,
  final INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  progress BLOB
);`;
const INDEXES = `
CREATE INDEX IF NOT EXISTS call_status_age ON call_status (updated_at);
CREATE INDEX IF NOT EXISTS call_status_open ON call_status (final) WHERE final = 0;
`;

// Files written before this layout hold a table clustered by call id: copy it into the new layout once.
function migrateClusteredTable(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'call_status'").get() as { sql: string } | undefined;
  if (!row || !/WITHOUT\s+ROWID/i.test(row.sql)) return;
  db.transaction(() => {
    db.exec('ALTER TABLE call_status RENAME TO call_status_clustered');
    db.exec('DROP INDEX IF EXISTS call_status_age');
    db.exec('DROP INDEX IF EXISTS call_status_open');
    db.exec(TABLE);
    db.exec('INSERT INTO call_status (call_id, snapshot, final, updated_at) SELECT call_id, snapshot, final, updated_at FROM call_status_clustered ORDER BY updated_at');
    db.exec('DROP TABLE call_status_clustered');
  })();
}

/** Rows per statement of putMany(): about 2 µs less per row than one statement each, measured at 40. */
export const PUT_MANY_ROWS = 32;

/** Statements over the table. */
export interface CallStatusTable {
  /** Stores `status` (encoded as `snapshot` when given) unless the row already holds a later point of the call; true when stored. */
  put(status: CallStatus, snapshot?: Buffer): boolean;
  /** put() for many snapshots, in order, with one statement per PUT_MANY_ROWS of them; says nothing of which were stored. */
  putMany(items: ReadonlyArray<{ readonly status: CallStatus; readonly snapshot?: Buffer | undefined }>): void;
  get(callId: string): CallStatus | undefined;
  /** Deletes rows last written before `cutoff` (final ones only, unless `all`); returns how many. */
  sweep(cutoff: number, all: boolean): number;
  /** Calls not yet final, counted per function and state, reading at most `limit` of them. */
  backlog(limit: number): AsyncBacklog;
}

/** Creates the table when missing and prepares its statements. */
export function openCallStatusTable(db: Database.Database): CallStatusTable {
  migrateClusteredTable(db);
  db.exec(TABLE + INDEXES);
  const select = db.prepare('SELECT snapshot FROM call_status WHERE call_id = ?');
  // Positional parameters: binding from an object by name cost about 1 µs more per row (every accepted call).
  // SQLite applies the upsert to each row of a multi-row VALUES in turn, so a call twice in one statement ends
  // at its most advanced snapshot, as with one statement per row.
  const upsertRows = (rows: number) =>
    db.prepare(
      `INSERT INTO call_status (call_id, snapshot, final, updated_at, progress) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')} ` +
        'ON CONFLICT (call_id) DO UPDATE SET snapshot = excluded.snapshot, final = excluded.final, updated_at = excluded.updated_at, progress = excluded.progress ' +
        'WHERE call_status.progress IS NULL OR excluded.progress > call_status.progress',
    );
  const upsert = upsertRows(1);
  let upsertMany: Database.Statement | undefined;
  const pushParams = (args: unknown[], status: CallStatus, snapshot: Buffer | undefined): unknown[] => {
    args.push(status.callId, snapshot ?? encodeCallStatus(status), isFinal(status.state) ? 1 : 0, status.updatedAt, progressKey(status));
    return args;
  };
  const sweepFinal = db.prepare('DELETE FROM call_status WHERE updated_at < ? AND final = 1');
  const sweepAll = db.prepare('DELETE FROM call_status WHERE updated_at < ?');
  // The partial index holds only open calls, so this reads the backlog and never the retained history.
  const open = db.prepare('SELECT snapshot FROM call_status WHERE final = 0 LIMIT ?');
  const get = (callId: string): CallStatus | undefined => {
    const row = select.get(callId) as { snapshot: Buffer } | undefined;
    return row ? decodeCallStatus(row.snapshot) : undefined;
  };
  return {
    // An update the WHERE clause refuses changes no row.
    put: (status, snapshot) => upsert.run(pushParams([], status, snapshot)).changes > 0,
    putMany(items) {
      let i = 0;
      if (items.length >= PUT_MANY_ROWS) {
        upsertMany ??= upsertRows(PUT_MANY_ROWS);
        for (; i + PUT_MANY_ROWS <= items.length; i += PUT_MANY_ROWS) {
          const args: unknown[] = [];
          for (let j = i; j < i + PUT_MANY_ROWS; j += 1) pushParams(args, items[j]!.status, items[j]!.snapshot);
          upsertMany.run(args);
        }
      }
      for (; i < items.length; i += 1) upsert.run(pushParams([], items[i]!.status, items[i]!.snapshot));
    },
    get,
    sweep: (cutoff, all) => (all ? sweepAll : sweepFinal).run(cutoff).changes,
    backlog(limit) {
      const rows = open.all(limit + 1) as Array<{ snapshot: Buffer }>;
      const byFunction = new Map<string, AsyncBacklog['functions'][number]>();
      for (const row of rows.slice(0, limit)) {
        const s = decodeCallStatus(row.snapshot);
        const key = `${s.function}.${s.namespace}`;
        let entry = byFunction.get(key);
        if (!entry) byFunction.set(key, (entry = { function: s.function, namespace: s.namespace, queued: 0, running: 0, retrying: 0 }));
        if (s.state === 'queued' || s.state === 'running' || s.state === 'retrying') entry[s.state] += 1;
      }
      return { functions: [...byFunction.values()], truncated: rows.length > limit };
    },
  };
}
