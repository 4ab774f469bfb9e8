#!/usr/bin/env node
/**
 * The `kfaas` command as an ES module: its subcommands start each process of the platform. The `kfaas`
 * executable is the CommonJS launcher (kfaas.cts), which runs a plain `kfaas watchdog` without coming here;
 * this entry still serves it too (`node dist/cli/main.js watchdog`), through the same bundle loader.
 */
import { createRequire } from 'node:module';

if (process.argv.length === 3 && process.argv[2] === 'watchdog') await runWatchdog();
else await (await import('./program.js')).buildProgram().parseAsync(process.argv);

async function runWatchdog(): Promise<void> {
  // require, not import(): loading CommonJS through the ES module loader cost 4 MiB and some 20 ms more.
  const loader = createRequire(import.meta.url)('../watchdog/bundle-loader.cjs') as typeof import('../watchdog/bundle-loader.cjs');
  // The bundle starts the watchdog as it loads. A tree compiled by tsc alone (no bundling step) runs the modules.
  if (!loader.runBundledWatchdog()) await (await import('../watchdog/main.js')).main();
}
