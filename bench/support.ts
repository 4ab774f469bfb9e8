/** Small helpers every benchmark suite uses: rounding, result rows, /proc memory readings, the repo root. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './load.js';
import type { BenchResult } from './types.js';

/** Rounds to two decimals for the results table. */
export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A result row from a load run, its ratio taken against the baseline's requests per second. */
export function row(scenario: string, baseline: string, result: LoadResult, baselineReqPerSec: number): BenchResult {
  return {
    scenario,
    baseline,
    reqPerSec: round(result.reqPerSec),
    p50Ms: round(result.p50Ms),
    p99Ms: round(result.p99Ms),
    ratio: round(result.reqPerSec / baselineReqPerSec),
  };
}

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), in kB; 0 when the process or field is gone. */
export function procStatusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The directory holding package.json, found upward from this module (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package.json)');
    dir = parent;
  }
  return dir;
}

/** A process and its direct children (e.g. a cluster primary and its workers), from /proc. */
function processTree(pid: number): number[] {
  const pids = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone: only what was read counts.
  }
  return pids;
}

/** CPU time (user + system, µs) of a process and its direct children, from /proc/<pid>/stat. */
export function treeCpuUs(pid: number): number {
  const ticksPerSecond = 100; // USER_HZ, fixed at 100 on Linux
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited between the listing and the read.
    }
  }
  return (ticks * 1_000_000) / ticksPerSecond;
}

/** RSS bytes of a process and its direct children. */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + procStatusKb(p, 'VmRSS') * 1024, 0);
}
