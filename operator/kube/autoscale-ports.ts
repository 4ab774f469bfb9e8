/**
 * The autoscaler's ports on the Kubernetes API: the gateway replicas from their Service's EndpointSlices (each
 * asked for its /system/scale-signals), the HPAs' targets, the Deployment scale subresource and the Function
 * status. Caches are the informers'; everything else is one request per use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionResource } from '../../common/function-types.js';
import type { Logger } from '../../common/logger.js';
import { MAX_SIGNAL_AGE_MS, SCALE_SIGNALS_PATH, type ScaleSignalsReport } from '../../common/scale-signals.js';
import type { AutoscalerConfig } from '../config.js';
import type { AutoscalerPorts } from '../autoscaler/autoscaler.js';
import { AUTOSCALING_CONDITION } from '../autoscaler/autoscale-condition.js';
import type { EventRecorder, FunctionStore } from '../reconciler/ports.js';
import { OPERATOR_COMPONENT } from '../resources/names.js';
import { collectionPath, deploymentPath } from './paths.js';
import { createStatusWriter } from './status-writer.js';
import type { KubeRestClient } from './rest-client.js';

interface EndpointSliceList {
  items: Array<{
    addressType?: string;
    endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean } }>;
    ports?: Array<{ name?: string; port?: number }>;
  }>;
}

interface HpaList {
  items: Array<{ metadata?: { namespace?: string }; spec?: { scaleTargetRef?: { kind?: string; name?: string } } }>;
}

/** What the ports are built from. */
export interface AutoscalePortsDeps {
  readonly client: KubeRestClient;
  readonly config: AutoscalerConfig;
  readonly store: FunctionStore;
  readonly functions: () => FunctionResource[];
  readonly events: EventRecorder;
  /** Namespaces watched; empty = all (HPAs are listed the same way). */
  readonly namespaces: readonly string[];
  readonly logger: Logger;
}

/** `Basic ...` from the gateway's credential files, or undefined without an auth folder. */
export function gatewayAuthorization(dir: string | undefined, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string | undefined {
  if (dir === undefined) return undefined;
  const value = (file: string) => read(join(dir, file)).replace(/\r?\n$/, '');
  return `Basic ${Buffer.from(`${value('basic-auth-user')}:${value('basic-auth-password')}`).toString('base64')}`;
}

/** The `http://address:port` of every ready gateway replica in the slices. */
export function gatewayUrls(slices: EndpointSliceList, portName: string): string[] {
  const urls = new Set<string>();
  for (const slice of slices.items) {
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) urls.add(`http://${slice.addressType === 'IPv6' ? `[${address}]` : address}:${port}`);
    }
  }
  return [...urls];
}

/** Builds the ports. */
export function createAutoscalePorts(deps: AutoscalePortsDeps): AutoscalerPorts {
  const { client, config, logger } = deps;
  const slicesPath = collectionPath('/apis/discovery.k8s.io/v1', 'endpointslices', config.gatewayNamespace);
  // Read at start: the mounted Secret's files; a rotated password needs an operator restart (as the gateway).
  const authorization = gatewayAuthorization(config.gatewayAuthDir);
  const failing = new Set<string>();
  const statusWriter = createStatusWriter(client);

  async function report(url: string, signal: AbortSignal): Promise<ScaleSignalsReport | undefined> {
    try {
      const res = await fetch(`${url}${SCALE_SIGNALS_PATH}`, {
        headers: authorization ? { authorization } : {},
        signal: AbortSignal.any([signal, AbortSignal.timeout(MAX_SIGNAL_AGE_MS)]),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      failing.delete(url);
      return (await res.json()) as ScaleSignalsReport;
    } catch (err) {
      // One warning per gateway until it answers again: a round runs every second.
      if (!failing.has(url)) logger.warn('cannot read scale signals from a gateway', { url, err: (err as Error).message });
      failing.add(url);
      return undefined;
    }
  }

  return {
    functions: deps.functions,
    deployment: (namespace, name) => deps.store.getDeployment(namespace, name),
    async signals(signal) {
      const slices = await client.request<EndpointSliceList>('GET', slicesPath, {
        query: { labelSelector: `kubernetes.io/service-name=${config.gatewayService}` },
        signal,
      });
      const reports = await Promise.all(gatewayUrls(slices, config.gatewayPortName).map((url) => report(url, signal)));
      return reports.filter((r): r is ScaleSignalsReport => r !== undefined);
    },
    async hpaTargets(signal) {
      const scopes = deps.namespaces.length > 0 ? deps.namespaces : [undefined];
      const targets = new Set<string>();
      for (const ns of scopes) {
        const list = await client.request<HpaList>('GET', collectionPath('/apis/autoscaling/v2', 'horizontalpodautoscalers', ns), { signal });
        for (const hpa of list.items) {
          const ref = hpa.spec?.scaleTargetRef;
          if (ref?.kind === 'Deployment' && ref.name) targets.add(`${hpa.metadata?.namespace ?? ns ?? ''}/${ref.name}`);
        }
      }
      return targets;
    },
    async scale(namespace, name, replicas, signal) {
      await client.request('PATCH', `${deploymentPath(namespace, name)}/scale`, {
        body: { spec: { replicas } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: OPERATOR_COMPONENT },
        signal,
      });
    },
    patchStatus: (fn, status, signal) => statusWriter.writeStatus(fn, status, signal, (type) => type === AUTOSCALING_CONDITION),
    events: deps.events,
  };
}
