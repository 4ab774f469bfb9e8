/** DeploymentWriter and ServiceWriter on the Kubernetes API (create = POST, replace = PUT with resourceVersion). */
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import { isNotFound } from '../reconciler/api-error.js';
import type { DeploymentWriter, ServiceWriter } from '../reconciler/ports.js';
import { OPERATOR_COMPONENT } from '../resources/names.js';
import { deploymentPath, servicePath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

// Strict: a field this operator writes that the apiserver does not know is a bug to surface, not to drop.
const WRITE_QUERY = { fieldManager: OPERATOR_COMPONENT, fieldValidation: 'Strict' };

function writer<T extends KubernetesObject>(client: KubeRestClient, path: (ns: string, name?: string) => string) {
  return {
    create: (obj: T, signal: AbortSignal) =>
      client.request<T>('POST', path(obj.metadata!.namespace!), { body: obj, query: WRITE_QUERY, signal }),
    replace: (obj: T, signal: AbortSignal) =>
      client.request<T>('PUT', path(obj.metadata!.namespace!, obj.metadata!.name!), { body: obj, query: WRITE_QUERY, signal }),
    read: async (namespace: string, name: string, signal: AbortSignal) => {
      try {
        return await client.request<T>('GET', path(namespace, name), { signal });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}

/** Writes Deployments through the API. */
export function createDeploymentWriter(client: KubeRestClient): DeploymentWriter {
  return writer<V1Deployment>(client, deploymentPath);
}

/** Writes Services through the API. */
export function createServiceWriter(client: KubeRestClient): ServiceWriter {
  return writer<V1Service>(client, servicePath);
}
