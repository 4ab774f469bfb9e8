/** Fixture builders for Function resources in tests: `aFunction({ image: 'x' }, withEnv('A', '1'))`. */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  FUNCTION_API_VERSION,
  FUNCTION_KIND,
  type FunctionResource,
  type FunctionSpec,
} from '../../common/function-types.js';

/** A change applied to a fixture Function. */
export type FunctionMod = (fn: FunctionResource) => FunctionResource;

/** A valid Function named `echo` in namespace `fns`, with spec overrides and modifiers applied in order. */
export function aFunction(overrides: Partial<FunctionSpec> = {}, ...mods: FunctionMod[]): FunctionResource {
  const name = overrides.name ?? 'echo';
  const base: FunctionResource = {
    apiVersion: FUNCTION_API_VERSION,
    kind: FUNCTION_KIND,
    metadata: { name, namespace: 'fns', uid: 'uid-1', generation: 1, resourceVersion: '10' },
    spec: { image: 'ghcr.io/kfaas/echo:1', ...overrides, name },
  };
  return mods.reduce((fn, mod) => mod(fn), base);
}

function withSpec(patch: (spec: FunctionSpec) => Partial<FunctionSpec>): FunctionMod {
  return (fn) => ({ ...fn, spec: { ...fn.spec, ...patch(fn.spec) } });
}

/** Adds one `environment` entry. */
export function withEnv(name: string, value: string): FunctionMod {
  return withSpec((spec) => ({ environment: { ...(spec.environment ?? {}), [name]: value } }));
}

/** Adds one label. */
export function withLabel(key: string, value: string): FunctionMod {
  return withSpec((spec) => ({ labels: { ...(spec.labels ?? {}), [key]: value } }));
}

/** Adds one annotation. */
export function withAnnotation(key: string, value: string): FunctionMod {
  return withSpec((spec) => ({ annotations: { ...(spec.annotations ?? {}), [key]: value } }));
}

/** Adds secrets. */
export function withSecrets(...names: string[]): FunctionMod {
  return withSpec((spec) => ({ secrets: [...(spec.secrets ?? []), ...names] }));
}

/** Sets metadata fields (namespace, generation, uid...). */
export function withMetadata(patch: Partial<FunctionResource['metadata']>): FunctionMod {
  return (fn) => ({ ...fn, metadata: { ...fn.metadata, ...patch } });
}

/** A live Deployment as the apiserver would return it after creating `desired`, with defaults and a status. */
export function liveDeployment(
  desired: V1Deployment,
  status: { replicas?: number; available?: number; updated?: number; observed?: boolean } = {},
): V1Deployment {
  const replicas = desired.spec?.replicas ?? 1;
  const copy = structuredClone(desired);
  copy.metadata = { ...copy.metadata, uid: 'dep-uid', resourceVersion: '100', generation: 1 };
  const container = copy.spec!.template.spec!.containers[0]!;
  // Fields the apiserver defaults: they must never look like drift.
  Object.assign(container, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
  copy.spec!.progressDeadlineSeconds = 600;
  copy.spec!.template.spec!.dnsPolicy = 'ClusterFirst';
  const available = status.available ?? 0;
  copy.status = {
    observedGeneration: status.observed === false ? 0 : 1,
    replicas: status.replicas ?? replicas,
    updatedReplicas: status.updated ?? replicas,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, (status.replicas ?? replicas) - available),
  };
  return copy;
}
