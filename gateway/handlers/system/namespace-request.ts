/** The faas-provider FunctionNamespace body of `/system/namespace/{name}` (create and update). */
import { KfaasError } from '../../../common/errors.js';
import { dns1123Problem } from '../../../common/names.js';
import type { FunctionNamespace } from '../../ports.js';

/**
 * Validates a create or update body against the path's name (faas-cli sends the name in both; either may be
 * missing on update). Throws INVALID_NAMESPACE or INVALID_FIELD naming the problem.
 */
export function parseNamespaceRequest(body: unknown, pathName: string | undefined): FunctionNamespace {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new KfaasError('INVALID_FIELD', 'the body must be a JSON object: {"name", "labels", "annotations"}');
  }
  const obj = (body ?? {}) as Record<string, unknown>;
  const bodyName = obj['name'];
  if (bodyName !== undefined && typeof bodyName !== 'string') throw new KfaasError('INVALID_FIELD', 'name: must be a string');
  if (pathName && bodyName && pathName !== bodyName) {
    throw new KfaasError('INVALID_FIELD', `name: the body names ${JSON.stringify(bodyName)} but the path names ${JSON.stringify(pathName)}`);
  }
  const name = pathName || bodyName || '';
  const problem = dns1123Problem(name);
  if (problem) throw new KfaasError('INVALID_NAMESPACE', `namespace ${JSON.stringify(name)}: ${problem}`);
  if (name.startsWith('kube-')) throw new KfaasError('INVALID_NAMESPACE', `namespace ${name}: the kube-* namespaces belong to Kubernetes`);
  return { name, labels: stringMap(obj['labels'], 'labels'), annotations: stringMap(obj['annotations'], 'annotations') };
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new KfaasError('INVALID_FIELD', `${field}: must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new KfaasError('INVALID_FIELD', `${field}.${k}: must be a string`);
  }
  return { ...(value as Record<string, string>) };
}
