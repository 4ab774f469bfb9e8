/**
 * A function's effective autoscaling settings, resolved in one place for the operator's autoscaler, the local
 * provider's (`kfaas up`) autoscaler and the workers' per-function concurrency. `spec.scale` wins; without it,
 * OpenFaaS's scale labels turn autoscaling on (`com.openfaas.scale.target`, `.type` or `.zero`), with OpenFaaS's
 * defaults. Neither means no autoscaling: the replica count stays what the spec, an HPA or a scale call sets.
 */
import { ValidationError } from './errors.js';
import { parseDuration } from './duration.js';
import { SCALE_TARGET_TYPES, type ScaleSpec, type ScaleTargetType } from './function-types.js';
import { SCALE_MAX_LABEL, SCALE_MIN_LABEL } from './scale-labels.js';

/** OpenFaaS label: load per replica the autoscaler aims at. */
export const SCALE_TARGET_LABEL = 'com.openfaas.scale.target';
/** OpenFaaS label: what the target measures (`capacity` = in-flight calls, `rps`; kfaas also takes `inflight`). */
export const SCALE_TYPE_LABEL = 'com.openfaas.scale.type';
/** OpenFaaS label: `true` lets an idle function scale to zero. */
export const SCALE_ZERO_LABEL = 'com.openfaas.scale.zero';
/** OpenFaaS label: how long a function must be idle before it scales to zero (default 15m). */
export const SCALE_ZERO_DURATION_LABEL = 'com.openfaas.scale.zero-duration';

/** Defaults when a setting is missing (OpenFaaS's values for the labels). */
export const SCALE_DEFAULTS = Object.freeze({ min: 1, max: 20, target: 50, zeroAfter: '15m' });

/** Effective autoscaling settings of a function. */
export interface ScaleSettings {
  readonly min: number;
  readonly max: number;
  readonly target: number;
  readonly targetType: ScaleTargetType;
  /** Idle time before scaling to zero; undefined = never scale to zero. */
  readonly zeroAfterMs: number | undefined;
  /** Where the settings came from, for status messages. */
  readonly source: 'spec.scale' | 'labels';
}

/** The parts of a function spec the scale settings are read from. */
export interface ScaleInput {
  readonly scale?: ScaleSpec | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/** The autoscaling settings of a function, or undefined when it does not autoscale; throws ValidationError. */
export function effectiveScale(spec: ScaleInput): ScaleSettings | undefined {
  if (spec.scale) return fromSpec(spec.scale);
  const labels = spec.labels ?? {};
  const enabled = [SCALE_TARGET_LABEL, SCALE_TYPE_LABEL, SCALE_ZERO_LABEL].some((l) => labels[l] !== undefined);
  return enabled ? fromLabels(labels) : undefined;
}

/**
 * Concurrent calls one replica takes: the watchdog's `max_inflight` when set, else the scale target when it
 * counts in-flight calls, else undefined (unbounded, as before autoscaling).
 */
export function perReplicaCapacity(spec: ScaleInput): number | undefined {
  const maxInflight = spec.environment?.max_inflight;
  if (maxInflight !== undefined && /^[1-9]\d*$/.test(maxInflight)) return Number(maxInflight);
  const settings = safeScale(spec);
  return settings?.targetType === 'inflight' ? settings.target : undefined;
}

function safeScale(spec: ScaleInput): ScaleSettings | undefined {
  try {
    return effectiveScale(spec);
  } catch {
    return undefined;
  }
}

function fromSpec(scale: ScaleSpec): ScaleSettings {
  const targetType = scale.targetType ?? 'inflight';
  if (!(SCALE_TARGET_TYPES as readonly string[]).includes(targetType)) {
    throw new ValidationError('spec.scale.targetType', `must be one of ${SCALE_TARGET_TYPES.join(', ')}, got "${targetType}"`);
  }
  return checked(
    {
      min: scale.min ?? SCALE_DEFAULTS.min,
      max: scale.max ?? Math.max(SCALE_DEFAULTS.max, scale.min ?? 0),
      target: scale.target ?? SCALE_DEFAULTS.target,
      targetType,
      zeroAfterMs: scale.zeroAfter === undefined ? undefined : parseDuration(scale.zeroAfter, 'spec.scale.zeroAfter'),
      source: 'spec.scale',
    },
    { min: 'spec.scale.min', max: 'spec.scale.max', target: 'spec.scale.target' },
  );
}

function fromLabels(labels: Readonly<Record<string, string>>): ScaleSettings {
  const type = labels[SCALE_TYPE_LABEL] ?? 'rps';
  const targetType = type === 'capacity' || type === 'inflight' ? 'inflight' : type === 'rps' ? 'rps' : undefined;
  if (targetType === undefined) throw new ValidationError(`labels.${SCALE_TYPE_LABEL}`, `must be capacity, inflight or rps, got "${type}"`);
  const zero = labels[SCALE_ZERO_LABEL];
  if (zero !== undefined && zero !== 'true' && zero !== 'false') {
    throw new ValidationError(`labels.${SCALE_ZERO_LABEL}`, `must be true or false, got "${zero}"`);
  }
  const zeroDuration = labels[SCALE_ZERO_DURATION_LABEL] ?? SCALE_DEFAULTS.zeroAfter;
  const min = whole(labels, SCALE_MIN_LABEL);
  return checked(
    {
      min: min ?? SCALE_DEFAULTS.min,
      max: whole(labels, SCALE_MAX_LABEL) ?? Math.max(SCALE_DEFAULTS.max, min ?? 0),
      target: whole(labels, SCALE_TARGET_LABEL) ?? SCALE_DEFAULTS.target,
      targetType,
      zeroAfterMs: zero === 'true' ? parseDuration(zeroDuration, `labels.${SCALE_ZERO_DURATION_LABEL}`) : undefined,
      source: 'labels',
    },
    { min: `labels.${SCALE_MIN_LABEL}`, max: `labels.${SCALE_MAX_LABEL}`, target: `labels.${SCALE_TARGET_LABEL}` },
  );
}

function checked(s: ScaleSettings, fields: Record<'min' | 'max' | 'target', string>): ScaleSettings {
  if (!Number.isInteger(s.min) || s.min < 0) throw new ValidationError(fields.min, `must be a whole number >= 0, got ${s.min}`);
  if (!Number.isInteger(s.max) || s.max < 1) throw new ValidationError(fields.max, `must be a whole number >= 1, got ${s.max}`);
  if (s.min > s.max) throw new ValidationError(fields.min, `must not exceed max (${s.max}), got ${s.min}`);
  if (!Number.isInteger(s.target) || s.target < 1) throw new ValidationError(fields.target, `must be a whole number >= 1, got ${s.target}`);
  return Object.freeze(s);
}

function whole(labels: Readonly<Record<string, string>>, label: string): number | undefined {
  const value = labels[label];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new ValidationError(`labels.${label}`, `must be a whole number, got "${value}"`);
  return Number(value);
}
