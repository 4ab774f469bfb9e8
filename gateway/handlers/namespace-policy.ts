/** Which namespaces requests may name; shared by the invocation routes and /system. */
import { KfaasError } from '../../common/errors.js';
import type { GatewayConfig } from '../config.js';

/**
 * Returns the namespace a request targets: the one it names, else the default function namespace. Throws
 * INVALID_NAMESPACE (`namespace must be: a, b`) for any other; kube-system is never in the allowed set.
 */
export function checkNamespace(
  requested: string | undefined,
  config: Pick<GatewayConfig, 'functionNamespace' | 'allowedNamespaces'>,
): string {
  if (requested === undefined || requested === '') return config.functionNamespace;
  if (!config.allowedNamespaces.includes(requested)) {
    throw new KfaasError('INVALID_NAMESPACE', `namespace must be: ${config.allowedNamespaces.join(', ')}`);
  }
  return requested;
}
