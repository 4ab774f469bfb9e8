/**
 * The watchdog's public entry: `createWatchdog(config, deps)` wires the HTTP server, probes, the in-flight
 * gate and the runner for the configured mode. Used by `kfaas watchdog` (main.ts) and by `kfaas up`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LeveledLogger as Logger } from '../common/log-record.js';
import type { WatchdogConfig } from './config.js';
import { drain } from './drain.js';
import { InflightLimit } from './inflight-limit.js';
import { createRequestHandler } from './request-handler.js';
import { createForkRunner } from './runner/fork-runner.js';
import { createHttpRunner } from './runner/http-runner.js';
import type { Runner } from './runner/runner.js';
import { createSpawnPool } from './runner/spawn-pool.js';
import { mainThreadSpawner, type Spawner } from './runner/spawner.js';
import { createUpstreamProcess, DEFAULT_RESTART_BACKOFF, type RestartBackoff } from './runner/upstream-process.js';

export { loadConfig, WatchdogConfigError, type WatchdogConfig } from './config.js';
export type { RestartBackoff } from './runner/upstream-process.js';
export { createSpawnPool } from './runner/spawn-pool.js';
export type { Spawner } from './runner/spawner.js';

/** Collaborators of the watchdog. */
export interface WatchdogDeps {
  readonly logger: Logger;
  /** http mode: upstream restart pacing (default: 250ms doubling to 10s). */
  readonly restartBackoff?: RestartBackoff;
  /** Fork mode: a spawner shared with other watchdogs in this process (not closed by this one); default: its own. */
  readonly spawner?: Spawner;
  /** Fork mode: working directory of the function processes; default: this process's own. */
  readonly cwd?: string;
}

/** A running (or runnable) watchdog. */
export interface Watchdog {
  /** Listens, then (http mode) starts the function server; resolves with the bound port once calls can run. */
  start(): Promise<{ port: number }>;
  /** Drains (unhealthy, healthcheck_interval, stop accepting, in-flight up to write_timeout) and kills every child; idempotent. */
  close(): Promise<void>;
  /** Calls in flight right now. */
  inflight(): number;
}

/** Creates a watchdog; nothing listens or runs until `start()`. */
export function createWatchdog(config: WatchdogConfig, deps: WatchdogDeps): Watchdog {
  const logger = deps.logger;
  const runner = createRunner(config, deps);
  const inflight = new InflightLimit(config.maxInflight);
  let phase: 'serving' | 'draining' | 'stopped' = 'serving';
  let closing: Promise<void> | undefined;
  let started = false;

  const server: Server = createServer(
    {
      // read_timeout is enforced per call (call.ts); Node's own whole-request timer would answer without
      // stopping the function. The header part is bounded here, checked every second.
      requestTimeout: 0,
      headersTimeout: config.readTimeoutMs > 0 ? config.readTimeoutMs : 60_000,
      connectionsCheckingInterval: 1_000,
    },
    createRequestHandler({
      config,
      runner,
      logger,
      inflight,
      phase: () => phase,
      probes: {
        accepting: () => phase === 'serving',
        functionReady: () => runner.ready(),
        saturated: () => inflight.saturated,
      },
    }),
  );

  async function start(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.bindAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    logger.info(`Listening on port: ${port}`, { address: config.bindAddress, port, mode: config.mode });
    await runner.start();
    logger.info(`Function ready: ${config.command.join(' ')}`, { mode: config.mode, forkOutput: config.forkOutput });
    started = true;
    return { port };
  }

  function close(): Promise<void> {
    closing ??= drain({
      // A watchdog that never got ready was never routed to: no endpoint removal to wait out.
      healthcheckIntervalMs: started ? config.healthcheckIntervalMs : 0,
      writeTimeoutMs: config.writeTimeoutMs,
      logger,
      markUnhealthy: () => {
        phase = 'draining';
      },
      stopAccepting: () => {
        phase = 'stopped';
        server.close();
        server.closeIdleConnections();
      },
      inflightCount: () => inflight.count,
      idle: () => inflight.idle(),
      forceStop: async () => {
        server.closeAllConnections();
        await runner.close();
      },
    });
    return closing;
  }

  return { start, close, inflight: () => inflight.count };
}

function createRunner(config: WatchdogConfig, deps: WatchdogDeps): Runner {
  if (config.mode === 'fork' || !config.upstream) {
    if (deps.spawner) return createForkRunner(config, deps.spawner, deps.cwd);
    const own = config.spawnThreads > 0 ? createSpawnPool(config.spawnThreads) : mainThreadSpawner();
    const runner = createForkRunner(config, own, deps.cwd);
    return { ...runner, close: () => runner.close().then(() => own.close()) };
  }
  const upstream = createUpstreamProcess({
    command: config.command,
    env: config.functionEnv,
    host: config.upstream.host,
    port: config.upstream.port,
    startTimeoutMs: config.upstreamStartTimeoutMs,
    backoff: deps.restartBackoff ?? DEFAULT_RESTART_BACKOFF,
    logger: deps.logger.child({ component: 'upstream' }),
  });
  return createHttpRunner(config.upstream, upstream);
}
