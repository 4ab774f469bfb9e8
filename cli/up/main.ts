/**
 * Composition root of `kfaas up`: validate everything, then start the local platform and wait for a signal. A
 * process forked by it as a gateway worker (KFAAS_GATEWAY_PROCESSES > 1) parses the same config and runs that.
 */
import cluster from 'node:cluster';
import { createRootLogger } from '../../common/logger.js';
import { renderBanner } from './banner.js';
import { runGatewayWorker } from './gateway-worker.js';
import { loadUpConfig } from './config.js';
import { startLocalPlatform } from './platform.js';
import { loadStackFile } from './stack-file.js';
import { exitOnSignals } from '../../runtime/shutdown.js';

/** Runs `kfaas up` until SIGINT or SIGTERM. */
export async function main(raw: Readonly<Record<string, string | undefined>>): Promise<void> {
  let config;
  let stack;
  try {
    config = loadUpConfig(raw, process.env);
    if (cluster.isWorker) {
      await runGatewayWorker(config, createRootLogger({ pretty: true, level: config.logLevel, defaultMeta: { component: 'gateway-process' } }));
      return;
    }
    stack = config.options.stackFile ? loadStackFile(config.options.stackFile) : undefined;
  } catch (err) {
    process.stderr.write(`kfaas up: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createRootLogger({ pretty: true, level: config.logLevel });
  let platform;
  try {
    platform = await startLocalPlatform(config, stack, logger);
  } catch (err) {
    process.stderr.write(`kfaas up: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(
    renderBanner(
      platform.url,
      stack?.functions ?? [],
      platform.credentials.user,
      `${platform.credentials.dir}/basic-auth-password`,
      platform.notReady,
    ),
  );
  const started = platform;
  // A second Ctrl-C stops at once, as users of a foreground command expect.
  exitOnSignals({ logger, action: 'shutting down', close: () => started.close(), forceOnSecondSignal: true });
  // As the gateway container's primary does: a gateway process that cannot start again fails the whole command.
  void platform.lost.then(async () => {
    logger.error('the gateway processes stopped, so nothing serves the port; shutting down');
    await started.close().catch(() => undefined);
    process.exit(1);
  });
}
