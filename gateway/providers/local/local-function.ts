/** One function run locally: its spec, its replicas (watchdog children) and its log ring. */
import type { Backoff } from '../../../common/backoff.js';
import { DEFAULT_POLICY, policyFromSpec, type DeliveryPolicy } from '../../../common/delivery-policy.js';
import { effectivePlatformSettings } from '../../../common/function-settings.js';
import { initialReplicas } from '../../../common/scale-labels.js';
import type { FunctionSpec, FunctionStatus } from '../../../common/function-types.js';
import type { Logger } from '../../../common/logger.js';
import { specToStatus } from '../function-spec.js';
import { LogRing } from './log-ring.js';
import type { Spawner } from '../../../watchdog/index.js';
import { HostedReplica } from './hosted-replica.js';
import { ReplicaProcess } from './replica-process.js';
import { parseWatchdogLine } from './watchdog-line.js';

/** Settings shared by every local function. */
export interface LocalRuntime {
  /** The executable that runs the CLI (process.execPath). */
  readonly execPath: string;
  /** Path of the kfaas CLI entry (dist/cli/kfaas.cjs, the `kfaas` executable). */
  readonly cliEntryPath: string;
  /** Environment every child starts from (PATH, HOME, ...); the spec's environment is laid over it. */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly restartBackoff: Backoff;
  readonly healthIntervalMs: number;
  readonly stopTimeoutMs: number;
  readonly logLines: number;
  readonly onLog?: (fn: string, namespace: string, instance: string, text: string) => void;
  /** Working directory of the children. */
  readonly workingDir?: string;
  /** Passed to functions as $KFAAS_SECRETS_DIR. */
  readonly secretsDir?: string;
  /** When set, fork-mode replicas are watchdogs hosted in this process, spawning through it (HostedReplica). */
  readonly hostedSpawner?: () => Spawner;
  /** Called after a function's endpoints or spec may have changed (a replica turned ready or not, a scale). */
  readonly onChange?: () => void;
}

/** What LocalFunction needs of a replica, a child process or a hosted watchdog. */
type Replica = Pick<ReplicaProcess, 'endpoint' | 'restartCount' | 'pid' | 'start' | 'stop'>;

/**
 * The watchdog environment for a spec: the base environment, the function's own variables, then the settings
 * the platform owns (command, mode, loopback bind, timeouts), which the spec's variables cannot override.
 */
export function watchdogEnv(spec: FunctionSpec, baseEnv: Readonly<Record<string, string>>, secretsDir?: string): Record<string, string> {
  // The settings the operator, the gateway's deadline and the async policy use too (`exec_timeout` in
  // `environment` included), so a local function times out where its Kubernetes twin does.
  const { handler, mode, timeouts } = effectivePlatformSettings(spec);
  return {
    ...baseEnv,
    ...(spec.environment ?? {}),
    ...(secretsDir ? { KFAAS_SECRETS_DIR: secretsDir } : {}),
    fprocess: handler ?? '',
    mode: mode ?? 'fork',
    bind_address: '127.0.0.1',
    // Replicas run in their own process groups; this makes them exit even if the gateway is SIGKILLed.
    KFAAS_EXIT_WITH_PARENT: 'true',
    read_timeout: timeouts.read,
    write_timeout: timeouts.write,
    exec_timeout: timeouts.exec,
    // The gateway stops routing to a replica before stopping it, so the watchdog need not linger after SIGTERM.
    healthcheck_interval: spec.environment?.['healthcheck_interval'] ?? '0s',
  };
}

/** A locally running function. */
export class LocalFunction {
  readonly logs: LogRing;
  readonly createdAt = new Date();
  private replicas: Replica[] = [];
  /** Replicas of the previous spec, still serving until the new ones are healthy. */
  private retiring: Replica[] = [];
  private readonly readyWaiters = new Set<() => void>();
  private nextInstance = 0;
  private policyCache: DeliveryPolicy | undefined;
  private endpointCache: readonly string[] | undefined;

  constructor(
    readonly namespace: string,
    private currentSpec: FunctionSpec,
    private readonly runtime: LocalRuntime,
  ) {
    this.logs = new LogRing(runtime.logLines);
  }

  get spec(): FunctionSpec {
    return this.currentSpec;
  }

  /** Desired replica count: as scaled, else `com.openfaas.scale.min`, else 1 (as the operator starts it). */
  get desiredReplicas(): number {
    return initialReplicas(this.currentSpec);
  }

  /** The delivery policy from the spec (defaults if the spec's values are invalid). */
  get policy(): DeliveryPolicy {
    if (!this.policyCache) {
      try {
        this.policyCache = policyFromSpec(this.currentSpec);
      } catch (err) {
        this.runtime.logger.warn('invalid delivery policy in spec; using defaults', { fn: this.currentSpec.name, err });
        this.policyCache = DEFAULT_POLICY;
      }
    }
    return this.policyCache;
  }

  /** Base URLs of the healthy replicas (cached until readiness changes). */
  get endpoints(): readonly string[] {
    this.endpointCache ??= Object.freeze(
      [...this.replicas, ...this.retiring].map((r) => r.endpoint).filter((e): e is string => e !== undefined),
    );
    return this.endpointCache;
  }

  /** The replicas (for tests and diagnostics). */
  get processes(): readonly Replica[] {
    return this.replicas;
  }

  /** Starts replicas up to the desired count. */
  start(): void {
    void this.reconcile();
  }

  /** Sets the replica count and starts or stops replicas to match. */
  async scale(replicas: number): Promise<void> {
    this.currentSpec = { ...this.currentSpec, replicas };
    await this.reconcile();
  }

  /**
   * Replaces the spec: replicas with the new spec start, the old ones keep serving until one new replica is
   * healthy (or `handoverMs` passed), then stop.
   */
  async replace(spec: FunctionSpec, handoverMs: number): Promise<void> {
    this.retiring.push(...this.replicas);
    this.currentSpec = spec;
    this.policyCache = undefined;
    this.replicas = [];
    await this.reconcile();
    await this.untilReady(handoverMs);
    const old = this.retiring;
    this.retiring = [];
    this.invalidate();
    await Promise.all(old.map((r) => r.stop()));
  }

  private untilReady(timeoutMs: number): Promise<void> {
    const ready = (): boolean => this.desiredReplicas === 0 || this.replicas.some((r) => r.endpoint !== undefined);
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (ready()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.readyWaiters.add(check);
    });
  }

  /** Stops every replica. */
  async stop(): Promise<void> {
    const all = [...this.replicas, ...this.retiring];
    this.replicas = [];
    this.retiring = [];
    this.invalidate();
    await Promise.all(all.map((r) => r.stop()));
  }

  /** The function's OpenFaaS status. */
  status(): FunctionStatus {
    return specToStatus(this.currentSpec, {
      namespace: this.namespace,
      replicas: this.desiredReplicas,
      availableReplicas: this.endpoints.length,
      createdAt: this.createdAt,
    });
  }

  private async reconcile(): Promise<void> {
    while (this.replicas.length < this.desiredReplicas) this.replicas.push(this.newReplica());
    const extra = this.replicas.splice(this.desiredReplicas);
    this.invalidate();
    await Promise.all(extra.map((r) => r.stop()));
  }

  private newReplica(): Replica {
    const { runtime } = this;
    const name = this.currentSpec.name;
    const instance = `${name}-${this.nextInstance++}`;
    const env = watchdogEnv(this.currentSpec, runtime.baseEnv, runtime.secretsDir);
    const common = {
      instance,
      env,
      ...(runtime.workingDir ? { cwd: runtime.workingDir } : {}),
      logger: runtime.logger,
      restartBackoff: runtime.restartBackoff,
      onReadyChange: () => this.invalidate(),
      onOutput: (raw: string) => {
        const { text, timestamp } = parseWatchdogLine(raw);
        this.logs.push({ name, namespace: this.namespace, instance, timestamp: timestamp ?? new Date().toISOString(), text });
        runtime.onLog?.(name, this.namespace, instance, text);
      },
    };
    // http mode keeps its child: the watchdog there supervises the function's own server process.
    const replica: Replica =
      runtime.hostedSpawner && env['mode'] !== 'http'
        ? new HostedReplica({ ...common, spawner: runtime.hostedSpawner() })
        : new ReplicaProcess({
            ...common,
            command: runtime.execPath,
            args: [runtime.cliEntryPath, 'watchdog'],
            healthIntervalMs: runtime.healthIntervalMs,
            stopTimeoutMs: runtime.stopTimeoutMs,
          });
    replica.start();
    return replica;
  }

  private invalidate(): void {
    this.endpointCache = undefined;
    for (const check of [...this.readyWaiters]) check();
    this.runtime.onChange?.();
  }
}
