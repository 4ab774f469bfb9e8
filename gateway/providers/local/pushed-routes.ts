/**
 * The local provider as a `kfaas up` gateway worker sees it: the owner process runs the functions and pushes
 * their endpoints here on every change. A worker serves a sync call itself only when the function has a ready
 * endpoint; everything else (scale from zero, /system, async accepts) goes to the owner.
 */
import { KfaasError } from '../../../common/errors.js';
import { parseFunctionRef } from '../../../common/names.js';
import type { FunctionManager, Provider, ResolvedFunction } from '../../ports.js';

/** The routes a worker received, as a Provider for its gateway. */
export interface PushedRoutes {
  readonly provider: Provider;
  /** Replaces the routes with the owner's latest; the first call makes the provider ready. */
  update(functions: readonly ResolvedFunction[]): void;
  /** True when `url` is a sync call (`/function/...`) to a function with a ready endpoint here. */
  servesHere(url: string): boolean;
}

const PREFIX = '/function/';

/** Creates empty routes; `namespace` is the one a call gets when it names none. */
export function createPushedRoutes(namespace: string): PushedRoutes {
  let routes = new Map<string, ResolvedFunction>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const key = (name: string, ns: string): string => `${ns}/${name}`;
  // The worker hands every /system route to the owner, so none of these is ever called here.
  const notHere = (): never => {
    throw new KfaasError('UNAVAILABLE', 'function management is served by the kfaas up process, not a gateway worker');
  };
  const functions: FunctionManager = { list: notHere, get: notHere, deploy: notHere, update: notHere, remove: notHere, scale: notHere };
  return {
    provider: {
      info: { provider: 'kfaas-local', orchestration: 'local' },
      resolver: { resolve: async (name, ns) => routes.get(key(name, ns)) },
      functions,
      namespaces: { namespaces: async () => [namespace] },
      ready: () => ready,
      close: async () => undefined,
    },
    update(list) {
      routes = new Map(list.map((f) => [key(f.name, f.namespace), f]));
      markReady();
    },
    servesHere(url) {
      if (!url.startsWith(PREFIX)) return false;
      const end = url.slice(PREFIX.length).search(/[/?]/);
      const segment = end < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, PREFIX.length + end);
      const ref = parseFunctionRef(segment);
      return (routes.get(key(ref.name, ref.namespace ?? namespace))?.endpoints.length ?? 0) > 0;
    },
  };
}

/** Every function of `namespace` with its endpoints and policy, as the owner pushes them. */
export async function snapshotRoutes(provider: Provider, namespace: string): Promise<ResolvedFunction[]> {
  const list = await provider.functions.list(namespace);
  const resolved = await Promise.all(list.map((f) => provider.resolver.resolve(f.name, namespace)));
  return resolved.filter((r): r is ResolvedFunction => r !== undefined);
}
