import { loadUpConfig } from './config.js';

describe('loadUpConfig', () => {
  // Namespace settings left in the shell for a remote gateway are ignored, not an error.
  const env = { PATH: '/usr/bin', HOME: '/home/dev', KFAAS_RETRY_JITTER: 'full', npm_lifecycle_event: 'start', KFAAS_ALLOWED_NAMESPACES: 'team-a', function_namespace: 'team-a' };

  it('composes the local gateway and worker configs from validated ones', () => {
    const config = loadUpConfig({ port: '9090', dataDir: '/tmp/kfaas-data', maxInflight: '7' }, env);
    expect(config.gateway).toMatchObject({
      provider: 'local',
      port: 9090,
      bindAddress: '127.0.0.1',
      functionNamespace: 'openfaas-fn',
      allowedNamespaces: ['openfaas-fn'],
      stateDir: '/tmp/kfaas-data/state',
      drainDelayMs: 0,
      auth: { enabled: true, secretMountPath: '/tmp/kfaas-data/auth' },
    });
    expect(config.gateway.cliEntryPath).toMatch(/cli\/kfaas\.cjs$/);
    expect(config.worker).toMatchObject({ maxInflight: 7, jitter: 'full' });
    expect(config.gateway.localBaseEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/dev' });
    expect(Object.isFrozen(config.gateway)).toBe(true);
    expect(config.functionsReadyTimeoutMs).toBe(15_000);
  });

  it('runs no gateway worker processes unless KFAAS_GATEWAY_PROCESSES asks, then moves its own gateway to a free loopback port', () => {
    const single = loadUpConfig({ port: '9090' }, {});
    expect(single.processes).toBe(1);
    expect(single.ownerGateway).toBe(single.gateway);
    // A KFAAS_PROVIDER left in the shell does not turn the count into an error: the up process owns the functions.
    const several = loadUpConfig({ port: '9090' }, { KFAAS_GATEWAY_PROCESSES: '3', KFAAS_PROVIDER: 'local', KFAAS_METRICS_PORT: '9091' });
    expect(several.processes).toBe(3);
    expect(several.gateway).toMatchObject({ port: 9090, metricsPort: 9091, processes: 1 });
    expect(several.ownerGateway).toMatchObject({ port: 0, metricsPort: undefined, provider: 'local', processes: 1 });
    expect(Object.isFrozen(several.ownerGateway)).toBe(true);
    expect(() => loadUpConfig({}, { KFAAS_GATEWAY_PROCESSES: 'many' })).toThrow(/KFAAS_GATEWAY_PROCESSES="many"/);
  });

  it('reads how long the start waits for the stack', () => {
    expect(loadUpConfig({}, { KFAAS_UP_READY_TIMEOUT: '1m' }).functionsReadyTimeoutMs).toBe(60_000);
  });

  it('reads the autoscaler settings, with the operator defaults', () => {
    expect(loadUpConfig({}, {}).autoscale).toEqual({ intervalMs: 1_000, stabilisationMs: 60_000 });
    expect(loadUpConfig({}, { KFAAS_AUTOSCALE_INTERVAL: '250ms', KFAAS_AUTOSCALE_STABILISATION: '0' }).autoscale).toEqual({ intervalMs: 250, stabilisationMs: 0 });
  });

  it('keeps a drain delay the user set', () => {
    expect(loadUpConfig({}, { KFAAS_DRAIN_DELAY: '2s' }).gateway.drainDelayMs).toBe(2_000);
  });

  it.each([
    [{}, { KFAAS_LOG_LEVEL: 'loud' }, /KFAAS_LOG_LEVEL="loud"/],
    [{}, { KFAAS_CALLBACK_MAX_ATTEMPTS: 'many' }, /KFAAS_CALLBACK_MAX_ATTEMPTS="many"/],
    [{}, { KFAAS_UP_READY_TIMEOUT: 'soon' }, /kfaas up config KFAAS_UP_READY_TIMEOUT="soon": invalid duration/],
    [{ maxInflight: '0' }, {}, /--max-inflight "0"/],
    [{}, { KFAAS_AUTOSCALE_INTERVAL: '0s' }, /up config KFAAS_AUTOSCALE_INTERVAL="0s": must be greater than zero/],
  ])('refuses %j with %j, naming the setting', (raw, badEnv, message) => {
    expect(() => loadUpConfig(raw, badEnv)).toThrow(message);
  });
});
