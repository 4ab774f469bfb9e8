/**
 * Call status benchmark (Kafka, acks=all), in one process on 127.0.0.1 like the async benchmark:
 *  1. accept: POST /async-function with status tracking on (the queued snapshot in the call's produce batch and
 *     in the gateway's local file) against the same gateway with it off, in alternating rounds (target >= 0.9x).
 *     A second gateway with it off runs in the same rounds: its ratio to the first is the noise of the figure;
 *  2. reads: GET /async-calls/{id} from one gateway, against the gateway's /healthz on the same server;
 *  3. latency: calls accepted at a steady rate with a worker running, from the 202 to `succeeded` being
 *     visible in the accepting gateway's store.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { loadConfig as loadGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { MemoryProvider } from '../gateway/testing/memory-provider.js';
import { createKafkaCallStatusView, createKafkaInvocationQueue, createKafkaInvocationSource, type KafkaCallStatusView } from '../queue/kafka/index.js';
import { loadConfig as loadWorkerConfig } from '../worker/config.js';
import { createWorker, type Worker } from '../worker/index.js';
import { interleaved, percentile, runLoad, type LoadResult } from './load.js';
import type { BenchResult } from './types.js';

/** Options of the call status benchmark. */
export interface CallStatusBenchOptions {
  readonly durationMs: number;
  readonly connections: number;
  readonly brokers: readonly string[];
}

const FN = 'noop';
const NS = 'openfaas-fn';
const BODY = Buffer.alloc(64, 'a');
const logger = winston.createLogger({ silent: true });

interface Stack {
  readonly url: string;
  readonly view: KafkaCallStatusView | undefined;
  readonly worker: Worker;
  close(): Promise<void>;
}

async function startStack(topic: string, brokers: readonly string[], fnUrl: string, withStatus: boolean): Promise<Stack> {
  const provider = new MemoryProvider({ namespaces: [NS] });
  provider.put({ name: FN, timeouts: { exec: '10s' } }, NS, [fnUrl]);
  const statusTopic = `${topic}.status`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-bench-status-'));
  const status = { topic: statusTopic, retentionMs: 3_600_000 };
  const view = withStatus ? createKafkaCallStatusView({ brokers, logger, kafkaLogLevel: 'nothing', ...status, dir }) : undefined;
  await view?.start();
  const queue = createKafkaInvocationQueue({
    brokers,
    logger,
    kafkaLogLevel: 'nothing',
    topicBase: topic,
    ...(view ? { status: { ...status, onQueued: (s, value) => view.record(s, value) } } : {}),
  });
  await queue.start();
  const source = createKafkaInvocationSource({
    brokers,
    logger,
    kafkaLogLevel: 'nothing',
    topic,
    deadLetterTopic: `${topic}.dlq`,
    lagIntervalMs: 0,
    ...(withStatus ? { status } : {}),
  });
  const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' });
  const gateway: Gateway = createGateway(config, { provider, logger, queue, ...(view ? { callStatus: view } : {}) });
  const { port } = await gateway.start();
  const url = `http://127.0.0.1:${port}`;
  const worker = createWorker({ config: loadWorkerConfig({ KFAAS_GATEWAY_URL: url }), source, logger, serveMetrics: false });
  return {
    url,
    view,
    worker,
    async close() {
      await worker.close();
      await gateway.close();
      await queue.close();
      await view?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A function answering 200 at once. */
async function noopServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Runs the scenarios. */
export async function runCallStatusBench(opts: CallStatusBenchOptions): Promise<BenchResult[]> {
  const fn = await noopServer();
  const runId = `bench-status-${Date.now().toString(36)}`;
  const warmUpMs = Math.min(1_000, opts.durationMs / 4);
  try {
    // 1. Accept with status on and off; no worker runs, so only the accept path is measured.
    const on = await startStack(`${runId}-on`, opts.brokers, fn.url, true);
    const off = await startStack(`${runId}-off`, opts.brokers, fn.url, false);
    const offAgain = await startStack(`${runId}-off2`, opts.brokers, fn.url, false);
    let accept: Record<'on' | 'off' | 'offAgain', LoadResult>;
    // CPU per accepted call: steadier than req/s on a shared machine whose load drifts during the run.
    const cpuOn = cpuPerRequest();
    const cpuOff = cpuPerRequest();
    const cpuOffAgain = cpuPerRequest();
    let reads: Record<'status' | 'healthz', LoadResult>;
    try {
      const load = (url: string, ms: number) => runLoad({ url, body: BODY, durationMs: ms, connections: opts.connections, expectStatus: 202 });
      await load(`${on.url}/async-function/${FN}`, warmUpMs);
      await load(`${off.url}/async-function/${FN}`, warmUpMs);
      await load(`${offAgain.url}/async-function/${FN}`, warmUpMs);
      accept = await interleaved(
        {
          on: (ms) => cpuOn.measure(() => load(`${on.url}/async-function/${FN}`, ms)),
          off: (ms) => cpuOff.measure(() => load(`${off.url}/async-function/${FN}`, ms)),
          // Identical to `off`: how far apart two equal gateways measure on this machine right now.
          offAgain: (ms) => cpuOffAgain.measure(() => load(`${offAgain.url}/async-function/${FN}`, ms)),
        },
        opts.durationMs,
      );
      // 2. Reads of one known call from the gateway that accepted it.
      const id = await acceptOne(on.url);
      const read = (url: string, ms: number) => runLoad({ url, durationMs: ms, connections: opts.connections, expectStatus: 200 });
      reads = await interleaved({ status: (ms) => read(`${on.url}/async-calls/${id}`, ms), healthz: (ms) => read(`${on.url}/healthz`, ms) }, opts.durationMs);
    } finally {
      await on.close();
      await off.close();
      await offAgain.close();
    }

    // 3. Enqueue to `succeeded` visible, at a steady rate with a worker running.
    const live = await startStack(`${runId}-live`, opts.brokers, fn.url, true);
    const latencies: number[] = [];
    const rate = 100;
    try {
      await live.worker.start();
      const view = live.view as KafkaCallStatusView;
      const waits: Array<Promise<void>> = [];
      const begin = Date.now();
      const end = begin + opts.durationMs;
      // Open loop: each call is sent at its time whether or not the previous 202 has come back, so a slow
      // accept under load does not lower the offered rate.
      for (let sent = 1; Date.now() < end; sent++) {
        const t0 = performance.now();
        waits.push(
          acceptOne(live.url)
            .then((id) => view.waitForFinal(id, 60_000))
            .then((s) => {
              if (s?.state === 'succeeded') latencies.push(performance.now() - t0);
            }),
        );
        const wait = begin + (sent * 1000) / rate - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await Promise.all(waits);
    } finally {
      await live.close();
    }
    latencies.sort((a, b) => a - b);
    return [
      {
        scenario: 'async accept with call status on (Kafka, 64 B POST)',
        baseline: 'the same gateway with KFAAS_CALL_STATUS=false',
        reqPerSec: accept.on.reqPerSec,
        p50Ms: accept.on.p50Ms,
        p99Ms: accept.on.p99Ms,
        ratio: accept.on.reqPerSec / accept.off.reqPerSec,
        notes:
          `target >= 0.9x; off: ${accept.off.reqPerSec.toFixed(0)}/s; errors ${accept.on.errors}/${accept.off.errors}; ` +
          `CPU per call ${cpuOn.micros().toFixed(0)} µs on, ${cpuOff.micros().toFixed(0)} µs off (${(cpuOff.micros() / cpuOn.micros()).toFixed(2)}x); ` +
          `noise: a second gateway with status off measured ${(accept.offAgain.reqPerSec / accept.off.reqPerSec).toFixed(2)}x by req/s, ` +
          `${(cpuOff.micros() / cpuOffAgain.micros()).toFixed(2)}x by CPU per call`,
      },
      {
        scenario: 'GET /async-calls/{id} from one gateway',
        baseline: 'GET /healthz on the same gateway',
        reqPerSec: reads.status.reqPerSec,
        p50Ms: reads.status.p50Ms,
        p99Ms: reads.status.p99Ms,
        ratio: reads.status.reqPerSec / reads.healthz.reqPerSec,
        notes: `${opts.connections} connections; errors ${reads.status.errors}`,
      },
      {
        scenario: `enqueue to succeeded visible (Kafka, ~${rate}/s offered, no-op function)`,
        baseline: 'the offered rate',
        reqPerSec: latencies.length / (opts.durationMs / 1000),
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        ratio: latencies.length / (opts.durationMs / 1000) / rate,
        notes: `${latencies.length} calls; from sending the POST to the succeeded snapshot in the accepting gateway's store`,
      },
    ];
  } finally {
    await fn.close();
  }
}

/** Accumulates this process's CPU time (all its threads) and the requests served over measured runs. */
function cpuPerRequest(): { measure(run: () => Promise<LoadResult>): Promise<LoadResult>; micros(): number } {
  let cpu = 0;
  let requests = 0;
  return {
    async measure(run) {
      const before = process.cpuUsage();
      const result = await run();
      const used = process.cpuUsage(before);
      cpu += used.user + used.system;
      requests += result.requests;
      return result;
    },
    micros: () => (requests > 0 ? cpu / requests : 0),
  };
}

async function acceptOne(url: string): Promise<string> {
  const res = await fetch(`${url}/async-function/${FN}`, { method: 'POST', body: BODY });
  if (res.status !== 202) throw new Error(`accept answered ${res.status}: ${await res.text()}`);
  return res.headers.get('x-call-id') ?? '';
}
