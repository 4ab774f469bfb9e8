/**
 * Async scale-out benchmark on Kafka:
 *  1. one hot function's completions per second with 1, 2 and 3 workers in one consumer group, each worker at
 *     max_inflight 8 and the function taking 100 ms a call (so the function and the broker have headroom and the
 *     workers are the limit): the rate must grow with the workers, which needs calls keyed by call id;
 *  2. fairness: a burst of 5,000 calls to function A (1 replica x max_inflight 4), then 50 calls to function B,
 *     with 2 workers: B's enqueue-to-start p50/p99, against the same 50 calls on an idle queue.
 * Gateway, workers and functions share this process; calls are enqueued straight to the queue (the accept path
 * is the async suite's), and run through the gateway's sync route as in production.
 */
import crypto from 'node:crypto';
import type { Admin } from 'kafkajs';
import winston from 'winston';
import { DEFAULT_POLICY } from '../common/delivery-policy.js';
import { ENVELOPE_VERSION, type Invocation } from '../common/invocation.js';
import { consumerGroup } from '../common/topics.js';
import { loadConfig as loadGatewayConfig } from '../gateway/config.js';
import { createGateway } from '../gateway/index.js';
import { MemoryProvider } from '../gateway/testing/memory-provider.js';
import { serve, type Served } from '../gateway/testing/serve.js';
import { createKafkaClient } from '../queue/kafka/kafka-client.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource, type KafkaInvocationQueue } from '../queue/kafka/index.js';
import { loadConfig as loadWorkerConfig } from '../worker/config.js';
import { createWorker, type Worker } from '../worker/index.js';
import { percentile } from './load.js';
import { round } from './support.js';
import type { BenchResult } from './types.js';

/** Options of the scale-out benchmark. */
export interface ScaleOutBenchOptions {
  readonly brokers: readonly string[];
  /** Calls of the hot function per worker count. */
  readonly hotCalls?: number;
  readonly burstCalls?: number;
}

const NS = 'openfaas-fn';
const PARTITIONS = 6;
const logger = winston.createLogger({ silent: true });

/** Runs both scenarios. */
export async function runScaleOutBench(opts: ScaleOutBenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const rates: number[] = [];
  for (const workers of [1, 2, 3]) {
    const rate = await hotRate(opts, workers, opts.hotCalls ?? 600);
    rates.push(rate);
    results.push({
      scenario: `one hot function on Kafka, ${workers} worker(s) (max_inflight 8 each, 100 ms calls)`,
      baseline: '1 worker',
      reqPerSec: round(rate),
      p50Ms: NaN,
      p99Ms: NaN,
      ratio: round(rate / (rates[0] ?? rate)),
      notes: `completions/s of ${opts.hotCalls ?? 600} queued calls; ideal ${80 * workers}/s`,
    });
  }
  results.push(...(await fairness(opts, opts.burstCalls ?? 5_000)));
  return results;
}

/** A function server: `workMs` per call; records when each call id started. */
async function functionServer(workMs: number): Promise<Served & { startedAt: Map<string, number> }> {
  const startedAt = new Map<string, number>();
  const served = await serve((req, res) => {
    req.resume();
    req.on('end', () => {
      startedAt.set(String(req.headers['x-call-id']), performance.now());
      setTimeout(() => res.writeHead(200).end(), workMs);
    });
  });
  return Object.assign(served, { startedAt });
}

const call = (fn: string): Invocation => ({
  version: ENVELOPE_VERSION,
  callId: crypto.randomUUID(),
  function: fn,
  namespace: NS,
  method: 'POST',
  path: '/',
  rawQuery: '',
  headers: {},
  body: Buffer.alloc(16),
  enqueuedAt: Date.now(),
  attempt: 0,
  policy: DEFAULT_POLICY,
});

interface Stack {
  readonly provider: MemoryProvider;
  readonly queue: KafkaInvocationQueue;
  startWorkers(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A gateway and a queue on a fresh topic; workers join its group on demand. */
async function startStack(brokers: readonly string[], topic: string): Promise<Stack> {
  const provider = new MemoryProvider({ namespaces: [NS] });
  const queue = createKafkaInvocationQueue({ brokers: [...brokers], logger, topicBase: topic, partitions: PARTITIONS, kafkaLogLevel: 'nothing' });
  await queue.start();
  const gateway = createGateway(loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' }), {
    provider,
    logger,
    queue,
  });
  const gatewayUrl = `http://127.0.0.1:${(await gateway.start()).port}`;
  const workers: Worker[] = [];
  const admin: Admin = createKafkaClient({ brokers: [...brokers], logger, kafkaLogLevel: 'nothing' }).admin();
  await admin.connect();
  return {
    provider,
    queue,
    async startWorkers(n) {
      for (let i = 0; i < n; i += 1) {
        const config = loadWorkerConfig({ KFAAS_GATEWAY_URL: gatewayUrl, KFAAS_INVOCATIONS_TOPIC: topic, KFAAS_DEAD_LETTER_TOPIC: `${topic}.dlq`, max_inflight: '8', KFAAS_CALL_STATUS: 'false' });
        const source = createKafkaInvocationSource({
          brokers: [...brokers],
          logger,
          kafkaLogLevel: 'nothing',
          topic,
          deadLetterTopic: config.deadLetterTopic,
          maxInflight: config.maxInflight,
          partitions: PARTITIONS,
          lagIntervalMs: 0,
          maxWaitTimeMs: 200,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 1_000,
          drainTimeoutMs: 1_000,
        });
        const worker = createWorker({ config, source, logger, serveMetrics: false });
        workers.push(worker);
        await worker.start();
      }
      await until(async () => {
        const { groups } = await admin.describeGroups([consumerGroup(topic)]);
        const g = groups[0];
        return g?.state === 'Stable' && g.members.length === n && g.members.every((m) => m.memberAssignment.length > 0);
      }, 60_000, `${n} workers in a stable group`);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await gateway.close();
      await queue.close();
      await admin.disconnect();
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Completions per second of `calls` queued calls to one function with `workers` workers. */
async function hotRate(opts: ScaleOutBenchOptions, workers: number, calls: number): Promise<number> {
  const fn = await functionServer(100);
  const stack = await startStack(opts.brokers, `bench-scale-${workers}w-${Date.now().toString(36)}`);
  try {
    stack.provider.put({ name: 'hot', timeouts: { exec: '30s' } }, NS, [fn.url]);
    await stack.startWorkers(workers);
    const invs = Array.from({ length: calls }, () => call('hot'));
    const t0 = performance.now();
    await Promise.all(invs.map((inv) => stack.queue.enqueue(inv)));
    await until(() => fn.startedAt.size === calls, 300_000, `${calls} hot calls`);
    const last = Math.max(...fn.startedAt.values()) + 100;
    return calls / ((last - t0) / 1000);
  } finally {
    await stack.close();
    await fn.close();
  }
}

/** B's enqueue-to-start latency on an idle queue, then behind a burst to A. */
async function fairness(opts: ScaleOutBenchOptions, burstCalls: number): Promise<BenchResult[]> {
  const a = await functionServer(5);
  const b = await functionServer(5);
  const stack = await startStack(opts.brokers, `bench-fair-${Date.now().toString(36)}`);
  try {
    stack.provider.put({ name: 'fn-a', timeouts: { exec: '30s' }, environment: { max_inflight: '4' } }, NS, [a.url]);
    stack.provider.put({ name: 'fn-b', timeouts: { exec: '30s' } }, NS, [b.url]);
    await stack.startWorkers(2);
    const measureB = async (): Promise<number[]> => {
      b.startedAt.clear();
      const enqueuedAt = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const inv = call('fn-b');
          await stack.queue.enqueue(inv);
          enqueuedAt.set(inv.callId, performance.now());
        }),
      );
      await until(() => b.startedAt.size === 50, 300_000, '50 calls of B');
      return [...enqueuedAt].map(([id, at]) => Math.max(0, (b.startedAt.get(id) as number) - at)).sort((x, y) => x - y);
    };
    const idle = await measureB();
    for (let i = 0; i < burstCalls; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, burstCalls - i) }, () => stack.queue.enqueue(call('fn-a'))));
    }
    const behind = await measureB();
    const aDone = a.startedAt.size;
    return [
      {
        scenario: `B's enqueue-to-start behind a burst of ${burstCalls} calls to A (A: 1 replica x max_inflight 4; 2 workers)`,
        baseline: 'the same 50 calls of B on an idle queue',
        reqPerSec: NaN,
        p50Ms: round(percentile(behind, 0.5)),
        p99Ms: round(percentile(behind, 0.99)),
        ratio: round(percentile(behind, 0.5) / Math.max(1, percentile(idle, 0.5))),
        notes: `idle p50/p99 ${round(percentile(idle, 0.5))}/${round(percentile(idle, 0.99))} ms; ${aDone} of A's calls had started when B's 50 had`,
      },
    ];
  } finally {
    await stack.close();
    await a.close();
    await b.close();
  }
}
