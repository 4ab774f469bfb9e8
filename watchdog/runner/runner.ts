/** The seam between the watchdog's HTTP side and the two ways of running a function (fork, http). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LeveledLogger as Logger } from '../../common/log-record.js';

/** One call as a runner sees it. */
export interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly callId: string | undefined;
  /** A child logger carrying `callId`. */
  readonly logger: Logger;
  /** `nowMs()` (clock.ts) when the request arrived. */
  readonly startedAtMs: number;
  /**
   * Aborted when the call must stop: a timeout (reason is a CallError, already answered by the caller) or the
   * client going away. The runner then kills or aborts its work and must not write to `res` any more.
   */
  readonly signal: AbortSignal;
}

/** Runs the function for calls; owns every process it starts. */
export interface Runner {
  /** Prepares the runner (http mode: starts the upstream and waits until it accepts connections). */
  start(): Promise<void>;
  /** False while the function cannot take calls (http upstream starting or restarting). */
  ready(): boolean;
  /**
   * Runs one call and writes its response. Resolves when the function's work is over; rejects with a
   * CallError to have it answered (or the connection cut, when the response had already started).
   */
  run(call: Call): Promise<void>;
  /** Kills every process the runner started; idempotent. */
  close(): Promise<void>;
}
