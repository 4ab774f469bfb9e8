/** SecretReader on the API: asks for each secret's metadata only, so secret values never reach the operator. */
import { isNotFound } from '../reconciler/api-error.js';
import type { SecretReader } from '../reconciler/ports.js';
import { secretPath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

// Server-side conversion to PartialObjectMetadata: the response carries metadata, never `data`.
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** Checks secrets with one metadata-only GET each. */
export function createSecretReader(client: KubeRestClient): SecretReader {
  return {
    async missingSecrets(namespace, names, signal) {
      const found = await Promise.all(
        names.map(async (name) => {
          try {
            await client.request('GET', secretPath(namespace, name), { accept: METADATA_ONLY, signal });
            return true;
          } catch (err) {
            if (isNotFound(err)) return false;
            throw err;
          }
        }),
      );
      return names.filter((_, i) => !found[i]);
    },
  };
}
