/** API paths of the resources the operator reads and writes. */
import { FUNCTION_GROUP, FUNCTION_PLURAL, FUNCTION_VERSION } from '../../common/function-types.js';

const enc = encodeURIComponent;

/** Collection path of a resource, in one namespace or (namespace undefined) across all. */
export function collectionPath(base: string, plural: string, namespace?: string): string {
  return namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${enc(namespace)}/${plural}`;
}

/** API bases. */
export const Bases = Object.freeze({
  core: '/api/v1',
  apps: '/apis/apps/v1',
  coordination: '/apis/coordination.k8s.io/v1',
  functions: `/apis/${FUNCTION_GROUP}/${FUNCTION_VERSION}`,
});

/** Path of one Function, optionally of a subresource. */
export function functionPath(namespace: string, name: string, sub?: 'status'): string {
  return `${collectionPath(Bases.functions, FUNCTION_PLURAL, namespace)}/${enc(name)}${sub ? `/${sub}` : ''}`;
}

/** Path of one Deployment, or the collection when name is undefined. */
export function deploymentPath(namespace: string, name?: string): string {
  return `${collectionPath(Bases.apps, 'deployments', namespace)}${name === undefined ? '' : `/${enc(name)}`}`;
}

/** Path of one Service, or the collection when name is undefined. */
export function servicePath(namespace: string, name?: string): string {
  return `${collectionPath(Bases.core, 'services', namespace)}${name === undefined ? '' : `/${enc(name)}`}`;
}

/** Path of one Secret. */
export function secretPath(namespace: string, name: string): string {
  return `${collectionPath(Bases.core, 'secrets', namespace)}/${enc(name)}`;
}

/** Path of the Events collection of a namespace. */
export function eventsPath(namespace: string): string {
  return collectionPath(Bases.core, 'events', namespace);
}

/** Path of one Lease, or the collection when name is undefined. */
export function leasePath(namespace: string, name?: string): string {
  return `${collectionPath(Bases.coordination, 'leases', namespace)}${name === undefined ? '' : `/${enc(name)}`}`;
}
