/**
 * Operator configuration, parsed once from an injectable environment, validated and frozen.
 *
 * | Env | Default | Meaning |
 * |---|---|---|
 * | `KFAAS_WATCH_NAMESPACES` | (empty: all) | Comma list of namespaces whose Functions are reconciled |
 * | `KFAAS_WORKERS` | 16 | Reconciles running in parallel (never two for one Function); each mostly waits on the API |
 * | `KFAAS_RESYNC_PERIOD` | 10m | Every Function is reconciled again this often, changed or not |
 * | `KFAAS_RECONCILE_TIMEOUT` | 30s | One reconcile is aborted after this long and retried |
 * | `KFAAS_KUBE_REQUEST_TIMEOUT` | 10s | Timeout of one Kubernetes API request |
 * | `KFAAS_KUBE_MAX_SOCKETS` | 32 | Keep-alive sockets to the apiserver |
 * | `KFAAS_SECRET_RECHECK_PERIOD` | 10s | While a listed secret is missing, how often to look again |
 * | `KFAAS_REQUEUE_BASE_DELAY` / `KFAAS_REQUEUE_MAX_DELAY` | 100ms / 2m | Backoff of a failed reconcile |
 * | `KFAAS_INFORMER_RESTART_BASE_DELAY` / `..._MAX_DELAY` | 500ms / 30s | Backoff of a failed watch's restart |
 * | `KFAAS_LEADER_ELECT` | true | Campaign on a Lease so only one replica reconciles |
 * | `KFAAS_LEASE_NAME` | kfaas-operator | Lease name |
 * | `KFAAS_LEASE_NAMESPACE` (or `POD_NAMESPACE`) | default | Lease namespace |
 * | `KFAAS_LEASE_DURATION` / `KFAAS_LEASE_RENEW_DEADLINE` / `KFAAS_LEASE_RETRY_PERIOD` | 15s / 10s / 2s | client-go's defaults |
 * | `KFAAS_OPERATOR_IDENTITY` (or `POD_NAME`) | hostname + random suffix | Holder identity in the Lease |
 * | `KFAAS_HEALTH_PORT` | 8081 | Port of /healthz, /readyz and /metrics (0 = any free port) |
 * | `KFAAS_HEALTH_BIND` | 127.0.0.1 | Its address; a Pod needs 0.0.0.0 for kubelet probes |
 * | `KFAAS_LOG_LEVEL` | info | winston level |
 * | `KFAAS_GATEWAY_SERVICE` | (empty: no autoscaling) | The gateway Service whose EndpointSlices list the replicas to read load signals from |
 * | `KFAAS_GATEWAY_SERVICE_NAMESPACE` | the lease namespace | Its namespace |
 * | `KFAAS_GATEWAY_PORT_NAME` | http | The EndpointSlice port to read the signals on |
 * | `KFAAS_GATEWAY_AUTH_DIR` | (empty: no auth) | Folder with `basic-auth-user` and `basic-auth-password` for the gateway's /system |
 * | `KFAAS_AUTOSCALE_INTERVAL` | 1s | How often the leader reads the signals and decides replicas |
 * | `KFAAS_AUTOSCALE_STABILISATION` | 60s | Scale-down waits this long; the highest recommendation in it wins |
 * | `KFAAS_HPA_RECHECK_PERIOD` | 10s | How often the HorizontalPodAutoscalers are listed (autoscaling never fights one) |
 */
import { isIP } from 'node:net';
import type { Backoff } from '../common/backoff.js';
import { deepFreeze, pickEnv, validators, type Env, type Validators } from '../common/env.js';
import { dns1123Problem } from '../common/names.js';

/** The validated, frozen operator configuration. */
export interface OperatorConfig {
  /** Empty means every namespace. */
  readonly watchNamespaces: readonly string[];
  readonly workers: number;
  readonly resyncPeriodMs: number;
  readonly reconcileTimeoutMs: number;
  readonly kubeRequestTimeoutMs: number;
  readonly kubeMaxSockets: number;
  readonly secretRecheckMs: number;
  readonly requeueBackoff: Backoff;
  readonly informerBackoff: Backoff;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly leaseName: string;
    readonly leaseNamespace: string;
    readonly leaseDurationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  /** Undefined: main.ts generates `<hostname>_<uuid>`. */
  readonly identity: string | undefined;
  readonly healthPort: number;
  readonly healthBind: string;
  readonly logLevel: string;
  /** Undefined when no gateway Service is configured: the operator does not autoscale. */
  readonly autoscaler: AutoscalerConfig | undefined;
}

/** The leader's autoscaler: where the gateways are and how often to decide. */
export interface AutoscalerConfig {
  readonly gatewayService: string;
  readonly gatewayNamespace: string;
  readonly gatewayPortName: string;
  /** Undefined: the gateway's /system is called without credentials. */
  readonly gatewayAuthDir: string | undefined;
  readonly intervalMs: number;
  readonly stabilisationMs: number;
  readonly hpaRecheckMs: number;
}

const check: Validators = validators('operator');
// An annotated alias: TypeScript narrows after a never-returning call only when the callee's type is explicit.
const fail: Validators['fail'] = check.fail;
const { integer, bool } = check;

/** A duration of at least `minMs`. */
function duration(key: string, value: string, minMs = 0): number {
  const ms = check.duration(key, value);
  if (ms < minMs) fail(key, value, `must be at least ${minMs}ms`);
  return ms;
}

function namespaceName(key: string, value: string): string {
  const problem = dns1123Problem(value);
  if (problem) fail(key, value, `namespace ${problem}`);
  return value;
}

/** Parses and validates the operator configuration; throws naming the offending key and value. */
export function loadConfig(env: Env): OperatorConfig {
  const get = (key: string, fallback: string, ...aliases: string[]) => pickEnv(env, key, ...aliases) ?? fallback;
  const watchNamespaces = get('KFAAS_WATCH_NAMESPACES', '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((ns) => namespaceName('KFAAS_WATCH_NAMESPACES', ns));
  const leaseDurationMs = duration('KFAAS_LEASE_DURATION', get('KFAAS_LEASE_DURATION', '15s'), 1000);
  const renewDeadlineMs = duration('KFAAS_LEASE_RENEW_DEADLINE', get('KFAAS_LEASE_RENEW_DEADLINE', '10s'), 1);
  const retryPeriodMs = duration('KFAAS_LEASE_RETRY_PERIOD', get('KFAAS_LEASE_RETRY_PERIOD', '2s'), 1);
  if (renewDeadlineMs >= leaseDurationMs) {
    fail('KFAAS_LEASE_RENEW_DEADLINE', get('KFAAS_LEASE_RENEW_DEADLINE', '10s'), 'must be shorter than KFAAS_LEASE_DURATION, or two leaders could overlap');
  }
  if (retryPeriodMs >= renewDeadlineMs) {
    fail('KFAAS_LEASE_RETRY_PERIOD', get('KFAAS_LEASE_RETRY_PERIOD', '2s'), 'must be shorter than KFAAS_LEASE_RENEW_DEADLINE');
  }
  const leaseName = get('KFAAS_LEASE_NAME', 'kfaas-operator');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(leaseName) || leaseName.length > 253) {
    fail('KFAAS_LEASE_NAME', leaseName, 'must be a DNS-1123 subdomain');
  }
  const requeueBase = duration('KFAAS_REQUEUE_BASE_DELAY', get('KFAAS_REQUEUE_BASE_DELAY', '100ms'), 1);
  const requeueMax = duration('KFAAS_REQUEUE_MAX_DELAY', get('KFAAS_REQUEUE_MAX_DELAY', '2m'), 1);
  if (requeueMax < requeueBase) fail('KFAAS_REQUEUE_MAX_DELAY', get('KFAAS_REQUEUE_MAX_DELAY', '2m'), 'must not be below KFAAS_REQUEUE_BASE_DELAY');
  const informerBase = duration('KFAAS_INFORMER_RESTART_BASE_DELAY', get('KFAAS_INFORMER_RESTART_BASE_DELAY', '500ms'), 1);
  const informerMax = duration('KFAAS_INFORMER_RESTART_MAX_DELAY', get('KFAAS_INFORMER_RESTART_MAX_DELAY', '30s'), 1);
  if (informerMax < informerBase) {
    fail('KFAAS_INFORMER_RESTART_MAX_DELAY', get('KFAAS_INFORMER_RESTART_MAX_DELAY', '30s'), 'must not be below KFAAS_INFORMER_RESTART_BASE_DELAY');
  }
  const healthBind = get('KFAAS_HEALTH_BIND', '127.0.0.1');
  if (isIP(healthBind) === 0) fail('KFAAS_HEALTH_BIND', healthBind, 'must be an IP address');
  const logLevel = get('KFAAS_LOG_LEVEL', 'info');
  check.logLevel('KFAAS_LOG_LEVEL', logLevel);

  const leaseNamespace = namespaceName('KFAAS_LEASE_NAMESPACE', get('KFAAS_LEASE_NAMESPACE', 'default', 'POD_NAMESPACE'));
  const gatewayService = get('KFAAS_GATEWAY_SERVICE', '').trim();
  if (gatewayService !== '' && dns1123Problem(gatewayService)) fail('KFAAS_GATEWAY_SERVICE', gatewayService, `service name ${dns1123Problem(gatewayService)}`);
  const autoscaler: AutoscalerConfig | undefined =
    gatewayService === ''
      ? undefined
      : {
          gatewayService,
          gatewayNamespace: namespaceName('KFAAS_GATEWAY_SERVICE_NAMESPACE', get('KFAAS_GATEWAY_SERVICE_NAMESPACE', leaseNamespace)),
          gatewayPortName: get('KFAAS_GATEWAY_PORT_NAME', 'http'),
          gatewayAuthDir: pickEnv(env, 'KFAAS_GATEWAY_AUTH_DIR') || undefined,
          intervalMs: duration('KFAAS_AUTOSCALE_INTERVAL', get('KFAAS_AUTOSCALE_INTERVAL', '1s'), 100),
          stabilisationMs: duration('KFAAS_AUTOSCALE_STABILISATION', get('KFAAS_AUTOSCALE_STABILISATION', '60s'), 0),
          hpaRecheckMs: duration('KFAAS_HPA_RECHECK_PERIOD', get('KFAAS_HPA_RECHECK_PERIOD', '10s'), 1000),
        };

  return deepFreeze({
    // 16 workers: a reconcile mostly waits on the apiserver; bench/operator.ts measured 1,000 new Functions
    // fully deployed in ~35 s with 4 workers and ~17 s with 16 on the 2-core test control plane.
    watchNamespaces: [...new Set(watchNamespaces)],
    workers: integer('KFAAS_WORKERS', get('KFAAS_WORKERS', '16'), 1, 256),
    resyncPeriodMs: duration('KFAAS_RESYNC_PERIOD', get('KFAAS_RESYNC_PERIOD', '10m'), 1000),
    reconcileTimeoutMs: duration('KFAAS_RECONCILE_TIMEOUT', get('KFAAS_RECONCILE_TIMEOUT', '30s'), 1),
    kubeRequestTimeoutMs: duration('KFAAS_KUBE_REQUEST_TIMEOUT', get('KFAAS_KUBE_REQUEST_TIMEOUT', '10s'), 1),
    kubeMaxSockets: integer('KFAAS_KUBE_MAX_SOCKETS', get('KFAAS_KUBE_MAX_SOCKETS', '32'), 1, 1024),
    secretRecheckMs: duration('KFAAS_SECRET_RECHECK_PERIOD', get('KFAAS_SECRET_RECHECK_PERIOD', '10s'), 1),
    requeueBackoff: { minMs: requeueBase, maxMs: requeueMax },
    informerBackoff: { minMs: informerBase, maxMs: informerMax },
    leaderElection: {
      enabled: bool('KFAAS_LEADER_ELECT', get('KFAAS_LEADER_ELECT', 'true')),
      leaseName,
      leaseNamespace,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    identity: pickEnv(env, 'KFAAS_OPERATOR_IDENTITY', 'POD_NAME'),
    healthPort: integer('KFAAS_HEALTH_PORT', get('KFAAS_HEALTH_PORT', '8081'), 0, 65535),
    healthBind,
    logLevel,
    autoscaler,
  });
}
