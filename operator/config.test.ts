import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      watchNamespaces: [],
      workers: 16,
      resyncPeriodMs: 600_000,
      reconcileTimeoutMs: 30_000,
      kubeRequestTimeoutMs: 10_000,
      kubeMaxSockets: 32,
      secretRecheckMs: 10_000,
      requeueBackoff: { minMs: 100, maxMs: 120_000 },
      informerBackoff: { minMs: 500, maxMs: 30_000 },
      leaderElection: {
        enabled: true,
        leaseName: 'kfaas-operator',
        leaseNamespace: 'default',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      identity: undefined,
      healthPort: 8081,
      healthBind: '127.0.0.1',
      logLevel: 'info',
      autoscaler: undefined,
    });
    expect(Object.isFrozen(config.leaderElection)).toBe(true);
    expect(Object.isFrozen(config.watchNamespaces)).toBe(true);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      KFAAS_WATCH_NAMESPACES: ' fns, team-a ,fns',
      KFAAS_WORKERS: '8',
      KFAAS_RESYNC_PERIOD: '30s',
      KFAAS_RECONCILE_TIMEOUT: '5s',
      KFAAS_KUBE_REQUEST_TIMEOUT: '2s',
      KFAAS_KUBE_MAX_SOCKETS: '4',
      KFAAS_SECRET_RECHECK_PERIOD: '500ms',
      KFAAS_REQUEUE_BASE_DELAY: '10ms',
      KFAAS_REQUEUE_MAX_DELAY: '1s',
      KFAAS_INFORMER_RESTART_BASE_DELAY: '50ms',
      KFAAS_INFORMER_RESTART_MAX_DELAY: '2s',
      KFAAS_LEADER_ELECT: 'false',
      KFAAS_LEASE_NAME: 'my-lease',
      POD_NAMESPACE: 'kfaas',
      KFAAS_LEASE_DURATION: '4s',
      KFAAS_LEASE_RENEW_DEADLINE: '3s',
      KFAAS_LEASE_RETRY_PERIOD: '500ms',
      POD_NAME: 'operator-0',
      KFAAS_HEALTH_PORT: '0',
      KFAAS_HEALTH_BIND: '0.0.0.0',
      KFAAS_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      watchNamespaces: ['fns', 'team-a'],
      workers: 8,
      resyncPeriodMs: 30_000,
      reconcileTimeoutMs: 5_000,
      kubeRequestTimeoutMs: 2_000,
      kubeMaxSockets: 4,
      secretRecheckMs: 500,
      requeueBackoff: { minMs: 10, maxMs: 1000 },
      informerBackoff: { minMs: 50, maxMs: 2000 },
      leaderElection: { enabled: false, leaseName: 'my-lease', leaseNamespace: 'kfaas', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
      identity: 'operator-0',
      healthPort: 0,
      healthBind: '0.0.0.0',
      logLevel: 'debug',
    });
    expect(loadConfig({ KFAAS_GATEWAY_SERVICE: 'kfaas-gateway', POD_NAMESPACE: 'kfaas' }).autoscaler).toEqual({
      gatewayService: 'kfaas-gateway',
      gatewayNamespace: 'kfaas',
      gatewayPortName: 'http',
      gatewayAuthDir: undefined,
      intervalMs: 1_000,
      stabilisationMs: 60_000,
      hpaRecheckMs: 10_000,
    });
    expect(
      loadConfig({
        KFAAS_GATEWAY_SERVICE: 'gw',
        KFAAS_GATEWAY_SERVICE_NAMESPACE: 'edge',
        KFAAS_GATEWAY_PORT_NAME: 'web',
        KFAAS_GATEWAY_AUTH_DIR: '/var/secrets/gateway',
        KFAAS_AUTOSCALE_INTERVAL: '500ms',
        KFAAS_AUTOSCALE_STABILISATION: '5s',
        KFAAS_HPA_RECHECK_PERIOD: '2s',
      }).autoscaler,
    ).toEqual({
      gatewayService: 'gw',
      gatewayNamespace: 'edge',
      gatewayPortName: 'web',
      gatewayAuthDir: '/var/secrets/gateway',
      intervalMs: 500,
      stabilisationMs: 5_000,
      hpaRecheckMs: 2_000,
    });
    expect(loadConfig({ KFAAS_LEASE_NAMESPACE: 'x', POD_NAMESPACE: 'y', KFAAS_OPERATOR_IDENTITY: 'me', POD_NAME: 'pod' })).toMatchObject({
      leaderElection: { leaseNamespace: 'x' },
      identity: 'me',
    });
  });

  it.each([
    [{ KFAAS_GATEWAY_SERVICE: 'Gate_way' }, 'operator config KFAAS_GATEWAY_SERVICE="Gate_way": service name must be a DNS-1123 label'],
    [{ KFAAS_GATEWAY_SERVICE: 'gw', KFAAS_AUTOSCALE_INTERVAL: '10ms' }, 'operator config KFAAS_AUTOSCALE_INTERVAL="10ms": must be at least 100ms'],
    [{ KFAAS_WATCH_NAMESPACES: 'ok,Bad_NS' }, 'operator config KFAAS_WATCH_NAMESPACES="Bad_NS": namespace must be a DNS-1123 label'],
    [{ KFAAS_WORKERS: '0' }, 'operator config KFAAS_WORKERS="0": must be between 1 and 256'],
    [{ KFAAS_WORKERS: 'four' }, 'operator config KFAAS_WORKERS="four": must be a whole number'],
    [{ KFAAS_RESYNC_PERIOD: '10 minutes' }, 'operator config KFAAS_RESYNC_PERIOD="10 minutes": invalid duration'],
    [{ KFAAS_RESYNC_PERIOD: '10ms' }, 'operator config KFAAS_RESYNC_PERIOD="10ms": must be at least 1000ms'],
    [{ KFAAS_LEASE_RENEW_DEADLINE: '15s' }, 'operator config KFAAS_LEASE_RENEW_DEADLINE="15s": must be shorter than KFAAS_LEASE_DURATION'],
    [{ KFAAS_LEASE_RETRY_PERIOD: '10s' }, 'operator config KFAAS_LEASE_RETRY_PERIOD="10s": must be shorter than KFAAS_LEASE_RENEW_DEADLINE'],
    [{ KFAAS_LEASE_NAME: 'Bad Lease' }, 'operator config KFAAS_LEASE_NAME="Bad Lease": must be a DNS-1123 subdomain'],
    [{ KFAAS_LEADER_ELECT: 'maybe' }, 'operator config KFAAS_LEADER_ELECT="maybe": must be true or false'],
    [{ KFAAS_REQUEUE_BASE_DELAY: '1s', KFAAS_REQUEUE_MAX_DELAY: '10ms' }, 'operator config KFAAS_REQUEUE_MAX_DELAY="10ms": must not be below'],
    [{ KFAAS_HEALTH_PORT: '70000' }, 'operator config KFAAS_HEALTH_PORT="70000": must be between 0 and 65535'],
    [{ KFAAS_HEALTH_BIND: 'localhost' }, 'operator config KFAAS_HEALTH_BIND="localhost": must be an IP address'],
    [{ KFAAS_LOG_LEVEL: 'loud' }, 'operator config KFAAS_LOG_LEVEL="loud": must be one of'],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
