/** `DELETE /system/functions` with `{"functionName","namespace"}` (or `?namespace=`): 202, or 404. */
import type { RequestHandler } from 'express';
import { parseDelete } from './schemas.js';
import { functionName, requestNamespace, type SystemDeps } from './system-deps.js';

/** Creates the delete handler. */
export function createDeleteFunctionHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const body = parseDelete(req.body);
    const name = functionName(body.functionName, 'functionName');
    const namespace = requestNamespace(req, deps, body.namespace);
    await deps.provider.functions.remove(name, namespace);
    res.status(202).end();
  };
}
