/**
 * The kubernetes provider: Function resources and EndpointSlices of the allowed namespaces, kept in informer
 * caches (one Function and one EndpointSlice informer per namespace, so namespaced RBAC suffices; a cluster-wide
 * install adds the namespaces marked as function namespaces as they appear). Calls are resolved from the caches;
 * /system writes go to Function resources and the operator does the rest.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import {
  FUNCTION_GROUP,
  FUNCTION_PLURAL,
  FUNCTION_VERSION,
  type FunctionResource,
} from '../../../common/function-types.js';
import type { Backoff } from '../../../common/backoff.js';
import type { Logger } from '../../../common/logger.js';
import { DEFAULT_INFORMER_BACKOFF, superviseInformer, type SupervisedInformer } from '../../../kube/supervise-informer.js';
import type { Provider } from '../../ports.js';
import { EndpointIndex, SERVICE_NAME_LABEL } from './endpoint-index.js';
import { KubeFunctionManager, type FunctionCaches } from './function-manager.js';
import { KubeFunctionResolver } from './function-resolver.js';
import { KubeNamespaceManager } from './namespace-manager.js';
import { KubePodLogSource } from './pod-logs.js';
import { KubeSecretStore } from './secret-store.js';

/** Options of createKubernetesProvider. */
export interface KubernetesProviderOptions {
  readonly kubeConfig: KubeConfig;
  /** The namespaces functions may live in (config.allowedNamespaces). */
  readonly namespaces: readonly string[];
  readonly logger: Logger;
  /** Restart backoff of the informers; default 250 ms doubling to 30 s. */
  readonly informerBackoff?: Backoff;
  /**
   * Cluster-wide RBAC (Helm: functions.clusterWide): also serve every namespace marked `openfaas: "1"`, and manage
   * such namespaces through /system/namespace.
   */
  readonly clusterWide?: boolean;
  /** Longest wait for the cache to show a /system write; default 10 s. */
  readonly cacheWaitMs?: number;
  /** The operator autoscales functions with scale settings: scale calls for them are refused (409). */
  readonly operatorAutoscaling?: boolean;
}

/** A Function as client-node's informer types it (its metadata is a V1ObjectMeta). */
type FunctionObject = FunctionResource & KubernetesObject;

interface Waiter {
  readonly check: () => boolean;
  readonly done: (ok: boolean) => void;
}

/** Creates the kubernetes provider. Informers start on the first ready() call (the gateway makes it at start). */
export function createKubernetesProvider(options: KubernetesProviderOptions): Provider {
  const { kubeConfig, logger } = options;
  const log = logger.child({ component: 'kubernetes-provider' });
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const endpointIndex = new EndpointIndex();
  const functionCaches = new Map<string, ObjectCache<FunctionObject>>();
  const namespaceWatches = new Map<string, { informers: SupervisedInformer[]; synced: Promise<void>; cancel: () => void }>();
  const backoff = options.informerBackoff ?? DEFAULT_INFORMER_BACKOFF;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const waiters = new Map<string, Set<Waiter>>();

  const notify = (namespace: string): void => {
    for (const w of waiters.get(namespace) ?? []) {
      if (w.check()) w.done(true);
    }
  };

  const caches: FunctionCaches = {
    cache: (namespace) => functionCaches.get(namespace),
    waitUntil(namespace, check, timeoutMs) {
      if (check()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const set = waiters.get(namespace) ?? new Set<Waiter>();
        waiters.set(namespace, set);
        const waiter: Waiter = {
          check,
          done: (ok) => {
            clearTimeout(timer);
            set.delete(waiter);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => waiter.done(false), timeoutMs);
        set.add(waiter);
      });
    },
  };

  const resolver = new KubeFunctionResolver((ns) => caches.cache(ns), endpointIndex, log);
  const functions = new KubeFunctionManager({
    api: custom,
    caches,
    logger: log,
    ...(options.cacheWaitMs !== undefined ? { cacheWaitMs: options.cacheWaitMs } : {}),
    operatorAutoscaling: options.operatorAutoscaling ?? false,
  });

  /** Starts the Function and EndpointSlice informers of one namespace (once); resolves when both are synced. */
  const watchNamespace = (namespace: string): Promise<void> => {
    const running = namespaceWatches.get(namespace);
    if (running) return running.synced;
    const fnInformer = makeInformer<FunctionObject>(
      kubeConfig,
      `/apis/${FUNCTION_GROUP}/${FUNCTION_VERSION}/namespaces/${namespace}/${FUNCTION_PLURAL}`,
      () =>
        custom.listNamespacedCustomObject({
          group: FUNCTION_GROUP,
          version: FUNCTION_VERSION,
          namespace,
          plural: FUNCTION_PLURAL,
        }) as Promise<KubernetesListObject<FunctionObject>>,
    );
    fnInformer.on('delete', (fn) => resolver.forget(fn.metadata.name, namespace));
    // Listeners run after the cache reflects the event, so a waiter's check sees the new state.
    for (const verb of ['add', 'update', 'delete'] as const) fnInformer.on(verb, () => notify(namespace));
    functionCaches.set(namespace, fnInformer);
    const fns = superviseInformer(fnInformer, { name: `functions in ${namespace}`, logger: log, backoff });

    // Only slices that belong to a Service (the label exists); the index keys them by that Service's name.
    const sliceInformer = makeInformer<V1EndpointSlice>(
      kubeConfig,
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      () => discovery.listNamespacedEndpointSlice({ namespace, labelSelector: SERVICE_NAME_LABEL }),
      SERVICE_NAME_LABEL,
    );
    sliceInformer.on('add', (s) => endpointIndex.upsert(s));
    sliceInformer.on('update', (s) => endpointIndex.upsert(s));
    sliceInformer.on('delete', (s) => endpointIndex.remove(s));
    const slices = superviseInformer(sliceInformer, { name: `endpointslices in ${namespace}`, logger: log, backoff });
    // A stopped informer never syncs: unwatching settles `synced` too, so nobody waits on it forever.
    let cancel!: () => void;
    const cancelled = new Promise<void>((resolve) => (cancel = resolve));
    const synced = Promise.race([Promise.all([fns.synced, slices.synced]).then(() => undefined), cancelled]);
    namespaceWatches.set(namespace, { informers: [fns, slices], synced, cancel });
    return synced;
  };

  /** Stops serving a namespace that is no longer a function namespace: its functions resolve as missing. */
  const unwatchNamespace = async (namespace: string): Promise<void> => {
    const watch = namespaceWatches.get(namespace);
    if (!watch) return;
    namespaceWatches.delete(namespace);
    functionCaches.delete(namespace);
    watch.cancel();
    await Promise.all(watch.informers.map((i) => i.stop()));
  };

  const namespaceManager = options.clusterWide
    ? new KubeNamespaceManager({
        kubeConfig,
        core,
        configured: options.namespaces,
        watch: watchNamespace,
        unwatch: unwatchNamespace,
        logger: log,
        ...(options.informerBackoff ? { informerBackoff: options.informerBackoff } : {}),
      })
    : undefined;

  const startInformers = async (): Promise<void> => {
    await Promise.all([...options.namespaces.map(watchNamespace), namespaceManager?.start()]);
    log.info('informer caches synced', { namespaces: namespaceManager?.allowed() ?? options.namespaces });
  };

  let readyPromise: Promise<void> | undefined;
  let closePromise: Promise<void> | undefined;

  return {
    info: { provider: 'kfaas-kubernetes', orchestration: 'kubernetes' },
    resolver,
    functions,
    namespaces: { namespaces: async () => [...(namespaceManager?.allowed() ?? options.namespaces)] },
    ...(namespaceManager ? { namespaceManager } : {}),
    secrets: new KubeSecretStore(core),
    logs: new KubePodLogSource({ core, kubeConfig, logger: log }),
    ready() {
      readyPromise ??= startInformers();
      return readyPromise;
    },
    close() {
      closePromise ??= (async () => {
        await namespaceManager?.stop();
        await Promise.all([...namespaceWatches.keys()].map(unwatchNamespace));
        for (const set of waiters.values()) for (const w of [...set]) w.done(false);
      })();
      return closePromise;
    },
  };
}
