/**
 * Process runtime helpers shared by the composition roots (each process main.ts). Unlike common/, these touch process
 * state, so only main.ts files call them.
 */
import type { LeveledLogger as Logger } from '../common/log-record.js';

/** The part of `process` the signal handling uses; tests pass a fake. */
export interface SignalTarget {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  once(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Options of exitOnSignals. */
export interface ShutdownOptions {
  readonly logger: Logger;
  /** Drains and releases everything; the process exits 0 when it resolves, 1 when it rejects. */
  readonly close: () => Promise<void>;
  /** What stopping means here, for the log line (`received SIGTERM, draining`). */
  readonly action: string;
  /** Extra fields of that log line. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /**
   * When true, a second signal gets Node's default and ends the process at once (a user's second Ctrl-C);
   * otherwise later signals are ignored, so a drain can never be cut short.
   */
  readonly forceOnSecondSignal?: boolean;
  readonly target?: SignalTarget;
}

/**
 * On the first SIGTERM or SIGINT, logs, closes and exits. Returns the same trigger for other causes (a parent
 * that went away); it runs the shutdown once, whatever calls it.
 */
export function exitOnSignals(options: ShutdownOptions): (reason: string) => void {
  const target = options.target ?? process;
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    options.logger.info(`received ${reason}, ${options.action}`, options.meta ?? {});
    options.close().then(
      () => target.exit(0),
      (err: unknown) => {
        options.logger.error('shutdown failed', { err });
        target.exit(1);
      },
    );
  };
  const listen = options.forceOnSecondSignal ? target.once.bind(target) : target.on.bind(target);
  listen('SIGTERM', stop);
  listen('SIGINT', stop);
  return stop;
}
