/** StatusWriter on the API: a JSON merge patch of the status subresource (the operator is its only writer). */
import { isNotFound } from '../reconciler/api-error.js';
import type { StatusWriter } from '../reconciler/ports.js';
import { OPERATOR_COMPONENT } from '../resources/names.js';
import { functionPath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

/** Writes Function status with a merge patch; a Function deleted meanwhile is not an error. */
export function createStatusWriter(client: KubeRestClient): StatusWriter {
  return {
    async writeStatus(fn, status, signal) {
      try {
        await client.request('PATCH', functionPath(fn.metadata.namespace ?? 'default', fn.metadata.name, 'status'), {
          // The merge patch replaces `conditions` whole, which is what we want: it is computed in full each time.
          body: { status },
          contentType: 'application/merge-patch+json',
          query: { fieldManager: OPERATOR_COMPONENT },
          signal,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
