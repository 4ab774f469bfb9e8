/** Small helpers every benchmark suite uses: rounding, result rows, /proc memory readings, the repo root. */
import { existsSync, readFileSync } from 'node:fs';
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
