/**
 * Worker configuration, parsed once from an injectable environment, validated and frozen.
 *
 * | Env | Default | Meaning |
 * |---|---|---|
 * | `KAFKA_BROKERS` | (required by main.ts) | Comma list of `host:port` brokers |
 * | `KFAAS_GATEWAY_URL` (or `gateway_url`) | http://127.0.0.1:8080 | Gateway whose sync route `/function/{fn}.{ns}` runs the calls |
 * | `KFAAS_QUEUE` | unset | Dedicated queue to consume (`kfaas worker --queue` overrides); unset = the shared topic |
 * | `KFAAS_INVOCATIONS_TOPIC` | kfaas.invocations | Shared invocation topic |
 * | `KFAAS_DEAD_LETTER_TOPIC` | kfaas.dead-letter | Dead-letter topic |
 * | `max_inflight` (or `KFAAS_MAX_INFLIGHT`) | 100 | Calls run at once by this worker |
 * | `KFAAS_DRAIN_TIMEOUT` | 30s | After SIGTERM: how long in-flight calls may take before the worker leaves anyway |
 * | `KFAAS_INVOKE_TIMEOUT_MARGIN` | 5s | Added to a function's exec timeout for the worker's own deadline, so the gateway's 504 comes first |
 * | `KFAAS_RETRY_HTTP_CODES` | 408,429,500,502,503,504 | Statuses retried when the envelope's policy lists none |
 * | `KFAAS_RETRY_JITTER` | equal | `full` or `equal` jitter on backoffs |
 * | `KFAAS_CALLBACK_TIMEOUT` | 10s | Deadline of one callback POST |
 * | `KFAAS_CALLBACK_MAX_ATTEMPTS` | 5 | Callback deliveries tried before the call is dead-lettered as `callback_failed` |
 * | `KFAAS_CALLBACK_MIN_BACKOFF` | 1s | First callback retry delay (doubles per retry) |
 * | `KFAAS_CALLBACK_MAX_BACKOFF` | 1m | Cap on the callback retry delay |
 * | `KFAAS_KAFKA_SESSION_TIMEOUT` | 30s | Consumer session: how soon a dead worker's partitions move to another |
 * | `KFAAS_KAFKA_HEARTBEAT_INTERVAL` | 3s | Consumer heartbeat period; at most half the session timeout |
 * | `KFAAS_MAX_EXEC_TIMEOUT` | 10m | Longest exec timeout of any function; the group's rebalance timeout is derived from it |
 * | `KFAAS_METRICS_BIND` | 127.0.0.1 | Address of the metrics and probe server; 0.0.0.0 in a container |
 * | `KFAAS_METRICS_PORT` | 8083 | Port of /metrics, /livez and /readyz (0 = any free port) |
 * | `KFAAS_LOG_LEVEL` | info | winston level |
 */
import { isIP } from 'node:net';
import { parseDuration } from '../common/duration.js';
import { DEFAULT_INVOCATIONS_TOPIC, DEFAULT_DEAD_LETTER_TOPIC, queueNameProblem } from '../common/topics.js';
import type { JitterMode } from './retry/retry-policy.js';

/** How callbacks are retried. */
export interface CallbackRetryConfig {
  readonly maxAttempts: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** The validated, frozen worker configuration. */
export interface WorkerConfig {
  readonly kafkaBrokers: readonly string[];
  /** Base URL of the gateway, without a trailing slash. */
  readonly gatewayUrl: string;
  readonly queue: string | undefined;
  readonly invocationsTopic: string;
  readonly deadLetterTopic: string;
  readonly maxInflight: number;
  readonly drainTimeoutMs: number;
  readonly invokeTimeoutMarginMs: number;
  readonly retryOn: readonly number[];
  readonly jitter: JitterMode;
  readonly callbackTimeoutMs: number;
  readonly callbackRetry: CallbackRetryConfig;
  readonly kafkaSessionTimeoutMs: number;
  readonly kafkaHeartbeatIntervalMs: number;
  readonly maxExecTimeoutMs: number;
  readonly metricsBind: string;
  readonly metricsPort: number;
  readonly logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses and validates the worker configuration; throws naming the offending key and value. */
export function loadConfig(env: Env): WorkerConfig {
  const queue = pick(env, 'KFAAS_QUEUE');
  if (queue !== undefined) {
    const problem = queueNameProblem(queue);
    if (problem) fail('KFAAS_QUEUE', queue, problem);
  }
  const callbackMin = positiveDuration('KFAAS_CALLBACK_MIN_BACKOFF', pick(env, 'KFAAS_CALLBACK_MIN_BACKOFF') ?? '1s');
  const callbackMaxRaw = pick(env, 'KFAAS_CALLBACK_MAX_BACKOFF') ?? '1m';
  const callbackMax = positiveDuration('KFAAS_CALLBACK_MAX_BACKOFF', callbackMaxRaw);
  if (callbackMax < callbackMin) fail('KFAAS_CALLBACK_MAX_BACKOFF', callbackMaxRaw, 'must not be below KFAAS_CALLBACK_MIN_BACKOFF');
  const jitter = pick(env, 'KFAAS_RETRY_JITTER') ?? 'equal';
  if (jitter !== 'full' && jitter !== 'equal') fail('KFAAS_RETRY_JITTER', jitter, 'must be "full" or "equal"');
  const sessionMs = duration('KFAAS_KAFKA_SESSION_TIMEOUT', pick(env, 'KFAAS_KAFKA_SESSION_TIMEOUT') ?? '30s');
  if (sessionMs < 1000) fail('KFAAS_KAFKA_SESSION_TIMEOUT', pick(env, 'KFAAS_KAFKA_SESSION_TIMEOUT') ?? '', 'must be at least 1s');
  const heartbeatRaw = pick(env, 'KFAAS_KAFKA_HEARTBEAT_INTERVAL') ?? '3s';
  const heartbeatMs = positiveDuration('KFAAS_KAFKA_HEARTBEAT_INTERVAL', heartbeatRaw);
  if (heartbeatMs * 2 > sessionMs) fail('KFAAS_KAFKA_HEARTBEAT_INTERVAL', heartbeatRaw, 'must be at most half of KFAAS_KAFKA_SESSION_TIMEOUT');
  const config: WorkerConfig = {
    kafkaBrokers: brokers(pick(env, 'KAFKA_BROKERS') ?? ''),
    gatewayUrl: gatewayUrl(pick(env, 'KFAAS_GATEWAY_URL', 'gateway_url') ?? 'http://127.0.0.1:8080'),
    queue,
    invocationsTopic: topic('KFAAS_INVOCATIONS_TOPIC', pick(env, 'KFAAS_INVOCATIONS_TOPIC') ?? DEFAULT_INVOCATIONS_TOPIC),
    deadLetterTopic: topic('KFAAS_DEAD_LETTER_TOPIC', pick(env, 'KFAAS_DEAD_LETTER_TOPIC') ?? DEFAULT_DEAD_LETTER_TOPIC),
    maxInflight: integer('max_inflight', pick(env, 'max_inflight', 'KFAAS_MAX_INFLIGHT') ?? '100', 1, 10_000),
    drainTimeoutMs: duration('KFAAS_DRAIN_TIMEOUT', pick(env, 'KFAAS_DRAIN_TIMEOUT') ?? '30s'),
    invokeTimeoutMarginMs: duration('KFAAS_INVOKE_TIMEOUT_MARGIN', pick(env, 'KFAAS_INVOKE_TIMEOUT_MARGIN') ?? '5s'),
    retryOn: statuses(pick(env, 'KFAAS_RETRY_HTTP_CODES') ?? '408,429,500,502,503,504'),
    jitter,
    callbackTimeoutMs: positiveDuration('KFAAS_CALLBACK_TIMEOUT', pick(env, 'KFAAS_CALLBACK_TIMEOUT') ?? '10s'),
    callbackRetry: {
      maxAttempts: integer('KFAAS_CALLBACK_MAX_ATTEMPTS', pick(env, 'KFAAS_CALLBACK_MAX_ATTEMPTS') ?? '5', 1, 1000),
      minBackoffMs: callbackMin,
      maxBackoffMs: callbackMax,
    },
    kafkaSessionTimeoutMs: sessionMs,
    kafkaHeartbeatIntervalMs: heartbeatMs,
    maxExecTimeoutMs: positiveDuration('KFAAS_MAX_EXEC_TIMEOUT', pick(env, 'KFAAS_MAX_EXEC_TIMEOUT') ?? '10m'),
    metricsBind: bind(pick(env, 'KFAAS_METRICS_BIND') ?? '127.0.0.1'),
    metricsPort: integer('KFAAS_METRICS_PORT', pick(env, 'KFAAS_METRICS_PORT') ?? '8083', 0, 65535),
    logLevel: logLevel(pick(env, 'KFAAS_LOG_LEVEL') ?? 'info'),
  };
  return deepFreeze(config);
}

/** Returns the first key of `keys` that is set to a non-blank value, trimmed. */
function pick(env: Env, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

function fail(key: string, value: string, problem: string): never {
  throw new Error(`worker config ${key}=${JSON.stringify(value)}: ${problem}`);
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function brokers(value: string): string[] {
  const out = list(value);
  for (const b of out) {
    const colon = b.lastIndexOf(':');
    const port = Number(b.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) fail('KAFKA_BROKERS', value, `${JSON.stringify(b)} is not host:port`);
  }
  return out;
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

function integer(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) fail(key, value, 'must be a whole number');
  const n = Number(value);
  if (n < min || n > max) fail(key, value, `must be between ${min} and ${max}`);
  return n;
}

function statuses(value: string): number[] {
  const out = list(value).map((s) => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= 100 && n <= 599)) fail('KFAAS_RETRY_HTTP_CODES', value, `${JSON.stringify(s)} is not an HTTP status (100-599)`);
    return n;
  });
  if (out.length === 0) fail('KFAAS_RETRY_HTTP_CODES', value, 'must list at least one status');
  return [...new Set(out)];
}

function duration(key: string, value: string): number {
  try {
    return parseDuration(value, key);
  } catch (err) {
    return fail(key, value, (err as Error).message.replace(`${key}: `, ''));
  }
}

function positiveDuration(key: string, value: string): number {
  const ms = duration(key, value);
  if (ms <= 0) fail(key, value, 'must be greater than zero');
  return ms;
}

function bind(value: string): string {
  if (isIP(value) === 0 && value !== 'localhost') fail('KFAAS_METRICS_BIND', value, 'must be an IP address');
  return value;
}

const LOG_LEVELS = new Set(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']);

function logLevel(value: string): string {
  if (!LOG_LEVELS.has(value)) fail('KFAAS_LOG_LEVEL', value, `must be one of ${[...LOG_LEVELS].join(', ')}`);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
