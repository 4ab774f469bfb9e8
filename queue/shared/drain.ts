/**
 * The drain step both sources run on close: let running calls finish until the drain deadline, then abort their
 * signal and give handlers a short grace to return. Starting new calls must already be stopped.
 */
import type { Logger } from '../../common/logger.js';
import { settlesWithin } from '../../runtime/deadline.js';
import type { Dispatcher } from './dispatcher.js';

/** How long a drain waits: for calls to finish, then for aborted handlers to return. */
export interface DrainLimits {
  readonly drainTimeoutMs: number;
  readonly abortGraceMs: number;
}

/** Waits for the dispatcher's calls to finish, aborting them at the drain deadline. */
export async function drainCalls(dispatcher: Dispatcher, limits: DrainLimits, logger: Logger): Promise<void> {
  if (await settlesWithin(dispatcher.idle(), limits.drainTimeoutMs)) return;
  logger.warn('calls still running at the drain deadline; aborting them', { running: dispatcher.running });
  dispatcher.abort(`the source is closing and the drain deadline of ${limits.drainTimeoutMs} ms passed`);
  await settlesWithin(dispatcher.idle(), limits.abortGraceMs);
}
