/**
 * The worker's one public entry: `createWorker(deps)` wires the invocation handler to a queue source (Kafka
 * in a cluster, the embedded queue under `kfaas up`) and serves metrics and probes. It never builds the source:
 * the composition root does, so the worker is the same whatever the backend.
 */
import http from 'node:http';
import https from 'node:https';
import { compileCallbackPolicy } from '../common/callback-policy.js';
import type { Logger } from '../common/logger.js';
import type { FunctionCapacity, InvocationSource } from '../common/queue.js';
import { readBasicAuthCredentials } from '../runtime/basic-auth-credentials.js';
import { createFunctionCapacity, type WorkerFunctionCapacity } from './concurrency/function-capacity.js';
import { gatewayCapacityFacts } from './concurrency/gateway-facts.js';
import { createCallbackPoster, type CallbackPoster } from './callback/post-callback.js';
import type { WorkerConfig } from './config.js';
import { createInvocationHandler } from './handle-invocation.js';
import { createGatewayInvoker, type FunctionInvoker } from './invoke/invoke-function.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics/worker-metrics.js';
import type { WorkerObserver } from './observer.js';
import { tracingEnabled } from '../runtime/tracing/spans.js';
import { traceCallbacks, traceHandler, traceInvoker } from './tracing/attempt-spans.js';

/** What a worker is made of; only config, source and logger are required. */
export interface WorkerDeps {
  readonly config: WorkerConfig;
  readonly source: InvocationSource;
  readonly logger: Logger;
  /** Give the source `metrics.queueObserver` too, so lag and undecodable records are counted. */
  readonly metrics?: WorkerMetrics;
  /** Serve /metrics, /livez and /readyz on config.metricsBind:metricsPort; default true. */
  readonly serveMetrics?: boolean;
  readonly observers?: readonly WorkerObserver[];
  /** False once the source can no longer consume (a crashed Kafka consumer): /livez and /readyz then fail. */
  readonly sourceHealthy?: () => boolean;
  readonly invoker?: FunctionInvoker;
  /** Per-function concurrency; by default read from the gateway unless config.capacityRefreshMs is 0. */
  readonly capacity?: FunctionCapacity;
  readonly callbacks?: CallbackPoster;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** A running (or runnable) worker. */
export interface Worker {
  readonly metrics: WorkerMetrics;
  /** Base URL of the metrics server once started, when served. */
  readonly metricsUrl: string | undefined;
  /** Starts the metrics server, then consuming; resolves once consuming has started. */
  start(): Promise<void>;
  /** Stops fetching, drains in-flight calls (the source's deadline), commits, and stops serving; idempotent. */
  close(): Promise<void>;
}

/** Creates a worker; nothing runs until start(). */
export function createWorker(deps: WorkerDeps): Worker {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'worker' });
  const metrics = deps.metrics ?? createWorkerMetrics();
  // Keep-alive pools: at maxInflight concurrent calls, a fresh TCP connection per call would dominate latency.
  const agentOptions = { keepAlive: true, maxSockets: config.maxInflight, maxFreeSockets: config.maxInflight };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  // Spans only when tracing was set up (an OTLP endpoint is configured): otherwise the pieces run unwrapped.
  const traced = tracingEnabled();
  const invoker = deps.invoker ?? createGatewayInvoker({ gatewayUrl: config.gatewayUrl, timeoutMarginMs: config.invokeTimeoutMarginMs, agents });
  const callbacks =
    deps.callbacks ??
    createCallbackPoster({
      timeoutMs: config.callbackTimeoutMs,
      agents,
      policy: compileCallbackPolicy({ allowlist: config.callbackAllowlist, kubernetesApiAddresses: config.kubernetesApiAddresses }),
    });
  const untracedHandler = createInvocationHandler({
    invoker: traced ? traceInvoker(invoker) : invoker,
    callbacks: traced ? traceCallbacks(callbacks) : callbacks,
    logger,
    retryOn: config.retryOn,
    jitter: config.jitter,
    callbackRetry: config.callbackRetry,
    observers: [metrics.observer, ...(deps.observers ?? [])],
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const handler = traced ? traceHandler(untracedHandler) : untracedHandler;
  const ownCapacity: WorkerFunctionCapacity | undefined =
    deps.capacity || config.capacityRefreshMs === 0
      ? undefined
      : createFunctionCapacity({
          fetchFacts: gatewayCapacityFacts({ gatewayUrl: config.gatewayUrl, credentials: readBasicAuthCredentials(config.gatewayAuth), agents, logger }),
          refreshMs: config.capacityRefreshMs,
          logger,
        });
  const capacity = deps.capacity ?? ownCapacity;

  const healthy = deps.sourceHealthy ?? (() => true);
  let server: MetricsServer | undefined;
  let consuming = false;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const start = (): Promise<void> => {
    if (closing) return Promise.reject(new Error('the worker is closed'));
    starting ??= (async () => {
      if (deps.serveMetrics ?? true) {
        server = await startMetricsServer({
          host: config.metricsBind,
          port: config.metricsPort,
          registry: metrics.registry,
          ready: () => consuming && healthy(),
          live: healthy,
          logger,
        });
      }
      await deps.source.start(handler, capacity ? { capacity } : {});
      consuming = true;
      logger.info('worker consuming', { gatewayUrl: config.gatewayUrl, queue: config.queue ?? '(shared)', maxInflight: config.maxInflight, metrics: server?.url });
    })();
    return starting;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      consuming = false;
      await starting?.catch(() => undefined);
      try {
        await deps.source.close();
      } finally {
        ownCapacity?.close();
        agents.http.destroy();
        agents.https.destroy();
        await server?.close();
        logger.info('worker stopped');
      }
    })();
    return closing;
  };

  return {
    metrics,
    get metricsUrl() {
      return server?.url;
    },
    start,
    close,
  };
}

export { loadConfig, type WorkerConfig } from './config.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics/worker-metrics.js';
export { createInvocationHandler } from './handle-invocation.js';
