/**
 * Spaces a consumer's fetches apart while records pour in. kafkajs spends a fixed amount of JavaScript on every
 * fetch (about 0.3 ms here: request, response, runner bookkeeping), however few records it brings; a gateway's
 * status view under load fetched a few hundred times a second, each time as soon as a produce request landed,
 * which cost the accepting gateway 10-15 µs per call. Holding the next fetch until `intervalMs` after the
 * previous one lets records pile up and arrive together. Only above `aboveBytesPerSecond`: at low traffic each
 * fetch returns at once, as before, so a state shows without added delay when CPU is not scarce.
 */

/** Options of createFetchPacer. */
export interface FetchPacerOptions {
  /** Least time between two fetches under load; 0 turns pacing off. */
  readonly intervalMs: number;
  /** Record bytes per second (over the last second) above which fetches are paced. */
  readonly aboveBytesPerSecond: number;
}

/** Defaults of the pacer. */
export const FETCH_PACER_DEFAULTS = Object.freeze({
  intervalMs: 100,
  // About 360 status snapshots a second: above ~120 calls/s end to end, or ~360 accepts/s.
  aboveBytesPerSecond: 64 * 1_024,
});

/** How long to hold the next fetch. */
export interface FetchPacer {
  /** Counts `bytes` of records fetched at `now`. */
  record(now: number, bytes: number): void;
  /** The delay before the consumer may fetch again, asked once per fetch after recording what it brought. */
  delay(now: number): number;
}

const WINDOW_MS = 1_000;

/** Creates a pacer; pure apart from its own state (time is passed in). */
export function createFetchPacer(options: FetchPacerOptions): FetchPacer {
  let windowStart = -Infinity;
  let windowBytes = 0;
  // Bytes per second of the last full window, so a burst is measured against a whole second.
  let rate = 0;
  let lastRelease = -Infinity;
  return {
    record(now, bytes) {
      if (now - windowStart >= WINDOW_MS) {
        // A window that ended long ago says nothing about now: a quiet gap resets the rate.
        rate = now - windowStart < 2 * WINDOW_MS ? (windowBytes * 1_000) / (now - windowStart) : 0;
        windowStart = now;
        windowBytes = 0;
      }
      windowBytes += bytes;
    },
    delay(now) {
      const current = Math.max(rate, (windowBytes * 1_000) / WINDOW_MS);
      const paced = options.intervalMs > 0 && current >= options.aboveBytesPerSecond;
      const wait = paced ? Math.max(0, lastRelease + options.intervalMs - now) : 0;
      lastRelease = now + wait;
      return wait;
    },
  };
}
