/**
 * Configuration of `kfaas up`, parsed once before anything starts. The gateway and worker configs come from
 * their own processes' loadConfig, so every variable is validated the same way as for `kfaas gateway` and
 * `kfaas worker`; the local platform then sets its own fields on the validated objects. main.ts passes
 * process.env; nothing else in `kfaas up` reads it.
 *
 * | Env | Default | Meaning |
 * |---|---|---|
 * | `KFAAS_UP_READY_TIMEOUT` | 15s | How long `kfaas up` waits for the stack's functions before reporting those not ready |
 *
 * `KFAAS_GATEWAY_PROCESSES` (the gateway's setting) above 1 adds that many gateway worker processes sharing the
 * port; the `kfaas up` process itself then listens on a free loopback port for what they hand on.
 */
import { fileURLToPath } from 'node:url';
import { pickEnv, validators, type Env } from '../../common/env.js';
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/index.js';
import { loadConfig as loadWorkerConfig, type WorkerConfig } from '../../worker/index.js';
import { credentialsDir } from './credentials.js';
import { parseUpOptions, type UpOptions } from './options.js';

/** Namespace of functions on a local platform: OpenFaaS's default, which faas-cli names on every call. */
export const LOCAL_NAMESPACE = 'openfaas-fn';

/** The validated, frozen configuration of `kfaas up`. */
export interface UpConfig {
  readonly options: UpOptions;
  readonly logLevel: string;
  /** What serves the port: the `kfaas up` process alone, or each gateway worker process. */
  readonly gateway: GatewayConfig;
  /** Gateway worker processes sharing the port (`KFAAS_GATEWAY_PROCESSES`); 1 = none, `kfaas up` serves it. */
  readonly processes: number;
  /** The `kfaas up` process's own gateway: `gateway`, or with workers, on a free loopback port. */
  readonly ownerGateway: GatewayConfig;
  /** Settings of every worker of the pool; each gets its queue and the gateway's URL on top. */
  readonly worker: WorkerConfig;
  /** How long the start waits for the stack's functions to have a ready replica. */
  readonly functionsReadyTimeoutMs: number;
  /** The local autoscaler (functions with scale settings): `KFAAS_AUTOSCALE_INTERVAL`, `KFAAS_AUTOSCALE_STABILISATION`. */
  readonly autoscale: { readonly intervalMs: number; readonly stabilisationMs: number };
}

const check = validators('kfaas up');

/** Parses the command-line options and the environment; throws naming the flag or variable at fault. */
export function loadUpConfig(raw: Readonly<Record<string, string | undefined>>, env: Env): UpConfig {
  const options = parseUpOptions(raw);
  // The local platform has one namespace. A `function_namespace` or KFAAS_ALLOWED_NAMESPACES left in the shell
  // (say, for a remote gateway) must neither fail the config nor point the gateway away from the functions.
  const { function_namespace: _a, KFAAS_FUNCTION_NAMESPACE: _b, KFAAS_ALLOWED_NAMESPACES: _c, KFAAS_PROVIDER: _d, ...gatewayEnv } = env;
  // Read as for the kubernetes provider: the local one refuses several processes in `kfaas gateway`, where
  // nothing would own the functions; here the `kfaas up` process does.
  const gateway = loadGatewayConfig(gatewayEnv);
  const worker = loadWorkerConfig(env);
  const functionsReadyTimeoutMs = check.duration('KFAAS_UP_READY_TIMEOUT', pickEnv(env, 'KFAAS_UP_READY_TIMEOUT') ?? '15s');
  const served: GatewayConfig = Object.freeze({
    ...gateway,
    provider: 'local',
    port: options.port,
    bindAddress: '127.0.0.1',
    functionNamespace: LOCAL_NAMESPACE,
    allowedNamespaces: Object.freeze([LOCAL_NAMESPACE]),
    auth: Object.freeze({ ...gateway.auth, secretMountPath: credentialsDir(options.dataDir) }),
    stateDir: `${options.dataDir}/state`,
    cliEntryPath: fileURLToPath(new URL('../kfaas.cjs', import.meta.url)),
    // A developer's Ctrl-C should not wait for load balancers that do not exist.
    drainDelayMs: pickEnv(env, 'KFAAS_DRAIN_DELAY') === undefined ? 0 : gateway.drainDelayMs,
    // Many functions on a laptop: fork-mode watchdogs share this process rather than cost ~50 MiB each.
    hostWatchdogs: pickEnv(env, 'KFAAS_HOST_WATCHDOGS') === undefined ? true : gateway.hostWatchdogs,
    processes: 1,
  } satisfies GatewayConfig);
  const workers = gateway.processes > 1;
  return Object.freeze({
    options,
    logLevel: gateway.logLevel,
    gateway: served,
    processes: gateway.processes,
    // The workers serve the port and the metrics port; the owner only answers them, on loopback.
    ownerGateway: workers ? Object.freeze({ ...served, port: 0, metricsPort: undefined }) : served,
    // The workers read function capacity from the gateway's /system routes with the gateway's own credentials.
    worker: Object.freeze({ ...worker, maxInflight: options.maxInflight, gatewayAuth: Object.freeze({ ...gateway.auth, secretMountPath: credentialsDir(options.dataDir) }) }),
    functionsReadyTimeoutMs,
    autoscale: Object.freeze({
      intervalMs: check.positiveDuration('KFAAS_AUTOSCALE_INTERVAL', pickEnv(env, 'KFAAS_AUTOSCALE_INTERVAL') ?? '1s'),
      stabilisationMs: check.duration('KFAAS_AUTOSCALE_STABILISATION', pickEnv(env, 'KFAAS_AUTOSCALE_STABILISATION') ?? '60s'),
    }),
  });
}
