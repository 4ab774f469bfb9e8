/**
 * Watchdog benchmark: http mode through the real `kfaas watchdog` process vs the same upstream called directly,
 * and fork mode (`cat` per call) vs spawning `cat` directly from Node, each pair measured in the same run in
 * alternating rounds.
 * Needs the build (`dist/cli/main.js`); the watchdog runs at log_level=warn so per-call logs are not measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interleaved, runLoad, summarize, type LoadResult } from './load.js';
import { procStatusKb, repoRoot, round, row } from './support.js';
import type { BenchResult } from './types.js';
import { freeLoopbackPort } from '../runtime/free-port.js';

/** Options of the watchdog benchmark. */
export interface WatchdogBenchOptions {
  readonly durationMs: number;
  readonly connections: number;
}

const BODY = Buffer.alloc(64, 'k');

/** Runs the watchdog scenarios and returns one result per scenario and baseline. */
export async function runWatchdogBench(opts: WatchdogBenchOptions): Promise<BenchResult[]> {
  const root = repoRoot();
  const cli = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const warmUpMs = Math.min(1_000, opts.durationMs / 4);
  return [...(await httpMode(cli, root, opts, warmUpMs)), ...(await forkMode(cli, opts, warmUpMs))];
}

async function httpMode(cli: string, root: string, opts: WatchdogBenchOptions, warmUpMs: number): Promise<BenchResult[]> {
  const upstreamUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const wd = await startWatchdog(cli, {
    mode: 'http',
    fprocess: `${process.execPath} ${join(root, 'examples', 'functions', 'http-echo.mjs')}`,
    upstream_url: upstreamUrl,
  });
  try {
    const load = (url: string, durationMs: number): Promise<LoadResult> =>
      runLoad({ url, body: BODY, headers: { 'content-type': 'text/plain' }, durationMs, connections: opts.connections });
    await load(upstreamUrl, warmUpMs);
    await load(wd.url, warmUpMs);
    const { direct, proxied } = await interleaved(
      { direct: (ms) => load(upstreamUrl, ms), proxied: (ms) => load(wd.url, ms) },
      opts.durationMs,
    );
    const baseline = 'http-echo upstream called directly';
    return [
      row('upstream direct (http-echo, 64 B POST)', 'itself', direct, direct.reqPerSec),
      {
        ...row('watchdog http mode (http-echo, 64 B POST)', baseline, proxied, direct.reqPerSec),
        rssMb: wd.peakRssMb(),
        notes: `${opts.connections} connections, keep-alive; errors ${proxied.errors}; added p50 ${(proxied.p50Ms - direct.p50Ms).toFixed(2)} ms`,
      },
    ];
  } finally {
    await wd.stop();
  }
}

async function forkMode(cli: string, opts: WatchdogBenchOptions, warmUpMs: number): Promise<BenchResult[]> {
  const wd = await startWatchdog(cli, { mode: 'fork', fprocess: 'cat' });
  try {
    const load = (durationMs: number): Promise<LoadResult> =>
      runLoad({ url: wd.url, body: BODY, durationMs, connections: opts.connections });
    await load(warmUpMs);
    const { spawned, forked } = await interleaved(
      { spawned: (ms) => spawnLoad('cat', ms, opts.connections), forked: load },
      opts.durationMs,
    );
    return [
      row('spawn cat directly from Node (64 B via stdin)', 'itself', spawned, spawned.reqPerSec),
      {
        ...row('watchdog fork mode (cat, 64 B POST)', 'spawning cat directly, no HTTP', forked, spawned.reqPerSec),
        rssMb: wd.peakRssMb(),
        notes: `${opts.connections} connections; errors ${forked.errors}`,
      },
    ];
  } finally {
    await wd.stop();
  }
}


/** The fork-mode baseline: `connections` loops each spawning `command`, feeding it BODY and reading its output. */
async function spawnLoad(command: string, durationMs: number, connections: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const startedAt = performance.now();
  const loop = async (): Promise<void> => {
    while (performance.now() - startedAt < durationMs) {
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const child = spawn(command, [], { stdio: ['pipe', 'pipe', 'ignore'] });
        let bytes = 0;
        child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
        child.on('error', () => resolve(false));
        child.on('close', (code) => resolve(code === 0 && bytes === BODY.length));
        child.stdin.end(BODY);
      });
      if (ok) latencies.push(performance.now() - t0);
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return summarize(latencies, errors, performance.now() - startedAt);
}

/** A `kfaas watchdog` started by startWatchdog. */
export interface RunningWatchdog {
  readonly url: string;
  readonly pid: number;
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Starts `kfaas watchdog` on a free loopback port and waits until `/_/health` answers 200. */
export async function startWatchdog(cli: string, env: Record<string, string>): Promise<RunningWatchdog> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(process.execPath, [cli, 'watchdog'], {
    env: { PATH: process.env['PATH'], port: String(port), bind_address: '127.0.0.1', log_level: 'warn', healthcheck_interval: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 15_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null) throw new Error(`kfaas watchdog exited with ${child.exitCode}: ${stderr}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`kfaas watchdog did not get healthy within 15s: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    url,
    pid: child.pid!,
    peakRssMb: () => round(procStatusKb(child.pid!, 'VmHWM') / 1024),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${url}/_/health`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}




