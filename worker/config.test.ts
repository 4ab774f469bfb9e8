import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      kafkaBrokers: [],
      kafka: { brokers: [], clientId: 'kfaas-worker', partitions: 6 },
      gatewayUrl: 'http://127.0.0.1:8080',
      queue: undefined,
      invocationsTopic: 'kfaas.invocations',
      deadLetterTopic: 'kfaas.dead-letter',
      callStatus: { topic: 'kfaas.call-status', cancelTopic: 'kfaas.call-cancel', retentionMs: 86_400_000, resultMaxBytes: 262_144 },
      maxInflight: 100,
      drainTimeoutMs: 30_000,
      abortGraceMs: 5_000,
      invokeTimeoutMarginMs: 35_000,
      retryOn: [408, 429, 500, 502, 503, 504],
      jitter: 'equal',
      callbackTimeoutMs: 10_000,
      callbackRetry: { maxAttempts: 5, minBackoffMs: 1_000, maxBackoffMs: 60_000 },
      callbackAllowlist: [],
      kubernetesApiAddresses: [],
      kafkaSessionTimeoutMs: 30_000,
      kafkaHeartbeatIntervalMs: 3_000,
      maxExecTimeoutMs: 600_000,
      metricsBind: '127.0.0.1',
      metricsPort: 8083,
      logLevel: 'info',
      capacityRefreshMs: 1_000,
      gatewayAuth: { enabled: false, secretMountPath: '/run/secrets/' },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.callbackRetry)).toBe(true);
    expect(Object.isFrozen(config.retryOn)).toBe(true);
  });

  it('reads every key', () => {
    const config = loadConfig({
      KAFKA_BROKERS: ' 127.0.0.1:9092, kafka-0.kafka:9093 ',
      KFAAS_GATEWAY_URL: 'http://gateway.kfaas:8080/',
      KFAAS_QUEUE: 'slow',
      KFAAS_INVOCATIONS_TOPIC: 'my.calls',
      KFAAS_DEAD_LETTER_TOPIC: 'my.dlq',
      max_inflight: '7',
      KFAAS_DRAIN_TIMEOUT: '1m30s',
      KFAAS_ABORT_GRACE: '250ms',
      KFAAS_INVOKE_TIMEOUT_MARGIN: '500ms',
      KFAAS_RETRY_HTTP_CODES: '500, 503,503',
      KFAAS_RETRY_JITTER: 'full',
      KFAAS_CALLBACK_TIMEOUT: '3',
      KFAAS_CALLBACK_MAX_ATTEMPTS: '2',
      KFAAS_CALLBACK_MIN_BACKOFF: '100ms',
      KFAAS_CALLBACK_MAX_BACKOFF: '2s',
      KFAAS_CALLBACK_ALLOWLIST: 'Hooks.Example.com, 198.18.0.0/15',
      KUBERNETES_SERVICE_HOST: '198.18.0.1',
      KFAAS_KAFKA_SESSION_TIMEOUT: '6s',
      KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s',
      KFAAS_MAX_EXEC_TIMEOUT: '15m',
      KFAAS_METRICS_BIND: '0.0.0.0',
      KFAAS_METRICS_PORT: '0',
      KFAAS_LOG_LEVEL: 'debug',
      KFAAS_STATUS_TOPIC: 'my.status',
      KFAAS_STATUS_RETENTION: '2h',
      KFAAS_RESULT_MAX_BYTES: '1Ki',
      KFAAS_CAPACITY_REFRESH: '0',
      basic_auth: 'true',
      secret_mount_path: '/var/openfaas/secrets',
      KFAAS_BASIC_AUTH_USER: 'admin',
      KFAAS_BASIC_AUTH_PASSWORD: 'pw',
    });
    expect(config).toEqual({
      kafkaBrokers: ['127.0.0.1:9092', 'kafka-0.kafka:9093'],
      kafka: { brokers: ['127.0.0.1:9092', 'kafka-0.kafka:9093'], clientId: 'kfaas-worker', partitions: 6 },
      gatewayUrl: 'http://gateway.kfaas:8080',
      queue: 'slow',
      invocationsTopic: 'my.calls',
      deadLetterTopic: 'my.dlq',
      callStatus: { topic: 'my.status', cancelTopic: 'kfaas.call-cancel', retentionMs: 7_200_000, resultMaxBytes: 1_024 },
      maxInflight: 7,
      drainTimeoutMs: 90_000,
      abortGraceMs: 250,
      invokeTimeoutMarginMs: 500,
      retryOn: [500, 503],
      jitter: 'full',
      callbackTimeoutMs: 3_000,
      callbackRetry: { maxAttempts: 2, minBackoffMs: 100, maxBackoffMs: 2_000 },
      callbackAllowlist: ['hooks.example.com', '198.18.0.0/15'],
      kubernetesApiAddresses: ['198.18.0.1'],
      kafkaSessionTimeoutMs: 6_000,
      kafkaHeartbeatIntervalMs: 1_000,
      maxExecTimeoutMs: 900_000,
      metricsBind: '0.0.0.0',
      metricsPort: 0,
      logLevel: 'debug',
      capacityRefreshMs: 0,
      gatewayAuth: { enabled: true, secretMountPath: '/var/openfaas/secrets', user: 'admin', password: 'pw' },
    });
  });

  it('accepts the OpenFaaS-style alias gateway_url and KFAAS_MAX_INFLIGHT', () => {
    expect(loadConfig({ gateway_url: 'https://gw', KFAAS_MAX_INFLIGHT: '3' })).toMatchObject({ gatewayUrl: 'https://gw', maxInflight: 3 });
  });

  it('refuses half a basic-auth pair, naming the missing one', () => {
    expect(() => loadConfig({ KFAAS_BASIC_AUTH_USER: 'admin' })).toThrow(/KFAAS_BASIC_AUTH_PASSWORD/);
  });

  it('turns call status off with KFAAS_CALL_STATUS=false', () => {
    expect(loadConfig({ KFAAS_CALL_STATUS: 'false' }).callStatus).toBeUndefined();
  });

  it.each([
    ['KFAAS_STATUS_TOPIC', 'bad topic', 'Kafka topic name'],
    ['KFAAS_STATUS_RETENTION', '0s', 'greater than zero'],
    ['KFAAS_CALL_STATUS', 'maybe', ''],
    ['KFAAS_RESULT_MAX_BYTES', '1Mi', 'at most 512Ki'],
    ['KAFKA_BROKERS', 'localhost', '"localhost" is not host:port'],
    ['KAFKA_BROKERS', 'a:99999', 'is not host:port'],
    ['KFAAS_GATEWAY_URL', 'gateway:8080', 'must use http or https'],
    ['KFAAS_GATEWAY_URL', 'not a url', 'must be an absolute http(s) URL'],
    ['KFAAS_GATEWAY_URL', 'http://gw/?x=1', 'must not have a query'],
    ['KFAAS_QUEUE', 'Slow_Queue', 'DNS-1123'],
    ['KFAAS_INVOCATIONS_TOPIC', 'bad topic', 'Kafka topic name'],
    ['max_inflight', '0', 'between 1 and 10000'],
    ['max_inflight', 'lots', 'whole number'],
    ['KFAAS_DRAIN_TIMEOUT', '1.5', 'invalid duration'],
    ['KFAAS_ABORT_GRACE', 'brief', 'invalid duration'],
    ['KFAAS_CALLBACK_TIMEOUT', '0s', 'greater than zero'],
    ['KFAAS_RETRY_HTTP_CODES', '500,abc', '"abc" is not an HTTP status'],
    ['KFAAS_RETRY_HTTP_CODES', '700', 'not an HTTP status (100-599)'],
    ['KFAAS_RETRY_HTTP_CODES', ',', 'at least one status'],
    ['KFAAS_RETRY_JITTER', 'none', '"full" or "equal"'],
    ['KFAAS_CALLBACK_MAX_ATTEMPTS', '0', 'between 1 and 1000'],
    ['KFAAS_CALLBACK_MAX_BACKOFF', '10ms', 'must not be below KFAAS_CALLBACK_MIN_BACKOFF'],
    ['KFAAS_KAFKA_SESSION_TIMEOUT', '500ms', 'at least 1s'],
    ['KFAAS_KAFKA_HEARTBEAT_INTERVAL', '20s', 'at most half of KFAAS_KAFKA_SESSION_TIMEOUT'],
    ['KFAAS_MAX_EXEC_TIMEOUT', '0', 'greater than zero'],
    ['KFAAS_METRICS_BIND', 'example.com', 'must be an IP address'],
    ['KFAAS_METRICS_PORT', '70000', 'between 0 and 65535'],
    ['KFAAS_LOG_LEVEL', 'loud', 'must be one of'],
  ])('fails fast on %s=%p, naming the key and value', (key, value, problem) => {
    expect(() => loadConfig({ [key]: value })).toThrow(`worker config ${key}=${JSON.stringify(value)}: `);
    expect(() => loadConfig({ [key]: value })).toThrow(problem);
  });
});
