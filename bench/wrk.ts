/**
 * Closed-loop HTTP load from wrk (Debian's C load generator), so that the load does not compete with the server
 * under test for the same two cores the way a Node generator does. One wrk thread holds every connection; a Lua
 * script sets the request and prints the summary as JSON, with 1,000 latency quantiles so that rounds can be
 * combined (see `combine` in load.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadOptions, LoadResult } from './load.js';

const execFileAsync = promisify(execFile);
const QUANTILES = 1000;

/** The Lua script: request shape from files next to it, the summary as one JSON line. */
function script(bodyFile: string | undefined, method: string, headers: Readonly<Record<string, string>>): string {
  const lua = (s: string): string => JSON.stringify(s);
  return [
    `wrk.method = ${lua(method)}`,
    ...(bodyFile ? [`local f = io.open(${lua(bodyFile)}, "rb")`, 'wrk.body = f:read("*a")', 'f:close()'] : []),
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`),
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  local q = {}`,
    `  for i = 1, ${QUANTILES} do q[i] = latency:percentile(i * ${100 / QUANTILES}) end`,
    '  io.write(string.format(\'KFAAS_WRK {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"maxUs":%d,"quantilesUs":[%s]}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency.max, table.concat(q, ",")))',
    'end',
    '',
  ].join('\n');
}

/** Runs wrk against `opts.url` for `opts.durationMs`; non-2xx/3xx answers and socket errors count as errors. */
export async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-wrk-'));
  try {
    const bodyFile = opts.body ? join(dir, 'body') : undefined;
    if (bodyFile && opts.body) writeFileSync(bodyFile, opts.body);
    const scriptFile = join(dir, 'load.lua');
    writeFileSync(scriptFile, script(bodyFile, opts.method ?? (opts.body ? 'POST' : 'GET'), opts.headers ?? {}));
    const seconds = Math.max(1, Math.round(opts.durationMs / 1000));
    const { stdout } = await execFileAsync('wrk', ['-t1', `-c${opts.connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', scriptFile, opts.url],
      { maxBuffer: 8 << 20 });
    const line = stdout.split('\n').find((l) => l.startsWith('KFAAS_WRK '));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const r = JSON.parse(line.slice('KFAAS_WRK '.length)) as {
      requests: number; durationUs: number; connect: number; read: number; write: number; status: number; timeout: number; maxUs: number; quantilesUs: number[];
    };
    const errors = r.connect + r.read + r.write + r.status + r.timeout;
    const ok = Math.max(0, r.requests - r.status);
    const durationMs = r.durationUs / 1000;
    const samples = r.quantilesUs.map((us) => us / 1000);
    return {
      requests: ok,
      errors,
      non2xx: r.status,
      durationMs,
      reqPerSec: ok / (durationMs / 1000),
      p50Ms: samples[QUANTILES / 2 - 1] ?? 0,
      p99Ms: samples[(QUANTILES * 99) / 100 - 1] ?? 0,
      maxMs: r.maxUs / 1000,
      latenciesMs: samples,
      sampleWeight: ok / QUANTILES,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error('wrk is not installed: run scripts/bench-deps.sh (apt-get install wrk)');
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
