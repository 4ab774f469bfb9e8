/**
 * Conversions between the OpenFaaS REST shapes of /system and the Function spec, shared by both providers so
 * they accept and report functions identically.
 */
import { policyFromSpec } from '../../common/delivery-policy.js';
import { durationProblem } from '../../common/duration.js';
import { KfaasError, ValidationError, isValidationError } from '../../common/errors.js';
import {
  FAAS_FUNCTION_LABEL,
  FUNCTION_MODES,
  isFunctionMode,
  PLATFORM_ENV_VARS,
  SpecAnnotations,
  type FunctionDeployment,
  type FunctionSpec,
  type FunctionStatus,
  type ResourceQuantities,
} from '../../common/function-types.js';
import { functionNameProblem } from '../../common/names.js';
import { queueNameProblem } from '../../common/topics.js';
import { perReplicaCapacity } from '../../common/scale-settings.js';

// A Kubernetes resource quantity, as the CRD schema (crds/functions.kfaas.dev.yaml) checks it.
const QUANTITY = /^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][-+]?[0-9]+))?$/;
// Constraints are `key=value` node-selector terms, as the CRD schema checks them.
const CONSTRAINT = /^[^=]+=[^=]*$/;
const TIMEOUT_ENV = [
  ['read_timeout', 'read'],
  ['write_timeout', 'write'],
  ['exec_timeout', 'exec'],
] as const;

// Where each delivery-policy field of a spec comes from in a FunctionDeployment, to name it in errors.
const POLICY_SOURCES: Readonly<Record<string, string>> = {
  'timeouts.exec': 'envVars.exec_timeout',
  'retry.maxAttempts': `annotations.${SpecAnnotations.retryMaxAttempts}`,
  'retry.minBackoff': `annotations.${SpecAnnotations.retryMinBackoff}`,
  'retry.maxBackoff': `annotations.${SpecAnnotations.retryMaxBackoff}`,
  maxEventAge: `annotations.${SpecAnnotations.maxEventAge}`,
};

/**
 * Converts a FunctionDeployment to a Function spec, validating what the schema cannot (name, durations,
 * quantities, retry annotations); throws INVALID_NAME / INVALID_FIELD naming the field.
 * `current` is the live spec on update: its replica count survives, since an autoscaler or scale call owns it.
 */
export function deploymentToSpec(d: FunctionDeployment, current?: FunctionSpec): FunctionSpec {
  const nameProblem = functionNameProblem(d.service);
  if (nameProblem) throw new KfaasError('INVALID_NAME', `service: ${nameProblem}`);
  if (d.image.trim() === '') throw invalid('image', 'must not be empty');

  const envVars = d.envVars ?? {};
  const annotations = { ...(d.annotations ?? {}) };
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(envVars)) {
    if (!PLATFORM_ENV_VARS.has(key)) environment[key] = value;
  }
  const timeouts: Record<string, string> = {};
  for (const [envKey, field] of TIMEOUT_ENV) {
    const value = envVars[envKey];
    if (value === undefined) continue;
    const problem = durationProblem(value);
    if (problem) throw invalid(`envVars.${envKey}`, problem);
    timeouts[field] = value;
  }
  const mode = envVars['mode'] ?? annotations[SpecAnnotations.mode];
  if (mode !== undefined && !isFunctionMode(mode)) throw invalid('envVars.mode', `must be one of ${FUNCTION_MODES.join(', ')} (got ${JSON.stringify(mode)})`);
  const handler = d.envProcess ?? envVars['fprocess'];

  for (const c of d.constraints ?? []) {
    if (!CONSTRAINT.test(c)) throw invalid('constraints', `${JSON.stringify(c)} must look like "key=value"`);
  }
  const limits = quantities('limits', d.limits);
  const requests = quantities('requests', d.requests);

  const spec: FunctionSpec = {
    name: d.service,
    image: d.image,
    ...(handler !== undefined ? { handler } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    labels: { ...(d.labels ?? {}), [FAAS_FUNCTION_LABEL]: d.service },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(d.secrets?.length ? { secrets: [...d.secrets] } : {}),
    ...(d.constraints?.length ? { constraints: [...d.constraints] } : {}),
    ...(limits ? { limits } : {}),
    ...(requests ? { requests } : {}),
    ...(d.readOnlyRootFilesystem !== undefined ? { readOnlyRootFilesystem: d.readOnlyRootFilesystem } : {}),
    ...(current?.replicas !== undefined ? { replicas: current.replicas } : {}),
    ...(Object.keys(timeouts).length > 0 ? { timeouts } : {}),
    ...specFromAnnotations(annotations),
  };
  try {
    policyFromSpec(spec);
  } catch (err) {
    if (!isValidationError(err)) throw err;
    throw invalid(POLICY_SOURCES[err.field] ?? err.field, err.problem);
  }
  return spec;
}

/** Reads kfaas-only spec fields (queue, retry, max event age) from their OpenFaaS-style annotations. */
function specFromAnnotations(a: Readonly<Record<string, string>>): Partial<FunctionSpec> {
  const out: Partial<FunctionSpec> = {};
  const queue = a[SpecAnnotations.queue];
  if (queue !== undefined) {
    const problem = queueNameProblem(queue);
    if (problem) throw invalid(`annotations.${SpecAnnotations.queue}`, problem);
    out.queue = queue;
  }
  const attempts = a[SpecAnnotations.retryMaxAttempts];
  const minBackoff = a[SpecAnnotations.retryMinBackoff];
  const maxBackoff = a[SpecAnnotations.retryMaxBackoff];
  if (attempts !== undefined || minBackoff !== undefined || maxBackoff !== undefined) {
    if (attempts !== undefined && !/^\d+$/.test(attempts)) {
      throw invalid(`annotations.${SpecAnnotations.retryMaxAttempts}`, `must be a whole number (got ${JSON.stringify(attempts)})`);
    }
    for (const [key, value] of [
      [SpecAnnotations.retryMinBackoff, minBackoff],
      [SpecAnnotations.retryMaxBackoff, maxBackoff],
    ] as const) {
      const problem = value === undefined ? undefined : durationProblem(value);
      if (problem) throw invalid(`annotations.${key}`, problem);
    }
    out.retry = {
      ...(attempts !== undefined ? { maxAttempts: Number(attempts) } : {}),
      ...(minBackoff !== undefined ? { minBackoff } : {}),
      ...(maxBackoff !== undefined ? { maxBackoff } : {}),
    };
  }
  const maxEventAge = a[SpecAnnotations.maxEventAge];
  if (maxEventAge !== undefined) {
    const problem = durationProblem(maxEventAge);
    if (problem) throw invalid(`annotations.${SpecAnnotations.maxEventAge}`, problem);
    out.maxEventAge = maxEventAge;
  }
  return out;
}

/** Live facts about a function that its spec does not hold. */
export interface FunctionFacts {
  readonly namespace: string;
  readonly replicas: number;
  readonly availableReplicas: number;
  readonly createdAt?: string | Date | undefined;
}

/**
 * Builds the OpenFaaS FunctionStatus of a spec. labels and annotations are always objects; envVars is omitted
 * when empty; invocationCount is 0 here and filled in by the handler from the gateway's metrics.
 */
export function specToStatus(spec: FunctionSpec, facts: FunctionFacts): FunctionStatus {
  const replicaCapacity = perReplicaCapacity(spec);
  const envVars: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.environment ?? {})) {
    if (!PLATFORM_ENV_VARS.has(key)) envVars[key] = value;
  }
  const createdAt = facts.createdAt instanceof Date ? facts.createdAt.toISOString() : facts.createdAt;
  return {
    name: spec.name,
    image: spec.image,
    namespace: facts.namespace,
    ...(spec.handler !== undefined ? { envProcess: spec.handler } : {}),
    ...(Object.keys(envVars).length > 0 ? { envVars } : {}),
    ...(spec.constraints?.length ? { constraints: [...spec.constraints] } : {}),
    ...(spec.secrets?.length ? { secrets: [...spec.secrets] } : {}),
    labels: { ...(spec.labels ?? {}), [FAAS_FUNCTION_LABEL]: spec.name },
    annotations: { ...(spec.annotations ?? {}) },
    ...(spec.limits ? { limits: { ...spec.limits } } : {}),
    ...(spec.requests ? { requests: { ...spec.requests } } : {}),
    ...(spec.readOnlyRootFilesystem !== undefined ? { readOnlyRootFilesystem: spec.readOnlyRootFilesystem } : {}),
    invocationCount: 0,
    replicas: facts.replicas,
    availableReplicas: facts.availableReplicas,
    ...(createdAt !== undefined ? { createdAt } : {}),
    ...(replicaCapacity !== undefined ? { replicaCapacity } : {}),
  };
}

/** Validates quantities and drops blank ones (faas-cli sends `""` for unset limits); undefined when none remain. */
function quantities(field: 'limits' | 'requests', q: ResourceQuantities | undefined): ResourceQuantities | undefined {
  const out: ResourceQuantities = {};
  for (const key of ['cpu', 'memory'] as const) {
    const value = q?.[key];
    if (value === undefined || value === '') continue;
    if (!QUANTITY.test(value)) {
      throw invalid(`${field}.${key}`, `${JSON.stringify(value)} is not a Kubernetes quantity (e.g. 100m, 128Mi)`);
    }
    out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function invalid(field: string, problem: string): ValidationError {
  return new ValidationError(field, problem);
}
