/**
 * Graceful shutdown, in the order Kubernetes needs (of-watchdog's SIGTERM handling): report unhealthy, wait one
 * `healthcheck_interval` so the endpoint is removed while calls still succeed, stop accepting connections, give
 * in-flight calls up to `write_timeout`, then stop whatever is left.
 */
import type { LeveledLogger as Logger } from '../common/log-record.js';
import { settlesWithin } from '../runtime/deadline.js';

/** The steps the drain drives, supplied by the watchdog. */
export interface DrainSteps {
  readonly healthcheckIntervalMs: number;
  readonly writeTimeoutMs: number;
  readonly logger: Logger;
  /** Turns `/_/health` and `/_/ready` to 503. */
  markUnhealthy(): void;
  /** Closes the listener and idle connections; later calls on open connections get 503. */
  stopAccepting(): void;
  inflightCount(): number;
  /** Resolves when no call is in flight. */
  idle(): Promise<void>;
  /** Cuts what is still running: connections, function processes. */
  forceStop(): Promise<void>;
}

/** Runs the drain sequence to completion. */
export async function drain(steps: DrainSteps): Promise<void> {
  const { logger } = steps;
  steps.markUnhealthy();
  logger.info(`Draining: reporting unhealthy for healthcheck_interval (${steps.healthcheckIntervalMs}ms)`, {
    inflight: steps.inflightCount(),
  });
  // A plain timer: node:timers/promises would be loaded at every start for this one wait at the end.
  if (steps.healthcheckIntervalMs > 0) await new Promise((resolve) => setTimeout(resolve, steps.healthcheckIntervalMs));
  steps.stopAccepting();
  const pending = steps.inflightCount();
  if (pending > 0) {
    logger.info(`Waiting up to write_timeout (${steps.writeTimeoutMs}ms) for ${pending} in-flight call(s)`);
    const drained = await settlesWithin(steps.idle(), steps.writeTimeoutMs);
    if (!drained) logger.warn('write_timeout passed with calls still in flight; stopping them', { inflight: steps.inflightCount() });
  }
  await steps.forceStop();
  logger.info('Drained; watchdog stopped');
}
