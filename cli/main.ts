#!/usr/bin/env node
/**
 * The `kfaas` command: one executable whose subcommands start each process of the platform. A plain
 * `kfaas watchdog`, the entrypoint of every function process, skips the argument parser and runs the bundled
 * watchdog, which starts on about half the CPU time of the modules (README, "Watchdog start-up").
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

if (process.argv.length === 3 && process.argv[2] === 'watchdog') await runWatchdog();
else await (await import('./program.js')).buildProgram().parseAsync(process.argv);

async function runWatchdog(): Promise<void> {
  const bundle = fileURLToPath(new URL('../watchdog/bundle.cjs', import.meta.url));
  // require, not import(): loading CommonJS through the ES module loader cost 4 MiB and some 20 ms more.
  // The bundle starts the watchdog as it loads.
  if (existsSync(bundle)) createRequire(import.meta.url)(bundle);
  // A tree compiled by tsc alone (no bundling step) still runs, from the modules.
  else await (await import('../watchdog/main.js')).main();
}
