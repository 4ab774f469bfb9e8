/**
 * Scale from zero, and the wait for a first ready endpoint. A call to a function with no ready endpoint scales
 * it to max(1, scale.min) when it is at zero, then waits (bounded, `KFAAS_SCALE_FROM_ZERO_TIMEOUT`) for an
 * endpoint instead of answering 503 at once: the first call after a deploy or a scale to zero succeeds.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KfaasError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { pinnedReplicas, scaleFromZeroReplicas } from '../../common/scale-labels.js';
import type { FunctionManager, FunctionResolver, ResolvedFunction } from '../ports.js';
import { functionNotFound } from './invoke-route.js';

/** Seconds a caller should wait before retrying a function with no ready endpoint. */
const NO_ENDPOINTS_RETRY_AFTER_SECONDS = 1;

/** What the wait needs. */
export interface ReadyEndpointsDeps {
  readonly resolver: FunctionResolver;
  readonly functions: Pick<FunctionManager, 'get' | 'scale'>;
  /** Longest wait for a ready endpoint; 0 answers NO_ENDPOINTS (503) at once, as OpenFaaS without scale_from_zero. */
  readonly timeoutMs: number;
  /** How often the resolver's in-memory view is read again while waiting; default 50 ms. */
  readonly pollMs?: number;
  readonly logger?: Logger;
}

/** Returns the function with at least one ready endpoint, waiting for one; throws NO_ENDPOINTS or FN_NOT_FOUND. */
export type ReadyEndpoints = (resolved: ResolvedFunction) => Promise<ResolvedFunction>;

/** Creates the wait. Concurrent calls to one function share one wait (and one scale request). */
export function createReadyEndpoints(deps: ReadyEndpointsDeps): ReadyEndpoints {
  const pollMs = deps.pollMs ?? 50;
  const waits = new Map<string, Promise<ResolvedFunction | undefined>>();

  const scaleFromZero = async (name: string, namespace: string): Promise<void> => {
    const status = await deps.functions.get(name, namespace);
    // A function pinned at zero (scale.min = scale.max = 0) stays there.
    if (!status || status.replicas !== 0 || pinnedReplicas(status.labels) === 0) return;
    const replicas = scaleFromZeroReplicas(status.labels);
    deps.logger?.info('scaling from zero for a call', { fn: name, namespace, replicas });
    try {
      await deps.functions.scale(name, namespace, replicas);
    } catch (err) {
      // An autoscaled function: the autoscaler wakes it, seeing this call in flight; the wait below is the same.
      if (!(err instanceof KfaasError && err.code === 'CONFLICT')) throw err;
    }
  };

  const waitForEndpoint = async (name: string, namespace: string): Promise<ResolvedFunction | undefined> => {
    const deadline = Date.now() + deps.timeoutMs;
    await scaleFromZero(name, namespace);
    for (;;) {
      const current = await deps.resolver.resolve(name, namespace);
      if (!current || current.endpoints.length > 0 || Date.now() >= deadline) return current;
      // Unref'd: a call still waiting when the gateway shuts down must not keep the process alive.
      await delay(Math.min(pollMs, Math.max(0, deadline - Date.now())), undefined, { ref: false });
    }
  };

  return async (resolved) => {
    if (resolved.endpoints.length > 0) return resolved;
    const { name, namespace } = resolved;
    const fn = `${name}.${namespace}`;
    if (deps.timeoutMs > 0) {
      let wait = waits.get(fn);
      if (!wait) {
        wait = waitForEndpoint(name, namespace).finally(() => waits.delete(fn));
        waits.set(fn, wait);
      }
      const ready = await wait;
      if (!ready) throw functionNotFound(name, namespace);
      if (ready.endpoints.length > 0) return ready;
    }
    const waited = deps.timeoutMs > 0 ? ` (none became ready within ${deps.timeoutMs} ms)` : '';
    throw new KfaasError('NO_ENDPOINTS', `No endpoints available for: ${fn}.${waited}`, { retryAfterSeconds: NO_ENDPOINTS_RETRY_AFTER_SECONDS });
  };
}
