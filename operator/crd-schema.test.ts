/**
 * Keeps three things in step: the CRD in crds/, the TypeScript types in common/function-types.ts, and the sample
 * Functions in test/fixtures/. The key maps below are checked by the compiler against the types (a field added
 * to one side only fails the build), then compared with the CRD schema at run time.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { tryParseDuration } from '../common/duration.js';
import type {
  Condition,
  FunctionSpec,
  FunctionStatusBlock,
  FunctionTimeouts,
  ResourceQuantities,
  RetrySpec,
  ScaleSpec,
  ScaleStatus,
} from '../common/function-types.js';
import { FUNCTION_GROUP, FUNCTION_KIND, FUNCTION_MODES, FUNCTION_PLURAL, FUNCTION_VERSION } from '../common/function-types.js';
import { QUANTITY_PATTERN } from './resources/quantity.js';
import { validateFunction } from './resources/validate-function.js';
import { loadCrd, loadFixtures } from './testing/crd.js';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** For every key of T: 'required' if T requires it, else 'optional'. Extra or missing keys fail to compile. */
type KeyMap<T> = { [K in keyof T]-?: K extends RequiredKeys<T> ? 'required' : 'optional' };

const SPEC_KEYS: KeyMap<FunctionSpec> = {
  name: 'required',
  image: 'required',
  handler: 'optional',
  mode: 'optional',
  environment: 'optional',
  labels: 'optional',
  annotations: 'optional',
  secrets: 'optional',
  constraints: 'optional',
  limits: 'optional',
  requests: 'optional',
  readOnlyRootFilesystem: 'optional',
  replicas: 'optional',
  timeouts: 'optional',
  queue: 'optional',
  retry: 'optional',
  maxEventAge: 'optional',
  scale: 'optional',
};
const QUANTITY_KEYS: KeyMap<ResourceQuantities> = { cpu: 'optional', memory: 'optional' };
const TIMEOUT_KEYS: KeyMap<FunctionTimeouts> = { read: 'optional', write: 'optional', exec: 'optional' };
const RETRY_KEYS: KeyMap<RetrySpec> = { maxAttempts: 'optional', minBackoff: 'optional', maxBackoff: 'optional' };
const SCALE_KEYS: KeyMap<ScaleSpec> = { min: 'optional', max: 'optional', target: 'optional', targetType: 'optional', zeroAfter: 'optional' };
const STATUS_KEYS: KeyMap<FunctionStatusBlock> = {
  conditions: 'optional',
  observedGeneration: 'optional',
  replicas: 'optional',
  availableReplicas: 'optional',
  unavailableReplicas: 'optional',
  scale: 'optional',
};
const SCALE_STATUS_KEYS: KeyMap<ScaleStatus> = { desiredReplicas: 'required', reason: 'required', lastScaleTime: 'required' };
const CONDITION_KEYS: KeyMap<Condition> = {
  type: 'required',
  status: 'required',
  reason: 'required',
  message: 'required',
  lastTransitionTime: 'required',
  observedGeneration: 'optional',
};

const crd = loadCrd();
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;
const specSchema = schema.properties.spec;

function describeObject(node: any): Record<string, 'required' | 'optional'> {
  const required: string[] = node.required ?? [];
  return Object.fromEntries(Object.keys(node.properties).map((k) => [k, required.includes(k) ? 'required' : 'optional']));
}

function sorted<T extends Record<string, string>>(o: T): Array<[string, string]> {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

describe('CRD and TypeScript types', () => {
  it('names the resource as common/function-types.ts does', () => {
    expect(crd.metadata.name).toBe(`${FUNCTION_PLURAL}.${FUNCTION_GROUP}`);
    expect(crd.spec).toMatchObject({
      group: FUNCTION_GROUP,
      scope: 'Namespaced',
      names: { plural: FUNCTION_PLURAL, kind: FUNCTION_KIND, shortNames: ['fn'] },
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: FUNCTION_VERSION, served: true, storage: true, subresources: { status: {} } });
    expect(version.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name)).toEqual(['Image', 'Ready', 'Replicas', 'Age']);
    expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it.each([
    ['spec', specSchema, SPEC_KEYS],
    ['spec.limits', specSchema.properties.limits, QUANTITY_KEYS],
    ['spec.requests', specSchema.properties.requests, QUANTITY_KEYS],
    ['spec.timeouts', specSchema.properties.timeouts, TIMEOUT_KEYS],
    ['spec.retry', specSchema.properties.retry, RETRY_KEYS],
    ['spec.scale', specSchema.properties.scale, SCALE_KEYS],
    ['status', schema.properties.status, STATUS_KEYS],
    ['status.scale', schema.properties.status.properties.scale, SCALE_STATUS_KEYS],
    ['status.conditions[]', schema.properties.status.properties.conditions.items, CONDITION_KEYS],
  ])('%s has the same fields, required the same way', (_path, node, keys) => {
    expect(sorted(describeObject(node))).toEqual(sorted(keys));
  });

  it('lists the modes of common/function-types.ts', () => {
    expect(specSchema.properties.mode.enum).toEqual([...FUNCTION_MODES]);
  });

  it('uses the operator quantity grammar', () => {
    expect(specSchema.properties.limits.properties.cpu.pattern).toBe(QUANTITY_PATTERN);
    expect(specSchema.properties.requests.properties.memory.pattern).toBe(QUANTITY_PATTERN);
  });

  it('accepts exactly the durations common/duration.ts parses (without surrounding spaces)', () => {
    const pattern = new RegExp(specSchema.properties.timeouts.properties.read.pattern, 'u');
    for (const text of ['30', '0', '30s', '1m30s', '500ms', '1.5h', '.5s', '2us', '3µs', '10', '', '1.5', '10 s', 's', '-1s', '1d', '1m30']) {
      expect([text, pattern.test(text)]).toEqual([text, tryParseDuration(text) !== undefined]);
    }
    for (const field of ['write', 'exec']) expect(specSchema.properties.timeouts.properties[field]).toEqual(specSchema.properties.timeouts.properties.read);
    for (const field of ['minBackoff', 'maxBackoff']) {
      expect(specSchema.properties.retry.properties[field]).toEqual(specSchema.properties.timeouts.properties.read);
    }
    expect(specSchema.properties.maxEventAge.pattern).toBe(specSchema.properties.timeouts.properties.read.pattern);
  });
});

// ajv knows nothing of the Kubernetes extensions; declare them so strict mode still flags real typos.
const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: true });
for (const keyword of ['x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields']) {
  ajv.addKeyword(keyword);
}
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

/** The CRD's CEL rules (`spec.name == metadata.name`; `scale.min <= scale.max`), which ajv cannot evaluate. */
function celRule(resource: any): boolean {
  const scale = resource.spec?.scale;
  const scaleOk = scale?.min === undefined || scale?.max === undefined || scale.min <= scale.max;
  return resource.spec?.name === resource.metadata?.name && scaleOk;
}

/** Paths of fields the schema does not declare (pruned, or rejected under strict field validation). */
function unknownFields(value: any, node: any, path: string): string[] {
  if (!node || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFields(v, node.items, `${path}[${i}]`));
  if (node.additionalProperties) return [];
  if (!node.properties) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    node.properties[k] ? unknownFields(v, node.properties[k], `${path}.${k}`) : [`${path}.${k}`.replace(/^\./, '')],
  );
}

describe('sample Functions in test/fixtures/functions', () => {
  const valid = loadFixtures();
  const invalid = loadFixtures('invalid');

  it('has samples to check', () => {
    expect(valid.length).toBeGreaterThanOrEqual(3);
    expect(invalid.length).toBeGreaterThanOrEqual(6);
  });

  it.each(valid.map((f) => [f.file, f.resource]))('%s validates against the CRD schema and the operator checks', (_file, resource) => {
    expect(validate(resource) ? [] : validate.errors).toEqual([]);
    expect(celRule(resource)).toBe(true);
    expect(unknownFields(resource.spec, specSchema, 'spec')).toEqual([]);
    expect(validateFunction(resource)).toEqual([]);
  });

  it.each(invalid.map((f) => [f.file, f.resource]))('%s is rejected by what its annotation names', (_file, resource) => {
    const by = resource.metadata.annotations?.['test.kfaas.dev/rejected-by'];
    const field = resource.metadata.annotations?.['test.kfaas.dev/message'] ?? '';
    const schemaOk = validate(resource);
    if (by === 'schema') {
      expect(schemaOk).toBe(false);
      const paths = (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath.replace(/^\//, '').replace(/\//g, '.')} ${e.params && 'missingProperty' in e.params ? `spec.${String(e.params.missingProperty)}` : ''}`);
      expect(paths.join('\n')).toContain(field);
    } else if (by === 'cel') {
      expect(schemaOk).toBe(true);
      expect(celRule(resource)).toBe(false);
    } else {
      expect(by).toBe('strict');
      expect(schemaOk).toBe(true);
      expect(unknownFields(resource.spec, specSchema, 'spec')).toEqual([field]);
    }
  });
});
