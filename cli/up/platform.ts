/**
 * The whole platform in one process: the local provider (functions as watchdog children), the embedded durable
 * queue, the gateway, and one worker per queue that calls functions back through the gateway. With
 * KFAAS_GATEWAY_PROCESSES > 1, gateway worker processes serve the port and this process answers what they hand on.
 */
import type { Logger } from '../../common/logger.js';
import {
  createGateway,
  createGatewayMetrics,
  createLocalProvider,
  createMetricsGatherer,
  createScaleSignalsReader,
  GatewayProcessStartError,
  snapshotRoutes,
  summedMetrics,
  type Gateway,
  type GatewayMetrics,
  type LocalProvider,
  type MetricsJson,
} from '../../gateway/index.js';
import { startGatewayProcesses, type GatewayProcesses } from './gateway-processes.js';
import { createLocalAutoscaler, type LocalAutoscaler } from './autoscaler.js';
import { createEmbeddedQueue, type EmbeddedQueue } from '../../queue/embedded/index.js';
import { createRedriver } from '../../queue/shared/redrive.js';
import { invocationTopic } from '../../common/topics.js';
import { traceQueue } from '../../gateway/tracing/async-spans.js';
import { startTracing } from '../../runtime/tracing/setup.js';
import { createWorkerPool, withQueueWorkers } from './worker-pool.js';
import type { Stack } from './stack-file.js';
import { ensureCredentials, type LocalCredentials } from './credentials.js';
import { LOCAL_NAMESPACE, type UpConfig } from './config.js';

/** A started local platform. */
export interface LocalPlatform {
  readonly url: string;
  readonly credentials: LocalCredentials;
  readonly queue: EmbeddedQueue;
  /** Stack functions with no healthy replica once the start deadline passed (their log says why). */
  readonly notReady: readonly string[];
  /** Resolves if the gateway worker processes stopped on their own (one could not start): the port is no longer served. */
  readonly lost: Promise<void>;
  close(): Promise<void>;
}

/** Raised when the gateway port is taken; the message names the port and the flag. */
export class PortInUseError extends Error {}

/** Starts everything; on a failure part-way, what already started is closed again. */
export async function startLocalPlatform(config: UpConfig, stack: Stack | undefined, logger: Logger): Promise<LocalPlatform> {
  const { options, ownerGateway: gatewayConfig } = config;
  let processes: GatewayProcesses | undefined;
  const credentials = ensureCredentials(options.dataDir);
  // Before the gateway and workers are built: they add spans only when tracing is on (OTEL_* endpoint set).
  const tracing = await startTracing('kfaas');
  const queue = createEmbeddedQueue({ dataDir: `${options.dataDir}/queue`, logger });
  const traced = tracing.enabled ? traceQueue(queue, { system: 'kfaas-embedded', destination: (inv) => invocationTopic(inv.queue) }) : queue;
  const functionsChanged = new ChangeSignal();
  const provider = createLocalProvider({
    cliEntryPath: gatewayConfig.cliEntryPath ?? '',
    namespace: LOCAL_NAMESPACE,
    functions: stack?.functions ?? [],
    ...(stack ? { workingDir: stack.workingDir } : {}),
    secretsDir: options.secretsDir,
    ...(gatewayConfig.stateDir ? { stateDir: gatewayConfig.stateDir } : {}),
    // The documented base (PATH, HOME, LANG, ...; see gateway/config.ts), not the whole shell of `kfaas up`.
    baseEnv: gatewayConfig.localBaseEnv,
    hostForkWatchdogs: gatewayConfig.hostWatchdogs,
    logger,
    // Function output in the terminal, like `docker compose up`: a handler that cannot start says why here.
    onLog: (fn, _ns, instance, text) => logger.info(text, { component: instance }),
    // Gateway worker processes route sync calls from the endpoints this pushes them.
    onChange: () => {
      processes?.changed();
      functionsChanged.notify();
    },
  });
  let url = '';
  const workers = createWorkerPool({ queue, gatewayUrl: () => url, config: config.worker, logger });
  // A function deployed through /system with a dedicated queue gets that queue's worker at once.
  const served = { ...provider, functions: withQueueWorkers(provider.functions, provider.resolver, workers) };
  const local = createGatewayMetrics({ defaultMetrics: true });
  // Only workers that asked for the routes: one still starting would not answer, and hold up every read.
  const gatherer = createMetricsGatherer(gatewayConfig.metricsGatherTimeoutMs, () => processes?.ready() ?? []);
  const allMetrics = async (): Promise<MetricsJson[]> => [(await local.registry.getMetricsAsJSON()) as MetricsJson, ...(await gatherer.gather())];
  // With worker processes, /metrics, the dashboard and the autoscaler's signals count every process's calls.
  const metrics: GatewayMetrics = config.processes > 1 ? summedMetrics(local, allMetrics) : local;
  const gateway: Gateway = createGateway(gatewayConfig, {
    metrics,
    provider: served,
    queue: traced,
    deadLetters: queue,
    callStatus: queue,
    callCanceller: queue,
    redriver: createRedriver({ deadLetters: queue, queue, statuses: queue }),
    logger,
  });
  let autoscaler: LocalAutoscaler | undefined;
  const close = once(async () => {
    await autoscaler?.close();
    // The workers drain first: what they hand on still needs this process's gateway.
    await processes?.close();
    await gateway.close();
    await workers.close();
    await queue.close();
    await provider.close();
    await tracing.shutdown();
  });
  const startWorkers = async (ownerUrl: string): Promise<number> => {
    processes = startGatewayProcesses({
      processes: config.processes,
      ownerUrl,
      routes: () => snapshotRoutes(provider, LOCAL_NAMESPACE),
      gatherer,
      allMetrics,
      drainTimeoutMs: gatewayConfig.drainTimeoutMs,
      logger,
    });
    try {
      return await processes.started;
    } catch (err) {
      if (err instanceof GatewayProcessStartError && err.code === 'EADDRINUSE') throw portInUse(options.port);
      throw err;
    }
  };
  try {
    let port: number;
    try {
      ({ port } = await gateway.start());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw portInUse(options.port);
      }
      throw err;
    }
    if (config.processes > 1) port = await startWorkers(`http://127.0.0.1:${port}`);
    url = `http://127.0.0.1:${port}`;
    // The operator's rules on local processes: the embedded queue's backlog and this gateway's sync load.
    autoscaler = createLocalAutoscaler({
      signals: createScaleSignalsReader({ metrics, callStatus: queue }),
      functions: async () =>
        (await provider.functions.list(LOCAL_NAMESPACE)).flatMap((f) => {
          const running = provider.running(f.name, LOCAL_NAMESPACE);
          return running ? [{ name: f.name, namespace: LOCAL_NAMESPACE, spec: running.spec, replicas: running.desiredReplicas }] : [];
        }),
      scale: (name, namespace, replicas) => provider.functions.scale(name, namespace, replicas),
      intervalMs: config.autoscale.intervalMs,
      stabilisationMs: config.autoscale.stabilisationMs,
      logger: logger.child({ component: 'autoscaler' }),
    });
    // The shared queue, the stack's dedicated queues, and those of functions restored from the state dir.
    const restored = await provider.functions.list(LOCAL_NAMESPACE);
    const specs = await Promise.all(restored.map((f) => provider.resolver.resolve(f.name, LOCAL_NAMESPACE)));
    const queues = new Set<string | undefined>([undefined, ...(stack?.functions ?? []).map((f) => f.queue), ...specs.map((r) => r?.queue)]);
    for (const name of queues) await workers.ensure(name);
    const notReady = await waitForFunctions(provider, (stack?.functions ?? []).map((f) => f.name), config.functionsReadyTimeoutMs, functionsChanged);
    for (const name of notReady) {
      logger.error('function has no healthy replica yet; it keeps restarting with backoff (see its output above)', { fn: name });
    }
    // With no worker processes, this process serves the port itself and cannot lose it this way.
    const lost = processes?.lost ?? new Promise<void>(() => undefined);
    return { url, credentials, queue, notReady, lost, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function portInUse(port: number): PortInUseError {
  return new PortInUseError(`port ${port} on 127.0.0.1 is already in use: stop what uses it, or choose another with --port`);
}

/** Wakes whoever waits for the next change of the local functions (a replica turning ready, or not). */
class ChangeSignal {
  private waiters: Array<() => void> = [];

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves at the next change, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Waits, change by change, until every function has a ready endpoint or the deadline passes; returns those still not ready. */
async function waitForFunctions(provider: LocalProvider, names: readonly string[], timeoutMs: number, changed: ChangeSignal): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...names];
  for (;;) {
    // Armed before the check, so a change between the check and the wait is not missed.
    const next = changed.next(Math.max(0, deadline - Date.now()));
    const ready = await Promise.all(pending.map(async (name) => ((await provider.resolver.resolve(name, LOCAL_NAMESPACE))?.endpoints.length ?? 0) > 0));
    pending = pending.filter((_, i) => !ready[i]);
    if (pending.length === 0 || Date.now() >= deadline) {
      changed.notify();
      return pending;
    }
    await next;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => (promise ??= fn());
}
