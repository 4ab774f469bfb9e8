/**
 * V8 heap settings for the gateway process. Every call allocates a few KiB of short-lived objects; left to its
 * defaults, V8 grows the young generation to 16 MiB per semi-space and the old one by a large factor under load,
 * which put the gateway's RSS at 110-160 MiB at the rate undici's pool reaches.
 *
 * The young generation's size is a trade: pinned at its 1 MiB start, RSS stays under 90 MiB but a saturated
 * process spends about 1.5x the CPU per call (more of the calls in flight survive a scavenge and are promoted);
 * capped at 4 MiB per semi-space it costs 1.2x the bare proxy's CPU at about 100 MiB. V8 reads that cap only at
 * start, so the chart passes `--max-semi-space-size=4` in NODE_OPTIONS; a gateway started without a cap pins the
 * young generation instead, so its memory stays bounded either way.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags to set at run time, given the process's start-up flags (`process.execArgv` and NODE_OPTIONS). */
export function runtimeHeapFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const startFlags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const youngCapped = startFlags.some((flag) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(flag));
  // Grow the old generation by 10 % past its live size instead of V8's default factor; read at each GC.
  const flags = ['--heap-growing-percent=10'];
  // No cap given at start: keep the young generation at its starting size (also read at each GC).
  if (!youngCapped) flags.push('--semi-space-growth-factor=1');
  return flags;
}

/** Applies runtimeHeapFlags() to this process; gateway/main.ts calls it first thing. */
export function tuneGatewayHeap(): void {
  for (const flag of runtimeHeapFlags(process.execArgv, process.env['NODE_OPTIONS'])) setFlagsFromString(flag);
}
