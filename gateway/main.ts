/**
 * Composition root of `kfaas gateway`: load config, build the root logger, pick the provider (kubernetes, or
 * local processes) and the Kafka queue when brokers are configured, wire the gateway, drain on SIGTERM/SIGINT.
 * With KFAAS_GATEWAY_PROCESSES > 1 this process only supervises, and each forked worker runs all of the above.
 */
import cluster from 'node:cluster';
import { KubeConfig } from '@kubernetes/client-node';
import { createRootLogger, type Logger } from '../common/logger.js';
import type { DeadLetterReader, InvocationQueue } from '../common/queue.js';
import { kafkaAuthOptions } from '../queue/kafka/connection-settings.js';
import {
  createKafkaCallStatusView,
  createKafkaDeadLetterReader,
  createKafkaInvocationQueue,
  type KafkaCallStatusView,
} from '../queue/kafka/index.js';
import { createRedriver } from '../queue/shared/redrive.js';
import { loadConfig, type GatewayConfig } from './config.js';
import { tuneGatewayHeap } from './heap-tuning.js';
import { createGateway, createGatewayMetrics, type Gateway } from './index.js';
import { runPrimary } from './cluster/primary.js';
import { clusterWorkerMetrics } from './cluster/worker-metrics.js';
import type { Provider } from './ports.js';
import { createKubernetesProvider } from './providers/kubernetes/index.js';
import { createLocalProvider } from './providers/local/index.js';
import { exitOnSignals } from '../runtime/shutdown.js';
import { startTracing } from '../runtime/tracing/setup.js';
import { invocationTopic } from '../common/topics.js';
import { traceQueue } from './tracing/async-spans.js';

/** Runs the gateway until SIGTERM or SIGINT, then drains and exits 0. */
export async function main(): Promise<void> {
  // First, so that every GC from here on runs with the gateway's heap settings.
  tuneGatewayHeap();
  let config: GatewayConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    // No logger exists yet; the message names the variable and its value.
    process.stderr.write(`kfaas gateway: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createRootLogger({ level: config.logLevel, defaultMeta: { service: 'gateway' } });
  if (config.processes > 1 && cluster.isPrimary) {
    runPrimary({
      processes: config.processes,
      logger,
      gatherTimeoutMs: config.metricsGatherTimeoutMs,
      drainMs: config.drainDelayMs + config.drainTimeoutMs,
    });
    return;
  }
  // A worker counts its own calls; reads of the metrics (a scrape may land on any worker) sum every worker's.
  const metrics = cluster.isWorker ? clusterWorkerMetrics(createGatewayMetrics({ defaultMetrics: true }), config.metricsGatherTimeoutMs) : undefined;
  // Before the gateway is built: it adds spans only when tracing is on (an OTEL_* endpoint is set).
  const tracing = await startTracing('kfaas-gateway');
  const provider = createProvider(config, logger);
  const callStatus = config.kafkaBrokers.length > 0 && config.callStatus.enabled ? createCallStatus(config, logger) : undefined;
  const kafkaQueue = createQueue(config, logger, callStatus);
  const queue =
    kafkaQueue && tracing.enabled
      ? traceQueue(kafkaQueue, { system: 'kafka', destination: (inv) => invocationTopic(inv.queue, config.invocationsTopic) })
      : kafkaQueue;
  const deadLetters = queue ? createDeadLetters(config, logger) : undefined;
  let gateway: Gateway;
  try {
    gateway = createGateway(config, {
      provider,
      logger,
      ...(metrics ? { metrics } : {}),
      ...(queue ? { queue } : {}),
      ...(deadLetters ? { deadLetters } : {}),
      ...(callStatus ? { callStatus, callCanceller: callStatus } : {}),
      ...(queue && deadLetters && callStatus ? { redriver: createRedriver({ deadLetters, queue, statuses: callStatus }) } : {}),
    });
  } catch (err) {
    logger.error(`gateway cannot start: ${(err as Error).message}`, { err });
    await provider.close();
    await queue?.close();
    await callStatus?.close();
    process.exitCode = 2;
    return;
  }
  const started = gateway;

  // Order: not-ready and drain (inside close), then the queue, then the informers or child processes.
  const closeAll = async (): Promise<void> => {
    await started.close();
    await queue?.close();
    await deadLetters?.close();
    await callStatus?.close();
    await provider.close();
    await tracing.shutdown();
  };
  // Later signals are ignored: falling back to Node's default would kill us mid-drain.
  exitOnSignals({ logger, action: 'draining', close: closeAll });

  try {
    await started.start();
  } catch (err) {
    logger.error(`gateway failed to start: ${(err as Error).message}`, { err });
    await closeAll();
    process.exit(1);
  }
}

function createProvider(config: GatewayConfig, logger: Logger): Provider {
  if (config.provider === 'local') {
    return createLocalProvider({
      // The running CLI is the default: `kfaas gateway` spawns `kfaas watchdog` from the same install.
      cliEntryPath: config.cliEntryPath ?? process.argv[1] ?? '',
      namespace: config.functionNamespace,
      namespaces: config.allowedNamespaces,
      logger,
      baseEnv: config.localBaseEnv,
      hostForkWatchdogs: config.hostWatchdogs,
      ...(config.stateDir ? { stateDir: config.stateDir } : {}),
    });
  }
  const kubeConfig = new KubeConfig();
  // In a pod: the service account; elsewhere: $KUBECONFIG or ~/.kube/config.
  kubeConfig.loadFromDefault();
  return createKubernetesProvider({
    kubeConfig,
    namespaces: config.allowedNamespaces,
    clusterWide: config.clusterWide,
    cacheWaitMs: config.functionCacheWaitMs,
    operatorAutoscaling: config.operatorAutoscaling,
    logger,
  });
}

/** Reads the dead-letter topic for /system/dead-letters; connects on the first list(). */
function createDeadLetters(config: GatewayConfig, logger: Logger): DeadLetterReader & { close(): Promise<void> } {
  return createKafkaDeadLetterReader({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafka.clientId}-dead-letters`,
    ...kafkaAuthOptions(config.kafka),
    deadLetterTopic: config.deadLetterTopic,
    timeoutMs: config.deadLetterReadTimeoutMs,
    logger,
  });
}

/** The local copy of the status topic that /async-calls reads; it starts reading in the background. */
function createCallStatus(config: GatewayConfig, logger: Logger): KafkaCallStatusView {
  const view = createKafkaCallStatusView({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafka.clientId}-call-status`,
    ...kafkaAuthOptions(config.kafka),
    topic: config.callStatus.topic,
    retentionMs: config.callStatus.retentionMs,
    cancelTopic: config.callStatus.cancelTopic,
    ...(config.callStatus.dir ? { dir: config.callStatus.dir } : {}),
    fetchPaceMs: config.callStatus.readPaceMs,
    logger,
  });
  // Kafka may come up after the gateway: keep trying, as the queue does on each enqueue.
  const start = (): void => {
    view.start().catch((err: unknown) => {
      logger.warn('the call-status topic is not readable yet; status reads see only calls accepted here', { err });
      setTimeout(start, config.callStatus.viewRetryMs).unref();
    });
  };
  start();
  return view;
}

function createQueue(config: GatewayConfig, logger: Logger, callStatus: KafkaCallStatusView | undefined): InvocationQueue | undefined {
  if (config.kafkaBrokers.length === 0) {
    logger.warn('KAFKA_BROKERS is not set: /async-function answers 501');
    return undefined;
  }
  const queue = createKafkaInvocationQueue({
    brokers: config.kafkaBrokers,
    clientId: config.kafka.clientId,
    ...kafkaAuthOptions(config.kafka),
    topicBase: config.invocationsTopic,
    partitions: config.kafka.partitions,
    enqueueTimeoutMs: config.enqueueTimeoutMs,
    logger,
    ...(callStatus
      ? { status: { topic: config.callStatus.topic, retentionMs: config.callStatus.retentionMs, onQueued: (s, value) => callStatus.record(s, value) } }
      : {}),
  });
  // Connect and create topics early; enqueue retries this lazily, so a broker that is down is not fatal here.
  queue.start().catch((err: unknown) => logger.warn('Kafka is not reachable yet; async calls get 503 until it is', { err }));
  return queue;
}
