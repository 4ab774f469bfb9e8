/**
 * A task run every `intervalMs`, measured from the end of one run to the start of the next, so runs never
 * overlap however long one takes. A failed run is reported and the next one runs as planned.
 */

/** A running periodic task. */
export interface Periodic {
  /** Stops scheduling and waits for a run in progress. */
  close(): Promise<void>;
}

/** Starts `run` now and then every `intervalMs` after each run ends. */
export function startPeriodic(run: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  const loop = (): void => {
    if (closed) return;
    running = run()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (!closed) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
