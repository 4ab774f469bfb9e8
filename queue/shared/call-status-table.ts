/**
 * The `call_status` table: one row per call id holding its latest snapshot. The embedded queue keeps it in its
 * own database, written in the transactions that move the call; a Kafka gateway keeps it in a local file it
 * fills from the status topic. Rows live on disk, so memory does not grow with the number of calls.
 */
import type Database from 'better-sqlite3';
import { decodeCallStatus, encodeCallStatus, isFinal, supersedes, type AsyncBacklog, type CallStatus } from '../../common/call-status.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS call_status (
  call_id TEXT PRIMARY KEY,
  snapshot BLOB NOT NULL,
  final INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS call_status_age ON call_status (updated_at);
CREATE INDEX IF NOT EXISTS call_status_open ON call_status (final) WHERE final = 0;
`;

/** Statements over the table. */
export interface CallStatusTable {
  /** Stores `status` (encoded as `snapshot` when given) unless the row already holds a later point of the call; true when stored. */
  put(status: CallStatus, snapshot?: Buffer): boolean;
  get(callId: string): CallStatus | undefined;
  /** Deletes rows last written before `cutoff` (final ones only, unless `all`); returns how many. */
  sweep(cutoff: number, all: boolean): number;
  /** Calls not yet final, counted per function and state, reading at most `limit` of them. */
  backlog(limit: number): AsyncBacklog;
}

/** Creates the table when missing and prepares its statements. */
export function openCallStatusTable(db: Database.Database): CallStatusTable {
  db.exec(SCHEMA);
  const select = db.prepare('SELECT snapshot FROM call_status WHERE call_id = ?');
  const upsert = db.prepare(
    'INSERT INTO call_status (call_id, snapshot, final, updated_at) VALUES (@callId, @snapshot, @final, @updatedAt) ' +
      'ON CONFLICT (call_id) DO UPDATE SET snapshot = excluded.snapshot, final = excluded.final, updated_at = excluded.updated_at',
  );
  const sweepFinal = db.prepare('DELETE FROM call_status WHERE updated_at < ? AND final = 1');
  const sweepAll = db.prepare('DELETE FROM call_status WHERE updated_at < ?');
  // The partial index holds only open calls, so this reads the backlog and never the retained history.
  const open = db.prepare('SELECT snapshot FROM call_status WHERE final = 0 LIMIT ?');
  const get = (callId: string): CallStatus | undefined => {
    const row = select.get(callId) as { snapshot: Buffer } | undefined;
    return row ? decodeCallStatus(row.snapshot) : undefined;
  };
  return {
    put(status, snapshot) {
      if (!supersedes(status, get(status.callId))) return false;
      upsert.run({ callId: status.callId, snapshot: snapshot ?? encodeCallStatus(status), final: isFinal(status.state) ? 1 : 0, updatedAt: status.updatedAt });
      return true;
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
