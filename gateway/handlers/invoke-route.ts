/**
 * The grammar both invocation routes share: `{prefix}{fn}[.{namespace}][/{path…}][?{query}]`. One parser and one
 * namespace check, so `/function/x` and `/async-function/x` refuse the same things with the same words.
 */
import { KfaasError } from '../../common/errors.js';
import { dns1123Problem, parseFunctionRef } from '../../common/names.js';
import type { GatewayConfig } from '../config.js';
import type { FunctionResolver, ResolvedFunction } from '../ports.js';
import { checkNamespace } from './namespace-policy.js';

/** The namespaces a route may name, and the one it gets when it names none. */
export type RouteNamespaces = Pick<GatewayConfig, 'functionNamespace' | 'allowedNamespaces'>;

/** A call's target, parsed from the raw (undecoded) request URL. */
export interface InvokeTarget {
  readonly name: string;
  readonly namespace: string;
  /** The path the function sees, undecoded (`/` at least). */
  readonly path: string;
  /** The query after `?`, verbatim (empty when there is none). */
  readonly rawQuery: string;
}

/**
 * Parses an invocation URL. The last `.` of the first segment splits off the namespace, as in OpenFaaS.
 * A name no function can have (empty, upper-case, too long) is FN_NOT_FOUND (404): OpenFaaS clients read 404 as
 * "no such function", and that is what it is. A namespace outside the allowed set is INVALID_NAMESPACE (400).
 */
export function parseInvokeRoute(url: string, prefix: string, namespaces: RouteNamespaces): InvokeTarget {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const rest = pathPart.startsWith(prefix) ? pathPart.slice(prefix.length) : '';
  const slash = rest.indexOf('/');
  const segment = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '/' : rest.slice(slash);
  const ref = parseFunctionRef(segment);
  const problem = dns1123Problem(ref.name);
  if (problem) throw new KfaasError('FN_NOT_FOUND', `no function can be named ${JSON.stringify(ref.name)}: a function name ${problem}`);
  const namespace = checkNamespace(ref.namespace, namespaces);
  return { name: ref.name, namespace, path, rawQuery };
}

/** The FN_NOT_FOUND (404) both routes answer for a function that does not exist. */
export function functionNotFound(name: string, namespace: string): KfaasError {
  return new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
}

/** Resolves a parsed target; throws functionNotFound when there is no such function. */
export async function resolveTarget(resolver: FunctionResolver, target: Pick<InvokeTarget, 'name' | 'namespace'>): Promise<ResolvedFunction> {
  const resolved = await resolver.resolve(target.name, target.namespace);
  if (!resolved) throw functionNotFound(target.name, target.namespace);
  return resolved;
}
