/**
 * The `queued` snapshots a gateway wrote itself, held in memory until its view reads them back from the status
 * topic. Reads see them at once (read-your-writes) without a SQLite write per accepted call; when the record
 * comes back, the view recognises it by its bytes and stores it without decoding it. Entries not read back in
 * time (Kafka slow, the view not started) are handed back to be written to the file, so memory stays bounded.
 */
import type { CallStatus } from '../../common/call-status.js';

/** One held snapshot and the exact bytes written to the topic. */
interface Held {
  readonly status: CallStatus;
  readonly value: Buffer;
  readonly heldAt: number;
}

/** The held snapshots of one view. */
export interface OwnSnapshots {
  /** Holds `status`, whose record value is `value`. */
  hold(status: CallStatus, value: Buffer, now: number): void;
  get(callId: string): CallStatus | undefined;
  /**
   * When bytes `start` to `end` of `source` (all of it by default) are the held record of `callId` read back,
   * releases it and returns the snapshot with its bytes; else undefined.
   */
  readBack(callId: string, source: Buffer, start?: number, end?: number): { readonly status: CallStatus; readonly value: Buffer } | undefined;
  /** Forgets the held snapshot of `callId` (a later one was stored). */
  release(callId: string): void;
  /** Removes and returns the snapshots held since before `cutoff`, oldest first (all of them with Infinity). */
  takeOlderThan(cutoff: number): CallStatus[];
  readonly size: number;
}

/** Creates an empty holder. */
export function createOwnSnapshots(): OwnSnapshots {
  // Insertion order is hold order, so the oldest entries come first.
  const held = new Map<string, Held>();
  return {
    hold(status, value, now) {
      held.delete(status.callId);
      held.set(status.callId, { status, value, heldAt: now });
    },
    get: (callId) => held.get(callId)?.status,
    readBack(callId, source, start = 0, end = source.length) {
      const entry = held.get(callId);
      // Compared in place: a line of a bundle needs no Buffer of its own.
      if (!entry || entry.value.length !== end - start || source.compare(entry.value, 0, entry.value.length, start, end) !== 0) return undefined;
      held.delete(callId);
      return entry;
    },
    release: (callId) => void held.delete(callId),
    takeOlderThan(cutoff) {
      const out: CallStatus[] = [];
      for (const [callId, entry] of held) {
        if (entry.heldAt >= cutoff) break;
        out.push(entry.status);
        held.delete(callId);
      }
      return out;
    },
    get size() {
      return held.size;
    },
  };
}
