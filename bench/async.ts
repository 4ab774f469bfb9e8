/**
 * Async benchmark, per queue backend (Kafka with acks=all, and the embedded SQLite queue):
 *  1. accept: POST /async-function through the real gateway, no worker running, against a bare Express handler
 *     that reads the body and answers 202 without storing anything (target >= 0.6x), in alternating rounds;
 *  2. end to end: the same closed-loop load with a worker running a no-op function; completions per second
 *     (accepted calls / time until the last one ran) against the accept rate of that same run (target >= 0.8x);
 *  3. latency: open-loop load at half the end-to-end rate with a callback, enqueue-to-callback p50/p99 measured
 *     from the 202's X-Start-Time to the callback's arrival.
 * Gateway, worker, function, callback receiver and load generator share this process and its two cores, as under
 * `kfaas up`; a Kafka deployment spreads them over machines, so these are floors.
 */
import fs from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import winston from 'winston';
import type { InvocationQueue, InvocationSource } from '../common/queue.js';
import { loadConfig as loadGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { MemoryProvider } from '../gateway/testing/memory-provider.js';
import { serve, type Served } from '../gateway/testing/serve.js';
import { createEmbeddedQueue } from '../queue/embedded/index.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource } from '../queue/kafka/index.js';
import { loadConfig as loadWorkerConfig } from '../worker/config.js';
import { createWorker, type Worker } from '../worker/index.js';
import { interleaved, percentile, runLoad, type LoadResult } from './load.js';
import type { BenchResult } from './types.js';

/** Options of the async benchmark. */
export interface AsyncBenchOptions {
  /** Length of each measured phase. */
  readonly durationMs: number;
  /** Closed-loop connections of the accept and end-to-end phases. */
  readonly connections: number;
  /** Kafka brokers; without them only the embedded queue is measured. */
  readonly brokers?: readonly string[];
  /** Backends to measure (default: kafka when brokers are given, and embedded). */
  readonly backends?: ReadonlyArray<'kafka' | 'embedded'>;
}

type Backend = 'kafka' | 'embedded';

const BODY = Buffer.alloc(64, 'a');
const FN = 'noop';
const NS = 'openfaas-fn';
const logger = winston.createLogger({ silent: true });

/** Runs the async scenarios and returns their results. */
export async function runAsyncBench(opts: AsyncBenchOptions): Promise<BenchResult[]> {
  const backends = opts.backends ?? [...(opts.brokers?.length ? (['kafka'] as const) : []), 'embedded' as const];
  const results: BenchResult[] = [];
  for (const backend of backends) {
    if (backend === 'kafka' && !opts.brokers?.length) throw new Error('runAsyncBench: the kafka backend needs brokers');
    results.push(...(await benchBackend(backend, opts)));
  }
  return results;
}

async function benchBackend(backend: Backend, opts: AsyncBenchOptions): Promise<BenchResult[]> {
  const warmUpMs = Math.min(1_000, opts.durationMs / 4);
  const fn = await counterServer();
  const bare = await bareServer();
  const runId = `bench-async-${Date.now().toString(36)}`;
  const label = backend === 'kafka' ? 'Kafka, acks=all' : 'embedded SQLite';
  try {
    // 1. Accept, no worker: only the write path is measured.
    const acceptOnly = await startStack(backend, `${runId}-accept`, opts, fn.url);
    let accept: LoadResult;
    let baseline: LoadResult;
    try {
      const load = (url: string, ms: number) => runLoad({ url, body: BODY, durationMs: ms, connections: opts.connections, expectStatus: 202 });
      const bareUrl = `${bare.url}/async-function/${FN}`;
      await load(bareUrl, warmUpMs);
      await load(acceptOnly.invokeUrl, warmUpMs);
      ({ bare: baseline, accept } = await interleaved(
        { bare: (ms) => load(bareUrl, ms), accept: (ms) => load(acceptOnly.invokeUrl, ms) },
        opts.durationMs,
      ));
    } finally {
      await acceptOnly.close();
    }

    // 2. End to end: accept under load while the worker drains; completions/s until the last accepted call ran.
    const e2e = await startStack(backend, `${runId}-e2e`, opts, fn.url);
    let loaded: LoadResult;
    let completionsPerSec: number;
    let halfRate: number;
    let latency: { sent: number; errors: number; latencies: number[] };
    try {
      await e2e.worker.start();
      fn.reset();
      const warm = await runLoad({ url: e2e.invokeUrl, body: BODY, durationMs: warmUpMs, connections: opts.connections, expectStatus: 202 });
      await fn.waitFor(warm.requests, 60_000);
      fn.reset();
      const t0 = performance.now();
      loaded = await runLoad({ url: e2e.invokeUrl, body: BODY, durationMs: opts.durationMs, connections: opts.connections, expectStatus: 202 });
      await fn.waitFor(loaded.requests, 120_000 + opts.durationMs * 10);
      completionsPerSec = loaded.requests / ((fn.lastAt - t0) / 1000);

      // 3. Latency at half of the sustainable rate, open loop, with a callback per call.
      halfRate = Math.max(1, Math.floor(Math.min(completionsPerSec, loaded.reqPerSec) / 2));
      const receiver = await callbackReceiver();
      try {
        const sent = await openLoop(e2e.invokeUrl, halfRate, opts.durationMs, { 'x-callback-url': receiver.url });
        await receiver.waitFor(sent.accepted, 120_000);
        latency = { sent: sent.accepted, errors: sent.errors, latencies: receiver.latencies.sort((a, b) => a - b) };
      } finally {
        await receiver.close();
      }
    } finally {
      await e2e.close();
    }

    const rssMb = process.memoryUsage().rss / 1_048_576;
    return [
      row(`bare Express 202, no enqueue (64 B POST)`, 'itself', baseline, baseline.reqPerSec, `${opts.connections} connections`),
      {
        ...row(`async accept, ${label} (64 B POST)`, 'bare Express 202 without enqueueing', accept, baseline.reqPerSec,
          `target >= 0.6x; errors ${accept.errors}`),
        rssMb,
      },
      {
        scenario: `async end-to-end completions, ${label} (no-op function)`,
        baseline: 'the accept rate of the same run',
        reqPerSec: completionsPerSec,
        p50Ms: loaded.p50Ms,
        p99Ms: loaded.p99Ms,
        ratio: completionsPerSec / loaded.reqPerSec,
        rssMb,
        notes: `target >= 0.8x; ${loaded.requests} calls accepted at ${loaded.reqPerSec.toFixed(0)}/s; p50/p99 are of the 202s under this load`,
      },
      {
        scenario: `enqueue-to-callback latency, ${label}, at half of peak (${halfRate}/s)`,
        baseline: 'the offered rate',
        reqPerSec: latency.sent / (opts.durationMs / 1000),
        p50Ms: percentile(latency.latencies, 0.5),
        p99Ms: percentile(latency.latencies, 0.99),
        ratio: latency.sent / (opts.durationMs / 1000) / halfRate,
        rssMb,
        notes: `${latency.latencies.length} callbacks, ${latency.errors} refused; from X-Start-Time of the 202 to the callback's arrival`,
      },
    ];
  } finally {
    await fn.close();
    await bare.close();
  }
}

function row(scenario: string, baseline: string, r: LoadResult, baselineRps: number, notes: string): BenchResult {
  return { scenario, baseline, reqPerSec: r.reqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, ratio: r.reqPerSec / baselineRps, notes };
}

interface Stack {
  readonly invokeUrl: string;
  readonly worker: Worker;
  close(): Promise<void>;
}

/** A real gateway and worker (not started) over one backend, with one no-op function served by `fnUrl`. */
async function startStack(backend: Backend, topic: string, opts: AsyncBenchOptions, fnUrl: string): Promise<Stack> {
  const provider = new MemoryProvider({ namespaces: [NS] });
  provider.put({ name: FN, timeouts: { exec: '10s' } }, NS, [fnUrl]);
  let queue: InvocationQueue;
  let source: InvocationSource;
  let dataDir: string | undefined;
  if (backend === 'kafka') {
    const brokers = [...(opts.brokers ?? [])];
    const kafkaQueue = createKafkaInvocationQueue({ brokers, logger, topicBase: topic, kafkaLogLevel: 'nothing' });
    await kafkaQueue.start();
    queue = kafkaQueue;
    source = createKafkaInvocationSource({ brokers, logger, kafkaLogLevel: 'nothing', topic, deadLetterTopic: `${topic}.dlq`, lagIntervalMs: 0 });
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-bench-'));
    const embedded = createEmbeddedQueue({ dataDir, logger, topicBase: topic });
    queue = embedded;
    source = embedded.source();
  }
  const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' });
  const gateway: Gateway = createGateway(config, { provider, logger, queue });
  const { port } = await gateway.start();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const worker = createWorker({
    config: loadWorkerConfig({ KFAAS_GATEWAY_URL: gatewayUrl, KFAAS_INVOCATIONS_TOPIC: topic, KFAAS_DEAD_LETTER_TOPIC: `${topic}.dlq` }),
    source,
    logger,
    serveMetrics: false,
  });
  return {
    invokeUrl: `${gatewayUrl}/async-function/${FN}`,
    worker,
    async close() {
      await worker.close();
      await gateway.close();
      await queue.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The baseline: Express reading the body and answering 202 with a call id, storing nothing. */
async function bareServer(): Promise<Served> {
  const app = express();
  let n = 0;
  app.post('/async-function/:name', (req, res) => {
    req.resume();
    req.on('end', () => {
      n += 1;
      res.setHeader('x-call-id', String(n));
      res.status(202).end();
    });
  });
  return serve(app);
}

/** The no-op function: counts calls and when the last one arrived. */
async function counterServer() {
  let count = 0;
  let lastAt = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = await serve((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      lastAt = performance.now();
      res.writeHead(200).end();
      for (const w of waiters.filter((w) => count >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  return {
    ...server,
    get count() {
      return count;
    },
    get lastAt() {
      return lastAt;
    },
    reset() {
      count = 0;
    },
    waitFor(n: number, timeoutMs: number): Promise<void> {
      if (count >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${count} of ${n} calls ran within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

/** Receives callbacks and records enqueue-to-callback latency from X-Start-Time (Unix ns). */
async function callbackReceiver() {
  const latencies: number[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  const server = await serve((req, res) => {
    const start = req.headers['x-start-time'];
    req.resume();
    req.on('end', () => {
      if (typeof start === 'string') latencies.push(Date.now() - Number(BigInt(start) / 1_000_000n));
      res.writeHead(204).end();
      if (waiter && latencies.length >= waiter.n) waiter.resolve();
    });
  });
  return {
    ...server,
    latencies,
    waitFor(n: number, timeoutMs: number): Promise<void> {
      if (latencies.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${latencies.length} of ${n} callbacks within ${timeoutMs} ms`)), timeoutMs);
        waiter = { n, resolve: () => (clearTimeout(timer), resolve()) };
      });
    },
  };
}

/** Sends `ratePerSec` POSTs per second for `durationMs`, not waiting for answers (open loop). */
async function openLoop(url: string, ratePerSec: number, durationMs: number, headers: Record<string, string>) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const inflight: Array<Promise<void>> = [];
  let accepted = 0;
  let errors = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(BODY.length) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 202) accepted += 1;
          else errors += 1;
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(BODY);
    });
  const tickMs = 10;
  const start = performance.now();
  let due = 0;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      due = Math.floor((elapsed / 1000) * ratePerSec);
      for (; sent < due; sent += 1) inflight.push(send());
    }, tickMs);
  });
  await Promise.all(inflight);
  agent.destroy();
  return { accepted, errors };
}
