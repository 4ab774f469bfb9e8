/**
 * The worker's composition root (`kfaas worker [--queue name]`): config from the environment, the root logger,
 * the Kafka source, the worker, signal handling. Nothing else lives here.
 */
import { createRootLogger } from '../common/logger.js';
import { invocationTopic } from '../common/topics.js';
import { kafkaAuthOptions } from '../queue/kafka/connection-settings.js';
import { createKafkaInvocationSource } from '../queue/kafka/index.js';
import { loadConfig } from './config.js';
import { createWorker } from './index.js';
import { createWorkerMetrics } from './metrics/worker-metrics.js';
import { exitOnSignals } from '../runtime/shutdown.js';
import { startTracing } from '../runtime/tracing/setup.js';

/** Options from the command line; they override the environment. */
export interface WorkerMainOptions {
  readonly queue?: string;
}

/** Runs the worker until SIGTERM or SIGINT, then drains and exits. */
export async function main(opts: WorkerMainOptions = {}): Promise<void> {
  const config = loadConfig({ ...process.env, ...(opts.queue ? { KFAAS_QUEUE: opts.queue } : {}) });
  if (config.kafkaBrokers.length === 0) {
    throw new Error('worker config KAFKA_BROKERS="": required: a comma list of host:port brokers to consume from');
  }
  const logger = createRootLogger({ level: config.logLevel, defaultMeta: { service: 'kfaas-worker' } });
  // Before the worker is built: it adds spans only when tracing is on (an OTEL_* endpoint is set).
  const tracing = await startTracing('kfaas-worker');
  const metrics = createWorkerMetrics({ defaultMetrics: true });
  const source = createKafkaInvocationSource({
    brokers: config.kafkaBrokers,
    clientId: config.kafka.clientId,
    ...kafkaAuthOptions(config.kafka),
    partitions: config.kafka.partitions,
    logger,
    topic: invocationTopic(config.queue, config.invocationsTopic),
    deadLetterTopic: config.deadLetterTopic,
    ...(config.callStatus ? { status: config.callStatus } : {}),
    maxInflight: config.maxInflight,
    drainTimeoutMs: config.drainTimeoutMs,
    abortGraceMs: config.abortGraceMs,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    heartbeatIntervalMs: config.kafkaHeartbeatIntervalMs,
    maxExecTimeoutMs: config.maxExecTimeoutMs,
    observer: metrics.queueObserver,
  });
  const worker = createWorker({ config, source, logger, metrics, sourceHealthy: () => source.healthy() });

  // Stop fetching, let in-flight calls finish up to the drain deadline, commit, leave the group.
  exitOnSignals({
    logger,
    action: 'shutting down',
    meta: { drainTimeoutMs: config.drainTimeoutMs },
    close: async () => {
      await worker.close();
      await tracing.shutdown();
    },
    forceOnSecondSignal: true,
  });
  await worker.start();
}
