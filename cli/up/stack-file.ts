/** Loads and validates a stack file, failing with the file, the field and the problem before anything starts. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { policyFromSpec } from '../../common/delivery-policy.js';
import { durationProblem } from '../../common/duration.js';
import { isValidationError } from '../../common/errors.js';
import type { FunctionSpec } from '../../common/function-types.js';
import { functionNameProblem } from '../../common/names.js';
import { queueNameProblem } from '../../common/topics.js';
import { stackFileSchema } from './stack-schema.js';

/** A parsed stack file. */
export interface Stack {
  readonly path: string;
  /** Handlers run here: the stack file's directory. */
  readonly workingDir: string;
  readonly functions: readonly FunctionSpec[];
}

/** A stack file problem; the message names the file, the field and what is wrong. */
export class StackFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'StackFileError';
  }
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validateStack = ajv.compile(stackFileSchema);

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  return path;
}

function problemOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'unknown field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum') {
    return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return error.message ?? 'is invalid';
}

/** Parses stack text; `file` is used in error messages and to resolve the working directory. */
export function parseStack(text: string, file: string): Stack {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new StackFileError(file, '', `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS();
  if (!validateStack(data)) {
    const error = validateStack.errors![0]!;
    throw new StackFileError(file, fieldOf(error), problemOf(error));
  }
  const functions = Object.entries((data as { functions: Record<string, Omit<FunctionSpec, 'name'>> }).functions).map(
    ([name, entry]) => checkFunction(file, { ...entry, name, image: entry.image ?? `local/${name}` }),
  );
  return { path: file, workingDir: dirname(resolve(file)), functions };
}

function checkFunction(file: string, spec: FunctionSpec): FunctionSpec {
  const at = `functions.${spec.name}`;
  const nameProblem = functionNameProblem(spec.name);
  if (nameProblem) throw new StackFileError(file, at, `function name ${nameProblem}`);
  for (const key of ['read', 'write', 'exec'] as const) {
    const value = spec.timeouts?.[key];
    const problem = value === undefined ? undefined : durationProblem(value);
    if (problem) throw new StackFileError(file, `${at}.timeouts.${key}`, problem);
  }
  if (spec.queue) {
    const problem = queueNameProblem(spec.queue);
    if (problem) throw new StackFileError(file, `${at}.queue`, problem);
  }
  try {
    policyFromSpec(spec);
  } catch (err) {
    if (!isValidationError(err)) throw err;
    throw new StackFileError(file, `${at}.${err.field}`, err.problem);
  }
  return spec;
}

/** Reads and validates a stack file from disk. */
export function loadStackFile(path: string): Stack {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StackFileError(path, '', `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseStack(text, path);
}
