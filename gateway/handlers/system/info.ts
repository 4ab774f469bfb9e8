/** `GET /system/info` and `GET /system/namespaces`. */
import type { RequestHandler } from 'express';
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
