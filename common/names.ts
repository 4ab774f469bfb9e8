/** Function and namespace naming rules shared by every process (OpenFaaS-compatible). */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ROUTE_NAME = /^[-a-zA-Z_0-9.]+$/;

/** Returns a human-readable problem with `name` as a DNS-1123 label, or undefined when it is valid. */
export function dns1123Problem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 63) return `must be at most 63 characters (got ${name.length})`;
  if (!DNS1123_LABEL.test(name)) {
    return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * Returns a problem with a name for a new function, or undefined. Stricter than a route name: the function's
 * Kubernetes Service takes its name, and Service names are DNS-1035 labels (they start with a letter).
 */
export function functionNameProblem(name: string): string | undefined {
  const problem = dns1123Problem(name);
  if (problem) return problem;
  if (!/^[a-z]/.test(name)) return 'must start with a lower-case letter (it names a Kubernetes Service)';
  return undefined;
}

/** True when `name` is a valid DNS-1123 label of at most 63 characters. */
export function isDns1123Label(name: string): boolean {
  return dns1123Problem(name) === undefined;
}

/** A function reference parsed from a route segment `fn` or `fn.namespace`. */
export interface FunctionRef {
  readonly name: string;
  /** Undefined when the route named no namespace: the caller applies its default. */
  readonly namespace: string | undefined;
}

/** Splits a route segment on its last `.` into name and namespace, as the OpenFaaS gateway does. */
export function parseFunctionRef(segment: string): FunctionRef {
  if (!ROUTE_NAME.test(segment)) return { name: segment, namespace: undefined };
  const dot = segment.lastIndexOf('.');
  if (dot < 0) return { name: segment, namespace: undefined };
  return { name: segment.slice(0, dot), namespace: segment.slice(dot + 1) };
}

/** Formats a function reference as `name.namespace`. */
export function formatFunctionRef(name: string, namespace: string): string {
  return `${name}.${namespace}`;
}
