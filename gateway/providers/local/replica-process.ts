/**
 * One replica of a local function: a `kfaas watchdog` child process on a free loopback port, health-checked
 * through its `/_/health`, restarted with capped backoff when it exits, its output captured line by line.
 */
import { backoffDelayMs, type Backoff } from '../../../common/backoff.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import type { Logger } from '../../../common/logger.js';
import { freeLoopbackPort } from '../../../runtime/free-port.js';

/** How a replica is started and watched. */
export interface ReplicaOptions {
  /** Instance name, for logs (`fn-0`). */
  readonly instance: string;
  /** The executable (process.execPath) and its leading arguments (the CLI entry, `watchdog`). */
  readonly command: string;
  readonly args: readonly string[];
  /** Environment of the child, without `port` (chosen per start) and, in http mode, without `upstream_url`. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory of the child. */
  readonly cwd?: string;
  readonly logger: Logger;
  /** Receives each line the child writes to stdout or stderr. */
  readonly onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Called whenever readiness flips. */
  readonly onReadyChange: () => void;
  readonly restartBackoff: Backoff;
  readonly healthIntervalMs: number;
  /** How long a stopping child gets after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Injectable port picker (tests). */
  readonly pickPort?: () => Promise<number>;
}

/** A supervised watchdog child. */
export class ReplicaProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private port = 0;
  private healthy = false;
  private stopped = false;
  private failures = 0;
  private restarts = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: ReplicaOptions) {}

  /** The base URL while the replica is healthy, else undefined. */
  get endpoint(): string | undefined {
    return this.healthy && this.child ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** How many times the child was restarted after exiting. */
  get restartCount(): number {
    return this.restarts;
  }

  /** The current child's pid (undefined between restarts). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Launches the first child; later ones follow exits automatically. */
  start(): void {
    void this.launch();
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    const { options } = this;
    let upstreamUrl: string | undefined;
    try {
      this.port = await (options.pickPort ?? freeLoopbackPort)();
      // An http-mode function listens on its own port behind the watchdog; a stack file can't know a free one.
      if (options.env['mode'] === 'http' && !options.env['upstream_url']) {
        upstreamUrl = `http://127.0.0.1:${await (options.pickPort ?? freeLoopbackPort)()}`;
      }
    } catch (err) {
      options.logger.error('no free port for a function replica', { instance: options.instance, err });
      this.scheduleRestart();
      return;
    }
    if (this.stopped) return;
    // Its own process group, so stop() reaches the function processes the watchdog forks too.
    const child = spawn(options.command, [...options.args], {
      env: { ...options.env, port: String(this.port), ...(upstreamUrl ? { upstream_url: upstreamUrl } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream]!, crlfDelay: Infinity }).on('line', (line) => options.onOutput(line, stream));
    }
    child.once('error', (err) => options.logger.error('function replica failed to spawn', { instance: options.instance, err }));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.setHealthy(false);
      clearTimeout(this.timer);
      if (this.stopped) return;
      this.failures++;
      options.logger.warn('function replica exited; restarting', { instance: options.instance, code, signal, restarts: this.restarts });
      this.scheduleRestart();
    });
    this.scheduleHealthCheck(0);
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const delayMs = backoffDelayMs(this.failures - 1, this.options.restartBackoff);
    this.timer = setTimeout(() => {
      this.restarts++;
      void this.launch();
    }, delayMs);
  }

  private scheduleHealthCheck(delayMs: number): void {
    this.timer = setTimeout(() => void this.checkHealth(), delayMs);
  }

  private async checkHealth(): Promise<void> {
    const child = this.child;
    if (this.stopped || !child) return;
    const ok = await probe(this.port, Math.max(250, this.options.healthIntervalMs));
    if (this.stopped || this.child !== child) return;
    this.setHealthy(ok);
    // A healthy replica resets the backoff: only a crash loop should slow restarts down.
    if (ok) this.failures = 0;
    // Poll quickly until the first success, then at the configured interval.
    this.scheduleHealthCheck(ok ? this.options.healthIntervalMs : Math.min(100, this.options.healthIntervalMs));
  }

  private setHealthy(healthy: boolean): void {
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    this.options.onReadyChange();
  }

  /** Stops supervising and ends the child's process group: SIGTERM, then SIGKILL after stopTimeoutMs. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopped = true;
      clearTimeout(this.timer);
      this.setHealthy(false);
      const child = this.child;
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), this.options.stopTimeoutMs);
      await this.exited;
      clearTimeout(killer);
      // The watchdog may have left forked function processes in its group.
      signalGroup(child.pid, 'SIGKILL');
    })();
    return this.stopPromise;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** GET /_/health; true on a 200 within the timeout. */
function probe(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ hostname: '127.0.0.1', port, path: '/_/health', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
