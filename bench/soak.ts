/**
 * Soak benchmark (`--only soak`, not in the default set: it runs until a million calls per target, 10-20
 * minutes each): no call may fail when an idle keep-alive connection to the function is closed by the function.
 * The function server keeps Node's default 5 s keep-alive timeout; wrk sends 10 s bursts at 64 connections,
 * separated by pauses that sweep 4.5 to 5.5 s, so the proxy's idle upstream connections meet the function's
 * close at every offset around it. Targets: the watchdog in http mode and the gateway, each counted apart:
 * answers outside 2xx (a 502 from a reused connection the function had closed) and socket errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../runtime/free-port.js';
import { GATEWAY_NODE_OPTIONS, gatewayScript, startChild, type Child } from './gateway.js';
import { combine, runLoad, type LoadResult } from './load.js';
import { procStatusKb, repoRoot, round } from './support.js';
import type { BenchResult } from './types.js';
import { startWatchdog } from './watchdog.js';

/** The targets of the soak. */
export const SOAK_TARGETS = ['watchdog', 'gateway'] as const;
/** One target of the soak. */
export type SoakTarget = (typeof SOAK_TARGETS)[number];

/** Options of the soak benchmark. */
export interface SoakBenchOptions {
  readonly targets: readonly SoakTarget[];
  /** Calls per target: bursts go on until this many were made. */
  readonly calls: number;
  readonly connections: number;
  /** Progress lines (one per burst). */
  readonly report: (line: string) => void;
}

const BURST_MS = 10_000;
// Pauses of 4.5, 4.6 ... 5.5 s in turn: idle connections reach the function's 5 s timeout just before, at and after it.
const PAUSES_MS = Array.from({ length: 11 }, (_, i) => 4_500 + i * 100);
const BODY = Buffer.alloc(64, 's');

// Node's defaults, on purpose: keepAliveTimeout 5 s, announced in a Keep-Alive header.
const FUNCTION_SERVER = `
import { createServer } from 'node:http';
const port = Number(process.env.FUNCTION_PORT ?? new URL(process.env.upstream_url).port);
createServer((req, res) => req.pipe(res)).listen(port, '127.0.0.1', () => process.send?.({ port }));
process.on('SIGTERM', () => process.exit(0));
`;

/** Runs the soak against each target in turn. */
export async function runSoakBench(opts: SoakBenchOptions): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-bench-soak-'));
  const serverFile = join(dir, 'function.mjs');
  writeFileSync(serverFile, FUNCTION_SERVER);
  const rows: BenchResult[] = [];
  try {
    for (const target of opts.targets) rows.push(target === 'watchdog' ? await soakWatchdog(serverFile, opts) : await soakGateway(serverFile, opts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function soakWatchdog(serverFile: string, opts: SoakBenchOptions): Promise<BenchResult> {
  const cli = join(repoRoot(), 'dist', 'cli', 'main.js');
  const upstreamUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const wd = await startWatchdog(cli, { mode: 'http', fprocess: `${process.execPath} ${serverFile}`, upstream_url: upstreamUrl });
  try {
    const soak = await bursts('watchdog', `${wd.url}/`, wd.pid, opts);
    return soakRow('kfaas watchdog, http mode', soak);
  } finally {
    await wd.stop();
  }
}

async function soakGateway(serverFile: string, opts: SoakBenchOptions): Promise<BenchResult> {
  const port = await freeLoopbackPort();
  const children: Child[] = [];
  try {
    children.push(await startChild(readFileSync(serverFile, 'utf8'), { FUNCTION_PORT: String(port) }));
    const gw = await startChild(gatewayScript(join(repoRoot(), 'dist')), { TARGET_PORT: String(port), NODE_OPTIONS: GATEWAY_NODE_OPTIONS });
    children.push(gw);
    const soak = await bursts('gateway', `http://127.0.0.1:${gw.port}/function/echo`, gw.pid, opts);
    return soakRow('kfaas gateway /function', soak);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

interface Soak {
  readonly result: LoadResult;
  readonly bursts: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly rssMb: number[];
  readonly wallMs: number;
}

async function bursts(name: string, url: string, pid: number, opts: SoakBenchOptions): Promise<Soak> {
  const results: LoadResult[] = [];
  const rssMb: number[] = [];
  let calls = 0;
  let non2xx = 0;
  let socketErrors = 0;
  const startedAt = performance.now();
  for (let i = 0; calls < opts.calls; i++) {
    if (i > 0) await sleep(PAUSES_MS[(i - 1) % PAUSES_MS.length]!);
    const r = await runLoad({ url, body: BODY, headers: { 'content-type': 'application/octet-stream' }, durationMs: BURST_MS, connections: opts.connections });
    results.push(r);
    calls += r.requests + r.errors;
    non2xx += r.non2xx ?? 0;
    socketErrors += r.errors - (r.non2xx ?? 0);
    rssMb.push(Math.round(procStatusKb(pid, 'VmRSS') / 1024));
    opts.report(
      `soak ${name}: burst ${i + 1}: ${r.requests + r.errors} calls (${Math.round(r.reqPerSec)}/s), ${calls} in all; ` +
        `non-2xx ${non2xx}, socket errors ${socketErrors}; RSS ${rssMb.at(-1)} MiB; load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  return { result: combine(results), bursts: results.length, non2xx, socketErrors, rssMb, wallMs: performance.now() - startedAt };
}

function soakRow(scenario: string, soak: Soak): BenchResult {
  const calls = soak.result.requests + soak.result.errors;
  const rss = soak.rssMb;
  return {
    scenario: `soak: ${scenario}, function with Node's default 5 s keep-alive`,
    baseline: '0 failed calls',
    reqPerSec: round(soak.result.reqPerSec),
    p50Ms: round(soak.result.p50Ms),
    p99Ms: round(soak.result.p99Ms),
    ratio: Number.NaN,
    rssMb: Math.max(...rss),
    notes:
      `${calls} calls in ${soak.bursts} bursts of ${BURST_MS / 1000} s, pauses 4.5-5.5 s, ${Math.round(soak.wallMs / 1000)} s in all: ` +
      `**${soak.non2xx} non-2xx, ${soak.socketErrors} socket errors**; RSS MiB after bursts 1, ${Math.ceil(rss.length / 2)}, ${rss.length}: ` +
      `${rss[0]}, ${rss[Math.ceil(rss.length / 2) - 1]}, ${rss.at(-1)}`,
  };
}
