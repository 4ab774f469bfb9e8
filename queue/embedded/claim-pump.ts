/**
 * The claim loop of the embedded source: claims due rows of one queue with a lease, up to `highWater` held
 * rows, and hands each to `admit` in the same turn: a claim commits at once and waits for no sync
 * (EmbeddedStore.claim), so a call starts one event-loop turn after its enqueue is acknowledged instead of a
 * group commit and an fdatasync later, and rows do not sit in the window while the disk works. Once the window
 * is full, it claims again only after a quarter of it has drained, so one claim transaction covers many rows.
 * When it claims less than it asked for, it wakes again when the next row falls due, or after `pollIntervalMs`
 * at the latest.
 */
import type { Logger } from '../../common/logger.js';
import type { ClaimedRow, EmbeddedStore } from './store.js';

/** What a claim pump needs. */
export interface ClaimPumpOptions {
  readonly store: EmbeddedStore;
  readonly topic: string;
  /** The lease owner this process claims as. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  /** Most rows held (claimed and not yet settled) at once. */
  readonly highWater: number;
  /** Rows held now. */
  readonly held: () => number;
  /** Takes a freshly claimed row. */
  readonly admit: (row: ClaimedRow) => void;
  readonly now: () => number;
  readonly logger: Logger;
}

/** A running claim loop. */
export interface ClaimPump {
  /** Claims soon (coalesced with other requests). */
  schedule(): void;
  /** Claims nothing more. */
  stop(): void;
}

/** Creates the claim loop; it claims once `schedule()` is called. */
export function createClaimPump(o: ClaimPumpOptions): ClaimPump {
  const { store, topic, owner, logger, now } = o;
  const refillAt = o.highWater - Math.max(1, Math.floor(o.highWater / 4));
  let wakeTimer: NodeJS.Timeout | undefined;
  let scheduled = false;
  let stopping = false;

  function schedule(): void {
    if (scheduled || stopping) return;
    scheduled = true;
    setImmediate(pump);
  }

  function scheduleWake(delayMs: number): void {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      schedule();
    }, Math.max(1, delayMs));
  }

  /** After a short claim: wake when the next row falls due, but poll at least every `pollIntervalMs`. */
  function wakeForNextDue(): void {
    const next = store.nextWakeAt(topic, owner);
    const t = now();
    scheduleWake(next !== undefined && next > t ? Math.min(next - t, o.pollIntervalMs) : o.pollIntervalMs);
  }

  function pump(): void {
    scheduled = false;
    if (stopping) return;
    if (o.held() > refillAt) return; // a finishing call pumps again
    const capacity = o.highWater - o.held();
    let rows: ClaimedRow[];
    try {
      const claimedAt = now();
      rows = store.claim(topic, capacity, claimedAt, claimedAt + o.leaseMs, owner);
    } catch (err) {
      logger.warn('claiming calls failed; trying again', { err });
      scheduleWake(o.pollIntervalMs);
      return;
    }
    for (const row of rows) o.admit(row);
    if (rows.length < capacity) wakeForNextDue();
  }

  return {
    schedule,
    stop() {
      stopping = true;
      if (wakeTimer) clearTimeout(wakeTimer);
    },
  };
}
