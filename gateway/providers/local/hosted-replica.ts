/**
 * One replica of a fork-mode local function as a watchdog hosted inside the `kfaas up` process, instead of a
 * `kfaas watchdog` child of its own (about 50 MiB each). It is the same watchdog (createWatchdog): its own
 * port, settings and limits (timeouts, max_inflight), its own log records (the instance's prefix in /system/logs),
 * a process group per call. The spawn threads are shared by every hosted watchdog. A watchdog that cannot
 * start is retried with the same capped backoff as a crashing child.
 */
import { backoffDelayMs, type Backoff } from '../../../common/backoff.js';
import type { Logger } from '../../../common/logger.js';
import { createJsonLogger } from '../../../runtime/json-logger.js';
import { createWatchdog, loadConfig, type Spawner, type Watchdog } from '../../../watchdog/index.js';

/** How a hosted replica is started. */
export interface HostedReplicaOptions {
  readonly instance: string;
  /** The watchdog environment (watchdogEnv); `port` is chosen here. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly spawner: Spawner;
  readonly logger: Logger;
  /** Receives each record the watchdog logs, as the JSON line a child watchdog would print. */
  readonly onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
  readonly onReadyChange: () => void;
  readonly restartBackoff: Backoff;
}

/** A watchdog running in this process. */
export class HostedReplica {
  private watchdog: Watchdog | undefined;
  private port = 0;
  private failures = 0;
  private restarts = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: HostedReplicaOptions) {}

  /** The base URL while the watchdog serves, else undefined. */
  get endpoint(): string | undefined {
    return this.port > 0 ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** How many times starting the watchdog was retried after a failure. */
  get restartCount(): number {
    return this.restarts;
  }

  /** Hosted: no process of its own. */
  get pid(): number | undefined {
    return undefined;
  }

  /** Starts the watchdog; a failure is retried with backoff. */
  start(): void {
    void this.launch();
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    const { options } = this;
    let watchdog: Watchdog;
    try {
      const logger = createJsonLogger({
        level: options.env['log_level'] ?? 'info',
        defaultMeta: { component: 'watchdog' },
        write: (line) => options.onOutput(line.trimEnd(), 'stdout'),
      });
      watchdog = createWatchdog(loadConfig({ ...options.env, port: '0' }), {
        logger,
        spawner: options.spawner,
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
    } catch (err) {
      // An invalid setting does not heal by retrying; say so, as a child watchdog would on stderr.
      options.onOutput(`kfaas watchdog: ${(err as Error).message}`, 'stderr');
      this.scheduleRestart();
      return;
    }
    this.watchdog = watchdog;
    try {
      const { port } = await watchdog.start();
      if (this.stopped) return;
      this.port = port;
      this.failures = 0;
      options.onReadyChange();
    } catch (err) {
      options.logger.warn('hosted watchdog failed to start; restarting', { instance: options.instance, err });
      await watchdog.close();
      this.watchdog = undefined;
      this.scheduleRestart();
    }
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    this.failures++;
    this.timer = setTimeout(() => {
      this.restarts++;
      void this.launch();
    }, backoffDelayMs(this.failures - 1, this.options.restartBackoff));
  }

  /** Stops serving and drains the watchdog (its in-flight calls, then their process groups). Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopped = true;
      clearTimeout(this.timer);
      const wasReady = this.port > 0;
      this.port = 0;
      if (wasReady) this.options.onReadyChange();
      await this.watchdog?.close();
    })();
    return this.stopPromise;
  }
}
