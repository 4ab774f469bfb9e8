/** JSON schemas of the /system request bodies, compiled once with ajv; errors name the offending field. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { KfaasError } from '../../../common/errors.js';
import type { FunctionDeployment } from '../../../common/function-types.js';

const ajv = new Ajv({ allErrors: false, strict: true });

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const stringArray = { type: 'array', items: { type: 'string' } } as const;
const quantities = {
  type: 'object',
  properties: { cpu: { type: 'string' }, memory: { type: 'string' } },
  additionalProperties: false,
} as const;

// Unknown top-level fields are ignored, not refused: faas-cli versions send fields kfaas has no use for.
const deploymentSchema = {
  type: 'object',
  required: ['service', 'image'],
  properties: {
    service: { type: 'string', minLength: 1 },
    image: { type: 'string', minLength: 1 },
    namespace: { type: 'string' },
    envProcess: { type: 'string' },
    envVars: stringMap,
    constraints: stringArray,
    secrets: stringArray,
    labels: stringMap,
    annotations: stringMap,
    limits: quantities,
    requests: quantities,
    readOnlyRootFilesystem: { type: 'boolean' },
  },
} as const;

/** Body of DELETE /system/functions. */
export interface DeleteRequest {
  functionName: string;
  namespace?: string;
}

const deleteSchema = {
  type: 'object',
  required: ['functionName'],
  properties: { functionName: { type: 'string', minLength: 1 }, namespace: { type: 'string' } },
} as const;

/** Body of POST /system/scale-function/{name}. */
export interface ScaleRequest {
  serviceName?: string;
  replicas: number;
  namespace?: string;
}

const scaleSchema = {
  type: 'object',
  required: ['replicas'],
  properties: {
    serviceName: { type: 'string' },
    replicas: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
    namespace: { type: 'string' },
  },
} as const;

/** Secret bodies of /system/secrets: `value` (text) or `rawValue` (base64). */
export interface SecretRequest {
  name: string;
  namespace?: string;
  value?: string;
  rawValue?: string;
}

const secretSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    namespace: { type: 'string' },
    value: { type: 'string' },
    rawValue: { type: 'string' },
  },
} as const;

const validators = {
  deployment: ajv.compile<FunctionDeployment>(deploymentSchema),
  delete: ajv.compile<DeleteRequest>(deleteSchema),
  scale: ajv.compile<ScaleRequest>(scaleSchema),
  secret: ajv.compile<SecretRequest>(secretSchema),
};

/** Names the first schema error as `field: problem` (`envVars.A: must be string`, `service: is required`). */
export function describeSchemaError(error: ErrorObject | undefined): string {
  if (!error) return 'request body is invalid';
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    return `${path ? `${path}.` : ''}${missing}: is required`;
  }
  if (path === '') return `request body ${error.message ?? 'is invalid'}`;
  return `${path}: ${error.message ?? 'is invalid'}`;
}

// Go clients marshal unset pointers as null; null means "not given", like an absent field.
function withoutNulls(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
}

function check<T>(validate: ValidateFunction<T>, body: unknown): T {
  if (body === undefined) throw new KfaasError('BAD_REQUEST', 'request body must be a JSON object (it is empty)');
  const cleaned = withoutNulls(body);
  if (!validate(cleaned)) throw new KfaasError('INVALID_FIELD', describeSchemaError(validate.errors?.[0]));
  return cleaned;
}

/** Validates a FunctionDeployment body; throws 400 naming the field. */
export const parseDeployment = (body: unknown): FunctionDeployment => check(validators.deployment, body);
/** Validates a delete body; throws 400 naming the field. */
export const parseDelete = (body: unknown): DeleteRequest => check(validators.delete, body);
/** Validates a scale body; throws 400 naming the field. */
export const parseScale = (body: unknown): ScaleRequest => check(validators.scale, body);
/** Validates a secret body; throws 400 naming the field. */
export const parseSecret = (body: unknown): SecretRequest => check(validators.secret, body);
