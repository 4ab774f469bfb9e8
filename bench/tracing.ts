/**
 * Tracing benchmark, in one process on 127.0.0.1: POST /async-function on a gateway with a no-op queue (so the
 * gateway's own accept path is what is measured), built without an OTLP endpoint (tracing off: nothing wrapped,
 * no span made) against one built after tracing was switched on (request and enqueue spans, exported over OTLP
 * to a local sink that answers 200), in alternating rounds. The notes count the spans each made.
 */
import http from 'node:http';
import winston from 'winston';
import type { InvocationQueue } from '../common/queue.js';
import { loadConfig as loadGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { MemoryProvider } from '../gateway/testing/memory-provider.js';
import { traceQueue } from '../gateway/tracing/async-spans.js';
import { startTracing } from '../runtime/tracing/setup.js';
import { tracingEnabled } from '../runtime/tracing/spans.js';
import { interleaved, runLoad } from './load.js';
import { row } from './support.js';
import type { BenchResult } from './types.js';

/** Options of the tracing benchmark. */
export interface TracingBenchOptions {
  readonly durationMs: number;
  readonly connections: number;
}

const FN = 'noop';
const NS = 'openfaas-fn';
const BODY = Buffer.alloc(64, 'a');
const logger = winston.createLogger({ silent: true });

/** An OTLP/HTTP sink: counts the export requests it is sent and answers 200. */
async function otlpSink(): Promise<{ url: string; exports: () => number; close(): Promise<void> }> {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, exports: () => exports, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startGateway(traced: boolean): Promise<{ url: string; gateway: Gateway }> {
  const provider = new MemoryProvider({ namespaces: [NS] });
  provider.put({ name: FN }, NS, ['http://127.0.0.1:9']);
  const noop: InvocationQueue = { enqueue: async () => undefined, close: async () => undefined };
  const queue = traced ? traceQueue(noop, { system: 'kafka', destination: () => 'kfaas.invocations' }) : noop;
  const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' });
  const gateway = createGateway(config, { provider, logger, queue });
  const { port } = await gateway.start();
  return { url: `http://127.0.0.1:${port}/async-function/${FN}`, gateway };
}

/** Runs the comparison. */
export async function runTracingBench(opts: TracingBenchOptions): Promise<BenchResult[]> {
  const sink = await otlpSink();
  // Built before tracing is on: the shipped default when no OTEL_* endpoint is set.
  const off = await startGateway(false);
  const tracing = await startTracing('kfaas-bench', { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '200' });
  if (!tracingEnabled()) throw new Error('tracing did not start');
  const on = await startGateway(true);
  try {
    const load = (url: string, ms: number) => runLoad({ url, body: BODY, durationMs: ms, connections: opts.connections, expectStatus: 202 });
    const warmUpMs = Math.min(1_000, opts.durationMs / 4);
    await load(off.url, warmUpMs);
    await load(on.url, warmUpMs);
    const exportsBefore = sink.exports();
    const r = await interleaved({ off: (ms) => load(off.url, ms), on: (ms) => load(on.url, ms) }, opts.durationMs);
    await tracing.shutdown();
    const exports = sink.exports() - exportsBefore;
    return [
      row('async accept, tracing off (no OTLP endpoint)', 'itself', r.off, r.off.reqPerSec),
      {
        ...row('async accept, tracing on (2 spans a call, OTLP export)', 'tracing off', r.on, r.off.reqPerSec),
        notes: `${exports} OTLP export requests during the measured rounds; the off gateway has no span code in its path`,
      },
    ];
  } finally {
    await tracing.shutdown();
    await on.gateway.close();
    await off.gateway.close();
    await sink.close();
  }
}
