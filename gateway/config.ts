/**
 * Gateway configuration, parsed once from an injectable environment, validated and frozen.
 *
 * | Env | Default | Meaning |
 * |---|---|---|
 * | `KFAAS_GATEWAY_PORT` (or `port`) | 8080 | Listen port (0 = any free port) |
 * | `KFAAS_GATEWAY_BIND` | 127.0.0.1 | Listen address; set 0.0.0.0 in a container |
 * | `KFAAS_PROVIDER` | kubernetes | `kubernetes` or `local` |
 * | `function_namespace` (or `KFAAS_FUNCTION_NAMESPACE`) | openfaas-fn | Namespace used when a request names none |
 * | `KFAAS_ALLOWED_NAMESPACES` | the function namespace | Comma list of namespaces functions may live in |
 * | `KFAAS_OPERATOR_AUTOSCALING` | false | Kubernetes: the operator autoscales functions with scale settings, so scale calls for them get 409 and a call at zero waits for the autoscaler to wake the function |
 * | `KFAAS_CLUSTER_WIDE` | false | Kubernetes, with cluster-wide RBAC: also serve namespaces labelled or annotated `openfaas: "1"`, and manage them through /system/namespace |
 * | `KFAAS_SYNC_BODY_LIMIT` | 64Mi | Largest sync request body (bytes, or `Ki`/`Mi`/`Gi`/`KB`/`MB`/`GB`); 0 = no limit |
 * | `KFAAS_ASYNC_BODY_LIMIT` | 1Mi | Largest async request body |
 * | `KFAAS_SYSTEM_BODY_LIMIT` | 1Mi | Largest /system JSON body |
 * | `upstream_timeout` (or `KFAAS_MAX_UPSTREAM_TIMEOUT`) | 5m | Cap on any function's gateway deadline |
 * | `KFAAS_SCALE_FROM_ZERO_TIMEOUT` | 30s | How long a call to a function with no ready endpoint waits for one (scaling it from zero first); 0 = 503 at once |
 * | `KFAAS_TIMEOUT_MARGIN` | 2s | Added to a function's exec timeout so the watchdog's own 504 arrives first |
 * | `read_timeout` | 5m | Server limit for receiving a whole request (Node `requestTimeout`) |
 * | `KFAAS_GATEWAY_PROCESSES` | 1 | Gateway processes sharing the port (`auto` = one per core); each runs the whole gateway, /metrics sums them (`kfaas up`: see cli/up/config.ts) |
 * | `max_idle_conns_per_host` | 1024 | Idle keep-alive connections kept per function endpoint; one over it is closed as its call ends |
 * | `KFAAS_UPSTREAM_IDLE_TIMEOUT` | 4s | An idle upstream connection is closed after this (0 = never), and 1 s before a function's announced `Keep-Alive: timeout` |
 * | `basic_auth` | true | Require basic auth on /system |
 * | `secret_mount_path` | /run/secrets/ | Directory holding `basic-auth-user` and `basic-auth-password` |
 * | `KFAAS_BASIC_AUTH_USER` / `KFAAS_BASIC_AUTH_PASSWORD` | — | Credentials from env (take precedence over files) |
 * | `KFAAS_INVOKE_AUTH` | false | Also require basic auth on /function and /async-function |
 * | `KFAAS_CALLBACK_ALLOWLIST` | (empty: any host but link-local and the Kubernetes API) | Comma list of hosts (`*.example.com`), IPs or CIDRs callbacks may target |
 * | `KUBERNETES_SERVICE_HOST` | set by Kubernetes | The API's address, refused as a callback target unless allowlisted |
 * | `KFAAS_METRICS_PORT` | unset | Also serve /metrics on this port (same bind address) |
 * | `KFAAS_DRAIN_DELAY` | 5s | After SIGTERM: time reported not-ready before the listener closes |
 * | `KFAAS_DRAIN_TIMEOUT` | 30s | Time in-flight calls get to finish before sockets are destroyed |
 * | `KFAAS_ENQUEUE_TIMEOUT` | 5s | Longest an async call waits for the queue's durable write before a 503 |
 * | `KFAAS_FUNCTION_CACHE_WAIT` | 10s | Kubernetes: how long a /system write waits for the gateway's cache to show it before answering |
 * | `KFAAS_CLI_ENTRY` | the running CLI | Path of the kfaas CLI the local provider spawns watchdogs from |
 * | `KFAAS_STATE_DIR` | unset | Local provider: where deployed functions are persisted |
 * | `PATH`, `HOME`, `LANG`, … | — | Local provider: passed on to function processes (nothing else is) |
 * | `KFAAS_LOG_LEVEL` | info | winston level |
 * | `KAFKA_BROKERS` | unset | Comma list of brokers; enables /async-function through Kafka |
 * | `KAFKA_CLIENT_ID`, `KAFKA_TLS*`, `KAFKA_SASL_*`, `KFAAS_TOPIC_PARTITIONS` | see queue/kafka/connection-settings.ts | Kafka client id, TLS, SASL, partitions of created topics |
 * | `KFAAS_INVOCATIONS_TOPIC` / `KFAAS_DEAD_LETTER_TOPIC` | kfaas.invocations / kfaas.dead-letter | Topic names |
 * | `KFAAS_DEAD_LETTER_READ_TIMEOUT` | 30s | Longest read of the dead-letter topic behind /system/dead-letters and redrive |
 * | `KFAAS_CALL_STATUS` | true | Track every async call's status (`GET /async-calls/{id}`) |
 * | `KFAAS_STATUS_TOPIC` | kfaas.call-status | Compacted topic of call status snapshots |
 * | `KFAAS_CANCEL_TOPIC` | kfaas.call-cancel | Compacted topic of cancelled calls, which workers check before running one |
 * | `KFAAS_STATUS_RETENTION` | 24h | How long a call's status stays readable (the topic's retention.ms) |
 * | `KFAAS_STATUS_DIR` | the OS temp dir | Where the gateway keeps its local copy of the status topic |
 * | `KFAAS_STATUS_VIEW_RETRY` | 5s | Pause before the gateway tries again to read the status topic when Kafka was not reachable |
 * | `KFAAS_STATUS_READ_PACE` | 100ms | Under load (status records above 64 KiB/s), the least time between two reads of the status topic; 0 reads at once |
 * | `KFAAS_STATUS_WAIT_MAX` | 60s | Cap (and default) of `?wait` on `/async-calls/{id}` |
 * | `KFAAS_MAX_DELAY` | 168h | Longest `X-Delay` / `X-Not-Before` of a delayed async call |
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_INVOCATIONS_TOPIC, DEFAULT_STATUS_TOPIC, DEFAULT_CANCEL_TOPIC } from '../common/topics.js';
import { parseKafkaSettings, type KafkaSettings } from '../queue/kafka/connection-settings.js';
import { deepFreeze, pickEnv, splitList, validators, type Env, type Validators } from '../common/env.js';
import { dns1123Problem } from '../common/names.js';
import { kubernetesApiAddresses } from '../common/callback-policy.js';

/** Which provider backs the gateway. */
export type ProviderKind = 'kubernetes' | 'local';

/** Basic-auth settings; credentials are read at startup by readBasicAuthCredentials. */
export interface AuthConfig {
  /** Require basic auth on /system routes. */
  readonly enabled: boolean;
  /** Also require it on invocation routes. */
  readonly invocations: boolean;
  /** Directory holding the `basic-auth-user` and `basic-auth-password` files. */
  readonly secretMountPath: string;
  readonly user?: string;
  readonly password?: string;
}

/** The validated, frozen gateway configuration. */
export interface GatewayConfig {
  readonly port: number;
  readonly bindAddress: string;
  readonly provider: ProviderKind;
  readonly functionNamespace: string;
  readonly allowedNamespaces: readonly string[];
  /** Kubernetes only: serve and manage the namespaces marked as function namespaces too (needs cluster-wide RBAC). */
  readonly clusterWide: boolean;
  /** The operator autoscales functions with scale settings; the gateway leaves their replicas alone. */
  readonly operatorAutoscaling: boolean;
  /** 0 means no limit. */
  readonly syncBodyLimitBytes: number;
  readonly asyncBodyLimitBytes: number;
  readonly systemBodyLimitBytes: number;
  readonly maxUpstreamTimeoutMs: number;
  readonly timeoutMarginMs: number;
  /** Longest wait of a call for a first ready endpoint (after scaling from zero); 0 = answer 503 at once. */
  readonly scaleFromZeroTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly maxIdleSocketsPerHost: number;
  /** Gateway processes sharing the port (node:cluster); 1 runs the gateway in this process. */
  readonly processes: number;
  /** An idle upstream keep-alive connection is closed after this long (below the functions' own idle timeout); 0 = never. */
  readonly upstreamIdleTimeoutMs: number;
  readonly auth: AuthConfig;
  /** Hosts (exact or `*.suffix`) and CIDRs that async callbacks may target; empty allows any not refused by default. */
  readonly callbackAllowlist: readonly string[];
  /** The Kubernetes API's addresses (KUBERNETES_SERVICE_HOST in a pod), refused as callback targets by default. */
  readonly kubernetesApiAddresses: readonly string[];
  readonly metricsPort: number | undefined;
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
  /** The one deadline of an async call's durable write (the Kafka adapter withdraws an unsent record at it). */
  readonly enqueueTimeoutMs: number;
  /** Kubernetes: longest wait of a /system write for the informer cache to show it. */
  readonly functionCacheWaitMs: number;
  /** Several gateway processes: longest wait for the other processes' metrics when one reads them all. */
  readonly metricsGatherTimeoutMs: number;
  readonly cliEntryPath: string | undefined;
  readonly stateDir: string | undefined;
  /** Local provider: the part of the gateway's environment its function processes inherit. */
  readonly localBaseEnv: Readonly<Record<string, string>>;
  /** Local provider: host fork-mode watchdogs in this process instead of a child each (`KFAAS_HOST_WATCHDOGS`). */
  readonly hostWatchdogs: boolean;
  readonly logLevel: string;
  /** Kafka brokers; empty disables /async-function. Same as kafka.brokers. */
  readonly kafkaBrokers: readonly string[];
  /** Kafka connection (TLS, SASL) and topic partitions. */
  readonly kafka: KafkaSettings;
  /** Shared topic of async calls; dedicated queues get `kfaas.queue.<name>`. */
  readonly invocationsTopic: string;
  /** Topic /system/dead-letters reads. */
  readonly deadLetterTopic: string;
  /** Longest read of the dead-letter topic (listing, redrive). */
  readonly deadLetterReadTimeoutMs: number;
  /** Call status tracking (status topic, local view, /async-calls). */
  readonly callStatus: StatusConfig;
  /** Cap and default of `?wait` on /async-calls. */
  readonly statusWaitMaxMs: number;
  /** Longest delay a delayed async call may ask for. */
  readonly maxDelayMs: number;
}

/** Call status tracking settings. */
export interface StatusConfig {
  readonly enabled: boolean;
  readonly topic: string;
  readonly cancelTopic: string;
  readonly retentionMs: number;
  /** Directory of the local status file; the OS temp dir when unset. */
  readonly dir: string | undefined;
  /** Pause before reading the status topic again after Kafka could not be reached. */
  readonly viewRetryMs: number;
  /** Under load, the least time between two reads of the status topic (0: at once). */
  readonly readPaceMs: number;
}

const check: Validators = validators('gateway');
// An annotated alias: TypeScript narrows after a never-returning call only when the callee's type is explicit.
const fail: Validators['fail'] = check.fail;
const { integer, port, bool, duration, positiveDuration, size, positiveSize, logLevel } = check;

/** Parses and validates the gateway configuration; throws naming the offending key and value. */
export function loadConfig(env: Env): GatewayConfig {
  const functionNamespace = namespace('function_namespace', pickEnv(env, 'function_namespace', 'KFAAS_FUNCTION_NAMESPACE') ?? 'openfaas-fn');
  const allowedRaw = pickEnv(env, 'KFAAS_ALLOWED_NAMESPACES');
  const allowedNamespaces = allowedRaw === undefined ? [functionNamespace] : splitList(allowedRaw).map((ns) => namespace('KFAAS_ALLOWED_NAMESPACES', ns));
  if (allowedNamespaces.length === 0) fail('KFAAS_ALLOWED_NAMESPACES', allowedRaw ?? '', 'must list at least one namespace');
  if (!allowedNamespaces.includes(functionNamespace)) {
    fail('function_namespace', functionNamespace, `must be one of KFAAS_ALLOWED_NAMESPACES (${allowedNamespaces.join(', ')})`);
  }
  const provider = pickEnv(env, 'KFAAS_PROVIDER') ?? 'kubernetes';
  if (provider !== 'kubernetes' && provider !== 'local') fail('KFAAS_PROVIDER', provider, 'must be "kubernetes" or "local"');
  const user = pickEnv(env, 'KFAAS_BASIC_AUTH_USER');
  const password = pickEnv(env, 'KFAAS_BASIC_AUTH_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    fail(user === undefined ? 'KFAAS_BASIC_AUTH_USER' : 'KFAAS_BASIC_AUTH_PASSWORD', '', 'must be set together with its pair');
  }
  const kafka = parseKafkaSettings(env, 'gateway', 'kfaas-gateway');
  const metricsPortRaw = pickEnv(env, 'KFAAS_METRICS_PORT');
  const config: GatewayConfig = {
    port: port('KFAAS_GATEWAY_PORT', pickEnv(env, 'KFAAS_GATEWAY_PORT', 'port') ?? '8080'),
    bindAddress: bindAddress(pickEnv(env, 'KFAAS_GATEWAY_BIND') ?? '127.0.0.1'),
    provider,
    functionNamespace,
    allowedNamespaces: [...new Set(allowedNamespaces)],
    clusterWide: bool('KFAAS_CLUSTER_WIDE', pickEnv(env, 'KFAAS_CLUSTER_WIDE') ?? 'false'),
    operatorAutoscaling: bool('KFAAS_OPERATOR_AUTOSCALING', pickEnv(env, 'KFAAS_OPERATOR_AUTOSCALING') ?? 'false'),
    syncBodyLimitBytes: size('KFAAS_SYNC_BODY_LIMIT', pickEnv(env, 'KFAAS_SYNC_BODY_LIMIT') ?? '64Mi'),
    asyncBodyLimitBytes: positiveSize('KFAAS_ASYNC_BODY_LIMIT', pickEnv(env, 'KFAAS_ASYNC_BODY_LIMIT') ?? '1Mi'),
    systemBodyLimitBytes: positiveSize('KFAAS_SYSTEM_BODY_LIMIT', pickEnv(env, 'KFAAS_SYSTEM_BODY_LIMIT') ?? '1Mi'),
    maxUpstreamTimeoutMs: positiveDuration('upstream_timeout', pickEnv(env, 'upstream_timeout', 'KFAAS_MAX_UPSTREAM_TIMEOUT') ?? '5m'),
    timeoutMarginMs: duration('KFAAS_TIMEOUT_MARGIN', pickEnv(env, 'KFAAS_TIMEOUT_MARGIN') ?? '2s'),
    scaleFromZeroTimeoutMs: duration('KFAAS_SCALE_FROM_ZERO_TIMEOUT', pickEnv(env, 'KFAAS_SCALE_FROM_ZERO_TIMEOUT') ?? '30s'),
    readTimeoutMs: duration('read_timeout', pickEnv(env, 'read_timeout') ?? '5m'),
    processes: processes(pickEnv(env, 'KFAAS_GATEWAY_PROCESSES') ?? '1'),
    maxIdleSocketsPerHost: integer('max_idle_conns_per_host', pickEnv(env, 'max_idle_conns_per_host') ?? '1024', 1),
    // Under Node's default 5 s server keep-alive timeout (the watchdog's and most Node functions').
    upstreamIdleTimeoutMs: duration('KFAAS_UPSTREAM_IDLE_TIMEOUT', pickEnv(env, 'KFAAS_UPSTREAM_IDLE_TIMEOUT') ?? '4s'),
    auth: {
      enabled: bool('basic_auth', pickEnv(env, 'basic_auth') ?? 'true'),
      invocations: bool('KFAAS_INVOKE_AUTH', pickEnv(env, 'KFAAS_INVOKE_AUTH') ?? 'false'),
      secretMountPath: pickEnv(env, 'secret_mount_path') ?? '/run/secrets/',
      ...(user !== undefined && password !== undefined ? { user, password } : {}),
    },
    callbackAllowlist: check.callbackAllowlist('KFAAS_CALLBACK_ALLOWLIST', pickEnv(env, 'KFAAS_CALLBACK_ALLOWLIST') ?? ''),
    kubernetesApiAddresses: kubernetesApiAddresses(env),
    metricsPort: metricsPortRaw === undefined ? undefined : port('KFAAS_METRICS_PORT', metricsPortRaw),
    drainDelayMs: duration('KFAAS_DRAIN_DELAY', pickEnv(env, 'KFAAS_DRAIN_DELAY') ?? '5s'),
    drainTimeoutMs: duration('KFAAS_DRAIN_TIMEOUT', pickEnv(env, 'KFAAS_DRAIN_TIMEOUT') ?? '30s'),
    enqueueTimeoutMs: positiveDuration('KFAAS_ENQUEUE_TIMEOUT', pickEnv(env, 'KFAAS_ENQUEUE_TIMEOUT') ?? '5s'),
    functionCacheWaitMs: duration('KFAAS_FUNCTION_CACHE_WAIT', pickEnv(env, 'KFAAS_FUNCTION_CACHE_WAIT') ?? '10s'),
    metricsGatherTimeoutMs: positiveDuration('KFAAS_METRICS_GATHER_TIMEOUT', pickEnv(env, 'KFAAS_METRICS_GATHER_TIMEOUT') ?? '5s'),
    cliEntryPath: pickEnv(env, 'KFAAS_CLI_ENTRY'),
    stateDir: pickEnv(env, 'KFAAS_STATE_DIR'),
    localBaseEnv: inheritedEnv(env),
    hostWatchdogs: bool('KFAAS_HOST_WATCHDOGS', pickEnv(env, 'KFAAS_HOST_WATCHDOGS') ?? 'false'),
    logLevel: logLevel('KFAAS_LOG_LEVEL', pickEnv(env, 'KFAAS_LOG_LEVEL') ?? 'info'),
    kafkaBrokers: kafka.brokers,
    kafka,
    invocationsTopic: topicName('KFAAS_INVOCATIONS_TOPIC', pickEnv(env, 'KFAAS_INVOCATIONS_TOPIC') ?? DEFAULT_INVOCATIONS_TOPIC),
    deadLetterTopic: topicName('KFAAS_DEAD_LETTER_TOPIC', pickEnv(env, 'KFAAS_DEAD_LETTER_TOPIC') ?? DEFAULT_DEAD_LETTER_TOPIC),
    deadLetterReadTimeoutMs: positiveDuration('KFAAS_DEAD_LETTER_READ_TIMEOUT', pickEnv(env, 'KFAAS_DEAD_LETTER_READ_TIMEOUT') ?? '30s'),
    callStatus: {
      enabled: bool('KFAAS_CALL_STATUS', pickEnv(env, 'KFAAS_CALL_STATUS') ?? 'true'),
      topic: topicName('KFAAS_STATUS_TOPIC', pickEnv(env, 'KFAAS_STATUS_TOPIC') ?? DEFAULT_STATUS_TOPIC),
      cancelTopic: topicName('KFAAS_CANCEL_TOPIC', pickEnv(env, 'KFAAS_CANCEL_TOPIC') ?? DEFAULT_CANCEL_TOPIC),
      retentionMs: positiveDuration('KFAAS_STATUS_RETENTION', pickEnv(env, 'KFAAS_STATUS_RETENTION') ?? '24h'),
      dir: pickEnv(env, 'KFAAS_STATUS_DIR'),
      viewRetryMs: positiveDuration('KFAAS_STATUS_VIEW_RETRY', pickEnv(env, 'KFAAS_STATUS_VIEW_RETRY') ?? '5s'),
      readPaceMs: duration('KFAAS_STATUS_READ_PACE', pickEnv(env, 'KFAAS_STATUS_READ_PACE') ?? '100ms'),
    },
    statusWaitMaxMs: positiveDuration('KFAAS_STATUS_WAIT_MAX', pickEnv(env, 'KFAAS_STATUS_WAIT_MAX') ?? '60s'),
    maxDelayMs: duration('KFAAS_MAX_DELAY', pickEnv(env, 'KFAAS_MAX_DELAY') ?? '168h'),
  };
  if (config.processes > 1 && config.provider === 'local') {
    fail('KFAAS_GATEWAY_PROCESSES', String(config.processes), 'needs KFAAS_PROVIDER=kubernetes: local functions are child processes of a single gateway (`kfaas up` supports several)');
  }
  if (config.auth.invocations && !config.auth.enabled) {
    fail('KFAAS_INVOKE_AUTH', 'true', 'needs basic_auth=true (credentials are only loaded when basic auth is on)');
  }
  return deepFreeze(config);
}




function namespace(key: string, value: string): string {
  const problem = dns1123Problem(value);
  if (problem) fail(key, value, `namespace ${problem}`);
  // kube-system holds the control plane: functions never run there, whatever the config says.
  if (value === 'kube-system') fail(key, value, 'kube-system may not hold functions');
  return value;
}




/** A process count, or `auto` for one per core the process may use. */
function processes(value: string): number {
  if (value === 'auto') return availableParallelism();
  return integer('KFAAS_GATEWAY_PROCESSES', value, 1, 256);
}

function bindAddress(value: string): string {
  if (isIP(value) === 0 && value !== 'localhost') fail('KFAAS_GATEWAY_BIND', value, 'must be an IP address');
  return value;
}








// What a locally run function needs from its environment to behave like a shell command; credentials and the
// gateway's own settings stay out.
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SHELL', 'TERM'];

function inheritedEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}




// Kafka's own rule for topic names: at most 249 of [a-zA-Z0-9._-].
function topicName(key: string, value: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(value)) fail(key, value, 'must be a Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)');
  return value;
}
