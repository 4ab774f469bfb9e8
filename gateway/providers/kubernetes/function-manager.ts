/**
 * /system CRUD on Function resources. Reads come from the informer cache; writes go to the API, then wait
 * (briefly, bounded) until the cache reflects them, so a list right after a deploy shows the new function.
 * The operator turns the resources into Deployments and Services.
 */
import type { CustomObjectsApi, ObjectCache } from '@kubernetes/client-node';
import { KfaasError } from '../../../common/errors.js';
import {
  FUNCTION_GROUP,
  FUNCTION_PLURAL,
  FUNCTION_VERSION,
  type FunctionDeployment,
  type FunctionResource,
  type FunctionStatus,
} from '../../../common/function-types.js';
import type { Logger } from '../../../common/logger.js';
import { effectiveScale } from '../../../common/scale-settings.js';
import type { FunctionManager } from '../../ports.js';
import { apiStatus, fromApiError } from './api-errors.js';
import { isDeleting, newFunctionResource, resourceToStatus, updatedFunctionResource } from './function-resources.js';

/** The informer caches of Functions, one per allowed namespace, and a way to wait for them to catch up. */
export interface FunctionCaches {
  cache(namespace: string): ObjectCache<FunctionResource> | undefined;
  /** Resolves true once `check()` holds (re-checked on every change in `namespace`), false after timeoutMs. */
  waitUntil(namespace: string, check: () => boolean, timeoutMs: number): Promise<boolean>;
}

/** Options of KubeFunctionManager. */
export interface KubeFunctionManagerOptions {
  readonly api: CustomObjectsApi;
  readonly caches: FunctionCaches;
  readonly logger: Logger;
  /** Longest wait for the cache to show a write; default 10 s. */
  readonly cacheWaitMs?: number;
  /** The operator autoscales functions with scale settings: their replicas are its alone. */
  readonly operatorAutoscaling?: boolean;
}

const UPDATE_ATTEMPTS = 5;

/** FunctionManager on Function resources. */
export class KubeFunctionManager implements FunctionManager {
  private readonly api: CustomObjectsApi;
  private readonly caches: FunctionCaches;
  private readonly logger: Logger;
  private readonly cacheWaitMs: number;

  constructor(private readonly options: KubeFunctionManagerOptions) {
    this.api = options.api;
    this.caches = options.caches;
    this.logger = options.logger;
    this.cacheWaitMs = options.cacheWaitMs ?? 10_000;
  }

  async list(namespace: string): Promise<FunctionStatus[]> {
    const items = this.caches.cache(namespace)?.list(namespace) ?? [];
    return items
      .filter((fn) => !isDeleting(fn))
      .map(resourceToStatus)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string, namespace: string): Promise<FunctionStatus | undefined> {
    const fn = this.cached(name, namespace);
    return fn && !isDeleting(fn) ? resourceToStatus(fn) : undefined;
  }

  async deploy(d: FunctionDeployment, namespace: string): Promise<void> {
    const body = newFunctionResource(d, namespace);
    const cached = this.cached(d.service, namespace);
    if (cached && isDeleting(cached)) {
      // Foreground deletion keeps the object until its Deployment and Service are gone.
      throw new KfaasError('CONFLICT', `function ${d.service}.${namespace} is still being deleted; deploy it again shortly`, { retryAfterSeconds: 2 });
    }
    let created: FunctionResource;
    try {
      created = (await this.api.createNamespacedCustomObject({
        ...this.coordinates(namespace),
        body,
        fieldValidation: 'Strict',
      })) as FunctionResource;
    } catch (err) {
      throw fromApiError(err, `${d.service}.${namespace}`, 'create');
    }
    await this.awaitCache(namespace, d.service, 'deploy', (fn) => fn?.metadata.uid === created.metadata.uid);
  }

  async update(d: FunctionDeployment, namespace: string): Promise<void> {
    const fnRef = `${d.service}.${namespace}`;
    for (let attempt = 1; ; attempt++) {
      const live = await this.read(d.service, namespace);
      if (!live || isDeleting(live)) throw new KfaasError('FN_NOT_FOUND', `function ${fnRef} not found`);
      let written: FunctionResource;
      try {
        written = (await this.api.replaceNamespacedCustomObject({
          ...this.coordinates(namespace),
          name: d.service,
          body: updatedFunctionResource(live, d),
          fieldValidation: 'Strict',
        })) as FunctionResource;
      } catch (err) {
        // Someone else wrote in between (the operator, a scale call): re-read and apply again.
        if (apiStatus(err) === 409 && attempt < UPDATE_ATTEMPTS) continue;
        throw fromApiError(err, fnRef, 'update');
      }
      await this.awaitCache(namespace, d.service, 'update', (fn) => generationAtLeast(fn, written));
      return;
    }
  }

  async remove(name: string, namespace: string): Promise<void> {
    const cached = this.cached(name, namespace);
    if (cached && isDeleting(cached)) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found (it is being deleted)`);
    try {
      // Foreground, as faas-netes deletes: the Function goes only after its Deployment and Service.
      await this.api.deleteNamespacedCustomObject({ ...this.coordinates(namespace), name, propagationPolicy: 'Foreground' });
    } catch (err) {
      throw fromApiError(err, `${name}.${namespace}`, 'delete');
    }
    await this.awaitCache(namespace, name, 'delete', (fn) => !fn || isDeleting(fn));
  }

  async scale(name: string, namespace: string, replicas: number): Promise<void> {
    const current = this.cached(name, namespace);
    // Pinning spec.replicas would switch the operator's autoscaler off for this function (Autoscaling=False).
    if (this.options.operatorAutoscaling && current && current.spec.replicas === undefined && autoscales(current)) {
      throw new KfaasError('CONFLICT', `function ${name}.${namespace} is autoscaled by the operator; change its scale settings (spec.scale or com.openfaas.scale.*) instead`);
    }
    let written: FunctionResource;
    try {
      // JSON patch `add` sets the field whether or not it exists yet; it is client-node's default patch type.
      written = (await this.api.patchNamespacedCustomObject({
        ...this.coordinates(namespace),
        name,
        body: [{ op: 'add', path: '/spec/replicas', value: replicas }],
      })) as FunctionResource;
    } catch (err) {
      throw fromApiError(err, `${name}.${namespace}`, 'scale');
    }
    await this.awaitCache(namespace, name, 'scale', (fn) => generationAtLeast(fn, written));
  }

  private coordinates(namespace: string) {
    return { group: FUNCTION_GROUP, version: FUNCTION_VERSION, namespace, plural: FUNCTION_PLURAL };
  }

  private cached(name: string, namespace: string): FunctionResource | undefined {
    return this.caches.cache(namespace)?.get(name, namespace);
  }

  /** Reads the live object from the API (an update must start from the latest resourceVersion). */
  private async read(name: string, namespace: string): Promise<FunctionResource | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...this.coordinates(namespace), name })) as FunctionResource;
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw fromApiError(err, `${name}.${namespace}`, 'read');
    }
  }

  private async awaitCache(namespace: string, name: string, action: string, check: (fn: FunctionResource | undefined) => boolean): Promise<void> {
    const caught = await this.caches.waitUntil(namespace, () => check(this.cached(name, namespace)), this.cacheWaitMs);
    // The write succeeded either way; a lagging watch only delays when reads show it.
    if (!caught) this.logger.warn(`the function cache did not show the ${action} within ${this.cacheWaitMs} ms`, { fn: name, namespace });
  }
}

/**
 * True once the cached object's spec is at least as new as the one a write returned: same object (uid) and a
 * generation no lower (generation moves with spec changes only, so status writes do not confuse it).
 */
function generationAtLeast(cached: FunctionResource | undefined, written: FunctionResource): boolean {
  return !!cached && cached.metadata.uid === written.metadata.uid && (cached.metadata.generation ?? 0) >= (written.metadata.generation ?? 0);
}

/** True when a Function has valid scale settings (bad ones leave it to manual scaling, as the operator does). */
function autoscales(fn: FunctionResource): boolean {
  try {
    return effectiveScale(fn.spec) !== undefined;
  } catch {
    return false;
  }
}
