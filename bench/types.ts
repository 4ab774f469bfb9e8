/** Shared shape of benchmark results, printed by the bench runner. */

/** One measured scenario compared against a baseline measured in the same run. */
export interface BenchResult {
  /** What was measured, e.g. `watchdog http mode (echo, 64 B)`. */
  readonly scenario: string;
  /** What it is compared against, e.g. `upstream called directly`. */
  readonly baseline: string;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** `reqPerSec` divided by the baseline's requests per second. */
  readonly ratio: number;
  /** Peak resident memory of the process under test, in MiB. */
  readonly rssMb?: number;
  readonly notes?: string;
}
