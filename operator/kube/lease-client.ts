/** LeaseClient on coordination.k8s.io/v1 Leases. */
import { isNotFound } from '../reconciler/api-error.js';
import type { LeaseClient, LeaseRecord } from '../controller/leader-election.js';
import { leasePath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Formats a Date as a Kubernetes MicroTime (RFC 3339 with exactly six fractional digits). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function parseTime(text: string | undefined): Date {
  const date = text ? new Date(text) : new Date(0);
  return Number.isNaN(date.getTime()) ? new Date(0) : date;
}

function toRecord(lease: LeaseObject): LeaseRecord {
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    acquireTime: parseTime(lease.spec?.acquireTime),
    renewTime: parseTime(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
    resourceVersion: lease.metadata.resourceVersion,
  };
}

/** Creates a client for the Lease `namespace/name`. */
export function createLeaseClient(client: KubeRestClient, namespace: string, name: string, timeoutMs: number): LeaseClient {
  const body = (record: LeaseRecord): LeaseObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: microTime(record.acquireTime),
      renewTime: microTime(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    },
  });
  // Lease calls get their own short deadline: a renewal slower than this is as good as failed.
  const signal = () => AbortSignal.timeout(timeoutMs);
  return {
    async get() {
      try {
        return toRecord(await client.request<LeaseObject>('GET', leasePath(namespace, name), { signal: signal() }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record) {
      return toRecord(await client.request<LeaseObject>('POST', leasePath(namespace), { body: body(record), signal: signal() }));
    },
    async update(record) {
      return toRecord(await client.request<LeaseObject>('PUT', leasePath(namespace, name), { body: body(record), signal: signal() }));
    },
  };
}
