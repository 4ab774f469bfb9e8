/**
 * Ready endpoints per Service, indexed from EndpointSlices as the informer delivers them, so resolving a
 * function on the hot path is a map lookup that returns a ready-made array.
 */
import type { V1EndpointSlice } from '@kubernetes/client-node';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The port name the operator gives a function's Service port; any first TCP port is used otherwise. */
const HTTP_PORT_NAME = 'http';

// RFC 6761 §6.3: `localhost` and every name under it mean the loopback address. glibc only knows the bare
// name from /etc/hosts, and the apiserver only accepts FQDNs of two or more labels (`fn.localhost`).
const LOCALHOST_NAME = /^(?:[^.]+\.)*localhost\.?$/i;

/**
 * The base URLs of a slice's ready endpoints. Covers all three address types: IPv4, IPv6 (bracketed) and
 * FQDN, which is how a slice points at a host name. The apiserver refuses loopback IPs in slices, so a
 * process on this machine is named `<anything>.localhost`, which resolves to 127.0.0.1 per RFC 6761.
 * An endpoint whose `ready` condition is unset counts as ready, per the API contract.
 */
export function sliceEndpoints(slice: V1EndpointSlice): string[] {
  const tcp = (slice.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP' && typeof p.port === 'number');
  const port = tcp.find((p) => p.name === HTTP_PORT_NAME) ?? tcp[0];
  if (!port) return [];
  const out: string[] = [];
  for (const endpoint of slice.endpoints ?? []) {
    if (endpoint.conditions?.ready === false) continue;
    for (const address of endpoint.addresses ?? []) {
      const host =
        slice.addressType === 'IPv6' ? `[${address}]` : slice.addressType === 'FQDN' && LOCALHOST_NAME.test(address) ? '127.0.0.1' : address;
      out.push(`http://${host}:${port.port}`);
    }
  }
  return out;
}

function keyOf(namespace: string, service: string): string {
  return `${namespace}/${service}`;
}

/** Ready endpoints per `namespace/service`, maintained from slice add/update/delete events. */
export class EndpointIndex {
  /** Per service: slice name -> that slice's endpoints. */
  private readonly slices = new Map<string, Map<string, string[]>>();
  /** Per service: the merged, de-duplicated endpoint list, rebuilt on change. */
  private readonly merged = new Map<string, readonly string[]>();

  /** Records a slice after an add or update. */
  upsert(slice: V1EndpointSlice): void {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const namespace = slice.metadata?.namespace;
    const name = slice.metadata?.name;
    if (!service || !namespace || !name) return;
    const key = keyOf(namespace, service);
    let perSlice = this.slices.get(key);
    if (!perSlice) {
      perSlice = new Map();
      this.slices.set(key, perSlice);
    }
    perSlice.set(name, sliceEndpoints(slice));
    this.rebuild(key);
  }

  /** Forgets a deleted slice. */
  remove(slice: V1EndpointSlice): void {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const namespace = slice.metadata?.namespace;
    const name = slice.metadata?.name;
    if (!service || !namespace || !name) return;
    const key = keyOf(namespace, service);
    this.slices.get(key)?.delete(name);
    this.rebuild(key);
  }

  /** The ready endpoints of a Service (empty when none). */
  endpoints(namespace: string, service: string): readonly string[] {
    return this.merged.get(keyOf(namespace, service)) ?? [];
  }

  private rebuild(key: string): void {
    const perSlice = this.slices.get(key);
    const all = new Set<string>();
    for (const list of perSlice?.values() ?? []) for (const e of list) all.add(e);
    if (all.size === 0) {
      this.merged.delete(key);
      if (perSlice?.size === 0) this.slices.delete(key);
    } else {
      // Sorted so that round-robin order does not depend on event order.
      this.merged.set(key, Object.freeze([...all].sort()));
    }
  }
}
