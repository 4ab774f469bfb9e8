/**
 * Makes the embedded store's commits durable without blocking the event loop. SQLite runs with
 * synchronous=NORMAL: a commit appends to the write-ahead log (WAL) and returns without an fsync. This object
 * then fdatasyncs the WAL file on libuv's thread pool, and the store settles a write only after a sync that
 * began after its commit has ended. SQLite's own syncs remain where NORMAL keeps them: a checkpoint syncs the
 * WAL before copying it into the database and the database after, so a WAL rewound by a checkpoint never loses
 * a commit. SQLite deletes the WAL file only when the last connection closes, and truncates it in place, so
 * the descriptor opened here stays the WAL's for the store's whole life.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Syncs one database's WAL file. */
export interface WalSync {
  /** Starts an fdatasync on the thread pool; `done` runs when it ends. At most one runs at a time. */
  sync(done: (err: Error | null) => void): void;
  /** Syncs now, blocking (for close). */
  syncNow(): void;
  /** Closes the descriptor, once a sync in flight has ended. */
  close(): void;
}

/**
 * Opens the WAL of `dbFile` (the connection must already have it: open it after the first statement in WAL
 * mode) and makes its directory entry durable, as SQLite does for a journal it creates.
 */
export function openWalSync(dbFile: string): WalSync {
  const fd = fs.openSync(`${dbFile}-wal`, 'r');
  fs.fdatasyncSync(fd);
  syncDirectory(path.dirname(dbFile));
  let inFlight = false;
  let closeWhenIdle = false;
  return {
    sync(done) {
      if (inFlight) throw new Error('a WAL sync is already running');
      inFlight = true;
      fs.fdatasync(fd, (err) => {
        inFlight = false;
        if (closeWhenIdle) fs.closeSync(fd);
        done(err);
      });
    },
    syncNow() {
      fs.fdatasyncSync(fd);
    },
    close() {
      // Closing under a queued fdatasync could let it sync whatever file reuses the descriptor number.
      if (inFlight) closeWhenIdle = true;
      else fs.closeSync(fd);
    },
  };
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
