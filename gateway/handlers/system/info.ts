/** `GET /system/info`, `GET /system/namespaces` and `/system/namespace/{name}`. */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { KFAAS_VERSION } from '../../../common/version.js';
import { requestNamespace, type SystemDeps } from './system-deps.js';

/** Creates the info handler, in the OpenFaaS shape. */
export function createInfoHandler(deps: SystemDeps): RequestHandler {
  const version = { release: KFAAS_VERSION, sha: deps.buildSha ?? 'unknown' };
  return (req, res) => {
    // Every /system call accepts ?namespace=; one outside the allowed set is refused here too.
    requestNamespace(req, deps);
    res.status(200).json({
      provider: { provider: deps.provider.info.provider, orchestration: deps.provider.info.orchestration, version },
      version,
      arch: process.arch,
    });
  };
}

/** Creates the namespaces handler: the namespaces functions may live in. */
export function createNamespacesHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    requestNamespace(req, deps);
    res.status(200).json(await deps.provider.namespaces.namespaces());
  };
}

/**
 * `/system/namespace/{name}` (faas-cli `namespace get/create/update/delete`). The namespaces functions may live in
 * are configuration here (KFAAS_ALLOWED_NAMESPACES; the chart's functions.namespace and extraNamespaces), so GET
 * describes one of them and the writes answer 501 saying where to change them.
 */
export function createNamespaceHandler(deps: SystemDeps, action: 'get' | 'write'): RequestHandler {
  return async (req, res) => {
    if (action === 'write') {
      throw new KfaasError(
        'NOT_IMPLEMENTED',
        `namespaces cannot be created, changed or deleted through this API: the function namespaces (${deps.config.allowedNamespaces.join(', ')}) are the gateway's KFAAS_ALLOWED_NAMESPACES (Helm: functions.namespace and functions.extraNamespaces)`,
      );
    }
    const name = String(req.params['name'] ?? '');
    if (!(await deps.provider.namespaces.namespaces()).includes(name)) {
      throw new KfaasError('NOT_FOUND', `namespace ${JSON.stringify(name)} is not a function namespace`);
    }
    // faas-provider's FunctionNamespace shape; kfaas keeps no labels or annotations of its own on it.
    res.status(200).json({ name, labels: {}, annotations: {} });
  };
}
