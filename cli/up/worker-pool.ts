/**
 * One worker per queue on the local platform, started on demand: for the shared queue, for the dedicated
 * queues of the stack, of functions restored from the state dir, and of functions deployed while running.
 */
import type { Logger } from '../../common/logger.js';
import type { EmbeddedQueue } from '../../queue/embedded/index.js';
import { invocationTopic } from '../../common/topics.js';
import type { FunctionManager, FunctionResolver } from '../../gateway/index.js';
import { createWorker, type Worker, type WorkerConfig } from '../../worker/index.js';

/** Options of createWorkerPool. */
export interface WorkerPoolOptions {
  readonly queue: EmbeddedQueue;
  /** The gateway's URL, known once it listens (workers start after that). */
  readonly gatewayUrl: () => string;
  /** The validated settings of every worker; the pool sets each one's queue and gateway URL. */
  readonly config: WorkerConfig;
  readonly logger: Logger;
}

/** Workers keyed by queue name (undefined = the shared queue). */
export interface WorkerPool {
  /** Starts the worker of `queue` unless it runs already. */
  ensure(queue: string | undefined): Promise<void>;
  close(): Promise<void>;
}

/** Creates an empty pool. */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const workers = new Map<string, Promise<Worker>>();
  let closing: Promise<void> | undefined;
  return {
    ensure(name) {
      if (closing) return Promise.resolve();
      const key = name ?? '';
      let started = workers.get(key);
      if (!started) {
        const config = Object.freeze({ ...options.config, gatewayUrl: options.gatewayUrl(), queue: name });
        const resultMaxBytes = config.callStatus?.resultMaxBytes;
        const worker = createWorker({
          config,
          source: options.queue.source({
            topic: invocationTopic(name),
            maxInflight: config.maxInflight,
            drainTimeoutMs: config.drainTimeoutMs,
            abortGraceMs: config.abortGraceMs,
            ...(resultMaxBytes !== undefined ? { resultMaxBytes } : {}),
          }),
          logger: options.logger.child({ queue: name ?? 'default' }),
          serveMetrics: false,
        });
        started = worker.start().then(() => worker);
        workers.set(key, started);
      }
      return started.then(() => undefined);
    },
    close() {
      closing ??= Promise.all(
        [...workers.values()].map((w) => w.then((worker) => worker.close(), () => undefined)),
      ).then(() => undefined);
      return closing;
    },
  };
}

/** Wraps a FunctionManager so that deploying or updating a function with a dedicated queue starts its worker. */
export function withQueueWorkers(manager: FunctionManager, resolver: FunctionResolver, pool: WorkerPool): FunctionManager {
  const ensureFor = async (name: string, namespace: string): Promise<void> => {
    const resolved = await resolver.resolve(name, namespace);
    if (resolved?.queue) await pool.ensure(resolved.queue);
  };
  return {
    list: (namespace) => manager.list(namespace),
    get: (name, namespace) => manager.get(name, namespace),
    async deploy(deployment, namespace) {
      await manager.deploy(deployment, namespace);
      await ensureFor(deployment.service, namespace);
    },
    async update(deployment, namespace) {
      await manager.update(deployment, namespace);
      await ensureFor(deployment.service, namespace);
    },
    remove: (name, namespace) => manager.remove(name, namespace),
    scale: (name, namespace, replicas) => manager.scale(name, namespace, replicas),
  };
}
