/** What the /system handlers share: the provider, the metrics that count invocations, and namespace rules. */
import type { Request } from 'express';
import { KfaasError } from '../../../common/errors.js';
import type { FunctionStatus } from '../../../common/function-types.js';
import { dns1123Problem } from '../../../common/names.js';
import type { GatewayConfig } from '../../config.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';
import type { Provider } from '../../ports.js';
import { checkNamespace } from '../namespace-policy.js';

/** Dependencies of every /system handler. */
export interface SystemDeps {
  readonly provider: Provider;
  readonly metrics: Pick<GatewayMetrics, 'invocationCounts'>;
  readonly config: Pick<GatewayConfig, 'functionNamespace' | 'allowedNamespaces'>;
  /** Commit the gateway was built from, for /system/info. */
  readonly buildSha?: string;
}

/** The namespace a /system request targets: the body's, else `?namespace=`, else the default. */
export function requestNamespace(req: Request, deps: SystemDeps, fromBody?: string): string {
  const query = req.query['namespace'];
  return checkNamespace(fromBody || (typeof query === 'string' ? query : undefined), deps.config);
}

/** Validates a function name from a path or body; throws INVALID_NAME. */
export function functionName(name: string, field = 'name'): string {
  const problem = dns1123Problem(name);
  if (problem) throw new KfaasError('INVALID_NAME', `${field}: ${problem}`);
  return name;
}

/** Fills invocationCount from the gateway's own counter (`name.namespace`). */
export function withInvocationCount(status: FunctionStatus, counts: ReadonlyMap<string, number>): FunctionStatus {
  return { ...status, invocationCount: counts.get(`${status.name}.${status.namespace}`) ?? 0 };
}
