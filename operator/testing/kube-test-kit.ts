/**
 * Support for the operator's integration tests against the real apiserver: install the CRD, start operators
 * with short test timings, a raw API client, and a TCP proxy that can cut the operator off the apiserver.
 */
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import winston from 'winston';
import type { FunctionResource } from '../../common/function-types.js';
import { loadConfig } from '../config.js';
import { createOperator, type Operator, type OperatorDeps } from '../index.js';
import { ApiError, isAlreadyExists, isNotFound } from '../reconciler/api-error.js';
import { KubeRestClient } from '../kube/rest-client.js';
import { eventsPath, functionPath } from '../kube/paths.js';
import { loadCrd } from './crd.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/** A raw JSON client for tests (the operator's own REST client; counting is irrelevant here). */
export function apiClient(kc: KubeConfig): Promise<KubeRestClient> {
  return KubeRestClient.create({ kubeConfig: kc, timeoutMs: 15_000, maxSockets: 16 });
}

/** Creates or updates the Function CRD from crds/, then waits until it is Established and served. */
export async function applyCrd(client: KubeRestClient): Promise<void> {
  const crd = loadCrd();
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
  try {
    await client.request('POST', path, { body: crd, query: { fieldValidation: 'Strict' } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    for (let attempt = 0; ; attempt++) {
      const live = await client.request<{ metadata: { resourceVersion: string } }>('GET', `${path}/${crd.metadata.name}`);
      try {
        await client.request('PUT', `${path}/${crd.metadata.name}`, {
          body: { ...crd, metadata: { ...crd.metadata, resourceVersion: live.metadata.resourceVersion } },
          query: { fieldValidation: 'Strict' },
        });
        break;
      } catch (e) {
        // Parallel test files apply the same CRD; a lost race is retried on the fresh version.
        if (!(e instanceof ApiError && e.statusCode === 409) || attempt > 5) throw e;
      }
    }
  }
  await waitFor(
    async () => {
      const live = await client.request<any>('GET', `${path}/${crd.metadata.name}`);
      return (live.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
    },
    { timeoutMs: 20_000, intervalMs: 10, description: 'the Function CRD to be established' },
  );
  await waitFor(
    async () => {
      try {
        const list = await client.request<any>('GET', '/apis/kfaas.dev/v1alpha1');
        return (list.resources ?? []).some((r: any) => r.name === 'functions');
      } catch {
        return false;
      }
    },
    { timeoutMs: 20_000, intervalMs: 10, description: 'discovery to serve kfaas.dev/v1alpha1 functions' },
  );
}

/** Creates a namespace. */
export async function createNamespace(client: KubeRestClient, name: string): Promise<void> {
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/** Deletes a namespace (best effort). */
export async function deleteNamespace(client: KubeRestClient, name: string): Promise<void> {
  try {
    await client.request('DELETE', `/api/v1/namespaces/${name}`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Creates a Function with strict field validation, as kubectl does. */
export function createFunction(client: KubeRestClient, namespace: string, fn: FunctionResource): Promise<FunctionResource> {
  return client.request('POST', `/apis/kfaas.dev/v1alpha1/namespaces/${namespace}/functions`, {
    body: { ...fn, metadata: { ...fn.metadata, namespace } },
    query: { fieldValidation: 'Strict' },
  });
}

/** Reads a Function, or undefined. */
export async function getFunction(client: KubeRestClient, namespace: string, name: string): Promise<FunctionResource | undefined> {
  try {
    return await client.request<FunctionResource>('GET', functionPath(namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Merge-patches a Function's spec. */
export function patchFunctionSpec(client: KubeRestClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<FunctionResource> {
  return client.request('PATCH', functionPath(namespace, name), { body: { spec }, contentType: 'application/merge-patch+json' });
}

/** GETs any path, or undefined on 404. */
export async function getOrUndefined<T = any>(client: KubeRestClient, path: string): Promise<T | undefined> {
  try {
    return await client.request<T>('GET', path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A Function to create in tests: the echo image, with spec overrides. */
export function functionNamed(name: string, spec: Partial<FunctionResource['spec']> = {}): FunctionResource {
  return { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', metadata: { name }, spec: { name, image: 'ghcr.io/kfaas/echo:1', ...spec } };
}

/** The Events recorded about a Function. */
export async function functionEvents(client: KubeRestClient, namespace: string, name: string): Promise<Array<{ type: string; reason: string; message: string }>> {
  const list = await client.request<{ items: Array<{ type: string; reason: string; message: string }> }>('GET', eventsPath(namespace), {
    query: { fieldSelector: `involvedObject.kind=Function,involvedObject.name=${name}` },
  });
  return list.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
}

/** A condition's `status/reason` of a Function, e.g. `True/Available`. */
export function conditionOf(fn: FunctionResource | undefined, type: string): string | undefined {
  const c = fn?.status?.conditions?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}` : undefined;
}

/** Options of a test operator. */
export interface TestOperatorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespaces: readonly string[];
  readonly identity: string;
  /** Lease `namespace/name`; leader election is off when undefined. */
  readonly lease?: { namespace: string; name: string };
  readonly env?: Record<string, string>;
  readonly logger?: winston.Logger;
  /** Stands in for the gateways' signals (set KFAAS_GATEWAY_SERVICE in env to run the autoscaler). */
  readonly scaleSignals?: OperatorDeps['scaleSignals'];
}

/** Starts an operator with test timings (fast backoff, short lease) watching only the given namespaces. */
export async function startTestOperator(options: TestOperatorOptions): Promise<Operator> {
  const config = loadConfig({
    KFAAS_WATCH_NAMESPACES: options.namespaces.join(','),
    KFAAS_HEALTH_PORT: '0',
    KFAAS_RESYNC_PERIOD: '30s',
    KFAAS_SECRET_RECHECK_PERIOD: '300ms',
    KFAAS_REQUEUE_BASE_DELAY: '50ms',
    KFAAS_REQUEUE_MAX_DELAY: '2s',
    KFAAS_INFORMER_RESTART_BASE_DELAY: '100ms',
    KFAAS_INFORMER_RESTART_MAX_DELAY: '1s',
    KFAAS_KUBE_REQUEST_TIMEOUT: '5s',
    KFAAS_LEADER_ELECT: options.lease ? 'true' : 'false',
    ...(options.lease
      ? {
          KFAAS_LEASE_NAMESPACE: options.lease.namespace,
          KFAAS_LEASE_NAME: options.lease.name,
          KFAAS_LEASE_DURATION: '3s',
          KFAAS_LEASE_RENEW_DEADLINE: '2s',
          KFAAS_LEASE_RETRY_PERIOD: '250ms',
        }
      : {}),
    ...(options.env ?? {}),
  });
  const operator = createOperator({
    config,
    kubeConfig: options.kubeConfig,
    logger: options.logger ?? winston.createLogger({ silent: true }),
    identity: options.identity,
    ...(options.scaleSignals ? { scaleSignals: options.scaleSignals } : {}),
  });
  await operator.start();
  return operator;
}

/** A copy of a KubeConfig whose current cluster is reached at another server URL (same TLS identity). */
export function kubeConfigVia(kc: KubeConfig, server: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const context = kc.getCurrentContext();
  if (!cluster || !user) throw new Error('kubeconfig has no current cluster or user');
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: [{ ...cluster, server }],
    users: [user],
    contexts: [{ name: context, cluster: cluster.name, user: user.name }],
    currentContext: context,
  });
  return copy;
}

/** A TCP proxy to the apiserver on 127.0.0.1 that a test can cut (reset every connection, refuse new ones) and restore. */
export class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** URL of the proxy (https, since TLS passes through). */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Starts listening (on the previous port when restoring). */
  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Resets every connection and stops accepting new ones, as an apiserver crash would look. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops the proxy. */
  async close(): Promise<void> {
    await this.cut();
  }
}

/** Read-modify-write of an object with retries on conflicts, as `kubectl edit` would (controllers write status meanwhile). */
export async function editObject<T>(client: KubeRestClient, path: string, mutate: (obj: T) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const obj = await client.request<T>('GET', path);
    mutate(obj);
    try {
      return await client.request<T>('PUT', path, { body: obj });
    } catch (err) {
      if (!(err instanceof ApiError && err.statusCode === 409) || attempt >= 10) throw err;
    }
  }
}

/** An operator reconciling one fresh namespace: what a test file sets up in beforeAll and stops in afterAll. */
export interface OperatorInNamespace {
  readonly client: KubeRestClient;
  readonly ns: string;
  readonly operator: Operator;
  stop(): Promise<void>;
}

/** Applies the CRD, creates namespace `ns` and starts an operator on it, waiting until its caches synced. */
export async function startOperatorInNamespace(
  kubeConfig: KubeConfig,
  ns: string,
  options: Omit<TestOperatorOptions, 'kubeConfig' | 'namespaces'>,
): Promise<OperatorInNamespace> {
  const client = await apiClient(kubeConfig);
  await applyCrd(client);
  await createNamespace(client, ns);
  const operator = await startTestOperator({ ...options, kubeConfig, namespaces: [ns] });
  await waitFor(() => operator.reconciling, { timeoutMs: 20_000, description: 'operator caches synced' });
  return {
    client,
    ns,
    operator,
    async stop() {
      await operator.close();
      await deleteNamespace(client, ns);
      client.close();
    },
  };
}
