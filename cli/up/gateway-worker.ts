/**
 * One gateway worker process of `kfaas up` (KFAAS_GATEWAY_PROCESSES > 1), forked by the `kfaas up` process (the
 * owner) through node:cluster and sharing its port. It serves sync calls to functions with a ready endpoint
 * itself, from the endpoints the owner pushes over IPC, and hands everything else to the owner over loopback:
 * /system, async accepts, health, metrics, and calls that must wait for a scale from zero.
 */
import type { Logger } from '../../common/logger.js';
import {
  clusterWorkerMetrics,
  createGateway,
  createGatewayMetrics,
  createOwnerHandOff,
  createPushedRoutes,
  isMessage,
  type ListenFailed,
  type RoutesMessage,
  type RoutesRequest,
} from '../../gateway/index.js';
import { startTracing } from '../../runtime/tracing/setup.js';
import { LOCAL_NAMESPACE, type UpConfig } from './config.js';

/** Serves until the owner sends SIGTERM (drain, exit 0) or goes away (exit at once). */
export async function runGatewayWorker(config: UpConfig, logger: Logger): Promise<void> {
  // Ctrl-C reaches the whole process group; the owner decides when workers stop, and sends SIGTERM.
  process.on('SIGINT', () => undefined);
  const tracing = await startTracing('kfaas');
  const routes = createPushedRoutes(LOCAL_NAMESPACE);
  let ownerUrl = '';
  const handOff = createOwnerHandOff((url) => routes.servesHere(url), () => ownerUrl);
  const gateway = createGateway(config.gateway, {
    provider: routes.provider,
    logger,
    // Counts its own calls; the owner sums every process's when /metrics or the autoscaler reads them.
    metrics: clusterWorkerMetrics(createGatewayMetrics({ defaultMetrics: true }), config.gateway.metricsGatherTimeoutMs),
    handOff,
  });
  const gotRoutes = new Promise<void>((resolve) => {
    process.on('message', (m: unknown) => {
      if (!isMessage<RoutesMessage>(m, 'kfaas:routes')) return;
      ownerUrl = m.ownerUrl;
      routes.update(m.functions);
      resolve();
    });
  });
  process.send?.({ type: 'kfaas:routes-request' } satisfies RoutesRequest);
  await gotRoutes;

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await gateway.close();
    handOff.close();
    await tracing.shutdown();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  // The owner is gone (killed): nothing can answer what this worker hands on, so stop now.
  process.on('disconnect', () => void stop(0));
  try {
    await gateway.start();
  } catch (err) {
    const failure: ListenFailed = { type: 'kfaas:listen-failed', message: (err as Error).message, ...((err as NodeJS.ErrnoException).code ? { code: (err as NodeJS.ErrnoException).code! } : {}) };
    // The owner reports it (a busy port names --port); exit once the message is out.
    await new Promise<void>((resolve) => (process.send ? process.send(failure, undefined, {}, () => resolve()) : resolve()));
    process.exit(1);
  }
}
