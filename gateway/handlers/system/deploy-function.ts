/** `POST /system/functions` (deploy, 409 if it exists) and `PUT /system/functions` (update, 404 if missing). */
import type { RequestHandler } from 'express';
import { parseDeployment } from './schemas.js';
import { functionName, requestNamespace, type SystemDeps } from './system-deps.js';

/** Creates the deploy (`create`) or update (`update`) handler; both answer 202 with an empty body. */
export function createDeployFunctionHandler(deps: SystemDeps, action: 'create' | 'update'): RequestHandler {
  return async (req, res) => {
    const deployment = parseDeployment(req.body);
    functionName(deployment.service, 'service');
    const namespace = requestNamespace(req, deps, deployment.namespace);
    const body = { ...deployment, namespace };
    if (action === 'create') await deps.provider.functions.deploy(body, namespace);
    else await deps.provider.functions.update(body, namespace);
    res.status(202).end();
  };
}
