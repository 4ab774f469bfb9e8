#!/usr/bin/env node
/**
 * The `kfaas` executable. CommonJS on purpose: a plain `kfaas watchdog`, the entrypoint of every function
 * process, loads the bundled watchdog from here without starting Node's ES module loader, which cost some
 * 6 ms of CPU per start (README, "Watchdog start-up"). Every other command goes to the ES module CLI (main.js).
 */
import { runBundledWatchdog } from '../watchdog/bundle-loader.cjs';

if (!(process.argv.length === 3 && process.argv[2] === 'watchdog' && runBundledWatchdog())) {
  import('./main.js').catch((err: unknown) => {
    process.stderr.write(`kfaas: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
