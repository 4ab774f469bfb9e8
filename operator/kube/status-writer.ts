/**
 * StatusWriter on the API: a JSON merge patch of the status subresource, conditional on the resourceVersion the
 * writer computed from. The reconcile and the autoscaler both write conditions, and a merge patch replaces the
 * list whole: from a stale cache, one would drop the other's condition. A conflict re-reads and merges instead
 * (client-go's RetryOnConflict).
 */
import type { FunctionResource } from '../../common/function-types.js';
import { isConflict, isNotFound } from '../reconciler/api-error.js';
import type { StatusWriter } from '../reconciler/ports.js';
import { OPERATOR_COMPONENT } from '../resources/names.js';
import { functionPath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

// Conflicts come from the two writers racing each other; a few re-reads settle them.
const MAX_CONFLICT_RETRIES = 5;

/** Writes Function status with a merge patch; a Function deleted meanwhile is not an error. */
export function createStatusWriter(client: KubeRestClient): StatusWriter {
  return {
    async writeStatus(fn, status, signal, owns) {
      const namespace = fn.metadata.namespace ?? 'default';
      let base: FunctionResource = fn;
      for (let attempt = 0; ; attempt += 1) {
        const conditions = status.conditions && [
          ...status.conditions.filter((c) => owns(c.type)),
          ...(base.status?.conditions ?? []).filter((c) => !owns(c.type)),
        ];
        try {
          await client.request('PATCH', functionPath(namespace, fn.metadata.name, 'status'), {
            body: {
              ...(base.metadata.resourceVersion ? { metadata: { resourceVersion: base.metadata.resourceVersion } } : {}),
              status: { ...status, ...(conditions ? { conditions } : {}) },
            },
            contentType: 'application/merge-patch+json',
            query: { fieldManager: OPERATOR_COMPONENT },
            signal,
          });
          return;
        } catch (err) {
          if (isNotFound(err)) return;
          if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        }
        try {
          base = await client.request<FunctionResource>('GET', functionPath(namespace, fn.metadata.name), { signal });
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
      }
    },
  };
}
