/**
 * The gateway process's public entry: createGateway(config, deps) wires the app onto node:http servers and
 * owns their lifecycle (start, graceful drain, idempotent close). The provider and queue belong to the caller,
 * which closes them after the gateway (they may be shared, as `kfaas up` shares its queue with the worker).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallCanceller, CallStatusReader, DeadLetterRedriver } from '../common/call-status.js';
import type { Logger } from '../common/logger.js';
import type { DeadLetterReader, InvocationQueue } from '../common/queue.js';
import { createApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { readBasicAuthCredentials, type BasicAuthCredentials } from './http/basic-auth.js';
import { Lifecycle, metricsHandler } from './http/health.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.js';
import type { Provider } from './ports.js';
import { createUpstreamAgent } from './proxy/upstream-agent.js';
import { settlesWithin } from '../runtime/deadline.js';

export { loadConfig as loadGatewayConfig, type GatewayConfig } from './config.js';
export { readBasicAuthCredentials, type BasicAuthCredentials } from './http/basic-auth.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.js';
export { createScaleSignalsReader } from './handlers/system/scale-signals.js';
export type { Provider, FunctionManager, FunctionResolver, ResolvedFunction } from './ports.js';
export { createLocalProvider, type LocalProvider, type LocalProviderOptions } from './providers/local/index.js';
// What `kfaas up` needs to run gateway worker processes beside its own (KFAAS_GATEWAY_PROCESSES).
export { createPushedRoutes, snapshotRoutes, type PushedRoutes } from './providers/local/pushed-routes.js';
export { createOwnerHandOff, type OwnerHandOff } from './cluster/hand-off.js';
export { answerClusterMetrics, createMetricsGatherer, type MetricsGatherer } from './cluster/metrics-gatherer.js';
export { GatewayProcessStartError, superviseWorkers, type Supervisor, type SupervisorOptions } from './cluster/supervisor.js';
export { clusterWorkerMetrics, summedMetrics } from './cluster/worker-metrics.js';
export * from './cluster/messages.js';
// The kubernetes provider is not re-exported: it loads @kubernetes/client-node (tens of MiB), which `kfaas up`
// never needs. main.ts imports it from ./providers/kubernetes/index.js.

/** What the gateway is built from. */
export interface GatewayDeps {
  readonly provider: Provider;
  readonly logger: Logger;
  /** Enables /async-function. */
  readonly queue?: InvocationQueue;
  /** Serves /system/dead-letters. */
  readonly deadLetters?: DeadLetterReader;
  /** Serves /async-calls/{callId}. */
  readonly callStatus?: CallStatusReader;
  /** Serves DELETE /async-calls/{callId}. */
  readonly callCanceller?: CallCanceller;
  /** Serves POST /system/dead-letters/redrive. */
  readonly redriver?: DeadLetterRedriver;
  /** Defaults to readBasicAuthCredentials(config.auth) (env, else files under secret_mount_path). */
  readonly credentials?: BasicAuthCredentials;
  readonly metrics?: GatewayMetrics;
  readonly buildSha?: string;
  /** Requests that `serveHere` refuses go to `handle` instead of the app (a `kfaas up` worker hands them on). */
  readonly handOff?: HandOff;
}

/** Where a gateway that serves only some routes sends the rest. */
export interface HandOff {
  serveHere(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** Where a started gateway listens. */
export interface GatewayAddress {
  readonly port: number;
  /** Set when config.metricsPort is. */
  readonly metricsPort?: number;
}

/** A runnable gateway. */
export interface Gateway {
  /** Listens; resolves with the bound ports (config port 0 picks a free one). */
  start(): Promise<GatewayAddress>;
  /**
   * Drains: readiness turns 503, after drainDelayMs the listener closes, in-flight calls get drainTimeoutMs
   * to finish, then remaining sockets are cut. Idempotent.
   */
  close(): Promise<void>;
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
}

/** Creates the gateway; nothing listens until start(). */
export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const logger = deps.logger.child({ component: 'gateway' });
  const credentials = deps.credentials ?? readBasicAuthCredentials(config.auth);
  const metrics = deps.metrics ?? createGatewayMetrics({ defaultMetrics: true });
  const lifecycle = new Lifecycle();
  const agent = createUpstreamAgent({ idleTimeoutMs: config.upstreamIdleTimeoutMs, maxIdlePerEndpoint: config.maxIdleSocketsPerHost });
  const app = createApp({
    config,
    provider: deps.provider,
    logger,
    metrics,
    lifecycle,
    agent,
    ...(credentials ? { credentials } : {}),
    ...(deps.queue ? { queue: deps.queue } : {}),
    ...(deps.deadLetters ? { deadLetters: deps.deadLetters } : {}),
    ...(deps.callStatus ? { callStatus: deps.callStatus } : {}),
    ...(deps.callCanceller ? { callCanceller: deps.callCanceller } : {}),
    ...(deps.redriver ? { redriver: deps.redriver } : {}),
    ...(deps.buildSha !== undefined ? { buildSha: deps.buildSha } : {}),
  });

  let inflight = 0;
  let idle: (() => void) | undefined;
  // One shared listener, not a closure per request: this runs on every call.
  const onResponseClose = (): void => {
    inflight--;
    if (inflight === 0) idle?.();
  };
  const handOff = deps.handOff;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inflight++;
    res.on('close', onResponseClose);
    // While draining, tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (lifecycle.draining) res.setHeader('connection', 'close');
    if (handOff && !handOff.serveHere(req)) handOff.handle(req, res);
    else app(req, res);
  });
  server.requestTimeout = config.readTimeoutMs;
  // Idle keep-alive connections outlive a typical load balancer's 60 s idle timeout, so the balancer closes
  // first and never sends on a socket we are closing; headersTimeout must exceed it (Node's own advice).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = config.readTimeoutMs > 0 ? Math.min(66_000, config.readTimeoutMs) : 66_000;
  let metricsServer: Server | undefined;

  let startPromise: Promise<GatewayAddress> | undefined;
  let closePromise: Promise<void> | undefined;

  const start = (): Promise<GatewayAddress> => {
    startPromise ??= (async () => {
      deps.provider.ready().then(
        () => lifecycle.markReady(),
        (err: unknown) => logger.error('provider failed to become ready', { err }),
      );
      const port = await listen(server, config.port, config.bindAddress);
      let metricsPort: number | undefined;
      if (config.metricsPort !== undefined) {
        const serveMetrics = metricsHandler(metrics.registry);
        metricsServer = createServer((req, res) => {
          if (req.url === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
            serveMetrics(req, res).catch((err: unknown) => res.destroy(err as Error));
          } else {
            res.statusCode = 404;
            res.end('not found');
          }
        });
        metricsPort = await listen(metricsServer, config.metricsPort, config.bindAddress);
      }
      logger.info('gateway listening', { port, bindAddress: config.bindAddress, metricsPort, provider: deps.provider.info.provider });
      return metricsPort === undefined ? { port } : { port, metricsPort };
    })();
    return startPromise;
  };

  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      lifecycle.startDraining();
      if (server.listening) {
        logger.info('draining', { drainDelayMs: config.drainDelayMs, drainTimeoutMs: config.drainTimeoutMs, inflight });
        // Stay up, reporting not-ready, for one probe period so load balancers stop routing here first.
        await delay(config.drainDelayMs);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const drained = inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
        const timedOut = !(await settlesWithin(drained, config.drainTimeoutMs));
        if (timedOut) logger.warn('drain deadline passed; closing remaining connections', { inflight });
        server.closeAllConnections();
        await closed;
      }
      if (metricsServer?.listening) {
        const closed = new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
        metricsServer.closeAllConnections();
        await closed;
      }
      await agent.destroy();
      logger.info('gateway closed');
    })();
    return closePromise;
  };

  return { start, close, lifecycle, metrics };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

