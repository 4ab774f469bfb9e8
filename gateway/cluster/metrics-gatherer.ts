/**
 * The primary's side of summed metrics: asks each live worker for its own metrics over IPC and collects the
 * answers. Used by the gateway's primary and by `kfaas up`, whose own process serves /metrics for its workers.
 */
import cluster, { type Worker } from 'node:cluster';
import {
  isMessage,
  type ClusterMetricsRequest,
  type ClusterMetricsResponse,
  type LocalMetricsRequest,
  type LocalMetricsResponse,
  type MetricsJson,
} from './messages.js';

/** Collects workers' metrics; feed it every message the workers send. */
export interface MetricsGatherer {
  /** Every live worker's own metrics; a worker that does not answer within the timeout is left out. */
  gather(): Promise<MetricsJson[]>;
  /** Handles a worker's answer; false when the message is not one. */
  onMessage(message: unknown): boolean;
}

/**
 * Creates a gatherer; `timeoutMs` bounds each gather. `workers` are those to ask, by default every connected
 * cluster worker (one still starting may not answer yet, and then costs the whole timeout).
 */
export function createMetricsGatherer(timeoutMs: number, workers: () => Iterable<Worker> = liveWorkers): MetricsGatherer {
  let nextId = 0;
  const pending = new Map<number, { metrics: MetricsJson[]; waiting: number; done: () => void }>();
  return {
    gather: () =>
      new Promise((resolve) => {
        const id = nextId++;
        const asked = [...workers()].filter((w) => w.isConnected());
        const entry = {
          metrics: [] as MetricsJson[],
          waiting: asked.length,
          done: () => {
            clearTimeout(timer);
            pending.delete(id);
            resolve(entry.metrics);
          },
        };
        const timer = setTimeout(entry.done, timeoutMs);
        pending.set(id, entry);
        if (asked.length === 0) entry.done();
        for (const w of asked) w.send({ type: 'kfaas:local-metrics', id } satisfies LocalMetricsRequest);
      }),
    onMessage(m) {
      if (!isMessage<LocalMetricsResponse>(m, 'kfaas:local-metrics-result')) return false;
      const entry = pending.get(m.id);
      if (!entry) return true;
      if (m.metrics) entry.metrics.push(m.metrics);
      if (--entry.waiting === 0) entry.done();
      return true;
    },
  };
}

/**
 * Answers a worker's request for every process's metrics with `all()` (an error becomes the answer's `error`);
 * false when the message is not such a request.
 */
export function answerClusterMetrics(worker: Worker, message: unknown, all: () => Promise<MetricsJson[]>): boolean {
  if (!isMessage<ClusterMetricsRequest>(message, 'kfaas:cluster-metrics')) return false;
  const reply = (answer: ClusterMetricsResponse): void => {
    // The worker may have exited while the others were asked.
    if (worker.isConnected()) worker.send(answer);
  };
  all().then(
    (perWorker) => reply({ type: 'kfaas:cluster-metrics-result', id: message.id, perWorker }),
    (err: unknown) => reply({ type: 'kfaas:cluster-metrics-result', id: message.id, error: (err as Error).message }),
  );
  return true;
}

function liveWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
}
