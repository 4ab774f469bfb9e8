/**
 * Where async callbacks may go: the one rule the gateway applies when it accepts a call and the worker applies
 * when it sends the callback. A callback is a POST the platform makes on a caller's behalf, so by default it is
 * never sent to link-local addresses (cloud metadata services live at 169.254.169.254) or to the Kubernetes
 * API, unless KFAAS_CALLBACK_ALLOWLIST lists them. A non-empty allowlist also restricts every other host.
 */
import { BlockList, isIP } from 'node:net';

/** Link-local ranges, refused by default. */
export const LINK_LOCAL_CIDRS: readonly string[] = Object.freeze(['169.254.0.0/16', 'fe80::/10']);

/** Names of the Kubernetes API inside a cluster (any cluster domain after `kubernetes.default.svc.`). */
const KUBERNETES_API_NAMES: readonly string[] = Object.freeze(['kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);

/** What the policy is built from: the allowlist entries, and the Kubernetes API's addresses. */
export interface CallbackPolicyOptions {
  /** Host names, `*.suffix` patterns, IP addresses and CIDRs; empty allows any host not refused by default. */
  readonly allowlist: readonly string[];
  /** IP addresses of the Kubernetes API (in a pod: KUBERNETES_SERVICE_HOST). */
  readonly kubernetesApiAddresses: readonly string[];
}

/** A compiled callback policy. Each check returns the refusal, naming the rule, or undefined when allowed. */
export interface CallbackPolicy {
  /** Checks a callback URL's host as written (an IP literal or a name); makes no DNS lookup. */
  checkUrl(url: URL): string | undefined;
  /** Checks an address a callback host resolved to, at send time. */
  checkAddress(address: string): string | undefined;
}

const HOST_PATTERN = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/** The problem with one allowlist entry, for config validation; undefined when it is valid. */
export function allowlistEntryProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const family = slash >= 0 ? isIP(entry.slice(0, slash)) : 0;
  if (family !== 0) {
    const bits = entry.slice(slash + 1);
    if (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) return undefined;
    return 'CIDR entries must look like 198.18.0.0/15 or fd00::/8';
  }
  if (isIP(entry) !== 0 || HOST_PATTERN.test(entry)) return undefined;
  return 'must be a host name, *.suffix, an IP address or a CIDR';
}

/** The Kubernetes API's service address from a pod's environment, when it has one. */
export function kubernetesApiAddresses(env: Readonly<Record<string, string | undefined>>): string[] {
  const host = env['KUBERNETES_SERVICE_HOST']?.trim();
  return host && isIP(host) !== 0 ? [host] : [];
}

/** Compiles the policy; throws on an invalid allowlist entry (config validation names it first). */
export function compileCallbackPolicy(options: CallbackPolicyOptions): CallbackPolicy {
  const allowedIps = new BlockList();
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of options.allowlist) {
    const entry = raw.trim().toLowerCase();
    const problem = allowlistEntryProblem(entry);
    if (problem) throw new Error(`callback allowlist entry ${JSON.stringify(raw)}: ${problem}`);
    const slash = entry.indexOf('/');
    if (slash >= 0) allowedIps.addSubnet(entry.slice(0, slash), Number(entry.slice(slash + 1)), family(entry.slice(0, slash)));
    else if (isIP(entry) !== 0) allowedIps.addAddress(entry, family(entry));
    else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else exact.add(entry);
  }
  const linkLocal = new BlockList();
  for (const cidr of LINK_LOCAL_CIDRS) {
    const [ip, bits] = cidr.split('/') as [string, string];
    linkLocal.addSubnet(ip, Number(bits), family(ip));
  }
  const apiAddresses = new BlockList();
  for (const ip of options.kubernetesApiAddresses) apiAddresses.addAddress(unmapped(ip), family(unmapped(ip)));
  const restricted = options.allowlist.length > 0;
  const apiDescription = [...KUBERNETES_API_NAMES.slice(2), ...options.kubernetesApiAddresses].join(', ');

  const checkAddress = (address: string): string | undefined => {
    const ip = unmapped(address);
    const fam = family(ip);
    if (allowedIps.check(ip, fam)) return undefined;
    if (linkLocal.check(ip, fam)) {
      return `${ip} is link-local (${LINK_LOCAL_CIDRS.join(', ')}), refused unless KFAAS_CALLBACK_ALLOWLIST lists it`;
    }
    if (apiAddresses.check(ip, fam)) return `${ip} is the Kubernetes API (${apiDescription}), refused unless KFAAS_CALLBACK_ALLOWLIST lists it`;
    return undefined;
  };

  return {
    checkAddress,
    checkUrl(url) {
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
      if (isIP(host) !== 0) {
        const refused = checkAddress(host);
        if (refused) return refused;
        if (restricted && !allowedIps.check(unmapped(host), family(unmapped(host)))) return `${host} is not in KFAAS_CALLBACK_ALLOWLIST`;
        return undefined;
      }
      if (!exact.has(host) && (KUBERNETES_API_NAMES.includes(host) || host.startsWith('kubernetes.default.svc.'))) {
        return `${host} is the Kubernetes API (${apiDescription}), refused unless KFAAS_CALLBACK_ALLOWLIST lists it`;
      }
      if (restricted && !exact.has(host) && !suffixes.some((s) => host.endsWith(s))) return `${host} is not in KFAAS_CALLBACK_ALLOWLIST`;
      return undefined;
    },
  };
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

// An IPv4-mapped IPv6 address (::ffff:169.254.169.254, or ::ffff:a9fe:a9fe as URL writes it) is its IPv4 address.
function unmapped(ip: string): string {
  const lower = ip.toLowerCase();
  if (!lower.startsWith('::ffff:')) return ip;
  const rest = lower.slice(7);
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(rest);
  if (!hex) return ip;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
