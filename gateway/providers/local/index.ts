/**
 * The local provider: every function runs as `kfaas watchdog` child processes on free loopback ports, for
 * `kfaas up` and for development. Functions come from a list of specs (the stack file) and from
 * /system/functions; with a state dir, what /system deploys survives a restart.
 */
import type { Backoff } from '../../../common/backoff.js';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KfaasError } from '../../../common/errors.js';
import type { FunctionDeployment, FunctionSpec } from '../../../common/function-types.js';
import type { Logger } from '../../../common/logger.js';
import { functionNameProblem } from '../../../common/names.js';
import type { FunctionManager, LogSource, Provider, ResolvedFunction } from '../../ports.js';
import { deploymentToSpec } from '../function-spec.js';
import { FileSecretStore } from './file-secrets.js';
import { LocalFunction, type LocalRuntime } from './local-function.js';
import { readRing } from './log-ring.js';
import { createSpawnPool, type Spawner } from '../../../watchdog/index.js';

/** Options of createLocalProvider. */
export interface LocalProviderOptions {
  /** Path of the kfaas CLI entry whose `watchdog` subcommand runs each replica (dist/cli/kfaas.cjs). */
  readonly cliEntryPath: string;
  /** Functions to run from the start (a stack file), in `namespace`. */
  readonly functions?: readonly FunctionSpec[];
  /** Namespace of `functions` and the default one (config.functionNamespace). */
  readonly namespace: string;
  /** Namespaces /system may deploy into; defaults to [namespace]. */
  readonly namespaces?: readonly string[];
  readonly logger: Logger;
  /** Environment every child starts from (PATH, HOME, ...); nothing else of the gateway's leaks in. */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** Runs the CLI; default process.execPath. */
  readonly execPath?: string;
  /** Restart backoff after a crash; default 200 ms doubling to 10 s. */
  readonly restartBackoff?: Backoff;
  /** Health-check period once healthy; default 1 s. */
  readonly healthIntervalMs?: number;
  /** SIGTERM-to-SIGKILL grace when stopping a replica; default 5 s. */
  readonly stopTimeoutMs?: number;
  /** Lines kept per function for /system/logs; default 1000. */
  readonly logLines?: number;
  /** Also receives every output line (e.g. to print it in `kfaas up`). */
  readonly onLog?: (fn: string, namespace: string, instance: string, text: string) => void;
  /** When set, functions deployed through /system are saved in `<stateDir>/functions.json` and restored. */
  readonly stateDir?: string;
  /** Directory function processes run in (a stack file's directory); default: the gateway's own. */
  readonly workingDir?: string;
  /**
   * Directory of secrets, one file each, managed through /system/secrets and passed to functions as
   * $KFAAS_SECRETS_DIR; without it /system/secrets answers 501 and functions naming secrets are refused.
   */
  readonly secretsDir?: string;
  /**
   * Host fork-mode functions' watchdogs in this process (one spawn thread shared by all) instead of a
   * `kfaas watchdog` child each: about 50 MiB less per function. Default false.
   */
  readonly hostForkWatchdogs?: boolean;
  /**
   * Called after anything resolve() answers may have changed: a function added, replaced or removed, a replica
   * turned ready or not. `kfaas up` pushes the endpoints to its gateway worker processes from here.
   */
  readonly onChange?: () => void;
}

/** The local provider, with access to its running functions for tests and `kfaas up`. */
export interface LocalProvider extends Provider {
  /** The running function, if any. */
  running(name: string, namespace?: string): LocalFunction | undefined;
}

interface SavedFunction {
  readonly namespace: string;
  readonly spec: FunctionSpec;
}

const STATE_FILE = 'functions.json';

/** Creates the local provider; replicas start on the first ready() call (the gateway makes it at start). */
export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  const log = options.logger.child({ component: 'local-provider' });
  const namespaces = options.namespaces ?? [options.namespace];
  // Created with the first hosted watchdog, closed with the provider.
  let spawner: Spawner | undefined;
  const runtime: LocalRuntime = {
    execPath: options.execPath ?? process.execPath,
    cliEntryPath: options.cliEntryPath,
    baseEnv: options.baseEnv ?? {},
    logger: log,
    restartBackoff: options.restartBackoff ?? { minMs: 200, maxMs: 10_000 },
    healthIntervalMs: options.healthIntervalMs ?? 1000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5000,
    logLines: options.logLines ?? 1000,
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.workingDir ? { workingDir: options.workingDir } : {}),
    ...(options.secretsDir ? { secretsDir: options.secretsDir } : {}),
    ...(options.hostForkWatchdogs ? { hostedSpawner: () => (spawner ??= createSpawnPool(1)) } : {}),
    ...(options.onChange ? { onChange: options.onChange } : {}),
  };
  const secrets = options.secretsDir ? new FileSecretStore(options.secretsDir) : undefined;
  /** Refuses a spec naming secrets that do not exist, as OpenFaaS refuses the deploy. */
  const checkSecrets = async (spec: FunctionSpec): Promise<void> => {
    const wanted = spec.secrets ?? [];
    if (wanted.length === 0) return;
    if (!secrets) throw new KfaasError('INVALID_FIELD', `secrets: this gateway has no secrets directory, so ${spec.name} cannot use ${wanted.join(', ')}`);
    const missing = await secrets.missing(wanted);
    if (missing.length > 0) throw new KfaasError('INVALID_FIELD', `secrets: ${missing.join(', ')} not found; create them with /system/secrets first`);
  };
  const functions = new Map<string, LocalFunction>();
  /** Functions from the stack file: it stays their source of truth, so they are never saved as state. */
  const fromStack = new Set<LocalFunction>();
  const key = (name: string, namespace: string): string => `${namespace}/${name}`;
  let started = false;
  let closed = false;

  const add = (namespace: string, spec: FunctionSpec): LocalFunction => {
    const fn = new LocalFunction(namespace, spec, runtime);
    functions.set(key(spec.name, namespace), fn);
    if (started) fn.start();
    options.onChange?.();
    return fn;
  };

  // Stack-file functions first; saved /system deployments fill in (the stack file wins on a name clash).
  for (const spec of options.functions ?? []) {
    checkRunnable(spec);
    fromStack.add(add(options.namespace, spec));
  }
  for (const saved of loadState(options.stateDir, log)) {
    if (!functions.has(key(saved.spec.name, saved.namespace)) && namespaces.includes(saved.namespace)) add(saved.namespace, saved.spec);
  }

  const save = (): void => {
    if (!options.stateDir) return;
    const saved: SavedFunction[] = [...functions.values()].filter((f) => !fromStack.has(f)).map((f) => ({ namespace: f.namespace, spec: f.spec }));
    mkdirSync(options.stateDir, { recursive: true });
    const file = join(options.stateDir, STATE_FILE);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(saved, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  };

  const existing = (name: string, namespace: string): LocalFunction => {
    const fn = functions.get(key(name, namespace));
    if (!fn) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
    return fn;
  };

  const manager: FunctionManager = {
    list: async (namespace) =>
      [...functions.values()]
        .filter((f) => f.namespace === namespace)
        .map((f) => f.status())
        .sort((a, b) => a.name.localeCompare(b.name)),
    get: async (name, namespace) => functions.get(key(name, namespace))?.status(),
    deploy: async (d: FunctionDeployment, namespace) => {
      if (closed) throw new KfaasError('UNAVAILABLE', 'the local provider is shutting down');
      if (functions.has(key(d.service, namespace))) throw new KfaasError('CONFLICT', `function ${d.service}.${namespace} already exists`);
      const spec = deploymentToSpec(d);
      checkRunnable(spec);
      await checkSecrets(spec);
      add(namespace, spec);
      save();
    },
    update: async (d: FunctionDeployment, namespace) => {
      const fn = existing(d.service, namespace);
      const spec = deploymentToSpec(d, fn.spec);
      checkRunnable(spec);
      await checkSecrets(spec);
      await fn.replace(spec, runtime.stopTimeoutMs * 2);
      save();
    },
    remove: async (name, namespace) => {
      const fn = existing(name, namespace);
      functions.delete(key(name, namespace));
      fromStack.delete(fn);
      options.onChange?.();
      save();
      await fn.stop();
    },
    scale: async (name, namespace, replicas) => {
      await existing(name, namespace).scale(replicas);
      save();
    },
  };

  const logs: LogSource = {
    read(query) {
      const fn = existing(query.name, query.namespace);
      return readRing(fn.logs, query);
    },
  };

  let closePromise: Promise<void> | undefined;
  return {
    info: { provider: 'kfaas-local', orchestration: 'local' },
    resolver: {
      resolve: async (name, namespace): Promise<ResolvedFunction | undefined> => {
        const fn = functions.get(key(name, namespace));
        if (!fn) return undefined;
        return { name, namespace, endpoints: fn.endpoints, policy: fn.policy, ...(fn.spec.queue ? { queue: fn.spec.queue } : {}) };
      },
    },
    functions: manager,
    namespaces: { namespaces: async () => [...namespaces] },
    logs,
    ...(secrets ? { secrets } : {}),
    running: (name, namespace = options.namespace) => functions.get(key(name, namespace)),
    async ready() {
      if (!started && !closed) {
        started = true;
        for (const fn of functions.values()) fn.start();
        log.info('local functions starting', { count: functions.size });
      }
    },
    close() {
      closePromise ??= (async () => {
        closed = true;
        await Promise.all([...functions.values()].map((f) => f.stop()));
        await spawner?.close();
        log.info('local functions stopped');
      })();
      return closePromise;
    },
  };
}

/** A local function needs a command for its watchdog; an image alone cannot run here. */
function checkRunnable(spec: FunctionSpec): void {
  const problem = functionNameProblem(spec.name);
  if (problem) throw new KfaasError('INVALID_NAME', `function name ${JSON.stringify(spec.name)}: ${problem}`);
  if (!spec.handler || spec.handler.trim() === '') {
    throw new KfaasError('INVALID_FIELD', `envProcess: function ${spec.name} needs a command (envProcess / handler) to run locally`);
  }
}

function loadState(stateDir: string | undefined, log: Logger): SavedFunction[] {
  if (!stateDir) return [];
  const file = join(stateDir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as SavedFunction[];
    if (!Array.isArray(parsed)) throw new Error('not an array');
    return parsed.filter((s) => {
      if (typeof s?.namespace !== 'string' || typeof s?.spec?.name !== 'string') return false;
      try {
        checkRunnable(s.spec);
        return true;
      } catch (err) {
        log.warn(`skipping saved function ${s.spec.name}: ${(err as Error).message}`);
        return false;
      }
    });
  } catch (err) {
    // A corrupt file must not stop the gateway; say so loudly and start without it.
    log.error(`ignoring unreadable local state ${file}`, { err });
    return [];
  }
}
