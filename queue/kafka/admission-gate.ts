/**
 * Bounds how many fetched records the Kafka source holds unfinished: `eachBatch` waits on the gate for room
 * (heartbeating between waits) instead of pausing the partition, because a paused kafkajs consumer sleeps a
 * whole `maxWaitTime` per fetch cycle once the buffer fills.
 */

/** Waits for room below a high-water mark of unfinished records. */
export interface AdmissionGate {
  /** Resolves true once fewer than `highWater` records are unfinished, or false after `ms`. */
  waitForRoom(ms: number): Promise<boolean>;
  /** Wakes the waiters if a record finished and there is room now. */
  signalRoom(): void;
}

/** Creates a gate over `pending()` unfinished records. */
export function createAdmissionGate(pending: () => number, highWater: number): AdmissionGate {
  let waiters: Array<() => void> = [];
  return {
    waitForRoom(ms) {
      if (pending() < highWater) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve(false);
        }, ms);
        waiters.push(wake);
      });
    },
    signalRoom() {
      if (pending() < highWater) for (const wake of waiters.splice(0)) wake();
    },
  };
}
