// Scaling out the async path on the real broker: a real gateway (in-memory provider, functions served by local
// HTTP servers), the real Kafka queue, and two real in-process workers in one consumer group. Checks that one
// function's calls spread over the partitions and both workers, that a function never gets more concurrent calls
// than ready replicas x max_inflight, and that a burst to one function does not starve another.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { Agent, fetch } from 'undici';
import { consumerGroup } from '../../common/topics.js';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createGateway, type Gateway } from '../../gateway/index.js';
import { MemoryProvider } from '../../gateway/testing/memory-provider.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource, type KafkaInvocationQueue } from '../../queue/kafka/index.js';
import { loadConfig as loadWorkerConfig } from '../../worker/config.js';
import { createWorker, createWorkerMetrics, type Worker } from '../../worker/index.js';
import { kafkaFor, loadServices, silentLogger, startHttpServer, uniqueName, waitFor, type TestHttpServer } from '../helpers/index.js';

const NS = 'openfaas-fn';
const PARTITIONS = 6;

/** A function server that counts its concurrent requests and records when each started. */
class CountingFunction {
  inflight = 0;
  peak = 0;
  readonly startedAt = new Map<string, number>();
  server!: TestHttpServer;

  constructor(private readonly workMs: number) {}

  async listen(): Promise<this> {
    this.server = await startHttpServer((req: http.IncomingMessage, res: http.ServerResponse) => {
      req.resume();
      req.on('end', () => {
        this.inflight += 1;
        this.peak = Math.max(this.peak, this.inflight);
        this.startedAt.set(String(req.headers['x-call-id']), Date.now());
        setTimeout(() => {
          this.inflight -= 1;
          res.writeHead(200).end('ok');
        }, this.workMs);
      });
    });
    return this;
  }
}

// The client closes idle connections long before the gateway's 65 s keep-alive does, as a well-behaved client
// should: reusing a connection at the moment the server closes it gets an ECONNRESET, and a POST is not retried.
const client = new Agent({ keepAliveTimeout: 2_000, keepAliveMaxTimeout: 2_000 });

async function accept(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', body: 'x', dispatcher: client });
  expect(res.status).toBe(202);
  return String(res.headers.get('x-call-id'));
}

const counted = async (worker: Worker, name: string, fn: string): Promise<number> => {
  const metric = await worker.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => v.labels['function_name'] === fn)?.value ?? 0;
};

describe('async path scale-out on Kafka', () => {
  const logger = silentLogger();
  const topic = uniqueName('scale-out');
  let kafka: Kafka;
  let provider: MemoryProvider;
  let gateway: Gateway;
  let queue: KafkaInvocationQueue;
  let gatewayUrl: string;
  const workers: Worker[] = [];
  const functions: CountingFunction[] = [];

  /** Registers `name` with `replicas` ready endpoints (all this server) and the given max_inflight. */
  async function deploy(name: string, workMs: number, replicas: number, maxInflight?: number): Promise<CountingFunction> {
    const fn = await new CountingFunction(workMs).listen();
    functions.push(fn);
    provider.put(
      { name, timeouts: { exec: '30s' }, ...(maxInflight !== undefined ? { environment: { max_inflight: String(maxInflight) } } : {}) },
      NS,
      Array.from({ length: replicas }, () => fn.server.url),
    );
    return fn;
  }

  beforeAll(async () => {
    const services = loadServices();
    kafka = kafkaFor(services);
    provider = new MemoryProvider({ namespaces: [NS] });
    queue = createKafkaInvocationQueue({ brokers: services.brokers, logger, topicBase: topic, partitions: PARTITIONS, kafkaLogLevel: 'nothing' });
    const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s', KFAAS_DRAIN_TIMEOUT: '5s' });
    gateway = createGateway(config, { provider, logger, queue });
    gatewayUrl = `http://127.0.0.1:${(await gateway.start()).port}`;
    await queue.start();
    for (let i = 0; i < 2; i += 1) {
      const config = loadWorkerConfig({
        KAFKA_BROKERS: services.brokers.join(','),
        KFAAS_GATEWAY_URL: gatewayUrl,
        KFAAS_INVOCATIONS_TOPIC: topic,
        KFAAS_DEAD_LETTER_TOPIC: `${topic}.dlq`,
        KFAAS_METRICS_PORT: '0',
        KFAAS_CAPACITY_REFRESH: '200ms',
        max_inflight: '50',
      });
      const metrics = createWorkerMetrics();
      const source = createKafkaInvocationSource({
        observer: metrics.queueObserver,
        brokers: config.kafkaBrokers,
        logger,
        kafkaLogLevel: 'nothing',
        topic,
        deadLetterTopic: config.deadLetterTopic,
        maxInflight: config.maxInflight,
        drainTimeoutMs: 5_000,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        maxWaitTimeMs: 200,
        maxExecTimeoutMs: 30_000,
        partitions: PARTITIONS,
        lagIntervalMs: 0,
      });
      const worker = createWorker({ config, source, logger, metrics, serveMetrics: false, sourceHealthy: () => source.healthy() });
      workers.push(worker);
      await worker.start();
    }
    // Both members joined and the group settled: each worker owns some of the partitions.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const { groups } = await admin.describeGroups([consumerGroup(topic)]);
          return groups[0]?.state === 'Stable' && groups[0].members.length === 2 && groups[0].members.every((m) => m.memberAssignment.length > 0);
        },
        { timeoutMs: 60_000, intervalMs: 250, description: 'two workers in a stable group' },
      );
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await gateway?.close();
    await client.close();
    await queue?.close();
    await Promise.all(functions.map((f) => f.server.close()));
  });

  it('spreads one function\'s calls over the partitions and both workers, never above replicas x max_inflight', async () => {
    // 2 ready replicas x max_inflight 3 = 6 calls at once across both workers.
    const fn = await deploy('hot', 100, 2, 3);
    const ids = await Promise.all(Array.from({ length: 120 }, () => accept(`${gatewayUrl}/async-function/hot`)));
    await waitFor(() => ids.every((id) => fn.startedAt.has(id)) && fn.inflight === 0, { timeoutMs: 90_000, intervalMs: 100, description: 'all 120 calls' });
    expect(fn.peak).toBeLessThanOrEqual(6);
    // More than one worker's share alone (3): both workers ran calls of it at once.
    expect(fn.peak).toBeGreaterThan(3);
    const perWorker = await Promise.all(workers.map((w) => counted(w, 'kfaas_worker_invocations_started_total', `hot.${NS}`)));
    expect(perWorker.every((n) => n > 0)).toBe(true);
    const offsets = await (async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return await admin.fetchTopicOffsets(topic);
      } finally {
        await admin.disconnect();
      }
    })();
    const used = offsets.filter((o) => Number(o.high) > 0).length;
    expect(used).toBeGreaterThanOrEqual(PARTITIONS - 1);
  }, 120_000);

  it('a burst to one function does not starve another: its calls start within a bounded time', async () => {
    // 1 replica x max_inflight 2: the burst of 300 x 50 ms takes at least 7.5 s to drain.
    const burst = await deploy('burst', 50, 1, 2);
    const quick = await deploy('quick', 10, 1);
    const burstIds = await Promise.all(Array.from({ length: 300 }, () => accept(`${gatewayUrl}/async-function/burst`)));
    const enqueuedAt = new Map<string, number>();
    for (let i = 0; i < 10; i += 1) {
      const at = Date.now();
      enqueuedAt.set(await accept(`${gatewayUrl}/async-function/quick`), at);
    }
    await waitFor(() => [...enqueuedAt.keys()].every((id) => quick.startedAt.has(id)), { timeoutMs: 60_000, intervalMs: 50, description: 'the other function\'s calls' });
    const latencies = [...enqueuedAt].map(([id, at]) => (quick.startedAt.get(id) as number) - at).sort((a, b) => a - b);
    const burstStarted = burstIds.filter((id) => burst.startedAt.has(id)).length;
    process.stderr.write(`quick latency behind a burst (ms): ${latencies.join(', ')}; burst calls started by then: ${burstStarted}\n`);
    expect(burstStarted).toBeLessThan(burstIds.length / 2);
    expect(latencies[latencies.length - 1]).toBeLessThan(5_000);
    await waitFor(() => burstIds.every((id) => burst.startedAt.has(id)) && burst.inflight === 0, { timeoutMs: 120_000, intervalMs: 200, description: 'the whole burst' });
    expect(burst.peak).toBeLessThanOrEqual(2);
    // The burst was put back in the queue rather than held in the fetch window, and every call still ran once.
    const deferred = await Promise.all(workers.map((w) => counted(w, 'kfaas_worker_deferred_total', `burst.${NS}`)));
    expect(deferred.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const started = await Promise.all(workers.map((w) => counted(w, 'kfaas_worker_invocations_started_total', `burst.${NS}`)));
    expect(started.reduce((a, b) => a + b, 0)).toBe(burstIds.length);
  }, 180_000);
});
