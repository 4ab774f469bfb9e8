/**
 * `kfaas up` sync calls, one gateway process against several (KFAAS_GATEWAY_PROCESSES, one per core, at least 2):
 * two real `kfaas up` children with the same http-mode echo function, loaded with wrk in alternating rounds. CPU
 * per call is the whole `kfaas up` process tree's (gateway processes, the function's watchdog and server), so the
 * ratio shows what the extra processes cost as well as what they serve.
 */
import { availableParallelism } from 'node:os';
import { interleaved, runLoad, type LoadResult } from './load.js';
import { round, row, treeCpuUs, treeRssBytes } from './support.js';
import type { BenchResult } from './types.js';
import { startUpChild, stopUpChild, type UpChild } from './up-child.js';

/** Options of the `kfaas up` processes bench. */
export interface UpProcessesBenchOptions {
  readonly durationMs: number;
  readonly connections: number;
  readonly bodyBytes: number;
}

// An http-mode function: the cheapest function `kfaas up` can run, so the gateway's share of the work shows.
const STACK = `version: 1
functions:
  echo:
    mode: http
    handler: node echo.mjs
`;
const FILES = {
  'echo.mjs': `import { createServer } from 'node:http';
createServer((req, res) => req.pipe(res)).listen(Number(new URL(process.env.upstream_url).port), '127.0.0.1');
`,
};

/** Runs both platforms in alternating rounds and returns the N-process row against the 1-process one. */
export async function runUpProcessesBench(opts: UpProcessesBenchOptions): Promise<BenchResult[]> {
  const processes = Math.max(2, availableParallelism());
  const body = Buffer.alloc(opts.bodyBytes, 'u');
  const ups: UpChild[] = [];
  try {
    const one = await startUpChild(STACK, [], {}, FILES);
    ups.push(one);
    const many = await startUpChild(STACK, [], { KFAAS_GATEWAY_PROCESSES: String(processes) }, FILES);
    ups.push(many);
    const cpu = new Map<UpChild, { us: number; requests: number }>();
    const measured = (up: UpChild) => async (durationMs: number): Promise<LoadResult> => {
      const url = `${up.url}/function/echo`;
      // Warm the connections first (the gateway's upstream pools, the workers' share of the 64 sockets).
      await runLoad({ url, body, durationMs: Math.min(250, durationMs / 10), connections: opts.connections });
      const before = treeCpuUs(up.child.pid!);
      const result = await runLoad({ url, body, headers: { 'content-type': 'application/octet-stream' }, durationMs, connections: opts.connections });
      const acc = cpu.get(up) ?? { us: 0, requests: 0 };
      cpu.set(up, { us: acc.us + treeCpuUs(up.child.pid!) - before, requests: acc.requests + result.requests + result.errors });
      return result;
    };
    const results = await interleaved({ one: measured(one), many: measured(many) }, opts.durationMs);
    const perCall = (up: UpChild): number => cpu.get(up)!.us / Math.max(1, cpu.get(up)!.requests);
    const rss = (up: UpChild): number => round(treeRssBytes(up.child.pid!) / 1024 / 1024);
    const size = `${body.length} B POST, ${opts.connections} connections, http-mode echo`;
    return [
      {
        ...row(`kfaas up /function, 1 gateway process (${size})`, 'itself', results.one, results.one.reqPerSec),
        rssMb: rss(one),
        notes: `CPU ${perCall(one).toFixed(0)} us/call over the kfaas up process tree; errors ${results.one.errors}`,
      },
      {
        ...row(`kfaas up /function, ${processes} gateway processes (KFAAS_GATEWAY_PROCESSES) (${size})`, 'kfaas up, 1 gateway process', results.many, results.one.reqPerSec),
        rssMb: rss(many),
        notes:
          `CPU ${perCall(many).toFixed(0)} us/call over the tree = ${(perCall(many) / perCall(one)).toFixed(2)}x one process's; ` +
          `p99 ${results.many.p99Ms.toFixed(1)} ms against ${results.one.p99Ms.toFixed(1)}; errors ${results.many.errors}`,
      },
    ];
  } finally {
    await Promise.all(ups.map((up) => stopUpChild(up)));
  }
}
