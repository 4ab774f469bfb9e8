/**
 * The one supervisor of node:cluster gateway workers, used by the gateway container's primary and by `kfaas up`
 * (both with KFAAS_GATEWAY_PROCESSES > 1). Its rules: fork N workers; a worker that dies after it listened is
 * replaced after a pause; a worker that exits before it listened fails the whole set (it would fail again: the
 * port is taken, the provider cannot start), so the others are drained; close() drains every worker with SIGTERM
 * and kills one that outlives its deadline. What the workers say over IPC is the caller's business.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../common/logger.js';
import { isMessage, type ListenFailed } from './messages.js';

/** Pause before replacing a worker that died, so a crash loop does not spin. */
export const RESTART_DELAY_MS = 1_000;

/** Beyond its own drain, how long a worker may take to exit before it is killed. */
export const EXIT_MARGIN_MS = 5_000;

/** Options of superviseWorkers. */
export interface SupervisorOptions {
  readonly processes: number;
  readonly logger: Logger;
  /** How long a worker's own SIGTERM drain takes at most (its drain delay and timeout); EXIT_MARGIN_MS later it is killed. */
  readonly drainMs: number;
  /** Every IPC message of every worker (the supervisor reads `kfaas:listen-failed` itself, and passes it on too). */
  readonly onMessage?: (worker: Worker, message: unknown) => void;
  /** A worker has exited, for whatever reason; called before the supervisor acts on it. */
  readonly onExit?: (worker: Worker) => void;
  /** Tests shorten these; RESTART_DELAY_MS and EXIT_MARGIN_MS otherwise. */
  readonly restartDelayMs?: number;
  readonly exitMarginMs?: number;
}

/** How the supervision ended. */
export interface SupervisorStopped {
  /** A worker never listened, or one did not end its drain with a clean exit (non-zero code, or a kill other than the SIGTERM). */
  readonly failed: boolean;
}

/** Running, supervised workers. */
export interface Supervisor {
  /** The shared port once every first worker listens; rejects with GatewayProcessStartError when one cannot. */
  readonly started: Promise<number>;
  /** Resolves when the last worker has exited after close() or a start failure. */
  readonly stopped: Promise<SupervisorStopped>;
  /** The live workers. */
  workers(): Worker[];
  /** Drains every worker (SIGTERM, then SIGKILL past its deadline); resolves as `stopped` does. Idempotent. */
  close(): Promise<SupervisorStopped>;
}

/** A worker exited before it listened; `code` is the errno code (EADDRINUSE) when the worker reported one. */
export class GatewayProcessStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'GatewayProcessStartError';
  }
}

/** Forks `processes` workers of the current cluster settings and supervises them; see Supervisor. */
export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const { logger } = options;
  const restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS;
  const live = new Set<Worker>();
  const listened = new Set<Worker>();
  const failures = new Map<Worker, ListenFailed>();
  const restarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  let failed = false;
  let listening = 0;

  let startSettled = false;
  let settleStart!: { resolve: (port: number) => void; reject: (err: Error) => void };
  const started = new Promise<number>((resolve, reject) => (settleStart = { resolve, reject }));
  // A caller that never awaits `started` (the container's primary) must not see an unhandled rejection.
  started.catch(() => undefined);
  const failStart = (err: Error): void => {
    if (startSettled) return;
    startSettled = true;
    settleStart.reject(err);
  };
  let resolveStopped!: (result: SupervisorStopped) => void;
  const stopped = new Promise<SupervisorStopped>((resolve) => (resolveStopped = resolve));
  const finishIfIdle = (): void => {
    if (stopping && live.size === 0) resolveStopped({ failed });
  };

  const fork = (): void => {
    const worker = cluster.fork();
    live.add(worker);
    worker.on('message', (m: unknown) => {
      if (isMessage<ListenFailed>(m, 'kfaas:listen-failed')) failures.set(worker, m);
      options.onMessage?.(worker, m);
    });
    worker.on('listening', (address: { port: number }) => {
      if (listened.has(worker)) return;
      listened.add(worker);
      if (++listening === options.processes && !startSettled) {
        startSettled = true;
        settleStart.resolve(address.port);
      }
    });
    worker.on('exit', (code: number | null, signal: NodeJS.Signals | null) => onExit(worker, code, signal));
  };

  const onExit = (worker: Worker, code: number | null, signal: NodeJS.Signals | null): void => {
    live.delete(worker);
    options.onExit?.(worker);
    if (stopping) {
      // Killed by the SIGTERM itself: a worker still starting has no handler yet, and nothing in flight either.
      if (code !== 0 && signal !== 'SIGTERM') failed = true;
      failStart(new GatewayProcessStartError('the gateway processes were stopped while they were starting', undefined));
      finishIfIdle();
      return;
    }
    if (!listened.has(worker)) {
      const failure = failures.get(worker);
      logger.error('a gateway process failed to start; stopping the others', { pid: worker.process.pid, code, signal, ...(failure ? { reason: failure.message } : {}) });
      failed = true;
      failStart(new GatewayProcessStartError(failure?.message ?? `a gateway process exited before it listened (code ${code}, signal ${signal})`, failure?.code));
      void close();
      return;
    }
    logger.error('a gateway process exited; starting another', { pid: worker.process.pid, code, signal });
    // Not unref'd: if every worker died at once, this timer is what keeps the primary alive to replace them.
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, restartDelayMs);
    restarts.add(timer);
  };

  let closing: Promise<SupervisorStopped> | undefined;
  const close = (): Promise<SupervisorStopped> => {
    closing ??= (() => {
      stopping = true;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      // Each worker drains as a single gateway does (not-ready, then close, then cut what is left).
      for (const worker of live) drain(worker, options.drainMs + (options.exitMarginMs ?? EXIT_MARGIN_MS));
      finishIfIdle();
      return stopped;
    })();
    return closing;
  };

  logger.info('starting gateway processes', { processes: options.processes });
  for (let i = 0; i < options.processes; i++) fork();
  return { started, stopped, workers: () => [...live], close };
}

/** SIGTERM now, SIGKILL if the worker has not exited by the deadline. */
function drain(worker: Worker, deadlineMs: number): void {
  if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), deadlineMs);
  worker.process.once('exit', () => clearTimeout(timer));
  worker.process.kill('SIGTERM');
}
