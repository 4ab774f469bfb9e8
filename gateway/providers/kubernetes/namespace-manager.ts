/**
 * Function namespaces beyond the configured ones (cluster-wide installs): every namespace marked as OpenFaaS marks
 * them (namespace-marker.ts) is served, found by a Namespace informer, and faas-cli `namespace create/update/delete`
 * write marked Namespaces. The caller watches each namespace's Functions and EndpointSlices as it is added.
 */
import { makeInformer, type CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { KfaasError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { FunctionNamespace, NamespaceManager } from '../../ports.js';
import { apiStatus } from './api-errors.js';
import { FUNCTION_NAMESPACE_MARKER, isMarkedFunctionNamespace, withMarker } from './namespace-marker.js';
import type { Backoff } from '../../../common/backoff.js';
import { DEFAULT_INFORMER_BACKOFF, superviseInformer, type SupervisedInformer } from '../../../kube/supervise-informer.js';

/** Options of KubeNamespaceManager. */
export interface KubeNamespaceManagerOptions {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  /** The configured namespaces: always served, never deleted through the API. */
  readonly configured: readonly string[];
  /** Starts serving a namespace; resolves once its caches are synced. Called again for a served one: a no-op. */
  readonly watch: (namespace: string) => Promise<void>;
  /** Stops serving a namespace. */
  readonly unwatch: (namespace: string) => Promise<void>;
  readonly logger: Logger;
  readonly informerBackoff?: Backoff;
}

const MARKER = `${FUNCTION_NAMESPACE_MARKER.key}=${FUNCTION_NAMESPACE_MARKER.value}`;

/** Serves the configured namespaces plus every marked one, and manages marked ones through the API. */
export class KubeNamespaceManager implements NamespaceManager {
  /** Marked namespaces seen, whether or not their caches are synced yet. */
  private readonly wanted = new Set<string>();
  /** Marked namespaces being served. */
  private readonly marked = new Set<string>();
  private allowedList: readonly string[];
  private informer: SupervisedInformer | undefined;

  constructor(private readonly options: KubeNamespaceManagerOptions) {
    this.allowedList = [...options.configured];
  }

  /** Starts the Namespace informer; resolves once it and the marked namespaces it found are synced. */
  async start(): Promise<void> {
    const { kubeConfig, core, logger } = this.options;
    // All namespaces, not a label selector: the marker may be an annotation, which the apiserver cannot select on.
    const informer = makeInformer<V1Namespace>(kubeConfig, '/api/v1/namespaces', () => core.listNamespace());
    // Until the first sync, collect the namespaces found so that start() waits for their caches too.
    let initial: Array<Promise<void>> | undefined = [];
    const seen = (ns: V1Namespace): void => {
      const name = ns.metadata?.name;
      if (!name) return;
      if (isMarkedFunctionNamespace(ns.metadata ?? {}) && ns.status?.phase !== 'Terminating') {
        const added = this.add(name);
        if (initial) initial.push(added);
        else added.catch((err: unknown) => logger.warn(`cannot serve namespace ${name}`, { err }));
      } else {
        void this.drop(name);
      }
    };
    informer.on('add', seen);
    informer.on('update', seen);
    informer.on('delete', (ns) => void this.drop(ns.metadata?.name ?? ''));
    this.informer = superviseInformer(informer, { name: 'namespaces', logger, backoff: this.options.informerBackoff ?? DEFAULT_INFORMER_BACKOFF });
    await this.informer.synced;
    const found = initial;
    initial = undefined;
    await Promise.all(found);
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
  }

  allowed(): readonly string[] {
    return this.allowedList;
  }

  async get(name: string): Promise<FunctionNamespace | undefined> {
    const ns = await this.read(name);
    if (!ns) return this.options.configured.includes(name) ? { name, labels: {}, annotations: {} } : undefined;
    if (!this.options.configured.includes(name) && !isMarkedFunctionNamespace(ns.metadata ?? {})) return undefined;
    return { name, labels: ns.metadata?.labels ?? {}, annotations: ns.metadata?.annotations ?? {} };
  }

  async create(ns: FunctionNamespace): Promise<void> {
    try {
      await this.options.core.createNamespace({
        body: { metadata: { name: ns.name, labels: withMarker(ns.labels), annotations: { ...ns.annotations } } },
      });
    } catch (err) {
      if (apiStatus(err) === 409) throw new KfaasError('CONFLICT', `namespace ${ns.name} already exists`, { cause: err });
      throw fromNamespaceError(err, ns.name, 'create');
    }
    // Usable at once: deploys and calls to it must not wait for the Namespace informer's event.
    await this.add(ns.name);
  }

  async update(ns: FunctionNamespace): Promise<void> {
    const current = await this.read(ns.name);
    if (!current || (!this.options.configured.includes(ns.name) && !isMarkedFunctionNamespace(current.metadata ?? {}))) {
      throw notFunctionNamespace(ns.name);
    }
    // A replace carrying the read resourceVersion: a concurrent change gets 409 rather than being overwritten.
    const body: V1Namespace = {
      ...current,
      metadata: { ...current.metadata, labels: withMarker(ns.labels), annotations: { ...ns.annotations } },
    };
    try {
      await this.options.core.replaceNamespace({ name: ns.name, body });
    } catch (err) {
      if (apiStatus(err) === 409) throw new KfaasError('CONFLICT', `namespace ${ns.name} changed meanwhile; retry`, { cause: err });
      throw fromNamespaceError(err, ns.name, 'update');
    }
    await this.add(ns.name);
  }

  async remove(name: string): Promise<void> {
    if (this.options.configured.includes(name)) {
      throw new KfaasError('BAD_REQUEST', `namespace ${name} is configured (KFAAS_ALLOWED_NAMESPACES; Helm: functions.namespace and functions.extraNamespaces) and cannot be deleted through this API`);
    }
    const current = await this.read(name);
    if (!current) throw new KfaasError('NOT_FOUND', `namespace ${name} not found`);
    if (!isMarkedFunctionNamespace(current.metadata ?? {})) {
      throw new KfaasError('BAD_REQUEST', `namespace ${name} is not a function namespace (no ${MARKER} label or annotation); only those can be deleted through this API`);
    }
    try {
      await this.options.core.deleteNamespace({ name });
    } catch (err) {
      if (apiStatus(err) === 404) throw new KfaasError('NOT_FOUND', `namespace ${name} not found`, { cause: err });
      throw fromNamespaceError(err, name, 'delete');
    }
    await this.drop(name);
  }

  private async read(name: string): Promise<V1Namespace | undefined> {
    try {
      return await this.options.core.readNamespace({ name });
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw fromNamespaceError(err, name, 'read');
    }
  }

  /** Serves a marked namespace: allowed only once its caches are synced, so no call meets an empty cache. */
  private async add(name: string): Promise<void> {
    this.wanted.add(name);
    await this.options.watch(name);
    // Unmarked or deleted while its caches synced: drop() has already stopped the watch.
    if (!this.wanted.has(name) || this.marked.has(name)) return;
    this.marked.add(name);
    this.refresh();
  }

  private async drop(name: string): Promise<void> {
    if (!this.wanted.delete(name)) return;
    if (this.marked.delete(name)) this.refresh();
    if (!this.options.configured.includes(name)) await this.options.unwatch(name);
  }

  /** Recomputed on change only: allowed() is read on every call. */
  private refresh(): void {
    const extra = [...this.marked].filter((ns) => !this.options.configured.includes(ns)).sort();
    this.allowedList = [...this.options.configured, ...extra];
  }
}

function notFunctionNamespace(name: string): KfaasError {
  return new KfaasError('NOT_FOUND', `namespace ${name} is not a function namespace (none exists with a ${MARKER} label or annotation)`);
}

function fromNamespaceError(err: unknown, name: string, action: string): KfaasError {
  const status = apiStatus(err);
  if (status === 401 || status === 403) {
    return new KfaasError('INTERNAL', `the gateway is not allowed to ${action} namespace ${name} (Kubernetes answered ${status}); check its cluster-wide RBAC (Helm: functions.clusterWide)`, { cause: err });
  }
  if (status === 400 || status === 422) return new KfaasError('INVALID_FIELD', `namespace ${name} was rejected by Kubernetes`, { cause: err });
  return new KfaasError('UNAVAILABLE', `could not ${action} namespace ${name}`, { cause: err });
}
