/**
 * OpenFaaS's scaling labels, read one way by every process: `com.openfaas.scale.min` is the replica count a
 * function starts with (and scales from zero to), and min equal to `com.openfaas.scale.max` pins the function
 * at that count (scaling disabled).
 */

/** Label with the least replicas a running function keeps (OpenFaaS name). */
export const SCALE_MIN_LABEL = 'com.openfaas.scale.min';
/** Label with the most replicas a function may have (OpenFaaS name). */
export const SCALE_MAX_LABEL = 'com.openfaas.scale.max';

/** The scaling bounds a function's labels set; a missing or non-numeric label is undefined. */
export interface ScaleBounds {
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/** Reads the scaling bounds from a function's labels. */
export function scaleBounds(labels: Readonly<Record<string, string>> | undefined): ScaleBounds {
  return { min: wholeNumber(labels?.[SCALE_MIN_LABEL]), max: wholeNumber(labels?.[SCALE_MAX_LABEL]) };
}

/** Replicas of a new function: the explicit count, else scale.min, else 1. */
export function initialReplicas(spec: { readonly replicas?: number | undefined; readonly labels?: Readonly<Record<string, string>> | undefined }): number {
  return spec.replicas ?? scaleBounds(spec.labels).min ?? 1;
}

/** Replicas a call to a function at zero scales it to: max(1, scale.min). */
export function scaleFromZeroReplicas(labels: Readonly<Record<string, string>> | undefined): number {
  return Math.max(1, scaleBounds(labels).min ?? 1);
}

/** The count a function is pinned at (scale.min equal to scale.max), or undefined when it may scale. */
export function pinnedReplicas(labels: Readonly<Record<string, string>> | undefined): number | undefined {
  const { min, max } = scaleBounds(labels);
  return min !== undefined && min === max ? min : undefined;
}

function wholeNumber(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
