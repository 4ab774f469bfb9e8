/**
 * Checks a Function for everything the CRD schema cannot (or did not, for objects stored before a schema
 * change) reject, before the operator writes anything: a problem here means no Deployment is touched.
 */
import { policyFromSpec } from '../../common/delivery-policy.js';
import { durationProblem, tryParseDuration } from '../../common/duration.js';
import { isValidationError } from '../../common/errors.js';
import { FAAS_FUNCTION_LABEL, FUNCTION_MODES, isFunctionMode, OWNER_FUNCTION_LABEL, type FunctionResource, type ResourceQuantities } from '../../common/function-types.js';
import { queueNameProblem } from '../../common/topics.js';
import { effectivePlatformSettings } from '../../common/function-settings.js';
import { APP_LABEL, functionLabels, SCALE_MIN_LABEL } from './names.js';
import { parseQuantity } from './quantity.js';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// The classic Kubernetes rule (before RelaxedEnvironmentVariableValidation), accepted by every version.
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Returns a problem with a label or annotation key (`[prefix/]name`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return 'prefix must be a DNS-1123 subdomain of at most 253 characters';
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return 'name part must be 1-63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Returns a problem with a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return 'must be at most 63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Parses a `key=value` constraint into a node-selector term, or returns a problem. */
export function parseConstraint(constraint: string): { key: string; value: string } | { problem: string } {
  const eq = constraint.indexOf('=');
  if (eq < 0) return { problem: 'must have the form key=value' };
  const key = constraint.slice(0, eq).trim();
  const value = constraint.slice(eq + 1).trim();
  const keyProblem = qualifiedNameProblem(key);
  if (keyProblem) return { problem: `key ${JSON.stringify(key)}: ${keyProblem}` };
  const valueProblem = labelValueProblem(value);
  if (valueProblem) return { problem: `value ${JSON.stringify(value)}: ${valueProblem}` };
  return { key, value };
}

function quantityProblems(field: string, q: ResourceQuantities | undefined, out: string[]): void {
  for (const [resource, text] of Object.entries(q ?? {})) {
    if (typeof text !== 'string' || parseQuantity(text) === undefined) {
      out.push(`spec.${field}.${resource}: invalid quantity ${JSON.stringify(text)} (use e.g. "100m", "0.5", "128Mi")`);
    }
  }
}

/** Returns every problem with a Function's spec, each naming its field; an empty list means it is valid. */
export function validateFunction(fn: FunctionResource): string[] {
  const problems: string[] = [];
  // The schema requires spec; an object stored before the CRD had a schema might still lack it.
  if (typeof fn.spec !== 'object' || fn.spec === null) return ['spec: missing; a Function needs at least spec.name and spec.image'];
  const spec = fn.spec;
  const name = fn.metadata.name;
  // The Service takes the function's name, and Service names are DNS-1035 labels (they start with a letter).
  if (name.length > 63 || !DNS1035_LABEL.test(name)) {
    problems.push(
      `metadata.name: ${JSON.stringify(name)} must be a DNS-1035 label: at most 63 lower-case letters, digits or "-", starting with a letter`,
    );
  }
  if (spec.name !== name) problems.push(`spec.name: ${JSON.stringify(spec.name)} must equal metadata.name ${JSON.stringify(name)}`);
  if (typeof spec.image !== 'string' || spec.image.trim() === '' || /\s/.test(spec.image)) {
    problems.push(`spec.image: ${JSON.stringify(spec.image)} must be a non-empty image reference without spaces`);
  }

  const platform = effectivePlatformSettings(spec);
  if (platform.mode !== undefined && !isFunctionMode(platform.mode)) {
    problems.push(`${platform.sources.mode}: ${JSON.stringify(platform.mode)} must be one of ${FUNCTION_MODES.join(', ')}`);
  }
  for (const which of ['read', 'write', 'exec'] as const) {
    const text = platform.timeouts[which];
    const problem = durationProblem(text);
    if (problem) {
      problems.push(`${platform.sources[which]}: ${problem}`);
    } else if (which === 'write' && tryParseDuration(text)! <= 0) {
      problems.push(`${platform.sources.write}: must be greater than 0 (the watchdog needs a write timeout)`);
    }
  }
  try {
    policyFromSpec(spec);
  } catch (err) {
    if (!isValidationError(err)) throw err;
    // The policy parses the exec timeout the loop above already judged: report each field once.
    const field = `spec.${err.field}`;
    if (!problems.some((p) => p.startsWith(`${field}: `))) problems.push(`${field}: ${err.problem}`);
  }

  quantityProblems('limits', spec.limits, problems);
  quantityProblems('requests', spec.requests, problems);
  for (const resource of ['cpu', 'memory'] as const) {
    const limit = spec.limits?.[resource] === undefined ? undefined : parseQuantity(spec.limits[resource]);
    const request = spec.requests?.[resource] === undefined ? undefined : parseQuantity(spec.requests[resource]);
    if (limit !== undefined && request !== undefined && request > limit) {
      problems.push(`spec.requests.${resource}: ${spec.requests?.[resource]} must not exceed spec.limits.${resource} ${spec.limits?.[resource]}`);
    }
  }

  (spec.constraints ?? []).forEach((constraint, i) => {
    const parsed = parseConstraint(constraint);
    if ('problem' in parsed) problems.push(`spec.constraints[${i}]: ${parsed.problem}`);
  });

  const ours = functionLabels(name);
  for (const [key, value] of Object.entries(spec.labels ?? {})) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push(`spec.labels: key ${JSON.stringify(key)}: ${keyProblem}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.push(`spec.labels.${key}: value ${JSON.stringify(value)} ${valueProblem}`);
    if (key in ours && ours[key] !== value) {
      problems.push(`spec.labels.${key}: is set by the operator to ${JSON.stringify(ours[key])} (${[APP_LABEL, FAAS_FUNCTION_LABEL, OWNER_FUNCTION_LABEL].join(', ')} are reserved)`);
    }
  }
  const scaleMin = spec.labels?.[SCALE_MIN_LABEL];
  if (scaleMin !== undefined && !/^\d+$/.test(scaleMin)) {
    problems.push(`spec.labels.${SCALE_MIN_LABEL}: ${JSON.stringify(scaleMin)} must be a whole number`);
  }

  let annotationBytes = 0;
  for (const [key, value] of Object.entries(spec.annotations ?? {})) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push(`spec.annotations: key ${JSON.stringify(key)}: ${keyProblem}`);
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
    problems.push(`spec.annotations: ${annotationBytes} bytes in total, more than the ${MAX_ANNOTATIONS_BYTES} Kubernetes allows`);
  }

  for (const [key, value] of Object.entries(spec.environment ?? {})) {
    if (!ENV_NAME.test(key)) {
      problems.push(`spec.environment: ${JSON.stringify(key)} is not a valid variable name (letters, digits, "_", "-", "."; not starting with a digit)`);
    }
    if (typeof value !== 'string') problems.push(`spec.environment.${key}: must be a string`);
  }

  const seen = new Set<string>();
  (spec.secrets ?? []).forEach((secret, i) => {
    if (secret.length > 253 || !DNS1123_SUBDOMAIN.test(secret)) {
      problems.push(`spec.secrets[${i}]: ${JSON.stringify(secret)} is not a valid Secret name (a DNS-1123 subdomain)`);
    }
    if (seen.has(secret)) problems.push(`spec.secrets[${i}]: ${JSON.stringify(secret)} is listed twice`);
    seen.add(secret);
  });

  if (spec.queue !== undefined) {
    const queueProblem = queueNameProblem(spec.queue);
    if (queueProblem) problems.push(`spec.queue: ${queueProblem}`);
  }
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) {
    problems.push(`spec.replicas: ${JSON.stringify(spec.replicas)} must be a whole number >= 0`);
  }
  return problems;
}
