/** Sleeps a dispatcher can cut short: on stop it wakes the waits before a start, on abort every wait. */

/** What a sleep waits before: starting a handler call (cut short by stop), or retrying a persist (by abort). */
export type SleepLevel = 'start' | 'persist';

/** A set of cancellable sleeps. */
export class WakeableSleeps {
  private readonly sleepers = new Set<{ readonly level: SleepLevel; readonly wake: () => void }>();
  private stopped = false;
  private aborted = false;

  /** Sleeps `ms`; resolves true when it ran its course, false when it was cut short (or could not start). */
  sleep(ms: number, level: SleepLevel): Promise<boolean> {
    if ((level === 'start' && this.stopped) || this.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleeper = {
        level,
        wake: () => {
          clearTimeout(timer);
          this.sleepers.delete(sleeper);
          resolve(false);
        },
      };
      const timer = setTimeout(() => {
        this.sleepers.delete(sleeper);
        resolve(true);
      }, ms);
      this.sleepers.add(sleeper);
    });
  }

  /** Wakes the sleeps before a start, and refuses new ones. */
  stop(): void {
    this.stopped = true;
    for (const sleeper of [...this.sleepers]) if (sleeper.level === 'start') sleeper.wake();
  }

  /** Wakes every sleep, and refuses new ones. */
  abort(): void {
    this.stop();
    this.aborted = true;
    for (const sleeper of [...this.sleepers]) sleeper.wake();
  }
}
