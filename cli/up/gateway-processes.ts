/**
 * `kfaas up` with KFAAS_GATEWAY_PROCESSES > 1, the owner's side: forks the gateway worker processes (node:cluster,
 * sharing the port), pushes them the functions' endpoints on every change, answers their metrics requests with
 * every process's metrics, replaces a worker that dies, and drains them all on close. The owner keeps the
 * functions, the embedded queue, the autoscaler and every route a worker hands on.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../common/logger.js';
import type { ResolvedFunction } from '../../gateway/index.js';
import {
  isMessage,
  type ClusterMetricsRequest,
  type ClusterMetricsResponse,
  type ListenFailed,
  type MetricsGatherer,
  type MetricsJson,
  type RoutesMessage,
  type RoutesRequest,
} from '../../gateway/index.js';

/** Options of startGatewayProcesses. */
export interface GatewayProcessesOptions {
  readonly processes: number;
  /** Where the owner serves what the workers hand on. */
  readonly ownerUrl: string;
  /** The functions with their ready endpoints, as of now. */
  readonly routes: () => Promise<ResolvedFunction[]>;
  /** Asks the workers for their own metrics; give it `ready` as the workers to ask. */
  readonly gatherer: MetricsGatherer;
  /** The owner's metrics and every worker's, one array each. */
  readonly allMetrics: () => Promise<MetricsJson[]>;
  /** A worker's SIGTERM drain is given this long (plus a margin) before it is killed. */
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
}

/** The running gateway workers. */
export interface GatewayProcesses {
  /** Resolves with the shared port once every worker listens; rejects when one cannot. */
  readonly started: Promise<number>;
  /** The workers that have asked for the routes, so are set up to answer metrics requests too. */
  ready(): Iterable<Worker>;
  /** Sends the routes again; call after any change the provider reports. */
  changed(): void;
  /** Drains every worker (SIGTERM) and resolves when all have exited. */
  close(): Promise<void>;
}

/** A worker's listen failure, with its errno code (EADDRINUSE). */
export class GatewayProcessStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Pause before replacing a worker that died, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1_000;
/** Beyond its drain timeout, how long a worker may take to exit before it is killed. */
const EXIT_MARGIN_MS = 5_000;

/** Forks the workers; see GatewayProcesses. */
export function startGatewayProcesses(options: GatewayProcessesOptions): GatewayProcesses {
  const { logger } = options;
  let stopping = false;
  // Workers that asked for the routes: each gets every later change.
  const subscribed = new Set<Worker>();
  let pushing = false;
  let again = false;

  const send = (worker: Worker, message: RoutesMessage | ClusterMetricsResponse): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const routesMessage = async (): Promise<RoutesMessage> => ({ type: 'kfaas:routes', ownerUrl: options.ownerUrl, functions: await options.routes() });
  // One push at a time, the latest state last: a burst of changes (replicas turning ready) costs one or two.
  const push = (): void => {
    if (pushing) {
      again = true;
      return;
    }
    pushing = true;
    again = false;
    routesMessage()
      .then((message) => {
        for (const worker of subscribed) send(worker, message);
      })
      .catch((err: unknown) => logger.warn('cannot read the routes for the gateway processes', { err }))
      .finally(() => {
        pushing = false;
        if (again) push();
      });
  };

  let listening = 0;
  let settle: { resolve: (port: number) => void; reject: (err: Error) => void } | undefined;
  const started = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  const listened = new Set<Worker>();
  const failures = new Map<Worker, ListenFailed>();

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (options.gatherer.onMessage(m)) return;
      if (isMessage<RoutesRequest>(m, 'kfaas:routes-request')) {
        subscribed.add(worker);
        routesMessage().then(
          (message) => send(worker, message),
          (err: unknown) => logger.warn('cannot read the routes for a gateway process', { err }),
        );
      } else if (isMessage<ClusterMetricsRequest>(m, 'kfaas:cluster-metrics')) {
        options.allMetrics().then(
          (perWorker) => send(worker, { type: 'kfaas:cluster-metrics-result', id: m.id, perWorker } satisfies ClusterMetricsResponse),
          (err: unknown) => send(worker, { type: 'kfaas:cluster-metrics-result', id: m.id, error: (err as Error).message } satisfies ClusterMetricsResponse),
        );
      } else if (isMessage<ListenFailed>(m, 'kfaas:listen-failed')) {
        failures.set(worker, m);
      }
    });
    worker.on('listening', (address) => {
      listened.add(worker);
      if (++listening === options.processes) settle?.resolve(address.port);
    });
    worker.on('exit', (code, signal) => {
      subscribed.delete(worker);
      if (stopping) {
        settle?.reject(new GatewayProcessStartError('kfaas up stopped while its gateway processes were starting', undefined));
        return;
      }
      if (!listened.has(worker)) {
        // A worker that never listened (the port is taken) would fail again: the start fails.
        const failure = failures.get(worker);
        settle?.reject(new GatewayProcessStartError(failure?.message ?? `a gateway process exited before it listened (code ${code}, signal ${signal})`, failure?.code));
        return;
      }
      logger.error('a gateway process exited; starting another', { pid: worker.process.pid, code, signal });
      setTimeout(() => {
        if (!stopping) fork();
      }, RESTART_DELAY_MS);
    });
  };

  logger.info('starting gateway processes', { processes: options.processes });
  for (let i = 0; i < options.processes; i++) fork();
  void started.then(
    () => (settle = undefined),
    () => (settle = undefined),
  );

  let closing: Promise<void> | undefined;
  return {
    started,
    ready: () => subscribed,
    changed: push,
    close() {
      closing ??= (async () => {
        stopping = true;
        const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
        await Promise.all(workers.map((w) => drain(w, options.drainTimeoutMs + EXIT_MARGIN_MS)));
      })();
      return closing;
    },
  };
}

/** SIGTERM, then SIGKILL if the worker has not exited by the deadline; resolves on its exit. */
function drain(worker: Worker, deadlineMs: number): Promise<void> {
  if (worker.process.exitCode !== null || worker.process.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), deadlineMs);
    worker.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
