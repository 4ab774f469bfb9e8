/**
 * Footprint benchmark: what one idle function costs. A fork-mode `kfaas watchdog` (the bundle) and the same
 * watchdog run from its ES modules, against a bare node:http server (the floor of any Node process here) and
 * the same bare server spawning `cat` for each call (the floor of a fork-mode watchdog, whose first answer
 * needs a spawn): RSS after 50 calls and CPU time spent until the first answer (CPU, because wall time swings
 * with the load of a shared machine), each the median of 5 starts. Then `kfaas up` with N fork-mode
 * functions, watchdogs hosted in its process against one `kfaas watchdog` child each: RSS summed over the
 * whole process tree after 5 calls per function.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../test/helpers/wait-for.js';
import { freeLoopbackPort } from '../runtime/free-port.js';
import { procStatusKb, repoRoot, round } from './support.js';
import type { BenchResult } from './types.js';

/** Options of the footprint benchmark. */
export interface FootprintBenchOptions {
  /** Functions in the `kfaas up` scenarios. */
  readonly functions: number;
}

const BARE_SERVER = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('ok')); }).listen(Number(process.env.port), '127.0.0.1');`;
// What any fork-mode watchdog must do for its first answer: spawn the function in its own group, pipe the body.
const BARE_SPAWNING_SERVER = `const { spawn } = require('node:child_process');
require('node:http').createServer((q, s) => {
  const c = spawn('cat', [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = [];
  q.pipe(c.stdin);
  c.stdout.on('data', (d) => out.push(d));
  c.stderr.resume();
  c.on('close', () => s.end(Buffer.concat(out)));
}).listen(Number(process.env.port), '127.0.0.1');`;
const STARTS = 5;
// Long enough for the last calls' garbage to be collected; what stays is the idle cost.
const SETTLE_MS = 1_000;

/** Runs the footprint scenarios. */
export async function runFootprintBench(opts: FootprintBenchOptions): Promise<BenchResult[]> {
  // The `kfaas` executable, as the function image, the chart's pods and `kfaas up` run it.
  const cli = join(repoRoot(), 'dist', 'cli', 'kfaas.cjs');
  const forkEnv = { mode: 'fork', fprocess: 'cat', log_level: 'warn', healthcheck_interval: '0' };
  const [bare, spawning, watchdog, modules] = await idleMedians([
    { args: ['-e', BARE_SERVER] },
    { args: ['-e', BARE_SPAWNING_SERVER] },
    { args: [cli, 'watchdog'], env: forkEnv },
    { args: [join(repoRoot(), 'dist', 'watchdog', 'bin.js')], env: forkEnv },
  ]);
  const hosted = await upTree(cli, opts.functions, true);
  const children = await upTree(cli, opts.functions, false);
  const idleRow = (scenario: string, r: IdleFigures, ratio: number): BenchResult => ({
    scenario,
    baseline: 'bare node:http server',
    reqPerSec: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    ratio,
    rssMb: r.rssMb,
    notes: `idle RSS after 50 calls; ${r.cpuMs} ms CPU to the first answer (median of ${STARTS} starts); ratio = RSS / the bare server's`,
  });
  const upRow = (scenario: string, r: TreeFigures): BenchResult => ({
    scenario,
    baseline: 'one kfaas watchdog child per function',
    reqPerSec: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    ratio: round(r.rssMb / children.rssMb),
    rssMb: r.rssMb,
    notes: `RSS summed over ${r.processes} process(es) after 5 calls per function; all ready after ${r.readyMs} ms; ratio = RSS / the baseline's`,
  });
  return [
    idleRow('bare node:http server (3 lines)', bare, 1),
    idleRow('bare node:http server spawning cat per call (9 lines)', spawning, round(spawning.rssMb / bare.rssMb)),
    idleRow('kfaas watchdog, fork mode (cat)', watchdog, round(watchdog.rssMb / bare.rssMb)),
    idleRow('the same watchdog from its ES modules, unbundled (dist/watchdog/bin.js)', modules, round(modules.rssMb / bare.rssMb)),
    upRow(`kfaas up, ${opts.functions} fork-mode functions, one watchdog child each`, children),
    upRow(`kfaas up, ${opts.functions} fork-mode functions, watchdogs hosted`, hosted),
  ];
}

interface IdleFigures {
  readonly rssMb: number;
  readonly cpuMs: number;
}

/**
 * Medians of STARTS starts of each process, RSS and CPU each. The starts are interleaved, one of each per
 * round, so that a change in the machine's load during the run weighs on every process alike.
 */
async function idleMedians<const T extends ReadonlyArray<{ args: string[]; env?: Record<string, string> }>>(
  processes: T,
): Promise<{ [K in keyof T]: IdleFigures }> {
  const runs: IdleFigures[][] = processes.map(() => []);
  for (let i = 0; i < STARTS; i++) {
    for (const [k, p] of processes.entries()) runs[k]!.push(await idleProcess(p.args, p.env));
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return runs.map((r) => ({ rssMb: median(r.map((x) => x.rssMb)), cpuMs: median(r.map((x) => x.cpuMs)) })) as { [K in keyof T]: IdleFigures };
}

async function idleProcess(args: string[], env: Record<string, string> = {}): Promise<IdleFigures> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'], port: String(port), ...env }, stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/`;
    await untilAnswers(url, child, 10_000);
    const cpuMs = cpuTimeMs(child.pid!);
    for (let i = 0; i < 50; i++) await call(url);
    await sleep(SETTLE_MS);
    return { rssMb: round(procStatusKb(child.pid!, 'VmRSS') / 1024), cpuMs };
  } finally {
    await stop(child);
  }
}

interface TreeFigures {
  readonly rssMb: number;
  readonly processes: number;
  readonly readyMs: number;
}

async function upTree(cli: string, functions: number, hosted: boolean): Promise<TreeFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-bench-up-'));
  const names = Array.from({ length: functions }, (_, i) => `fn-${i}`);
  writeFileSync(join(dir, 'stack.yaml'), `version: 1\nfunctions:\n${names.map((n) => `  ${n}:\n    handler: cat\n    mode: fork\n`).join('')}`);
  const port = await freeLoopbackPort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, [cli, 'up', '-f', join(dir, 'stack.yaml'), '-p', String(port), '--data-dir', join(dir, 'data')], {
    env: { ...process.env, KFAAS_HOST_WATCHDOGS: String(hosted) },
    stdio: 'ignore',
  });
  try {
    for (const name of names) await untilAnswers(`http://127.0.0.1:${port}/function/${name}`, child, 120_000);
    const readyMs = Math.round(performance.now() - startedAt);
    for (let pass = 0; pass < 5; pass++) for (const name of names) await call(`http://127.0.0.1:${port}/function/${name}`);
    await sleep(SETTLE_MS);
    const pids = tree(child.pid!);
    const kb = pids.reduce((sum, pid) => sum + procStatusKb(pid, 'VmRSS'), 0);
    return { rssMb: round(kb / 1024), processes: pids.length, readyMs };
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function call(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: 'hello' });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
}

function untilAnswers(url: string, child: ChildProcess, timeoutMs: number): Promise<true> {
  return waitFor(async () => ((await fetch(url, { method: 'POST', body: 'x' })).status === 200 ? true : undefined), {
    description: url,
    timeoutMs,
    intervalMs: 5,
    abort: () => (child.exitCode !== null ? new Error(`${url}: the process exited with ${child.exitCode}`) : undefined),
  });
}

/**
 * CPU time of a process so far, summed over its threads from /proc/<pid>/task/<tid>/schedstat (nanoseconds on
 * the CPU): /proc/<pid>/stat counts in 10 ms ticks, too coarse for a start that takes a few of them.
 */
function cpuTimeMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
  return Math.round(ns / 1e6);
}

/** A process and all its descendants (watchdog children call setsid, so a session or group would miss them). */
function tree(pid: number): number[] {
  const out = [pid];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) for (const child of text.split(/\s+/)) out.push(...tree(Number(child)));
  }
  return out;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
