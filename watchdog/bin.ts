/**
 * Entry of the bundled watchdog (`dist/watchdog/bundle.cjs`, built by `npm run build`): the watchdog and the
 * few modules it needs in one CommonJS file, so a function process starts without resolving and compiling
 * some 40 ES modules and without the CLI's argument parser. `kfaas watchdog` runs it when it exists.
 */
import { main } from './main.js';

main().catch((err: unknown) => {
  process.stderr.write(`kfaas watchdog: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
