/**
 * `kfaas up` with KFAAS_GATEWAY_PROCESSES > 1, the owner's side: the gateway's worker supervisor forks the gateway
 * worker processes (node:cluster, sharing the port), replaces one that dies and drains them on close; this adds
 * what is particular to `kfaas up`: it pushes them the functions' endpoints on every change and answers their
 * metrics requests with every process's metrics. The owner keeps the functions, the embedded queue, the
 * autoscaler and every route a worker hands on.
 */
import type { Worker } from 'node:cluster';
import type { Logger } from '../../common/logger.js';
import {
  answerClusterMetrics,
  isMessage,
  superviseWorkers,
  type MetricsGatherer,
  type MetricsJson,
  type ResolvedFunction,
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
  /** Resolves with the shared port once every worker listens; rejects (GatewayProcessStartError) when one cannot. */
  readonly started: Promise<number>;
  /** The workers that have asked for the routes, so are set up to answer metrics requests too. */
  ready(): Iterable<Worker>;
  /** Sends the routes again; call after any change the provider reports. */
  changed(): void;
  /**
   * Resolves if the workers stopped without close(): a replacement exited before it listened, so the supervisor
   * drained them all and nothing serves the port any more. Never rejects.
   */
  readonly lost: Promise<void>;
  /** Drains every worker (SIGTERM) and resolves when all have exited. */
  close(): Promise<void>;
}

/** Forks the workers; see GatewayProcesses. */
export function startGatewayProcesses(options: GatewayProcessesOptions): GatewayProcesses {
  const { logger } = options;
  // Workers that asked for the routes: each gets every later change.
  const subscribed = new Set<Worker>();
  let pushing = false;
  let again = false;

  const send = (worker: Worker, message: RoutesMessage): void => {
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

  const supervisor = superviseWorkers({
    processes: options.processes,
    logger,
    drainMs: options.drainTimeoutMs,
    onMessage: (worker, m) => {
      if (options.gatherer.onMessage(m) || answerClusterMetrics(worker, m, options.allMetrics)) return;
      if (isMessage<RoutesRequest>(m, 'kfaas:routes-request')) {
        subscribed.add(worker);
        routesMessage().then(
          (message) => send(worker, message),
          (err: unknown) => logger.warn('cannot read the routes for a gateway process', { err }),
        );
      }
    },
    onExit: (worker) => subscribed.delete(worker),
  });

  let closed = false;
  return {
    started: supervisor.started,
    ready: () => subscribed,
    changed: push,
    lost: supervisor.stopped.then(() => (closed ? new Promise<void>(() => undefined) : undefined)),
    close: async () => {
      closed = true;
      await supervisor.close();
    },
  };
}
