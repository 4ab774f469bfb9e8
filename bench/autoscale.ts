/**
 * Autoscaling on `kfaas up` (local processes, the embedded queue): drain time of a queued batch with one fixed
 * replica against the autoscaler (up to 8), the time from a backlog appearing to the first new replica serving,
 * and a sync call's cold start from zero (p50, p99). Each platform is a real `kfaas up` child process.
 *
 * Each replica takes 5 calls at once (the watchdog's max_inflight, the scale target); the worker runs at most ready
 * replicas x 5 of a function's calls (its own limit is 8 x 5), so calls never meet a watchdog's 429: the notes count
 * the calls retried, to show it.
 */
import { join } from 'node:path';
import { startHttpServer } from '../test/helpers/index.js';
import { percentile } from './load.js';
import { repoRoot, round } from './support.js';
import { startUpChild, stopUpChild, until, type UpChild } from './up-child.js';
import type { BenchResult } from './types.js';

/** Options of the autoscale bench. */
export interface AutoscaleBenchOptions {
  /** Calls in the queued batch (2,000 in `make bench`). */
  readonly calls: number;
  /** Seconds each call sleeps (0.2). */
  readonly callSeconds: number;
  /** Cold starts measured. */
  readonly coldStarts: number;
}

const CAPACITY = 5;
const MAX = 8;

type Up = UpChild;

const startUp = (stack: string, maxInflight: number): Promise<Up> =>
  startUpChild(stack, ['--max-inflight', String(maxInflight)], { KFAAS_AUTOSCALE_INTERVAL: '250ms', KFAAS_AUTOSCALE_STABILISATION: '2s' });
const stopUp = stopUpChild;

const replicas = async (up: Up, fn: string): Promise<{ replicas: number; availableReplicas: number }> =>
  (await fetch(`${up.url}/system/function/${fn}`, { headers: { authorization: up.authorization } })).json() as never;

const stack = (labels: string): string => `version: 1
functions:
  work:
    handler: sh ${join(repoRoot(), 'examples/functions/sleep.sh')}
    environment:
      max_inflight: "${CAPACITY}"
    labels:
${labels}
  cold:
    handler: sh ${join(repoRoot(), 'examples/functions/sleep.sh')}
    labels:
      com.openfaas.scale.type: capacity
      com.openfaas.scale.target: "${CAPACITY}"
      com.openfaas.scale.zero: "true"
      com.openfaas.scale.zero-duration: 1s
`;

/** Queues `calls` calls and waits for every callback; returns the drain time and the callbacks' attempts. */
async function drain(up: Up, opts: AutoscaleBenchOptions, onFirstCall: () => void): Promise<{ ms: number; retried: number }> {
  const attempts = new Map<string, number>();
  const receiver = await startHttpServer((req, res) => {
    attempts.set(String(req.headers['x-call-id']), Number(req.headers['x-attempts'] ?? 1));
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  try {
    const t0 = Date.now();
    let sent = 0;
    let accepted = 0;
    const send = async (): Promise<void> => {
      while (sent < opts.calls) {
        sent += 1;
        const res = await fetch(`${up.url}/async-function/work`, { method: 'POST', body: String(opts.callSeconds), headers: { 'x-callback-url': `http://127.0.0.1:${receiver.port}/` } });
        if (res.status !== 202) throw new Error(`bench autoscale: enqueue answered ${res.status}`);
        accepted += 1;
        if (accepted === 1) onFirstCall();
      }
    };
    await Promise.all(Array.from({ length: 16 }, send));
    await until(() => attempts.size >= opts.calls, 600_000, `${opts.calls} callbacks`);
    return { ms: Date.now() - t0, retried: [...attempts.values()].filter((a) => a > 1).length };
  } finally {
    await receiver.close();
  }
}

/** Runs the autoscale scenarios. */
export async function runAutoscaleBench(opts: AutoscaleBenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const fixed = await startUp(stack(`      com.openfaas.scale.min: "1"\n      com.openfaas.scale.max: "1"`), CAPACITY * MAX);
  let fixedDrain: { ms: number; retried: number };
  try {
    fixedDrain = await drain(fixed, opts, () => undefined);
  } finally {
    await stopUp(fixed);
  }
  const auto = await startUp(stack(`      com.openfaas.scale.type: capacity\n      com.openfaas.scale.target: "${CAPACITY}"\n      com.openfaas.scale.max: "${MAX}"`), CAPACITY * MAX);
  try {
    let backlogAt = 0;
    let firstNewReplicaMs = NaN;
    const watch = (async () => {
      await until(() => backlogAt > 0, 60_000, 'the first call');
      firstNewReplicaMs = await until(async () => ((await replicas(auto, 'work')).availableReplicas >= 2 ? Date.now() - backlogAt : 0), 60_000, 'a second ready replica');
    })();
    const autoDrain = await drain(auto, opts, () => (backlogAt = Date.now()));
    await watch;
    const rate = (ms: number) => opts.calls / (ms / 1000);
    const batch = `${opts.calls} queued ${opts.callSeconds * 1000} ms calls`;
    results.push({
      scenario: `autoscale: drain ${batch}, up to ${MAX} replicas`,
      baseline: '1 fixed replica',
      reqPerSec: round(rate(autoDrain.ms)),
      p50Ms: NaN,
      p99Ms: NaN,
      ratio: round(fixedDrain.ms / autoDrain.ms),
      notes: `drained in ${(autoDrain.ms / 1000).toFixed(1)} s vs ${(fixedDrain.ms / 1000).toFixed(1)} s; ${autoDrain.retried} calls retried (fixed: ${fixedDrain.retried}); backlog to a 2nd replica serving: ${Math.round(firstNewReplicaMs)} ms`,
    });

    // Cold starts: wait for zero, then time one sync call.
    const colds: number[] = [];
    for (let i = 0; i < opts.coldStarts; i++) {
      await until(async () => (await replicas(auto, 'cold')).replicas === 0, 30_000, 'cold at zero');
      const t0 = performance.now();
      const res = await fetch(`${auto.url}/function/cold`, { method: 'POST', body: '0' });
      await res.text();
      if (res.status !== 200) throw new Error(`bench autoscale: a cold call answered ${res.status}`);
      colds.push(performance.now() - t0);
    }
    colds.sort((a, b) => a - b);
    results.push({
      scenario: 'autoscale: sync call to a function at zero (cold start)',
      baseline: '—',
      reqPerSec: NaN,
      p50Ms: round(percentile(colds, 0.5)),
      p99Ms: round(percentile(colds, 0.99)),
      ratio: NaN,
      notes: `${opts.coldStarts} cold starts, each after the function idled to zero`,
    });
  } finally {
    await stopUp(auto);
  }
  return results;
}
