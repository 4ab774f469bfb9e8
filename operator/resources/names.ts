/** Names, labels and annotation keys of the objects the operator owns; one place so builders and readers agree. */
import { FAAS_FUNCTION_LABEL, FUNCTION_API_VERSION, FUNCTION_KIND, OWNER_FUNCTION_LABEL, type FunctionResource } from '../../common/function-types.js';

/** Port the watchdog listens on in every function container (OpenFaaS: 8080, named `http`). */
export const FUNCTION_PORT = 8080;
/** Name of the container and Service port. */
export const FUNCTION_PORT_NAME = 'http';
/** Where secrets are projected; faas-netes uses the same path, so OpenFaaS SDKs find them. */
export const SECRETS_MOUNT_PATH = '/var/openfaas/secrets';
/** Name of the one projected volume holding every listed secret. */
export const SECRETS_VOLUME = 'function-secrets';
/** Name of the writable emptyDir mounted at /tmp when the root filesystem is read-only. */
export const TMP_VOLUME = 'tmp';

/** Generic app label. */
export const APP_LABEL = 'app';
/** OpenFaaS label giving the initial replica count when `spec.replicas` is unset (common/scale-labels.ts). */
export { SCALE_MIN_LABEL } from '../../common/scale-labels.js';

/** Hash of the desired state last written; a mismatch means the spec changed. */
export const SPEC_HASH_ANNOTATION = 'kfaas.dev/spec-hash';
/** Label keys the operator wrote last time, so keys dropped from the spec are removed and others' survive. */
export const MANAGED_LABELS_ANNOTATION = 'kfaas.dev/managed-labels';
/** Annotation keys the operator wrote last time (see MANAGED_LABELS_ANNOTATION). */
export const MANAGED_ANNOTATIONS_ANNOTATION = 'kfaas.dev/managed-annotations';

/** Field manager and event source name of the operator. */
export const OPERATOR_COMPONENT = 'kfaas-operator';

/** The `namespace/name` work-queue key of a function. */
export function functionKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Splits a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: '', name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Name of the function's Deployment. */
export function deploymentName(fn: FunctionResource): string {
  return fn.metadata.name;
}

/** Name of the function's Service. */
export function serviceName(fn: FunctionResource): string {
  return fn.metadata.name;
}

/** Namespace of the function (and of everything it owns). */
export function functionNamespace(fn: FunctionResource): string {
  return fn.metadata.namespace ?? 'default';
}

/** Labels the operator always sets on owned objects and pods; they win over user labels. */
export function functionLabels(name: string): Record<string, string> {
  return { [APP_LABEL]: name, [FAAS_FUNCTION_LABEL]: name, [OWNER_FUNCTION_LABEL]: name };
}

/** The selector of the Deployment and the Service (immutable on a Deployment, so keep it minimal). */
export function selectorLabels(name: string): Record<string, string> {
  return { [FAAS_FUNCTION_LABEL]: name };
}

/** A controller owner reference to the function, so garbage collection deletes owned objects with it. */
export function ownerReference(fn: FunctionResource): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
} {
  return {
    apiVersion: FUNCTION_API_VERSION,
    kind: FUNCTION_KIND,
    name: fn.metadata.name,
    uid: fn.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
