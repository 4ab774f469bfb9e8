/**
 * Composition root of `kfaas operator`: load config from the environment, build the root logger, load the
 * kubeconfig (in-cluster service account, $KUBECONFIG or ~/.kube/config), wire the operator, stop cleanly on
 * SIGTERM/SIGINT (stop reconciling, release the lease), start.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { createRootLogger } from '../common/logger.js';
import { loadConfig, type OperatorConfig } from './config.js';
import { createOperator } from './index.js';
import { exitOnSignals } from '../runtime/shutdown.js';

/** Runs the operator until SIGTERM or SIGINT. */
export async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    // No logger exists yet; the message names the variable and its value.
    process.stderr.write(`kfaas operator: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createRootLogger({ level: config.logLevel, defaultMeta: { component: 'operator' } });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  // client-go's convention: hostname plus a random suffix, so two processes on one host never share a lease.
  const identity = config.identity ?? `${os.hostname()}_${randomUUID()}`;
  const operator = createOperator({ config, kubeConfig, logger, identity });

  // Later signals are ignored: falling back to Node's default would kill us mid-release of the lease.
  exitOnSignals({ logger, action: 'stopping', close: () => operator.close() });

  try {
    await operator.start();
  } catch (err) {
    logger.error(`operator failed to start: ${(err as Error).message}`, { err });
    await operator.close();
    process.exit(1);
  }
}
