import { availableParallelism } from 'node:os';
import { parseSize } from '../common/env.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies documented defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      bindAddress: '127.0.0.1',
      provider: 'kubernetes',
      functionNamespace: 'openfaas-fn',
      allowedNamespaces: ['openfaas-fn'],
      syncBodyLimitBytes: 64 * 1024 * 1024,
      asyncBodyLimitBytes: 1024 * 1024,
      maxUpstreamTimeoutMs: 300_000,
      timeoutMarginMs: 2_000,
      scaleFromZeroTimeoutMs: 30_000,
      upstreamIdleTimeoutMs: 4_000,
      auth: { enabled: true, invocations: false, secretMountPath: '/run/secrets/' },
      callbackAllowlist: [],
      metricsPort: undefined,
      kafkaBrokers: [],
      callStatus: { enabled: true, topic: 'kfaas.call-status', cancelTopic: 'kfaas.call-cancel', retentionMs: 86_400_000, dir: undefined, viewRetryMs: 5_000 },
      statusWaitMaxMs: 60_000,
      enqueueTimeoutMs: 5_000,
      functionCacheWaitMs: 10_000,
      deadLetterReadTimeoutMs: 30_000,
      maxDelayMs: 604_800_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth)).toBe(true);
    expect(Object.isFrozen(config.allowedNamespaces)).toBe(true);
  });

  it('reads OpenFaaS names and kfaas names', () => {
    const config = loadConfig({
      port: '9000',
      function_namespace: 'fns',
      KFAAS_ALLOWED_NAMESPACES: 'fns, team-a ,fns',
      upstream_timeout: '90',
      KFAAS_TIMEOUT_MARGIN: '500ms',
      KFAAS_SCALE_FROM_ZERO_TIMEOUT: '0',
      basic_auth: 'false',
      KFAAS_SYNC_BODY_LIMIT: '0',
      KFAAS_ASYNC_BODY_LIMIT: '512Ki',
      KFAAS_CALLBACK_ALLOWLIST: 'hooks.example.com,*.internal, 198.18.0.0/15,fd00::/8',
      KFAAS_METRICS_PORT: '8082',
      KAFKA_BROKERS: 'a:9092,b:9092',
      PATH: '/bin',
      SECRET_THING: 'x',
    });
    expect(config).toMatchObject({
      port: 9000,
      functionNamespace: 'fns',
      allowedNamespaces: ['fns', 'team-a'],
      maxUpstreamTimeoutMs: 90_000,
      timeoutMarginMs: 500,
      scaleFromZeroTimeoutMs: 0,
      syncBodyLimitBytes: 0,
      asyncBodyLimitBytes: 512 * 1024,
      callbackAllowlist: ['hooks.example.com', '*.internal', '198.18.0.0/15', 'fd00::/8'],
      metricsPort: 8082,
      kafkaBrokers: ['a:9092', 'b:9092'],
      localBaseEnv: { PATH: '/bin' },
    });
    expect(config.auth.enabled).toBe(false);
  });

  it('reads the call status keys', () => {
    const config = loadConfig({
      KFAAS_CALL_STATUS: 'false',
      KFAAS_STATUS_TOPIC: 'my.status',
      KFAAS_CANCEL_TOPIC: 'my.cancel',
      KFAAS_STATUS_RETENTION: '1h',
      KFAAS_STATUS_DIR: '/var/lib/kfaas',
      KFAAS_STATUS_WAIT_MAX: '2m',
      KFAAS_STATUS_VIEW_RETRY: '750ms',
      KFAAS_STATUS_READ_PACE: '0',
    });
    expect(config.callStatus).toEqual({ enabled: false, topic: 'my.status', cancelTopic: 'my.cancel', retentionMs: 3_600_000, dir: '/var/lib/kfaas', viewRetryMs: 750, readPaceMs: 0 });
    expect(loadConfig({}).callStatus.readPaceMs).toBe(100);
    expect(config.statusWaitMaxMs).toBe(120_000);
  });

  it('reads every timeout of the gateway from its own key', () => {
    const config = loadConfig({ KFAAS_ENQUEUE_TIMEOUT: '2s', KFAAS_FUNCTION_CACHE_WAIT: '0', KFAAS_DEAD_LETTER_READ_TIMEOUT: '1m' });
    expect(config).toMatchObject({ enqueueTimeoutMs: 2_000, functionCacheWaitMs: 0, deadLetterReadTimeoutMs: 60_000 });
  });

  it.each([
    [{ KFAAS_STATUS_WAIT_MAX: '0s' }, /KFAAS_STATUS_WAIT_MAX="0s"/],
    [{ KFAAS_STATUS_VIEW_RETRY: '0' }, /KFAAS_STATUS_VIEW_RETRY="0": must be greater than zero/],
    [{ KFAAS_STATUS_READ_PACE: 'soon' }, /KFAAS_STATUS_READ_PACE="soon": invalid duration/],
    [{ KFAAS_FUNCTION_CACHE_WAIT: 'a while' }, /KFAAS_FUNCTION_CACHE_WAIT="a while": invalid duration/],
    [{ KFAAS_DEAD_LETTER_READ_TIMEOUT: '0s' }, /KFAAS_DEAD_LETTER_READ_TIMEOUT="0s": must be greater than zero/],
    [{ KFAAS_STATUS_TOPIC: 'a b' }, /KFAAS_STATUS_TOPIC="a b": must be a Kafka topic name/],
    [{ port: 'eighty' }, /port="eighty": must be a whole number/i],
    [{ KFAAS_GATEWAY_PORT: '70000' }, /KFAAS_GATEWAY_PORT="70000": must be between 0 and 65535/],
    [{ KFAAS_PROVIDER: 'docker' }, /KFAAS_PROVIDER="docker": must be "kubernetes" or "local"/],
    [{ function_namespace: 'Bad_NS' }, /function_namespace="Bad_NS": namespace must be a DNS-1123 label/],
    [{ function_namespace: 'kube-system' }, /kube-system may not hold functions/],
    [{ KFAAS_ALLOWED_NAMESPACES: 'a,kube-system', function_namespace: 'a' }, /KFAAS_ALLOWED_NAMESPACES="kube-system"/],
    [{ KFAAS_ALLOWED_NAMESPACES: 'a,b' }, /function_namespace="openfaas-fn": must be one of KFAAS_ALLOWED_NAMESPACES \(a, b\)/],
    [{ upstream_timeout: '1.5' }, /upstream_timeout="1.5": invalid duration/],
    [{ KFAAS_SCALE_FROM_ZERO_TIMEOUT: 'soon' }, /KFAAS_SCALE_FROM_ZERO_TIMEOUT="soon": invalid duration/],
    [{ upstream_timeout: '0' }, /upstream_timeout="0": must be greater than zero/],
    [{ KFAAS_SYNC_BODY_LIMIT: '10 parsecs' }, /KFAAS_SYNC_BODY_LIMIT="10 parsecs": must be a byte size/],
    [{ KFAAS_ASYNC_BODY_LIMIT: '0' }, /KFAAS_ASYNC_BODY_LIMIT="0": must be greater than zero/],
    [{ basic_auth: 'maybe' }, /basic_auth="maybe": must be true or false/],
    [{ KFAAS_BASIC_AUTH_USER: 'admin' }, /KFAAS_BASIC_AUTH_PASSWORD="": must be set together/],
    [{ KFAAS_CALLBACK_ALLOWLIST: '198.18.0.0/33' }, /KFAAS_CALLBACK_ALLOWLIST="198.18.0.0\/33": CIDR/],
    [{ KFAAS_CALLBACK_ALLOWLIST: 'http://x' }, /KFAAS_CALLBACK_ALLOWLIST="http:\/\/x": must be a host name/],
    [{ KFAAS_GATEWAY_BIND: 'everywhere' }, /KFAAS_GATEWAY_BIND="everywhere": must be an IP address/],
    [{ KFAAS_LOG_LEVEL: 'loud' }, /KFAAS_LOG_LEVEL="loud"/],
    [{ KFAAS_INVOKE_AUTH: 'true', basic_auth: 'false' }, /KFAAS_INVOKE_AUTH="true": needs basic_auth=true/],
    [{ KFAAS_GATEWAY_PROCESSES: '0' }, /KFAAS_GATEWAY_PROCESSES="0"/],
    [{ KFAAS_GATEWAY_PROCESSES: 'all' }, /KFAAS_GATEWAY_PROCESSES="all"/],
    [{ KFAAS_GATEWAY_PROCESSES: '2', KFAAS_PROVIDER: 'local' }, /KFAAS_GATEWAY_PROCESSES="2": needs KFAAS_PROVIDER=kubernetes/],
    [{ KFAAS_UPSTREAM_IDLE_TIMEOUT: 'soon' }, /KFAAS_UPSTREAM_IDLE_TIMEOUT="soon"/],
  ])('fails fast on %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the gateway process count: a number, or auto for one per core', () => {
    expect(loadConfig({}).processes).toBe(1);
    expect(loadConfig({ KFAAS_GATEWAY_PROCESSES: '3' }).processes).toBe(3);
    expect(loadConfig({ KFAAS_GATEWAY_PROCESSES: 'auto' }).processes).toBe(availableParallelism());
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ port: '  ', function_namespace: '' }).port).toBe(8080);
  });
});

describe('parseSize', () => {
  it.each([
    ['1024', 1024],
    ['1Ki', 1024],
    ['64Mi', 64 * 1024 * 1024],
    ['1KB', 1000],
    ['2mb', 2_000_000],
    ['1Gi', 1024 ** 3],
    ['0', 0],
  ])('%s = %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '-1', '1.5Mi', 'Mi', '10 parsecs'])('rejects %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});
