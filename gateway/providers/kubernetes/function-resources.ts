/** Pure conversions between Function resources and the /system shapes; no client, no I/O. */
import {
  FUNCTION_API_VERSION,
  FUNCTION_KIND,
  type FunctionDeployment,
  type FunctionResource,
  type FunctionSpec,
  type FunctionStatus,
} from '../../../common/function-types.js';
import { FAAS_FUNCTION_LABEL } from '../../../common/function-types.js';
import { deploymentToSpec, specToStatus } from '../function-spec.js';

/** Marks Function resources the gateway created (kubectl-applied ones lack it, and that is fine). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_GATEWAY = 'kfaas-gateway';

/** True when the resource is being deleted: the gateway treats it as gone. */
export function isDeleting(fn: FunctionResource): boolean {
  return fn.metadata.deletionTimestamp !== undefined && fn.metadata.deletionTimestamp !== null;
}

/**
 * The FunctionStatus of a Function resource. `replicas` is the desired count (spec, else what the operator
 * last observed, else 1, the operator's default); `availableReplicas` comes from the status the operator writes.
 */
export function resourceToStatus(fn: FunctionResource): FunctionStatus {
  const namespace = fn.metadata.namespace ?? '';
  return specToStatus(
    { ...fn.spec, name: fn.metadata.name },
    {
      namespace,
      replicas: fn.spec.replicas ?? fn.status?.replicas ?? 1,
      availableReplicas: fn.status?.availableReplicas ?? 0,
      createdAt: fn.metadata.creationTimestamp,
    },
  );
}

/** The Function resource to create for a deployment. */
export function newFunctionResource(d: FunctionDeployment, namespace: string): FunctionResource {
  const spec = deploymentToSpec(d);
  return {
    apiVersion: FUNCTION_API_VERSION,
    kind: FUNCTION_KIND,
    metadata: {
      name: spec.name,
      namespace,
      labels: { [FAAS_FUNCTION_LABEL]: spec.name, [MANAGED_BY_LABEL]: MANAGED_BY_GATEWAY },
    },
    spec,
  };
}

/**
 * The live resource with its spec replaced by the deployment's. Metadata (labels and annotations other tools
 * own, and the resourceVersion that makes the write conditional) and the live replica count are kept.
 */
export function updatedFunctionResource(live: FunctionResource, d: FunctionDeployment): FunctionResource {
  const spec: FunctionSpec = deploymentToSpec(d, live.spec);
  return {
    apiVersion: FUNCTION_API_VERSION,
    kind: FUNCTION_KIND,
    metadata: { ...live.metadata, labels: { ...(live.metadata.labels ?? {}), [FAAS_FUNCTION_LABEL]: spec.name } },
    spec,
    ...(live.status ? { status: live.status } : {}),
  };
}
