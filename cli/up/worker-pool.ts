/**
 * One worker per queue on the local platform, started on demand: for the shared queue, for the dedicated
 * queues of the stack, of functions restored from the state dir, and of functions deployed while running.
 */
import type { Logger } from '../../common/logger.js';
import type { EmbeddedQueue } from '../../queue/embedded/index.js';
import { invocationTopic } from '../../common/topics.js';
import type { FunctionManager, FunctionResolver } from '../../gateway/index.js';
import { createWorker, loadConfig as loadWorkerConfig, type Worker } from '../../worker/index.js';

/** Options of createWorkerPool. */
export interface WorkerPoolOptions {
  readonly queue: EmbeddedQueue;
  /** The gateway's URL, known once it listens (workers start after that). */
  readonly gatewayUrl: () => string;
  readonly maxInflight: number;
  readonly logger: Logger;
  /** The environment workers read their other settings from. */
  readonly env: Readonly<Record<string, string | undefined>>;
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
        const config = loadWorkerConfig({
          ...options.env,
          KFAAS_GATEWAY_URL: options.gatewayUrl(),
          KFAAS_MAX_INFLIGHT: String(options.maxInflight),
          ...(name ? { KFAAS_QUEUE: name } : {}),
        });
        const resultMaxBytes = config.callStatus?.resultMaxBytes;
        const worker = createWorker({
          config,
          source: options.queue.source({
            topic: invocationTopic(name),
            maxInflight: options.maxInflight,
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
