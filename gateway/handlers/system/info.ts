/** `GET /system/info`, `GET /system/namespaces` and `/system/namespace/{name}`. */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { KFAAS_VERSION } from '../../../common/version.js';
import { parseNamespaceRequest } from './namespace-request.js';
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
 * `/system/namespace/{name}` (faas-cli `namespace get/create/update/delete`). With a NamespaceManager (Kubernetes,
 * cluster-wide) these read and write real namespaces marked as function namespaces. Without one the function
 * namespaces are configuration: GET describes one, and the writes answer 501 saying where to change them.
 */
export function createNamespaceHandler(deps: SystemDeps, action: 'get' | 'create' | 'update' | 'delete'): RequestHandler {
  return async (req, res) => {
    const manager = deps.provider.namespaceManager;
    const pathName = typeof req.params['name'] === 'string' ? req.params['name'] : undefined;
    if (action === 'get') {
      const name = pathName ?? '';
      const found = manager
        ? await manager.get(name)
        : (await deps.provider.namespaces.namespaces()).includes(name)
          ? { name, labels: {}, annotations: {} }
          : undefined;
      if (!found) throw new KfaasError('NOT_FOUND', `namespace ${JSON.stringify(name)} is not a function namespace`);
      res.status(200).json(found);
      return;
    }
    if (!manager) {
      throw new KfaasError(
        'NOT_IMPLEMENTED',
        `namespaces cannot be created, changed or deleted through this API here: the function namespaces (${deps.config.allowedNamespaces.join(', ')}) are the gateway's KFAAS_ALLOWED_NAMESPACES (Helm: functions.namespace and functions.extraNamespaces); a Kubernetes install with functions.clusterWide: true manages namespaces labelled openfaas=1 through this API`,
      );
    }
    const ns = parseNamespaceRequest(req.body, pathName);
    if (action === 'create') {
      await manager.create(ns);
      res.status(201).json(await manager.get(ns.name));
    } else if (action === 'update') {
      await manager.update(ns);
      res.status(200).json(await manager.get(ns.name));
    } else {
      await manager.remove(ns.name);
      res.status(202).end();
    }
  };
}
