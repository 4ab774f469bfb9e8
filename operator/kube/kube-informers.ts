/**
 * The informers the operator runs (Functions, and the Deployments and Services it owns, selected by the
 * `kfaas.dev/function` label), across all namespaces or per watched namespace, and the FunctionStore that reads
 * their caches. Lists go through the counted REST client; watches through client-node's Watch.
 */
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { FUNCTION_API_VERSION, FUNCTION_KIND, FUNCTION_PLURAL, type FunctionResource } from '../../common/function-types.js';
import type { InformerSpec, WatchSource } from '../controller/informers.js';
import { ApiError, isNotFound } from '../reconciler/api-error.js';
import type { FunctionStore } from '../reconciler/ports.js';
import { OWNER_FUNCTION_LABEL } from '../../common/function-types.js';
import { functionKey } from '../resources/names.js';
import { Bases, collectionPath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

/** The informers and the store over their caches. */
export interface KubeInformers {
  readonly specs: InformerSpec[];
  readonly store: FunctionStore;
  /** Keys of every Function in the caches (for the periodic resync). */
  functionKeys(): string[];
}

/** Options of the informer set. */
export interface KubeInformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeRestClient;
  /** Empty: one informer per kind across all namespaces. */
  readonly namespaces: readonly string[];
}

/** Work-queue keys for an owned object: its controlling Function, else its function label. */
export function ownerKeys(obj: KubernetesObject): string[] {
  const namespace = obj.metadata?.namespace ?? '';
  const owner = obj.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === FUNCTION_KIND);
  if (owner) return [functionKey(namespace, owner.name)];
  const label = obj.metadata?.labels?.[OWNER_FUNCTION_LABEL];
  return label ? [functionKey(namespace, label)] : [];
}

// A full list can be large (thousands of Functions): it gets more time than a single-object request.
const LIST_TIMEOUT_MS = 120_000;

function lister<T extends KubernetesObject>(client: KubeRestClient, path: string, apiVersion: string, kind: string, labelSelector?: string) {
  return async (): Promise<KubernetesListObject<T>> => {
    let list: KubernetesListObject<T>;
    try {
      list = await client.request<KubernetesListObject<T>>('GET', path, { query: { labelSelector }, timeoutMs: LIST_TIMEOUT_MS });
    } catch (err) {
      if (isNotFound(err) && kind === FUNCTION_KIND) {
        throw new ApiError(404, 'NotFound', `listing ${path}: the Function CRD is not installed (kubectl apply -f crds/functions.kfaas.dev.yaml)`);
      }
      if (err instanceof ApiError && err.statusCode === 403) {
        throw new ApiError(403, 'Forbidden', `listing ${path}: RBAC forbids list/watch for the operator's service account: ${err.message}`);
      }
      throw err;
    }
    // List items come without apiVersion and kind; watch events carry them. Make the cache uniform.
    return { ...list, items: list.items.map((item) => ({ ...item, apiVersion, kind })) };
  };
}

/** Creates (but does not start) the informers. */
export function createKubeInformers(options: KubeInformerOptions): KubeInformers {
  const { kubeConfig: kc, client } = options;
  const scopes: Array<string | undefined> = options.namespaces.length > 0 ? [...options.namespaces] : [undefined];
  const functions = new Map<string | undefined, WatchSource<FunctionResource>>();
  const deployments = new Map<string | undefined, WatchSource<V1Deployment>>();
  const services = new Map<string | undefined, WatchSource<V1Service>>();
  const specs: InformerSpec[] = [];
  const selector = OWNER_FUNCTION_LABEL;

  for (const ns of scopes) {
    const where = ns ?? 'all-namespaces';
    const fnPath = collectionPath(Bases.functions, FUNCTION_PLURAL, ns);
    const fnInformer = makeInformer<KubernetesObject>(kc, fnPath, lister(client, fnPath, FUNCTION_API_VERSION, FUNCTION_KIND));
    const depPath = collectionPath(Bases.apps, 'deployments', ns);
    const depInformer = makeInformer<V1Deployment>(kc, depPath, lister(client, depPath, 'apps/v1', 'Deployment', selector), selector);
    const svcPath = collectionPath(Bases.core, 'services', ns);
    const svcInformer = makeInformer<V1Service>(kc, svcPath, lister(client, svcPath, 'v1', 'Service', selector), selector);
    // The cache holds Function JSON as the apiserver sent it; FunctionResource is its typed view.
    functions.set(ns, fnInformer as unknown as WatchSource<FunctionResource>);
    deployments.set(ns, depInformer);
    services.set(ns, svcInformer);
    specs.push(
      {
        name: `functions@${where}`,
        source: fnInformer,
        keysOf: (obj) => [functionKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '')],
      },
      { name: `deployments@${where}`, source: depInformer as WatchSource<KubernetesObject>, keysOf: ownerKeys },
      { name: `services@${where}`, source: svcInformer as WatchSource<KubernetesObject>, keysOf: ownerKeys },
    );
  }

  const scopeOf = (namespace: string) => (options.namespaces.length > 0 ? namespace : undefined);
  const store: FunctionStore = {
    getFunction: (namespace, name) => functions.get(scopeOf(namespace))?.get(name, namespace),
    getDeployment: (namespace, name) => deployments.get(scopeOf(namespace))?.get(name, namespace),
    getService: (namespace, name) => services.get(scopeOf(namespace))?.get(name, namespace),
  };
  return {
    specs,
    store,
    functionKeys: () =>
      [...functions.values()].flatMap((informer) => informer.list().map((fn) => functionKey(fn.metadata.namespace ?? '', fn.metadata.name))),
  };
}
