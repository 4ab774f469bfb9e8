/** Resolves functions from the informer caches: no API call per request. */
import type { ObjectCache } from '@kubernetes/client-node';
import { DEFAULT_POLICY, policyFromSpec, type DeliveryPolicy } from '../../../common/delivery-policy.js';
import type { FunctionResource } from '../../../common/function-types.js';
import type { Logger } from '../../../common/logger.js';
import type { FunctionResolver, ResolvedFunction } from '../../ports.js';
import type { EndpointIndex } from './endpoint-index.js';
import { isDeleting } from './function-resources.js';

/** Resolves a function to its cached spec's policy and the indexed ready endpoints. */
export class KubeFunctionResolver implements FunctionResolver {
  /** Policies are derived once per resourceVersion: parsing durations per request would be waste. */
  private readonly policies = new Map<string, { resourceVersion: string | undefined; policy: DeliveryPolicy }>();

  constructor(
    private readonly functions: (namespace: string) => ObjectCache<FunctionResource> | undefined,
    private readonly endpoints: EndpointIndex,
    private readonly logger: Logger,
  ) {}

  async resolve(name: string, namespace: string): Promise<ResolvedFunction | undefined> {
    const fn = this.functions(namespace)?.get(name, namespace);
    if (!fn || isDeleting(fn)) return undefined;
    return {
      name,
      namespace,
      endpoints: this.endpoints.endpoints(namespace, name),
      policy: this.policyOf(fn),
      ...(fn.spec.queue ? { queue: fn.spec.queue } : {}),
    };
  }

  /** Forgets a deleted function's cached policy. */
  forget(name: string, namespace: string): void {
    this.policies.delete(`${namespace}/${name}`);
  }

  private policyOf(fn: FunctionResource): DeliveryPolicy {
    const key = `${fn.metadata.namespace}/${fn.metadata.name}`;
    const cached = this.policies.get(key);
    if (cached && cached.resourceVersion === fn.metadata.resourceVersion) return cached.policy;
    let policy = DEFAULT_POLICY;
    try {
      policy = policyFromSpec(fn.spec);
    } catch (err) {
      // The CRD schema makes this unlikely; a bad value must not make the function uncallable.
      this.logger.warn('function spec has an invalid delivery policy; using defaults', { fn: fn.metadata.name, namespace: fn.metadata.namespace, err });
    }
    this.policies.set(key, { resourceVersion: fn.metadata.resourceVersion, policy });
    return policy;
  }
}
