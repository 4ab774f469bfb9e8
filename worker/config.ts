/**
 * Worker configuration, parsed once from an injectable environment, validated and frozen.
 *
 * | Env | Default | Meaning |
 * |---|---|---|
 * | `KAFKA_BROKERS` | (required by main.ts) | Comma list of `host:port` brokers |
 * | `KAFKA_CLIENT_ID`, `KAFKA_TLS*`, `KAFKA_SASL_*`, `KFAAS_TOPIC_PARTITIONS` | see queue/kafka/connection-settings.ts | Kafka client id, TLS, SASL, partitions of created topics |
 * | `KFAAS_GATEWAY_URL` (or `gateway_url`) | http://127.0.0.1:8080 | Gateway whose sync route `/function/{fn}.{ns}` runs the calls |
 * | `KFAAS_QUEUE` | unset | Dedicated queue to consume (`kfaas worker --queue` overrides); unset = the shared topic |
 * | `KFAAS_INVOCATIONS_TOPIC` | kfaas.invocations | Shared invocation topic |
 * | `KFAAS_DEAD_LETTER_TOPIC` | kfaas.dead-letter | Dead-letter topic |
 * | `KFAAS_CALL_STATUS` | true | Write each call's status snapshots to the status topic |
 * | `KFAAS_STATUS_TOPIC` | kfaas.call-status | Compacted topic of call status snapshots |
 * | `KFAAS_CANCEL_TOPIC` | kfaas.call-cancel | Compacted topic of cancelled calls; a call found there is not run |
 * | `KFAAS_STATUS_RETENTION` | 24h | retention.ms of the status topic when this worker creates it |
 * | `KFAAS_RESULT_MAX_BYTES` | 256Ki | Largest result body kept with a call's status (at most 512Ki); larger ones are dropped |
 * | `max_inflight` (or `KFAAS_MAX_INFLIGHT`) | 100 | Calls run at once by this worker |
 * | `KFAAS_DRAIN_TIMEOUT` | 30s | After SIGTERM: how long in-flight calls may take before the worker aborts them |
 * | `KFAAS_ABORT_GRACE` | 5s | After that abort: how long the aborted calls get to return before the worker leaves anyway |
 * | `KFAAS_INVOKE_TIMEOUT_MARGIN` | 35s | Added to a function's exec timeout for the worker's own deadline, so the gateway's 504 comes first; it covers the gateway's wait for a first ready endpoint (`KFAAS_SCALE_FROM_ZERO_TIMEOUT`, 30s) |
 * | `KFAAS_RETRY_HTTP_CODES` | 408,429,500,502,503,504 | Statuses retried when the envelope's policy lists none |
 * | `KFAAS_RETRY_JITTER` | equal | `full` or `equal` jitter on backoffs |
 * | `KFAAS_CALLBACK_TIMEOUT` | 10s | Deadline of one callback POST |
 * | `KFAAS_CALLBACK_MAX_ATTEMPTS` | 5 | Callback deliveries tried before the call is dead-lettered as `callback_failed` |
 * | `KFAAS_CALLBACK_MIN_BACKOFF` | 1s | First callback retry delay (doubles per retry) |
 * | `KFAAS_CALLBACK_MAX_BACKOFF` | 1m | Cap on the callback retry delay |
 * | `KFAAS_CALLBACK_ALLOWLIST` | (empty: any host but link-local and the Kubernetes API) | As the gateway's; checked again on the addresses a callback host resolves to |
 * | `KUBERNETES_SERVICE_HOST` | set by Kubernetes | The API's address, refused as a callback target unless allowlisted |
 * | `KFAAS_KAFKA_SESSION_TIMEOUT` | 30s | Consumer session: how soon a dead worker's partitions move to another |
 * | `KFAAS_KAFKA_HEARTBEAT_INTERVAL` | 3s | Consumer heartbeat period; at most half the session timeout |
 * | `KFAAS_MAX_EXEC_TIMEOUT` | 10m | Longest exec timeout of any function; the group's rebalance timeout is derived from it |
 * | `KFAAS_METRICS_BIND` | 127.0.0.1 | Address of the metrics and probe server; 0.0.0.0 in a container |
 * | `KFAAS_METRICS_PORT` | 8083 | Port of /metrics, /livez and /readyz (0 = any free port) |
 * | `KFAAS_CAPACITY_REFRESH` | 1s | How often the worker re-reads the ready replicas and per-replica capacity of the functions it has calls of; `0` turns per-function concurrency off |
 * | `basic_auth` | false | Send the gateway's basic-auth credentials when reading function capacity (/system/functions) |
 * | `secret_mount_path` | /run/secrets/ | Directory holding `basic-auth-user` and `basic-auth-password` |
 * | `KFAAS_BASIC_AUTH_USER` / `KFAAS_BASIC_AUTH_PASSWORD` | — | Credentials from env (take precedence over files) |
 * | `KFAAS_LOG_LEVEL` | info | winston level |
 */
import { isIP } from 'node:net';
import { parseKafkaSettings, type KafkaSettings } from '../queue/kafka/connection-settings.js';
import { deepFreeze, pickEnv, splitList, validators, type Env, type Validators } from '../common/env.js';
import { DEFAULT_INVOCATIONS_TOPIC, DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_STATUS_TOPIC, DEFAULT_CANCEL_TOPIC, queueNameProblem } from '../common/topics.js';
import type { JitterMode } from '../common/backoff.js';
import { kubernetesApiAddresses } from '../common/callback-policy.js';
import type { BasicAuthSettings } from '../runtime/basic-auth-credentials.js';

/** How callbacks are retried. */
export interface CallbackRetryConfig {
  readonly maxAttempts: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** The validated, frozen worker configuration. */
export interface WorkerConfig {
  readonly kafkaBrokers: readonly string[];
  /** Kafka connection (TLS, SASL) and topic partitions. */
  readonly kafka: KafkaSettings;
  /** Base URL of the gateway, without a trailing slash. */
  readonly gatewayUrl: string;
  readonly queue: string | undefined;
  readonly invocationsTopic: string;
  readonly deadLetterTopic: string;
  /** Status topic and its retention; undefined when call status tracking is off. */
  readonly callStatus:
    | { readonly topic: string; readonly cancelTopic: string; readonly retentionMs: number; readonly resultMaxBytes: number }
    | undefined;
  readonly maxInflight: number;
  readonly drainTimeoutMs: number;
  /** After the drain deadline aborts the running calls, how long they get to return. */
  readonly abortGraceMs: number;
  readonly invokeTimeoutMarginMs: number;
  readonly retryOn: readonly number[];
  readonly jitter: JitterMode;
  readonly callbackTimeoutMs: number;
  readonly callbackRetry: CallbackRetryConfig;
  /** Hosts, `*.suffix`, IPs and CIDRs callbacks may go to; empty: any not refused by default. */
  readonly callbackAllowlist: readonly string[];
  /** The Kubernetes API's addresses (KUBERNETES_SERVICE_HOST in a pod), refused as callback targets by default. */
  readonly kubernetesApiAddresses: readonly string[];
  readonly kafkaSessionTimeoutMs: number;
  readonly kafkaHeartbeatIntervalMs: number;
  readonly maxExecTimeoutMs: number;
  readonly metricsBind: string;
  readonly metricsPort: number;
  readonly logLevel: string;
  /** Period of the per-function capacity refresh; 0 = per-function concurrency off. */
  readonly capacityRefreshMs: number;
  /** Credentials the worker sends to the gateway's /system routes. */
  readonly gatewayAuth: BasicAuthSettings;
}

const check: Validators = validators('worker');
// An annotated alias: TypeScript narrows after a never-returning call only when the callee's type is explicit.
const fail: Validators['fail'] = check.fail;
const { integer, duration, positiveDuration, logLevel, bool, size } = check;

// A status snapshot, result body base64 included, must fit one record of the status topic (1 MiB).
const RESULT_MAX_BYTES_CAP = 512 * 1024;

/** Parses and validates the worker configuration; throws naming the offending key and value. */
export function loadConfig(env: Env): WorkerConfig {
  const kafka = parseKafkaSettings(env, 'worker', 'kfaas-worker');
  const queue = pickEnv(env, 'KFAAS_QUEUE');
  if (queue !== undefined) {
    const problem = queueNameProblem(queue);
    if (problem) fail('KFAAS_QUEUE', queue, problem);
  }
  const callbackMin = positiveDuration('KFAAS_CALLBACK_MIN_BACKOFF', pickEnv(env, 'KFAAS_CALLBACK_MIN_BACKOFF') ?? '1s');
  const callbackMaxRaw = pickEnv(env, 'KFAAS_CALLBACK_MAX_BACKOFF') ?? '1m';
  const callbackMax = positiveDuration('KFAAS_CALLBACK_MAX_BACKOFF', callbackMaxRaw);
  if (callbackMax < callbackMin) fail('KFAAS_CALLBACK_MAX_BACKOFF', callbackMaxRaw, 'must not be below KFAAS_CALLBACK_MIN_BACKOFF');
  const jitter = pickEnv(env, 'KFAAS_RETRY_JITTER') ?? 'equal';
  if (jitter !== 'full' && jitter !== 'equal') fail('KFAAS_RETRY_JITTER', jitter, 'must be "full" or "equal"');
  const sessionMs = duration('KFAAS_KAFKA_SESSION_TIMEOUT', pickEnv(env, 'KFAAS_KAFKA_SESSION_TIMEOUT') ?? '30s');
  if (sessionMs < 1000) fail('KFAAS_KAFKA_SESSION_TIMEOUT', pickEnv(env, 'KFAAS_KAFKA_SESSION_TIMEOUT') ?? '', 'must be at least 1s');
  const heartbeatRaw = pickEnv(env, 'KFAAS_KAFKA_HEARTBEAT_INTERVAL') ?? '3s';
  const heartbeatMs = positiveDuration('KFAAS_KAFKA_HEARTBEAT_INTERVAL', heartbeatRaw);
  if (heartbeatMs * 2 > sessionMs) fail('KFAAS_KAFKA_HEARTBEAT_INTERVAL', heartbeatRaw, 'must be at most half of KFAAS_KAFKA_SESSION_TIMEOUT');
  const user = pickEnv(env, 'KFAAS_BASIC_AUTH_USER');
  const password = pickEnv(env, 'KFAAS_BASIC_AUTH_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    fail(user === undefined ? 'KFAAS_BASIC_AUTH_USER' : 'KFAAS_BASIC_AUTH_PASSWORD', '', 'must be set together with its pair');
  }
  const config: WorkerConfig = {
    kafkaBrokers: kafka.brokers,
    kafka,
    gatewayUrl: gatewayUrl(pickEnv(env, 'KFAAS_GATEWAY_URL', 'gateway_url') ?? 'http://127.0.0.1:8080'),
    queue,
    invocationsTopic: topic('KFAAS_INVOCATIONS_TOPIC', pickEnv(env, 'KFAAS_INVOCATIONS_TOPIC') ?? DEFAULT_INVOCATIONS_TOPIC),
    deadLetterTopic: topic('KFAAS_DEAD_LETTER_TOPIC', pickEnv(env, 'KFAAS_DEAD_LETTER_TOPIC') ?? DEFAULT_DEAD_LETTER_TOPIC),
    callStatus: bool('KFAAS_CALL_STATUS', pickEnv(env, 'KFAAS_CALL_STATUS') ?? 'true')
      ? {
          topic: topic('KFAAS_STATUS_TOPIC', pickEnv(env, 'KFAAS_STATUS_TOPIC') ?? DEFAULT_STATUS_TOPIC),
          cancelTopic: topic('KFAAS_CANCEL_TOPIC', pickEnv(env, 'KFAAS_CANCEL_TOPIC') ?? DEFAULT_CANCEL_TOPIC),
          retentionMs: positiveDuration('KFAAS_STATUS_RETENTION', pickEnv(env, 'KFAAS_STATUS_RETENTION') ?? '24h'),
          resultMaxBytes: resultMaxBytes(pickEnv(env, 'KFAAS_RESULT_MAX_BYTES') ?? '256Ki'),
        }
      : undefined,
    maxInflight: integer('max_inflight', pickEnv(env, 'max_inflight', 'KFAAS_MAX_INFLIGHT') ?? '100', 1, 10_000),
    drainTimeoutMs: duration('KFAAS_DRAIN_TIMEOUT', pickEnv(env, 'KFAAS_DRAIN_TIMEOUT') ?? '30s'),
    abortGraceMs: duration('KFAAS_ABORT_GRACE', pickEnv(env, 'KFAAS_ABORT_GRACE') ?? '5s'),
    invokeTimeoutMarginMs: duration('KFAAS_INVOKE_TIMEOUT_MARGIN', pickEnv(env, 'KFAAS_INVOKE_TIMEOUT_MARGIN') ?? '35s'),
    retryOn: statuses(pickEnv(env, 'KFAAS_RETRY_HTTP_CODES') ?? '408,429,500,502,503,504'),
    jitter,
    callbackTimeoutMs: positiveDuration('KFAAS_CALLBACK_TIMEOUT', pickEnv(env, 'KFAAS_CALLBACK_TIMEOUT') ?? '10s'),
    callbackRetry: {
      maxAttempts: integer('KFAAS_CALLBACK_MAX_ATTEMPTS', pickEnv(env, 'KFAAS_CALLBACK_MAX_ATTEMPTS') ?? '5', 1, 1000),
      minBackoffMs: callbackMin,
      maxBackoffMs: callbackMax,
    },
    callbackAllowlist: check.callbackAllowlist('KFAAS_CALLBACK_ALLOWLIST', pickEnv(env, 'KFAAS_CALLBACK_ALLOWLIST') ?? ''),
    kubernetesApiAddresses: kubernetesApiAddresses(env),
    kafkaSessionTimeoutMs: sessionMs,
    kafkaHeartbeatIntervalMs: heartbeatMs,
    maxExecTimeoutMs: positiveDuration('KFAAS_MAX_EXEC_TIMEOUT', pickEnv(env, 'KFAAS_MAX_EXEC_TIMEOUT') ?? '10m'),
    metricsBind: bind(pickEnv(env, 'KFAAS_METRICS_BIND') ?? '127.0.0.1'),
    metricsPort: integer('KFAAS_METRICS_PORT', pickEnv(env, 'KFAAS_METRICS_PORT') ?? '8083', 0, 65535),
    logLevel: logLevel('KFAAS_LOG_LEVEL', pickEnv(env, 'KFAAS_LOG_LEVEL') ?? 'info'),
    capacityRefreshMs: duration('KFAAS_CAPACITY_REFRESH', pickEnv(env, 'KFAAS_CAPACITY_REFRESH') ?? '1s'),
    gatewayAuth: {
      enabled: bool('basic_auth', pickEnv(env, 'basic_auth') ?? 'false'),
      secretMountPath: pickEnv(env, 'secret_mount_path') ?? '/run/secrets/',
      ...(user !== undefined && password !== undefined ? { user, password } : {}),
    },
  };
  return deepFreeze(config);
}





function gatewayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('KFAAS_GATEWAY_URL', value, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('KFAAS_GATEWAY_URL', value, 'must use http or https');
  if (url.search || url.hash) fail('KFAAS_GATEWAY_URL', value, 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

// Kafka's own rule for topic names: at most 249 of [a-zA-Z0-9._-].
function topic(key: string, value: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(value)) fail(key, value, 'must be a Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)');
  return value;
}


function statuses(value: string): number[] {
  const out = splitList(value).map((s) => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= 100 && n <= 599)) fail('KFAAS_RETRY_HTTP_CODES', value, `${JSON.stringify(s)} is not an HTTP status (100-599)`);
    return n;
  });
  if (out.length === 0) fail('KFAAS_RETRY_HTTP_CODES', value, 'must list at least one status');
  return [...new Set(out)];
}



function bind(value: string): string {
  if (isIP(value) === 0 && value !== 'localhost') fail('KFAAS_METRICS_BIND', value, 'must be an IP address');
  return value;
}

function resultMaxBytes(value: string): number {
  const bytes = size('KFAAS_RESULT_MAX_BYTES', value);
  if (bytes > RESULT_MAX_BYTES_CAP) fail('KFAAS_RESULT_MAX_BYTES', value, `must be at most 512Ki (${RESULT_MAX_BYTES_CAP} bytes)`);
  return bytes;
}
