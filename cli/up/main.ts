/** Composition root of `kfaas up`: validate everything, then start the local platform and wait for a signal. */
import { createRootLogger } from '../../common/logger.js';
import { renderBanner } from './banner.js';
import { parseUpOptions } from './options.js';
import { startLocalPlatform } from './platform.js';
import { loadStackFile } from './stack-file.js';

/** Runs `kfaas up` until SIGINT or SIGTERM. */
export async function main(raw: Readonly<Record<string, string | undefined>>): Promise<void> {
  let options;
  let stack;
  try {
    options = parseUpOptions(raw);
    stack = options.stackFile ? loadStackFile(options.stackFile) : undefined;
  } catch (err) {
    process.stderr.write(`kfaas up: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createRootLogger({ pretty: true, level: process.env['KFAAS_LOG_LEVEL'] ?? 'info' });
  let platform;
  try {
    platform = await startLocalPlatform(options, stack, logger);
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
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    platform.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
