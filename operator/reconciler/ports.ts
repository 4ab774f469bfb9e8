/**
 * The reconciler's narrow ports onto the Kubernetes API. The kube/ adapters implement them with client-node
 * and informer caches; table tests implement them in memory.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { FunctionResource, FunctionStatusBlock } from '../../common/function-types.js';

/** Reads desired and owned state from the informer caches (never the API: reads are free). */
export interface FunctionStore {
  getFunction(namespace: string, name: string): FunctionResource | undefined;
  getDeployment(namespace: string, name: string): V1Deployment | undefined;
  getService(namespace: string, name: string): V1Service | undefined;
}

/** Checks that secrets exist, without reading their values. */
export interface SecretReader {
  /** Names from `names` that do not exist in `namespace`. */
  missingSecrets(namespace: string, names: readonly string[], signal: AbortSignal): Promise<string[]>;
}

/** Writes Deployments; errors are ApiErrors. `read` bypasses the cache (after an AlreadyExists). */
export interface DeploymentWriter {
  create(deployment: V1Deployment, signal: AbortSignal): Promise<V1Deployment>;
  replace(deployment: V1Deployment, signal: AbortSignal): Promise<V1Deployment>;
  read(namespace: string, name: string, signal: AbortSignal): Promise<V1Deployment | undefined>;
}

/** Writes Services; errors are ApiErrors. */
export interface ServiceWriter {
  create(service: V1Service, signal: AbortSignal): Promise<V1Service>;
  replace(service: V1Service, signal: AbortSignal): Promise<V1Service>;
  read(namespace: string, name: string, signal: AbortSignal): Promise<V1Service | undefined>;
}

/** Writes the status subresource of a Function. */
export interface StatusWriter {
  /**
   * Writes `status`. Two writers share the Function's conditions (the reconcile and the autoscaler), so the write
   * is conditional on `fn`'s resourceVersion; on a conflict it re-reads the Function, keeps the conditions
   * `owns` does not claim from the fresh copy, and tries again.
   */
  writeStatus(fn: FunctionResource, status: FunctionStatusBlock, signal: AbortSignal, owns: (conditionType: string) => boolean): Promise<void>;
}

/** Records Kubernetes Events about a Function; never throws (events are best effort). */
export interface EventRecorder {
  record(fn: FunctionResource, type: 'Normal' | 'Warning', reason: string, message: string): void;
}
