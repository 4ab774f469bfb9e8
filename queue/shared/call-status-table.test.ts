import Database from 'better-sqlite3';
import { queuedStatus, runningStatus, encodeCallStatus } from '../../common/call-status.js';
import type { Invocation } from '../../common/invocation.js';
import { anInvocation } from '../../test/contract/invocation-queue.contract.js';
import { openCallStatusTable, PUT_MANY_ROWS } from './call-status-table.js';

const inv = (callId: string): Invocation => anInvocation({ callId, function: 'echo', namespace: 'kfaas-fn' });

describe('call status table', () => {
  let db: Database.Database;

  beforeEach(() => {
    db = new Database(':memory:');
  });

  afterEach(() => db.close());

  it('keeps the most advanced snapshot of a call, whatever order the writes come in', () => {
    const table = openCallStatusTable(db);
    const running = runningStatus(inv('a'), 2_000);
    expect(table.put(running)).toBe(true);
    // A late `queued` (an earlier point of the call, written later) is refused, and so is the same snapshot again.
    expect(table.put(queuedStatus(inv('a'), 3_000))).toBe(false);
    expect(table.put(running)).toBe(false);
    expect(table.get('a')).toEqual(running);
    const again = runningStatus({ ...inv('a'), attempt: 1 }, 2_500);
    expect(table.put(again)).toBe(true);
    expect(table.get('a')).toEqual(again);
    expect(table.backlog(10)).toEqual({ functions: [{ function: 'echo', namespace: 'kfaas-fn', queued: 0, running: 1, retrying: 0 }], truncated: false });
  });

  it('putMany stores like put() row by row, across full statements and the remainder, a call repeated in one statement included', () => {
    const table = openCallStatusTable(db);
    const fixed = (callId: string): Invocation => ({ ...inv(callId), enqueuedAt: 500 });
    const ids = Array.from({ length: 2 * PUT_MANY_ROWS + 5 }, (_, i) => `c-${i}`);
    // Every call queued; call 3 also running in the same statement (then its late queued again), and the
    // last call's running in the remainder before its queued.
    const items = ids.map((id) => ({ status: queuedStatus(fixed(id), 1_000) }));
    items.splice(4, 0, { status: runningStatus(fixed('c-3'), 2_000) });
    items.splice(6, 0, { status: queuedStatus(fixed('c-3'), 3_000) });
    const last = ids.at(-1)!;
    items.splice(items.length - 1, 0, { status: runningStatus(fixed(last), 2_000) });
    table.putMany(items);
    expect(table.get('c-3')).toEqual(runningStatus(fixed('c-3'), 2_000));
    expect(table.get(last)).toEqual(runningStatus(fixed(last), 2_000));
    expect(table.get('c-0')).toEqual(queuedStatus(fixed('c-0'), 1_000));
    expect(table.get(ids.at(-2)!)?.state).toBe('queued');
    expect(table.backlog(1_000)).toEqual({ functions: [{ function: 'echo', namespace: 'kfaas-fn', queued: ids.length - 2, running: 2, retrying: 0 }], truncated: false });
    // The given bytes are what is stored.
    table.putMany([{ status: runningStatus(fixed('c-0'), 4_000), snapshot: encodeCallStatus({ ...runningStatus(fixed('c-0'), 4_000), attempts: 9 }) }]);
    expect(table.get('c-0')?.attempts).toBe(9);
  });

  it('moves the rows of a table clustered by call id into the rowid layout, and lets any write replace them', () => {
    db.exec('CREATE TABLE call_status (call_id TEXT PRIMARY KEY, snapshot BLOB NOT NULL, final INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID');
    db.exec('CREATE INDEX call_status_age ON call_status (updated_at)');
    const old = runningStatus(inv('old'), 5_000);
    db.prepare('INSERT INTO call_status VALUES (?, ?, 0, ?)').run('old', encodeCallStatus(old), old.updatedAt);
    const table = openCallStatusTable(db);
    const sql = (db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'call_status'").get() as { sql: string }).sql;
    expect(sql).not.toMatch(/WITHOUT ROWID/i);
    expect(table.get('old')).toEqual(old);
    // The moved row has no progress key: even an earlier point replaces it, once.
    expect(table.put(queuedStatus(inv('old'), 6_000))).toBe(true);
    expect(table.put(queuedStatus(inv('old'), 6_000))).toBe(false);
    expect(table.sweep(10_000, true)).toBe(1);
  });
});
