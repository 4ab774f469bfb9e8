/**
 * Closed-loop HTTP load: wrk by default (see wrk.ts), or a small Node generator (`connections` loops, each
 * sending one request at a time over a shared keep-alive agent, recording every latency) where wrk cannot
 * measure what is needed, or with KFAAS_BENCH_LOADGEN=node.
 */
import { Agent, request } from 'node:http';
import { runWrk } from './wrk.js';

/** What to send and for how long. */
export interface LoadOptions {
  readonly url: string;
  readonly method?: string;
  readonly body?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly durationMs: number;
  readonly connections: number;
  /** Responses with another status count as errors (default 200). */
  readonly expectStatus?: number;
}

/** Throughput and latency of one run. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Of `errors`, answers with a status outside 2xx/3xx (wrk only; the rest are socket errors and timeouts). */
  readonly non2xx?: number;
  readonly durationMs: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Latency samples of successful requests, ascending: every one (Node generator) or quantiles (wrk). */
  readonly latenciesMs: readonly number[];
  /** How many requests each sample stands for (1 when every latency is kept). */
  readonly sampleWeight?: number;
}

/** Runs closed-loop load with wrk, or with the Node generator when KFAAS_BENCH_LOADGEN=node. */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return process.env['KFAAS_BENCH_LOADGEN'] === 'node' ? runNodeLoad(opts) : runWrk(opts);
}

/** Runs closed-loop load from this process against `url` and returns the figures of successful requests. */
export async function runNodeLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let errors = 0;
  const startedAt = performance.now();
  const endAt = startedAt + opts.durationMs;
  const headers = { ...opts.headers, ...(opts.body ? { 'content-length': String(opts.body.length) } : {}) };

  const loop = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const t0 = performance.now();
      const status = await once(opts, agent, headers).catch(() => 0);
      if (status === (opts.expectStatus ?? 200)) latencies.push(performance.now() - t0);
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, loop));
  const durationMs = performance.now() - startedAt;
  agent.destroy();
  return summarize(latencies, errors, durationMs);
}

/** Builds a result from raw latencies (sorted in place). */
export function summarize(latencies: number[], errors: number, durationMs: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    durationMs,
    reqPerSec: latencies.length / (durationMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? 0,
    latenciesMs: latencies,
  };
}

/** Combines runs of the same target (e.g. interleaved rounds) into one result, weighting each run's samples. */
export function combine(results: readonly LoadResult[]): LoadResult {
  const weighted = results
    .flatMap((r) => r.latenciesMs.map((ms) => ({ ms, w: r.sampleWeight ?? 1 })))
    .sort((a, b) => a.ms - b.ms);
  const total = weighted.reduce((sum, s) => sum + s.w, 0);
  const at = (q: number): number => {
    let seen = 0;
    for (const s of weighted) {
      seen += s.w;
      if (seen >= q * total) return s.ms;
    }
    return weighted.at(-1)?.ms ?? 0;
  };
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const durationMs = results.reduce((sum, r) => sum + r.durationMs, 0);
  return {
    requests,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    durationMs,
    reqPerSec: requests / (durationMs / 1000),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Math.max(0, ...results.map((r) => r.maxMs)),
    latenciesMs: weighted.map((s) => s.ms),
    sampleWeight: weighted.length ? total / weighted.length : 1,
  };
}

/**
 * Measures `targets` in alternating rounds (A B A B …) so that a machine whose load drifts during the run
 * affects all of them alike; each target gets `durationMs` in total.
 */
export async function interleaved<K extends string>(
  targets: Readonly<Record<K, (durationMs: number) => Promise<LoadResult>>>,
  durationMs: number,
  rounds = 4,
): Promise<Record<K, LoadResult>> {
  const runs = new Map<K, LoadResult[]>();
  for (let round = 0; round < rounds; round += 1) {
    for (const key of Object.keys(targets) as K[]) {
      const result = await targets[key](durationMs / rounds);
      runs.set(key, [...(runs.get(key) ?? []), result]);
    }
  }
  return Object.fromEntries([...runs].map(([key, list]) => [key, combine(list)])) as Record<K, LoadResult>;
}

function once(opts: LoadOptions, agent: Agent, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(opts.url, { method: opts.method ?? (opts.body ? 'POST' : 'GET'), agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The value at quantile `q` of sorted `values` (nearest rank), 0 when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
