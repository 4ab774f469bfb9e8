/**
 * Operator benchmark against a real control plane: N Functions created at once, timed until every Deployment
 * and Service exists, with the create-to-Deployment latency per Function and the API requests the operator
 * made per reconcile and per Function. The baseline is the same N Deployments and Services created directly
 * by a client with the same concurrency, in the same run: the operator's rate over the control plane's own.
 * The operator runs in this process, so rssMb covers the bench client too.
 */
import { Watch, KubeConfig } from '@kubernetes/client-node';
import winston from 'winston';
import { loadConfig } from '../operator/config.js';
import { createOperator } from '../operator/index.js';
import { deploymentPath, servicePath } from '../operator/kube/paths.js';
import { KubeRestClient } from '../operator/kube/rest-client.js';
import { buildDeployment } from '../operator/resources/build-deployment.js';
import { buildService } from '../operator/resources/build-service.js';
import { deploymentForCreate } from '../operator/resources/merge.js';
import { applyCrd, createNamespace, deleteNamespace } from '../operator/testing/kube-test-kit.js';
import type { FunctionResource } from '../common/function-types.js';
import { percentile } from './load.js';
import { round } from './support.js';
import type { BenchResult } from './types.js';

/** Options of the operator benchmark. */
export interface OperatorBenchOptions {
  readonly kubeconfigPath: string;
  /** Functions to create (default 1000). */
  readonly count?: number;
  /** Operator reconcile workers (default: the operator's default, KFAAS_WORKERS). */
  readonly workers?: number;
}

const TARGET_MS = 30_000;
const CLIENT_SOCKETS = 32;

interface Arrivals {
  readonly deployments: Map<string, number>;
  readonly services: Map<string, number>;
  stop(): void;
}

/** Watches Deployments and Services of a namespace, recording when each name first appears. */
async function watchArrivals(kc: KubeConfig, ns: string): Promise<Arrivals> {
  const watch = new Watch(kc);
  const deployments = new Map<string, number>();
  const services = new Map<string, number>();
  const track = (map: Map<string, number>) => (phase: string, obj: { metadata?: { name?: string } }) => {
    const name = obj.metadata?.name;
    if (phase === 'ADDED' && name && !map.has(name)) map.set(name, performance.now());
  };
  const noop = () => undefined;
  const a = await watch.watch(deploymentPath(ns), {}, track(deployments), noop);
  const b = await watch.watch(servicePath(ns), {}, track(services), noop);
  return { deployments, services, stop: () => (a.abort(), b.abort()) };
}

/** Deletes a namespace and waits until it is gone, so its cleanup does not load the next measurement. */
async function dropNamespace(client: KubeRestClient, ns: string): Promise<void> {
  await deleteNamespace(client, ns);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await client.request('GET', `/api/v1/namespaces/${ns}`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`operator bench: namespace ${ns} still terminating after 10 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs `fn` over `items` with at most `limit` in flight (so request timeouts never include queueing). */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`operator bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Makes sure there are ClusterIPs for `count` Services. The test control plane's service range is a /24 (254
 * addresses); the ServiceCIDR API (GA since Kubernetes 1.33) adds a /16 without restarting the apiserver.
 */
async function ensureServiceIps(client: KubeRestClient, count: number): Promise<void> {
  if (count <= 200) return;
  const path = '/apis/networking.k8s.io/v1/servicecidrs';
  try {
    await client.request('POST', path, { body: { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kfaas-bench' }, spec: { cidrs: ['198.18.64.0/18'] } } });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const cidr = await client.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `${path}/kfaas-bench`);
    if (cidr.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error('operator bench: ServiceCIDR kfaas-bench did not become Ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function fnNamed(name: string): FunctionResource {
  return { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name }, spec: { name, image: 'ghcr.io/kfaas/echo:1' } };
}

function latencies(created: Map<string, number>, arrived: Map<string, number>): number[] {
  return [...created].map(([name, at]) => (arrived.get(name) ?? Number.NaN) - at).sort((x, y) => x - y);
}

/** Runs the scenario and its baseline; returns one row each. */
export async function runOperatorBench(opts: OperatorBenchOptions): Promise<BenchResult[]> {
  const count = opts.count ?? 1000;
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const client = await KubeRestClient.create({ kubeConfig: kc, timeoutMs: 60_000, maxSockets: CLIENT_SOCKETS });
  await applyCrd(client);
  await ensureServiceIps(client, count);
  const suffix = `${Date.now().toString(36)}`;
  const opNs = `bench-op-${suffix}`;
  const directNs = `bench-direct-${suffix}`;
  const names = Array.from({ length: count }, (_, i) => `fn-${i}`);
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  try {
    // Baseline: the control plane's own rate for the same objects, written directly.
    await createNamespace(client, directNs);
    const direct = await watchArrivals(kc, directNs);
    const directCreated = new Map<string, number>();
    const t0 = performance.now();
    await forEachLimit(names, CLIENT_SOCKETS, async (name) => {
      const fn = { ...fnNamed(name), metadata: { name, namespace: directNs, uid: '' } };
      const dep = deploymentForCreate(buildDeployment(fn), fn);
      const svc = buildService(fn);
      delete dep.metadata!.ownerReferences;
      delete svc.metadata!.ownerReferences;
      directCreated.set(name, performance.now());
      await client.request('POST', deploymentPath(directNs), { body: dep });
      await client.request('POST', servicePath(directNs), { body: svc });
    });
    await waitUntil(() => direct.deployments.size === count && direct.services.size === count, 300_000, 'direct objects');
    const directMs = Math.max(...direct.deployments.values(), ...direct.services.values()) - t0;
    direct.stop();
    const directLat = latencies(directCreated, direct.deployments);
    await dropNamespace(client, directNs);

    // The operator scenario.
    await createNamespace(client, opNs);
    const config = loadConfig({
      KFAAS_WATCH_NAMESPACES: opNs,
      KFAAS_LEADER_ELECT: 'false',
      KFAAS_HEALTH_PORT: '0',
      ...(opts.workers ? { KFAAS_WORKERS: String(opts.workers) } : {}),
    });
    const operator = createOperator({ config, kubeConfig: kc, logger: winston.createLogger({ silent: true }), identity: 'bench', serveHealth: false });
    await operator.start();
    await waitUntil(() => operator.reconciling, 30_000, 'operator caches');
    const arrivals = await watchArrivals(kc, opNs);
    const created = new Map<string, number>();
    const t1 = performance.now();
    await forEachLimit(names, CLIENT_SOCKETS, async (name) => {
      created.set(name, performance.now());
      await client.request('POST', `/apis/kfaas.dev/v1alpha1/namespaces/${opNs}/functions`, { body: fnNamed(name) });
    });
    const createdAllMs = performance.now() - t1;
    await waitUntil(() => arrivals.deployments.size === count && arrivals.services.size === count, 300_000, 'operator-made objects');
    const opMs = Math.max(...arrivals.deployments.values(), ...arrivals.services.values()) - t1;
    arrivals.stop();
    // Let the follow-up reconciles (owned-object events, Deployment status from kube-controller-manager) settle.
    let settled = '';
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const snapshot = JSON.stringify(operator.apiRequestCounts());
      if (snapshot === settled) break;
      settled = snapshot;
    }
    const counts = operator.apiRequestCounts();
    const requests = Object.values(counts).reduce((a, b) => a + b, 0);
    const reconcileMetric = await operator.metrics.registry.getSingleMetric('kfaas_operator_reconcile_total')!.get();
    const reconciles = reconcileMetric.values.reduce((a, v) => a + v.value, 0);
    const durations = await operator.metrics.registry.getSingleMetric('kfaas_operator_reconcile_duration_seconds')!.get();
    const durationSum = (durations.values as Array<{ metricName?: string; value: number }>).find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const statuses = await client.request<{ items: FunctionResource[] }>('GET', `/apis/kfaas.dev/v1alpha1/namespaces/${opNs}/functions`);
    const withStatus = statuses.items.filter((f) => f.status?.observedGeneration === 1).length;
    await operator.close();
    const lat = latencies(created, arrivals.deployments);
    await dropNamespace(client, opNs);

    const breakdown = Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const directRate = count / (directMs / 1000);
    const opRate = count / (opMs / 1000);
    return [
      {
        scenario: `direct: ${count} Deployments + Services created by a client (${CLIENT_SOCKETS} connections)`,
        baseline: 'itself',
        reqPerSec: round(directRate),
        p50Ms: round(percentile(directLat, 0.5)),
        p99Ms: round(percentile(directLat, 0.99)),
        ratio: 1,
        notes: `all objects existed after ${round(directMs / 1000)} s`,
      },
      {
        scenario: `operator (${config.workers} workers): ${count} Functions created at once -> every Deployment and Service exists`,
        baseline: 'the same objects created directly (row above)',
        reqPerSec: round(opRate),
        p50Ms: round(percentile(lat, 0.5)),
        p99Ms: round(percentile(lat, 0.99)),
        ratio: round(opRate / directRate),
        rssMb: Math.round(peakRss / 2 ** 20),
        notes:
          `all Deployments and Services after ${round(opMs / 1000)} s (target <= ${TARGET_MS / 1000} s: ${opMs <= TARGET_MS ? 'met' : 'MISSED'}); ` +
          `creating the Functions took ${round(createdAllMs / 1000)} s; p50/p99 = Function create -> Deployment seen; ` +
          `${reconciles} reconciles (mean ${round((durationSum / reconciles) * 1000)} ms), ${requests} API requests = ${round(requests / reconciles)} per reconcile, ${round(requests / count)} per Function ` +
          `(${breakdown}); ${withStatus}/${count} statuses at observedGeneration 1`,
      },
    ];
  } finally {
    clearInterval(rssTimer);
    await deleteNamespace(client, directNs).catch(() => undefined);
    await deleteNamespace(client, opNs).catch(() => undefined);
    client.close();
  }
}

