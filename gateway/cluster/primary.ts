/**
 * The primary process of a multi-process gateway (KFAAS_GATEWAY_PROCESSES > 1): has the supervisor fork the
 * workers, which each run a whole gateway and share the listening port through node:cluster (the primary accepts
 * connections and hands them out in turn); on SIGTERM/SIGINT has every worker drain, and exits once they all have.
 * It also gathers the workers' metrics for whichever worker serves a scrape.
 */
import type { Logger } from '../../common/logger.js';
import { answerClusterMetrics, createMetricsGatherer } from './metrics-gatherer.js';
import { superviseWorkers } from './supervisor.js';

/** Options of runPrimary. */
export interface PrimaryOptions {
  readonly processes: number;
  readonly logger: Logger;
  /** Longest wait for the workers' metrics (KFAAS_METRICS_GATHER_TIMEOUT). */
  readonly gatherTimeoutMs: number;
  /** How long a worker's SIGTERM drain takes at most (its drain delay and timeout); a while later it is killed. */
  readonly drainMs: number;
}

/** Forks the workers and supervises them until a signal or a failed start; the process exits when the last worker has. */
export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const metrics = createMetricsGatherer(options.gatherTimeoutMs);
  const supervisor = superviseWorkers({
    processes: options.processes,
    logger,
    drainMs: options.drainMs,
    onMessage: (worker, m) => {
      if (metrics.onMessage(m)) return;
      answerClusterMetrics(worker, m, () => metrics.gather());
    },
  });
  // After a signal, or when a worker never listened (the supervisor then drains the others): 1 when that failed.
  void supervisor.stopped.then(({ failed }) => process.exit(failed ? 1 : 0));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!signalled) logger.info(`received ${signal}, draining ${supervisor.workers().length} gateway processes`);
    signalled = true;
    void supervisor.close();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
