/**
 * Turns a desired object into the body of a create or an update. An update replaces the spec but keeps what
 * belongs to others: the live replica count when the Function leaves it unset, the immutable selector, the
 * Service's allocated cluster IPs, and label/annotation keys the operator never wrote.
 */
import type { V1Deployment, V1ObjectMeta, V1OwnerReference, V1Service } from '@kubernetes/client-node';
import type { FunctionResource } from '../../common/function-types.js';
import { initialReplicas } from '../../common/scale-labels.js';
import { MANAGED_ANNOTATIONS_ANNOTATION, MANAGED_LABELS_ANNOTATION } from './names.js';

/** The body to create a Deployment with: the desired object with its initial replica count. */
export function deploymentForCreate(desired: V1Deployment, fn: FunctionResource): V1Deployment {
  return { ...desired, spec: { ...desired.spec!, replicas: initialReplicas(fn.spec) } };
}

function managedKeys(annotations: Record<string, string> | undefined, key: string): string[] {
  const list = annotations?.[key];
  return list ? list.split(',').filter(Boolean) : [];
}

/** Merges a desired string map into a live one, dropping keys the operator wrote before but no longer wants. */
export function mergeMap(
  desired: Record<string, string> | undefined,
  live: Record<string, string> | undefined,
  previouslyManaged: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = { ...(live ?? {}) };
  for (const key of previouslyManaged) {
    if (!(key in (desired ?? {}))) delete out[key];
  }
  return Object.assign(out, desired ?? {});
}

function mergeOwnerReferences(desired: V1OwnerReference[] | undefined, live: V1OwnerReference[] | undefined): V1OwnerReference[] {
  const ours = desired ?? [];
  const uids = new Set(ours.map((ref) => ref.uid));
  return [...(live ?? []).filter((ref) => !uids.has(ref.uid)), ...ours];
}

/** Merges desired metadata into live metadata, keeping identity fields (uid, resourceVersion) and others' keys. */
export function mergeMetadata(desired: V1ObjectMeta, live: V1ObjectMeta): V1ObjectMeta {
  return {
    ...live,
    labels: mergeMap(desired.labels, live.labels, managedKeys(live.annotations, MANAGED_LABELS_ANNOTATION)),
    annotations: mergeMap(
      desired.annotations,
      live.annotations,
      managedKeys(live.annotations, MANAGED_ANNOTATIONS_ANNOTATION),
    ),
    ownerReferences: mergeOwnerReferences(desired.ownerReferences, live.ownerReferences),
  };
}

/** The body to update a live Deployment with. */
export function deploymentForUpdate(desired: V1Deployment, live: V1Deployment): V1Deployment {
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: mergeMetadata(desired.metadata!, live.metadata ?? {}),
    spec: {
      ...desired.spec!,
      replicas: desired.spec?.replicas ?? live.spec?.replicas,
      // The selector is immutable after creation.
      selector: live.spec?.selector ?? desired.spec!.selector,
    },
  };
}

// Fields the apiserver allocates or defaults on a Service and that an update must carry over unchanged.
const SERVICE_KEPT_FIELDS = ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'sessionAffinity'] as const;

/** The body to update a live Service with. */
export function serviceForUpdate(desired: V1Service, live: V1Service): V1Service {
  const kept: Record<string, unknown> = {};
  for (const field of SERVICE_KEPT_FIELDS) {
    if (live.spec?.[field] !== undefined) kept[field] = live.spec[field];
  }
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: mergeMetadata(desired.metadata!, live.metadata ?? {}),
    spec: { ...kept, ...desired.spec },
  };
}
