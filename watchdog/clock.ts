/**
 * The watchdog's monotonic clock in milliseconds. Not `performance.now()`: the first touch of that global loads
 * `perf_hooks` and eight internal modules, about 2 ms of a function process's start (README, "Watchdog
 * start-up"). Only differences of two readings mean anything.
 */

/** Milliseconds on a monotonic clock with an arbitrary origin. */
export function nowMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
