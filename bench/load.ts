/**
 * A small closed-loop HTTP load generator: `connections` loops, each sending one request at a time over a shared
 * keep-alive agent for a fixed duration, recording every latency.
 */
import { Agent, request } from 'node:http';

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
  readonly durationMs: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Every successful request's latency, ascending. */
  readonly latenciesMs: readonly number[];
}

/** Runs closed-loop load against `url` and returns the figures of successful requests. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
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

/** Combines runs of the same target (e.g. interleaved rounds) into one result. */
export function combine(results: readonly LoadResult[]): LoadResult {
  const latencies = results.flatMap((r) => [...r.latenciesMs]);
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  const durationMs = results.reduce((sum, r) => sum + r.durationMs, 0);
  return summarize(latencies, errors, durationMs);
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
