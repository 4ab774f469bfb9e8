/**
 * The primary process of a multi-process gateway (KFAAS_GATEWAY_PROCESSES > 1): forks the workers, which each
 * run a whole gateway and share the listening port through node:cluster (the primary accepts connections and
 * hands them out in turn); replaces a worker that dies; on SIGTERM/SIGINT has every worker drain, and exits once
 * they all have. It also gathers the workers' metrics for whichever worker serves a scrape.
 */
import cluster from 'node:cluster';
import type { Logger } from '../../common/logger.js';
import { isMessage, type ClusterMetricsRequest, type ClusterMetricsResponse } from './messages.js';
import { createMetricsGatherer } from './metrics-gatherer.js';

/** Options of runPrimary. */
export interface PrimaryOptions {
  readonly processes: number;
  readonly logger: Logger;
  /** Longest wait for the workers' metrics (KFAAS_METRICS_GATHER_TIMEOUT). */
  readonly gatherTimeoutMs: number;
}

/** Pause before replacing a worker that died, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1_000;

/** Forks the workers and supervises them until a signal; the process exits when the last worker has. */
export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const gatherTimeoutMs = options.gatherTimeoutMs;
  let stopping = false;
  let failed = false;
  const metrics = createMetricsGatherer(gatherTimeoutMs);

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (metrics.onMessage(m)) return;
      if (isMessage<ClusterMetricsRequest>(m, 'kfaas:cluster-metrics')) {
        void metrics.gather().then((perWorker) => {
          if (worker.isConnected()) worker.send({ type: 'kfaas:cluster-metrics-result', id: m.id, perWorker } satisfies ClusterMetricsResponse);
        });
      }
    });
  };

  // Workers that got as far as listening; one that exits before that failed to start.
  const listened = new Set<number>();
  cluster.on('listening', (worker) => listened.add(worker.id));

  cluster.on('exit', (worker, code, signal) => {
    const live = Object.keys(cluster.workers ?? {}).length;
    if (stopping) {
      // Killed by the SIGTERM itself: a worker still starting has no handler yet, and nothing in flight either.
      if (code !== 0 && signal !== 'SIGTERM') failed = true;
      if (live === 0) process.exit(failed ? 1 : 0);
      return;
    }
    // A worker that never listened (the port is taken, the provider cannot start) would fail again: stop all.
    if (!listened.has(worker.id)) {
      logger.error('a gateway process failed to start; stopping the others', { pid: worker.process.pid, code, signal });
      failed = true;
      stop();
      if (live === 0) process.exit(1);
      return;
    }
    logger.error('a gateway process exited; starting another', { pid: worker.process.pid, code, signal });
    // Not unref'd: if every worker died at once, this timer is what keeps the primary alive to replace them.
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_DELAY_MS);
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Each worker drains as a single gateway does (not-ready, then close, then cut what is left).
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) logger.info(`received ${signal}, draining ${Object.keys(cluster.workers ?? {}).length} gateway processes`);
    stop();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info('starting gateway processes', { processes: options.processes });
  for (let i = 0; i < options.processes; i++) fork();
}
