/**
 * Drift detection: the desired object against the live one. The spec hash catches spec changes cheaply; a
 * field-by-field check catches manual edits of owned fields, which leave the hash annotation untouched.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { SPEC_HASH_ANNOTATION } from './names.js';
import { quantitiesEqual } from './quantity.js';

const QUANTITY_PATH = /\.resources\.(limits|requests)\.[^.]+$/;

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
}

/**
 * Returns the first path where `live` does not carry what `desired` says, or undefined when every desired
 * field is present with the same value. Extra live fields (apiserver defaults, other tools) are not drift;
 * arrays must match in length and element by element.
 */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  if (desired === undefined) return undefined;
  if (live === undefined && isEmpty(desired)) return undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return path || '.';
    for (let i = 0; i < desired.length; i++) {
      const diff = firstDifference(desired[i], live[i], `${path}[${i}]`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return path || '.';
    for (const [key, value] of Object.entries(desired)) {
      const diff = firstDifference(value, (live as Record<string, unknown>)[key], `${path}.${key}`);
      if (diff !== undefined) return diff;
    }
    return undefined;
  }
  if (typeof desired === 'string' && typeof live === 'string' && QUANTITY_PATH.test(path)) {
    return quantitiesEqual(desired, live) ? undefined : path;
  }
  return desired === live ? undefined : path;
}

/** An object with the fields drift detection reads. */
export type OwnedObject = KubernetesObject & { spec?: unknown };

/** Why the live object must be updated; an empty list means it matches the desired state. */
export function driftReasons(desired: OwnedObject, live: OwnedObject): string[] {
  const reasons: string[] = [];
  const want = desired.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  const have = live.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  if (want !== have) reasons.push(`spec hash ${have ?? '(none)'} -> ${want ?? '(none)'}`);
  const labels = firstDifference(desired.metadata?.labels, live.metadata?.labels, 'metadata.labels');
  if (labels) reasons.push(`${labels} changed`);
  const { [SPEC_HASH_ANNOTATION]: _hash, ...otherAnnotations } = desired.metadata?.annotations ?? {};
  const annotations = firstDifference(otherAnnotations, live.metadata?.annotations, 'metadata.annotations');
  if (annotations) reasons.push(`${annotations} changed`);
  const uid = desired.metadata?.ownerReferences?.[0]?.uid;
  if (uid && !(live.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller)) {
    reasons.push('owner reference missing');
  }
  const spec = firstDifference(desired.spec, live.spec, 'spec');
  if (spec) reasons.push(`${spec} changed`);
  return reasons;
}
