/**
 * Composition root of `kfaas watchdog`: load config from the environment, build the root logger, wire the
 * watchdog, drain on SIGTERM/SIGINT, start. An invalid setting stops it before anything runs.
 */
import { createJsonLogger } from '../runtime/json-logger.js';
import { loadConfig, type WatchdogConfig } from './config.js';
import { createWatchdog } from './index.js';
import { exitOnSignals } from '../runtime/shutdown.js';

/** Runs the watchdog until SIGTERM or SIGINT, then drains and exits 0. */
export async function main(): Promise<void> {
  let config: WatchdogConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    // No logger exists yet; the message names the variable and its value.
    process.stderr.write(`kfaas watchdog: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  // Not winston: the same records, without its load time and memory in every function process.
  const logger = createJsonLogger({
    level: config.logLevel,
    pretty: config.logFormat === 'pretty',
    defaultMeta: { component: 'watchdog' },
  });
  const watchdog = createWatchdog(config, { logger });

  // Later signals are ignored: falling back to Node's default would kill us mid-drain.
  const shutdown = exitOnSignals({ logger, action: 'draining', close: () => watchdog.close() });
  if (config.exitWithParent) watchParent(() => shutdown('the loss of its parent process'));

  try {
    await watchdog.start();
  } catch (err) {
    // The message carries the reason (e.g. the upstream's stderr excerpt); winston would serialize an Error meta as {}.
    logger.error(`watchdog failed to start: ${(err as Error).message}`);
    await watchdog.close();
    process.exit(1);
  }
}

/**
 * Calls `onGone` once the parent process has died. A `kfaas up` killed with SIGKILL cannot stop its children,
 * and each child runs in its own process group, so each watchdog notices the loss itself (it is re-parented).
 */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, 500);
  timer.unref();
}
