/** Which namespaces requests may name; shared by the invocation routes and /system. */
import { KfaasError } from '../../common/errors.js';
import type { GatewayConfig } from '../config.js';
import type { NamespaceManager } from '../ports.js';

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

/**
 * The namespace settings with `allowedNamespaces` read live from the provider's NamespaceManager when it has one
 * (a namespace created through /system/namespace is callable at once), else the configured list. A getter, so the
 * handlers that take these settings once at creation still see every change.
 */
export function liveNamespaces<C extends Pick<GatewayConfig, 'functionNamespace' | 'allowedNamespaces'>>(
  config: C,
  manager: Pick<NamespaceManager, 'allowed'> | undefined,
): C {
  if (!manager) return config;
  return Object.defineProperty({ ...config }, 'allowedNamespaces', { get: () => manager.allowed(), enumerable: true });
}
