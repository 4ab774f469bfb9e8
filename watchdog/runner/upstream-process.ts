/**
 * Supervises the http-mode function server: starts it in its own process group, waits until it accepts
 * connections, and restarts it with exponential backoff when it dies. `ready()` is false in between, which
 * turns `/_/health` to 503 and calls to 503 until it is back.
 */
import type { LeveledLogger as Logger } from '../../common/log-record.js';
import { formatDuration } from '../../common/duration.js';
import { logLines } from '../line-logger.js';
import { OutputExcerpt } from '../output-excerpt.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import { killGroup, spawnInGroup, type FunctionProcess } from '../process-group.js';
import { waitForPort } from './wait-for-port.js';

/** Restart pacing: the delay doubles from `minMs` up to `maxMs`, and resets after `stableMs` of uptime. */
export interface RestartBackoff extends Backoff {
  readonly stableMs: number;
}

/** Defaults: first restart after 250ms, at most one every 10s, forgiven after 30s up. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = Object.freeze({ minMs: 250, maxMs: 10_000, stableMs: 30_000 });

/** How long the upstream gets to exit on SIGTERM at shutdown before its group is killed. */
const STOP_GRACE_MS = 2_000;

/** What the supervisor needs. */
export interface UpstreamOptions {
  readonly command: readonly [string, ...string[]];
  readonly env: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
  readonly startTimeoutMs: number;
  readonly backoff: RestartBackoff;
  readonly logger: Logger;
}

/** A supervised upstream process. */
export interface UpstreamProcess {
  /** Starts the process; rejects, with the reason and a stderr excerpt, if it never accepts connections. */
  start(): Promise<void>;
  ready(): boolean;
  /** The current process id (for tests and logs). */
  pid(): number | undefined;
  /** Stops the process group (SIGTERM, then SIGKILL after a grace period); idempotent. */
  close(): Promise<void>;
}

/** Creates the supervisor; nothing runs until `start()`. */
export function createUpstreamProcess(opts: UpstreamOptions): UpstreamProcess {
  const { logger } = opts;
  const closed = new AbortController();
  let child: FunctionProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let isReady = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stableTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  async function launch(): Promise<void> {
    const proc = spawnInGroup(opts.command, opts.env, 'ignore');
    child = proc;
    const stderr = new OutputExcerpt();
    logLines(proc.stdout, logger, { stream: 'stdout' });
    logLines(proc.stderr, logger, { stream: 'stderr' });
    proc.stderr.on('data', (text: string) => stderr.add(text));
    let exitStatus: string | undefined;
    exited = new Promise((resolve) => {
      proc.on('error', (err) => {
        exitStatus ??= `could not be started: ${err.message}`;
      });
      proc.on('exit', (code, signal) => {
        exitStatus ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
        // Whatever the leader left behind goes with it; that also releases stdio so 'close' can follow.
        killGroup(proc.pid);
        onExit(proc, exitStatus);
      });
      proc.on('close', () => resolve());
    });

    const gaveUp = new AbortController();
    const listening = waitForPort(opts.host, opts.port, opts.startTimeoutMs, AbortSignal.any([closed.signal, gaveUp.signal]));
    void exited.then(() => gaveUp.abort());
    const ok = await listening;
    if (ok && exitStatus === undefined && !closed.signal.aborted) {
      isReady = true;
      logger.info(`Upstream ready on ${opts.host}:${opts.port}`, { pid: proc.pid });
      stableTimer = setTimeout(() => (failures = 0), opts.backoff.stableMs).unref();
      return;
    }
    const diedFirst = exitStatus !== undefined;
    killGroup(proc.pid);
    await exited;
    const where = `${opts.host}:${opts.port}`;
    const reason = diedFirst
      ? `fprocess "${opts.command.join(' ')}" ${exitStatus} before accepting connections on ${where}`
      : `fprocess "${opts.command.join(' ')}" did not accept connections on ${where} within ${formatDuration(opts.startTimeoutMs)}`;
    const excerpt = stderr.toString();
    throw new Error(excerpt ? `${reason}; stderr: ${excerpt}` : reason);
  }

  function onExit(proc: FunctionProcess, status: string): void {
    if (proc !== child || !isReady) return;
    isReady = false;
    clearTimeout(stableTimer);
    if (closed.signal.aborted) return;
    logger.warn(`Upstream ${status}; restarting`, { pid: proc.pid });
    scheduleRestart();
  }

  function scheduleRestart(): void {
    const delayMs = backoffDelayMs(failures, opts.backoff);
    failures += 1;
    restartTimer = setTimeout(() => {
      launch().catch((err: Error) => {
        if (closed.signal.aborted) return;
        logger.warn(`Upstream restart failed: ${err.message}`, { attempt: failures });
        scheduleRestart();
      });
    }, delayMs);
  }

  return {
    start: launch,
    ready: () => isReady,
    pid: () => child?.pid,
    close() {
      closing ??= (async () => {
        closed.abort();
        isReady = false;
        clearTimeout(restartTimer);
        clearTimeout(stableTimer);
        if (!child) return;
        const pid = child.pid;
        killGroup(pid, 'SIGTERM');
        const grace = setTimeout(() => killGroup(pid), STOP_GRACE_MS);
        await exited;
        clearTimeout(grace);
      })();
      return closing;
    },
  };
}
