/**
 * Reads the capacity facts of a namespace's functions from the gateway's GET /system/functions: the route
 * faas-cli list uses, with the kfaas-only `replicaCapacity` field. One request per namespace, whatever the
 * number of functions. With basic auth on, the worker sends the gateway's credentials (as the OpenFaaS
 * queue-worker does).
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Logger } from '../../common/logger.js';
import type { BasicAuthCredentials } from '../../runtime/basic-auth-credentials.js';
import { exchange } from '../http/http-exchange.js';
import type { CapacityFacts, FetchCapacityFacts } from './function-capacity.js';

/** Options of gatewayCapacityFacts. */
export interface GatewayFactsOptions {
  /** Gateway base URL without a trailing slash. */
  readonly gatewayUrl: string;
  readonly credentials?: BasicAuthCredentials | undefined;
  readonly timeoutMs?: number;
  readonly agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
  readonly logger: Logger;
}

/** A fetcher of capacity facts through the gateway; 400 (a namespace it does not serve) and 401/403 answer "unknown". */
export function gatewayCapacityFacts(o: GatewayFactsOptions): FetchCapacityFacts {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.credentials) headers['authorization'] = `Basic ${Buffer.from(`${o.credentials.user}:${o.credentials.password}`).toString('base64')}`;
  let warnedAuth = false;
  return async (namespace) => {
    const url = new URL(`${o.gatewayUrl}/system/functions`);
    url.searchParams.set('namespace', namespace);
    const result = await exchange(url, {
      method: 'GET',
      headers,
      body: Buffer.alloc(0),
      timeoutMs: o.timeoutMs ?? 2_000,
      ...(o.agents ? { agents: o.agents } : {}),
    });
    if (result.kind !== 'response') throw new Error(`GET ${url.pathname}: ${result.error}`);
    if (result.status === 401 || result.status === 403) {
      if (!warnedAuth) {
        warnedAuth = true;
        o.logger.warn('the gateway refused to list functions: async calls are not limited per function; give the worker the gateway credentials (basic_auth, secret_mount_path)', {
          status: result.status,
        });
      }
      return undefined;
    }
    if (result.status === 400) return undefined;
    if (result.status !== 200) throw new Error(`GET ${url.pathname}: status ${result.status}`);
    return parseFacts(result.body);
  };
}

/** The capacity facts of a FunctionStatus[] body, by function name. */
export function parseFacts(body: Buffer): Map<string, CapacityFacts> {
  const list = JSON.parse(body.toString('utf8')) as unknown;
  const out = new Map<string, CapacityFacts>();
  if (!Array.isArray(list)) throw new Error('GET /system/functions did not answer a list');
  for (const item of list as Array<{ name?: unknown; availableReplicas?: unknown; replicaCapacity?: unknown }>) {
    if (typeof item?.name === 'string') out.set(item.name, factsOf(item));
  }
  return out;
}

function factsOf(status: { availableReplicas?: unknown; replicaCapacity?: unknown }): CapacityFacts {
  const available = typeof status.availableReplicas === 'number' && status.availableReplicas >= 0 ? Math.floor(status.availableReplicas) : 0;
  const capacity = typeof status.replicaCapacity === 'number' && Number.isInteger(status.replicaCapacity) && status.replicaCapacity >= 1 ? status.replicaCapacity : undefined;
  return { availableReplicas: available, replicaCapacity: capacity };
}
