// The Helm chart, rendered by the real helm (v4, from the tool cache): lint, clear failures on bad values,
// what each component's pod gets, the env accepted by the processes' own config loaders, and a server-side
// dry run of every rendered object against the real kube-apiserver.
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { readBasicAuthCredentials } from '../../gateway/http/basic-auth.js';
import { loadConfig as loadOperatorConfig } from '../../operator/config.js';
import { loadConfig as loadWorkerConfig } from '../../worker/config.js';
import { createNamespace, deleteNamespace, kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';
import { CHART, envOf, helm, pick, renderChart, serverSideApply, writeValues, type Manifest } from './chart-support.js';

// Helm, the apiserver and RBAC propagation take seconds: the integration project's 120 s testTimeout is a
// global-only jest option that projects ignore, so the suite sets its own.
jest.setTimeout(120_000);

const FULL_VALUES = path.join(CHART, 'ci/full-values.yaml');
const BROKERS = { kafka: { brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'] } };
const DEPLOYMENT_NAMES = ['kfaas-gateway', 'kfaas-operator', 'kfaas-worker'];

function deployments(objects: Manifest[]): Manifest[] {
  return objects.filter((o) => o.kind === 'Deployment');
}

function container(deployment: Manifest): Manifest {
  return deployment.spec.template.spec.containers[0];
}

/** Env values as a process would see them: secret and field references replaced by plausible values. */
function processEnv(c: Manifest): Record<string, string> {
  const env = envOf(c);
  for (const [k, v] of Object.entries(env)) if (v.startsWith('<')) env[k] = 'placeholder';
  return env;
}

describe('helm lint', () => {
  it('passes with the default values plus kafka.brokers', async () => {
    const res = await helm(['lint', CHART, '--strict', '-f', writeValues(BROKERS)]);
    expect(res.stderr + res.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(res.code).toBe(0);
  });

  it('passes with every option switched on (ci/full-values.yaml)', async () => {
    const res = await helm(['lint', CHART, '--strict', '-f', FULL_VALUES]);
    expect(res.stderr + res.stdout).toContain('0 chart(s) failed');
    expect(res.code).toBe(0);
  });

  it('reports a missing kafka.brokers, saying what to set', async () => {
    // Helm's lint mode only logs `fail` (it never fails the lint); `helm template`/`install` stop on it (below).
    const res = await helm(['lint', CHART]);
    expect(res.stdout + res.stderr).toContain('kafka.brokers is required: set it to your Kafka bootstrap servers');
  });
});

describe('helm template rejects bad values with a message naming the value', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['missing brokers', {}, 'kafka.brokers is required: set it to your Kafka bootstrap servers'],
    ['empty broker string', { kafka: { brokers: ' , ' } }, 'kafka.brokers is required'],
    ['a broker without port', { kafka: { brokers: 'kafka.example' } }, 'kafka.brokers: "kafka.example" is not host:port'],
    ['kube-system as function namespace', { ...BROKERS, functions: { namespace: 'kube-system' } }, 'kube-system may not hold functions'],
    ['an invalid namespace', { ...BROKERS, functions: { extraNamespaces: ['Team_A'] } }, '"Team_A" is not a valid namespace name'],
    ['an unknown SASL mechanism', { kafka: { ...BROKERS.kafka, sasl: { mechanism: 'gssapi' } } }, 'kafka.sasl.mechanism: "gssapi" must be'],
    ['SASL without its Secret', { kafka: { ...BROKERS.kafka, sasl: { mechanism: 'plain' } } }, 'kafka.sasl.existingSecret is required'],
    ['a client cert without key', { kafka: { ...BROKERS.kafka, tls: { enabled: true, existingSecret: 's', certKey: 'tls.crt' } } }, 'certKey and kafka.tls.keyKey go together'],
    ['mutual TLS without a Secret', { kafka: { ...BROKERS.kafka, tls: { enabled: true, certKey: 'c', keyKey: 'k' } } }, 'kafka.tls.existingSecret is required for mutual TLS'],
    ['a queue without name', { ...BROKERS, worker: { queues: [{ replicas: 1 }] } }, 'worker.queues: every item needs a name'],
    ['a queue with a bad name', { ...BROKERS, worker: { queues: [{ name: 'Big_Jobs' }] } }, 'worker.queues: "Big_Jobs" must be a DNS-1123 label'],
    ['a queue listed twice', { ...BROKERS, worker: { queues: [{ name: 'a' }, { name: 'a' }] } }, 'worker.queues: "a" is listed twice'],
    ['auth on invocations (the workers could not call)', { ...BROKERS, gateway: { basicAuth: { invocations: true } } }, 'gateway.basicAuth.invocations=true is not supported yet'],
    ['a misspelt queue key', { ...BROKERS, worker: { queues: [{ name: 'a', replica: 2 }] } }, 'worker.queues[a]: unknown key "replica"'],
  ])('%s', async (_label, values, message) => {
    const res = await helm(['template', 'kfaas', CHART, '-f', writeValues(values)]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(message);
  });
});

describe('default values (plus kafka.brokers)', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await renderChart({ namespace: 'kfaas', values: BROKERS });
  });

  it('renders the components, their accounts and namespaced RBAC (nothing cluster-wide), the Services, the basic-auth Secret and the function namespace', () => {
    const names = objects.map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        'Deployment kfaas/kfaas-gateway',
        'Deployment kfaas/kfaas-operator',
        'Deployment kfaas/kfaas-worker',
        'Namespace -/openfaas-fn',
        'PodDisruptionBudget kfaas/kfaas-gateway',
        'PodDisruptionBudget kfaas/kfaas-operator',
        'PodDisruptionBudget kfaas/kfaas-worker',
        'Role openfaas-fn/kfaas-gateway',
        'Role openfaas-fn/kfaas-operator',
        'Role kfaas/kfaas-operator-leader-election',
        'RoleBinding openfaas-fn/kfaas-gateway',
        'RoleBinding openfaas-fn/kfaas-operator',
        'RoleBinding kfaas/kfaas-operator-leader-election',
        'Secret kfaas/kfaas-basic-auth',
        'Service kfaas/kfaas-gateway',
        'Service kfaas/kfaas-metrics',
        'ServiceAccount kfaas/kfaas-gateway',
        'ServiceAccount kfaas/kfaas-operator',
        'ServiceAccount kfaas/kfaas-worker',
      ].sort(),
    );
  });

  it('runs every container non-root on a read-only root filesystem, without privileges, with probes and resources', () => {
    for (const d of deployments(objects)) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      const c = container(d);
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      // A read-only root still needs a writable /tmp.
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
      const portNames = (c.ports as Array<{ name: string }>).map((p) => p.name);
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        expect(probe.httpGet.path).toMatch(/^\/(healthz|livez|readyz)$/);
        expect(portNames).toContain(probe.httpGet.port);
      }
      expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
      expect(c.resources.limits.memory).toEqual(expect.any(String));
      expect(c.image).toBe('kfaas/kfaas:0.1.0');
      expect(c.args[0]).toBe(d.metadata.labels['app.kubernetes.io/component'].replace(/^worker.*/, 'worker'));
      // Every kfaas pod is a scrape target of the headless metrics Service.
      expect(portNames).toContain('metrics');
    }
    expect(deployments(objects).map((d) => d.metadata.name).sort()).toEqual(DEPLOYMENT_NAMES);
  });

  it('gives the worker no Kubernetes credentials and no RBAC', () => {
    const worker = pick(objects, 'Deployment', 'kfaas-worker');
    expect(worker.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(worker.spec.template.spec.serviceAccountName).toBe('kfaas-worker');
    expect(pick(objects, 'ServiceAccount', 'kfaas-worker').automountServiceAccountToken).toBe(false);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    const subjects = bindings.flatMap((b) => b.subjects as Array<{ name: string }>).map((s) => s.name);
    expect(subjects).not.toContain('kfaas-worker');
    expect(new Set(subjects)).toEqual(new Set(['kfaas-gateway', 'kfaas-operator']));
  });

  it('renders a gateway env that the gateway config loader accepts, matching the pod ports and the mounted Secret', () => {
    const d = pick(objects, 'Deployment', 'kfaas-gateway');
    const c = container(d);
    const cfg = loadGatewayConfig(processEnv(c));
    const port = (name: string) => (c.ports as Array<{ name: string; containerPort: number }>).find((p) => p.name === name)!.containerPort;
    expect(cfg).toMatchObject({
      provider: 'kubernetes',
      bindAddress: '0.0.0.0',
      port: port('http'),
      metricsPort: port('metrics'),
      functionNamespace: 'openfaas-fn',
      clusterWide: false,
      allowedNamespaces: ['openfaas-fn'],
      kafkaBrokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
      auth: { enabled: true, invocations: false },
    });
    const mount = (c.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) => m.name === 'basic-auth')!;
    expect(cfg.auth.secretMountPath).toBe(mount.mountPath);
    const volume = (d.spec.template.spec.volumes as Manifest[]).find((v) => v.name === 'basic-auth')!;
    expect(volume.secret.secretName).toBe('kfaas-basic-auth');
    expect(volume.secret.items.map((i: { path: string }) => i.path).sort()).toEqual(['basic-auth-password', 'basic-auth-user']);
  });

  it('mounts the basic-auth Secret where the gateway reads its credentials, under the file names it reads', () => {
    const d = pick(objects, 'Deployment', 'kfaas-gateway');
    const c = container(d);
    const cfg = loadGatewayConfig(processEnv(c));
    const secret = pick(objects, 'Secret', 'kfaas-basic-auth');
    const volume = (d.spec.template.spec.volumes as Manifest[]).find((v) => v.name === 'basic-auth')!;
    // The kubelet projects each item's key to its path under the mount: reproduce that in memory.
    const files = new Map<string, string>(
      (volume.secret.items as Array<{ key: string; path: string }>).map((i) => [path.join(cfg.auth.secretMountPath, i.path), Buffer.from(secret.data[i.key], 'base64').toString()]),
    );
    const creds = readBasicAuthCredentials(cfg.auth, (file) => {
      const text = files.get(file);
      if (text === undefined) throw new Error(`ENOENT ${file}`);
      return text;
    });
    expect(creds).toEqual({ user: 'admin', password: Buffer.from(secret.data['basic-auth-password'], 'base64').toString() });
  });

  it('generates a basic-auth Secret with a random 32-character password, kept on uninstall', () => {
    const secret = pick(objects, 'Secret', 'kfaas-basic-auth');
    expect(Buffer.from(secret.data['basic-auth-user'], 'base64').toString()).toBe('admin');
    expect(Buffer.from(secret.data['basic-auth-password'], 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('renders a worker env that the worker config loader accepts, pointing at the gateway Service', () => {
    const c = container(pick(objects, 'Deployment', 'kfaas-worker'));
    const cfg = loadWorkerConfig(processEnv(c));
    const svc = pick(objects, 'Service', 'kfaas-gateway');
    expect(cfg).toMatchObject({
      gatewayUrl: `http://kfaas-gateway.kfaas.svc:${svc.spec.ports[0].port}`,
      maxInflight: 100,
      invocationsTopic: 'kfaas.invocations',
      deadLetterTopic: 'kfaas.dead-letter',
      metricsBind: '0.0.0.0',
      metricsPort: c.ports[0].containerPort,
      kafkaBrokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
    });
    expect(c.args).toEqual(['worker']);
  });

  it('renders an operator env that the operator config loader accepts: watched namespaces, Lease, probe port', () => {
    const d = pick(objects, 'Deployment', 'kfaas-operator');
    const c = container(d);
    const env = envOf(c);
    expect(env).toMatchObject({ KFAAS_LEASE_NAMESPACE: '<field:metadata.namespace>', POD_NAME: '<field:metadata.name>' });
    const cfg = loadOperatorConfig({ ...processEnv(c), KFAAS_LEASE_NAMESPACE: 'kfaas', POD_NAME: 'kfaas-operator-abc' });
    expect(cfg).toMatchObject({
      watchNamespaces: ['openfaas-fn'],
      healthBind: '0.0.0.0',
      healthPort: c.ports[0].containerPort,
      identity: 'kfaas-operator-abc',
      leaderElection: { enabled: true, leaseName: 'kfaas-operator', leaseNamespace: 'kfaas' },
    });
    expect(c.ports[0].name).toBe('metrics');
    expect(d.spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('selects exactly each Deployment’s pods with its PodDisruptionBudget and the gateway Service', () => {
    for (const d of deployments(objects)) {
      const pdb = pick(objects, 'PodDisruptionBudget', d.metadata.name);
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
      expect(pdb.spec.maxUnavailable).toBe(1);
    }
    const gateway = pick(objects, 'Deployment', 'kfaas-gateway');
    const svc = pick(objects, 'Service', 'kfaas-gateway');
    expect(svc.spec.selector).toEqual(gateway.spec.selector.matchLabels);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    const metrics = pick(objects, 'Service', 'kfaas-metrics');
    expect(metrics.spec.clusterIP).toBe('None');
    for (const d of deployments(objects)) expect(d.spec.template.metadata.labels).toMatchObject(metrics.spec.selector);
  });

  it('keeps the function namespace on uninstall', () => {
    const ns = pick(objects, 'Namespace', 'openfaas-fn');
    expect(ns.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });
});

describe('ci/full-values.yaml', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await renderChart({ namespace: 'platform', valueFiles: [FULL_VALUES] });
  });

  it('renders a worker Deployment per dedicated queue, each with `--queue` and its own settings', () => {
    expect(deployments(objects).map((d) => d.metadata.name).sort()).toEqual([
      'kfaas-full-gateway',
      'kfaas-full-operator',
      'kfaas-full-worker',
      'kfaas-full-worker-parked',
      'kfaas-full-worker-reports',
    ]);
    const reports = pick(objects, 'Deployment', 'kfaas-full-worker-reports');
    const c = container(reports);
    expect(c.args).toEqual(['worker', '--queue', 'reports']);
    expect(reports.spec.replicas).toBe(2);
    expect(reports.spec.template.spec.terminationGracePeriodSeconds).toBe(620);
    expect(envOf(c)).toMatchObject({ max_inflight: '10', KFAAS_DRAIN_TIMEOUT: '590s' });
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    expect(loadWorkerConfig({ ...processEnv(c), KFAAS_QUEUE: 'reports' })).toMatchObject({ queue: 'reports', maxInflight: 10 });
    const parked = pick(objects, 'Deployment', 'kfaas-full-worker-parked');
    expect(parked.spec.replicas).toBe(0);
    expect(envOf(container(parked))).toMatchObject({ max_inflight: '200' });
    const shared = pick(objects, 'Deployment', 'kfaas-full-worker');
    expect(shared.spec.replicas).toBe(4);
    expect(container(shared).args).toEqual(['worker']);
    // Each queue's pods are their own: selectors never overlap.
    const selectors = deployments(objects).map((d) => JSON.stringify(d.spec.selector.matchLabels));
    expect(new Set(selectors).size).toBe(selectors.length);
  });

  it('wires Kafka TLS from a mounted Secret and SASL credentials from secretKeyRefs', () => {
    for (const name of ['kfaas-full-gateway', 'kfaas-full-worker', 'kfaas-full-worker-reports']) {
      const d = pick(objects, 'Deployment', name);
      const c = container(d);
      expect(envOf(c)).toMatchObject({
        KAFKA_BROKERS: 'kafka-0.kafka.svc:9093,kafka-1.kafka.svc:9093,kafka-2.kafka.svc:9093',
        KAFKA_CLIENT_ID: 'kfaas-prod',
        KAFKA_TLS: 'true',
        KAFKA_TLS_REJECT_UNAUTHORIZED: 'true',
        KAFKA_TLS_CA_FILE: '/etc/kfaas/kafka-tls/ca.crt',
        KAFKA_TLS_CERT_FILE: '/etc/kfaas/kafka-tls/user.crt',
        KAFKA_TLS_KEY_FILE: '/etc/kfaas/kafka-tls/user.key',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: '<secret:kafka-sasl/user>',
        KAFKA_SASL_PASSWORD: '<secret:kafka-sasl/pass>',
        KFAAS_INVOCATIONS_TOPIC: 'prod.kfaas.invocations',
        KFAAS_DEAD_LETTER_TOPIC: 'prod.kfaas.dead-letter',
        KFAAS_TOPIC_PARTITIONS: '24',
        KFAAS_TOPIC_REPLICATION_FACTOR: '3',
      });
      expect(c.volumeMounts).toContainEqual({ name: 'kafka-tls', mountPath: '/etc/kfaas/kafka-tls', readOnly: true });
      expect(d.spec.template.spec.volumes).toContainEqual({ name: 'kafka-tls', secret: { secretName: 'kafka-client-tls', defaultMode: 0o440 } });
    }
    // The operator never talks to Kafka.
    expect(envOf(container(pick(objects, 'Deployment', 'kfaas-full-operator'))).KAFKA_BROKERS).toBeUndefined();
  });

  it('uses an existing basic-auth Secret instead of generating one', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const gateway = pick(objects, 'Deployment', 'kfaas-full-gateway');
    const volume = (gateway.spec.template.spec.volumes as Manifest[]).find((v) => v.name === 'basic-auth')!;
    expect(volume.secret.secretName).toBe('gateway-admin');
  });

  it('applies image overrides per component, the pull policy and pull secrets', () => {
    const image = (name: string) => container(pick(objects, 'Deployment', name)).image;
    expect(image('kfaas-full-gateway')).toBe('registry.example.com/platform/kfaas:0.1.0-rc2');
    expect(image('kfaas-full-operator')).toBe(`registry.example.com/platform/kfaas@sha256:${'0'.repeat(64)}`);
    expect(image('kfaas-full-worker')).toBe('registry.example.com/platform/kfaas:0.1.0-rc1');
    for (const d of deployments(objects)) {
      expect(container(d).imagePullPolicy).toBe('Always');
      expect(d.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    }
  });

  it('grants Roles in each listed function namespace, and serves exactly those namespaces', () => {
    const roles = objects.filter((o) => o.kind === 'Role').map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();
    expect(roles).toEqual(
      [
        'fn-team-a/kfaas-full-gateway',
        'fn-team-a/kfaas-full-operator',
        'fn-team-b/kfaas-full-gateway',
        'fn-team-b/kfaas-full-operator',
        'fn-team-c/kfaas-full-gateway',
        'fn-team-c/kfaas-full-operator',
        'platform/kfaas-full-operator-leader-election',
      ].sort(),
    );
    expect(objects.filter((o) => o.kind === 'Namespace')).toEqual([]);
    const cfg = loadGatewayConfig(processEnv(container(pick(objects, 'Deployment', 'kfaas-full-gateway'))));
    expect(cfg.allowedNamespaces).toEqual(['fn-team-a', 'fn-team-b', 'fn-team-c']);
    expect(cfg.functionNamespace).toBe('fn-team-a');
    expect(cfg.callbackAllowlist).toEqual(['*.example.com', '198.18.0.0/15']);
    // The worker checks callbacks again when it sends them, against the same list.
    expect(envOf(container(pick(objects, 'Deployment', 'kfaas-full-worker'))).KFAAS_CALLBACK_ALLOWLIST).toBe('*.example.com,198.18.0.0/15');
    expect(cfg.maxUpstreamTimeoutMs).toBe(15 * 60_000);
    expect(envOf(container(pick(objects, 'Deployment', 'kfaas-full-operator'))).KFAAS_WATCH_NAMESPACES).toBe('fn-team-a,fn-team-b,fn-team-c');
  });

  it('renders the gateway Service, the PodDisruptionBudgets and the ServiceMonitor as configured', () => {
    const svc = pick(objects, 'Service', 'kfaas-full-gateway');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }]);
    expect(svc.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' });
    expect(pick(objects, 'PodDisruptionBudget', 'kfaas-full-gateway').spec).toMatchObject({ minAvailable: 2 });
    expect(pick(objects, 'PodDisruptionBudget', 'kfaas-full-gateway').spec.maxUnavailable).toBeUndefined();
    expect(pick(objects, 'PodDisruptionBudget', 'kfaas-full-worker-reports').spec).toMatchObject({ maxUnavailable: 2 });
    const sm = pick(objects, 'ServiceMonitor', 'kfaas-full');
    expect(sm.metadata.labels.release).toBe('prometheus');
    expect(sm.spec.selector.matchLabels).toEqual(
      Object.fromEntries(Object.entries(pick(objects, 'Service', 'kfaas-full-metrics').metadata.labels).filter(([k]) => !/version|chart|managed-by|part-of/.test(k))),
    );
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
  });
});

describe('functions.clusterWide', () => {
  it('grants the operator and the gateway ClusterRoles (the gateway also manages namespaces) and tells both to go cluster-wide', async () => {
    const objects = await renderChart({ namespace: 'kfaas', values: { ...BROKERS, functions: { clusterWide: true, extraNamespaces: ['fn-b'] } } });
    const operatorRole = pick(objects, 'ClusterRole', 'kfaas-operator');
    expect(operatorRole.rules).toContainEqual({ apiGroups: ['kfaas.dev'], resources: ['functions'], verbs: ['get', 'list', 'watch'] });
    expect(pick(objects, 'ClusterRoleBinding', 'kfaas-operator').subjects).toEqual([{ kind: 'ServiceAccount', name: 'kfaas-operator', namespace: 'kfaas' }]);
    const gatewayRole = pick(objects, 'ClusterRole', 'kfaas-gateway');
    expect(gatewayRole.rules).toContainEqual({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] });
    expect(gatewayRole.rules).toContainEqual({ apiGroups: ['kfaas.dev'], resources: ['functions'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] });
    expect(pick(objects, 'ClusterRoleBinding', 'kfaas-gateway').subjects).toEqual([{ kind: 'ServiceAccount', name: 'kfaas-gateway', namespace: 'kfaas' }]);
    // The ClusterRole covers the listed namespaces too: no per-namespace Roles remain but the Lease's.
    const roles = objects.filter((o) => o.kind === 'Role').map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();
    expect(roles).toEqual(['kfaas/kfaas-operator-leader-election']);
    expect(envOf(container(pick(objects, 'Deployment', 'kfaas-operator'))).KFAAS_WATCH_NAMESPACES).toBe('');
    expect(loadGatewayConfig(processEnv(container(pick(objects, 'Deployment', 'kfaas-gateway'))))).toMatchObject({ clusterWide: true, allowedNamespaces: ['openfaas-fn', 'fn-b'] });
  });
});

describe('hostNetwork and worker.gatewayUrl (clusters whose pods cannot reach the apiserver or brokers)', () => {
  it('puts every platform pod in the node network, listening on the pod (node) address, and points workers at the given URL', async () => {
    const objects = await renderChart({
      namespace: 'kfaas',
      values: { ...BROKERS, hostNetwork: true, worker: { gatewayUrl: 'http://198.18.1.1:31080' } },
    });
    for (const d of deployments(objects)) {
      expect({ name: d.metadata.name, hostNetwork: d.spec.template.spec.hostNetwork, dnsPolicy: d.spec.template.spec.dnsPolicy })
        .toEqual({ name: d.metadata.name, hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    }
    const bind = (name: string, key: string) => container(pick(objects, 'Deployment', name)).env.find((e: Manifest) => e.name === key);
    for (const [name, key] of [['kfaas-gateway', 'KFAAS_GATEWAY_BIND'], ['kfaas-worker', 'KFAAS_METRICS_BIND'], ['kfaas-operator', 'KFAAS_HEALTH_BIND']] as const) {
      expect(bind(name, key)).toEqual({ name: key, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    }
    const workerEnv = { ...processEnv(container(pick(objects, 'Deployment', 'kfaas-worker'))), KFAAS_METRICS_BIND: '198.18.1.1' };
    expect(loadWorkerConfig(workerEnv).gatewayUrl).toBe('http://198.18.1.1:31080');
    // Off by default: pods keep their own network and listen on every pod address.
    const defaults = await renderChart({ namespace: 'kfaas', values: BROKERS });
    for (const d of deployments(defaults)) expect(d.spec.template.spec.hostNetwork).toBeUndefined();
    expect(envOf(container(pick(defaults, 'Deployment', 'kfaas-gateway'))).KFAAS_GATEWAY_BIND).toBe('0.0.0.0');
  });
});

describe('server-side dry run against the real kube-apiserver', () => {
  let kc: k8s.KubeConfig;
  const created: string[] = [];
  const stubCrd = 'servicemonitors.monitoring.coreos.com';

  beforeAll(async () => {
    kc = kubeConfigFor(loadServices());
    // The Prometheus Operator's CRD is not part of this cluster: a schema-less stand-in lets the dry run check
    // the ServiceMonitor's group, version, kind and scope.
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    try {
      await ext.createCustomResourceDefinition({
        body: {
          metadata: { name: stubCrd },
          spec: {
            group: 'monitoring.coreos.com',
            scope: 'Namespaced',
            names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor' },
            versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
          },
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    await waitFor(
      async () => {
        const res = await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'servicemonitors' });
        return res !== undefined;
      },
      { timeoutMs: 20_000, description: 'the ServiceMonitor stand-in CRD to be served' },
    );
  });

  afterAll(async () => {
    await Promise.all(created.map((ns) => deleteNamespace(kc, ns)));
  });

  async function dryRunApply(objects: Manifest[]): Promise<string[]> {
    const problems: string[] = [];
    for (const obj of objects) {
      const problem = await serverSideApply(kc, obj, { dryRun: true });
      if (problem) problems.push(problem);
    }
    return problems;
  }

  it('accepts every object rendered from the default values', async () => {
    const release = await createNamespace(kc, 'chart-dry');
    created.push(release);
    // A function namespace that does not exist yet: the chart's own Namespace object creates it.
    const fnNamespace = uniqueName('chart-dry-fn');
    const objects = await renderChart({ namespace: release, values: { ...BROKERS, functions: { namespace: fnNamespace } } });
    const [namespaces, rest] = [objects.filter((o) => o.kind === 'Namespace'), objects.filter((o) => o.kind !== 'Namespace')];
    expect(namespaces.map((n) => n.metadata.name)).toEqual([fnNamespace]);
    expect(await dryRunApply(namespaces)).toEqual([]);
    // A dry run creates nothing, so objects inside the new namespace need it for real.
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: fnNamespace } } });
    created.push(fnNamespace);
    expect(await dryRunApply(rest)).toEqual([]);
    expect(rest.length).toBeGreaterThan(15);
  });

  it('accepts every object rendered from ci/full-values.yaml', async () => {
    const release = await createNamespace(kc, 'chart-dry-full');
    created.push(release);
    const fns = await Promise.all(['a', 'b', 'c'].map((s) => createNamespace(kc, `chart-dry-${s}`)));
    created.push(...fns);
    const objects = await renderChart({
      namespace: release,
      valueFiles: [FULL_VALUES],
      values: { fullnameOverride: uniqueName('full'), functions: { namespace: fns[0], extraNamespaces: fns.slice(1), createNamespaces: false } },
    });
    expect(objects.some((o) => o.kind === 'ServiceMonitor')).toBe(true);
    expect(await dryRunApply(objects)).toEqual([]);
  });

  it('is a real check: the dry run rejects an invalid value and an unknown (misspelt) field', async () => {
    const release = await createNamespace(kc, 'chart-dry-neg');
    created.push(release);
    const objects = await renderChart({ namespace: release, values: { ...BROKERS, functions: { createNamespaces: false, namespace: release } } });
    const badPort = structuredClone(pick(objects, 'Deployment', 'kfaas-gateway'));
    badPort.spec.template.spec.containers[0].ports[0].containerPort = 70000;
    const misspelt = structuredClone(pick(objects, 'Deployment', 'kfaas-worker'));
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    const problems = await dryRunApply([badPort, misspelt]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('containerPort');
    expect(problems[1]).toContain('readinesProbe: field not declared in schema');
  });
});

describe('values.yaml and the chart README', () => {
  // A key is documented by a `# -- ...` line above it. A map whose children are documented is a section (its
  // children are the keys); any other value (a scalar, a list, a map such as `resources`) is one key.
  const doc = (c: string | null | undefined) => (c ?? '').split('\n').some((l) => l.trim().startsWith('--'));
  function keys(map: YAMLMap, prefix: string, out: Array<{ key: string; documented: boolean }>): typeof out {
    map.items.forEach((pair, i) => {
      const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
      const value = pair.value;
      const childDocumented = isMap(value) && value.items.some((p, j) => doc((p.key as { commentBefore?: string }).commentBefore) || (j === 0 && doc(value.commentBefore)));
      if (childDocumented) keys(value as YAMLMap, `${key}.`, out);
      else out.push({ key, documented: doc((pair.key as { commentBefore?: string }).commentBefore) || (i === 0 && doc(map.commentBefore)) });
    });
    return out;
  }
  const all = keys(parseDocument(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')).contents as YAMLMap, '', []);

  it('has a one-line comment on every key', () => {
    expect(all.filter((k) => !k.documented).map((k) => k.key)).toEqual([]);
    expect(all.length).toBeGreaterThan(80);
  });

  it('lists exactly the keys of values.yaml in the README table', () => {
    const readme = fs.readFileSync(path.join(CHART, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Za-z0-9.]+)` \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(all.map((k) => k.key).sort());
  });
});
