/** `POST /system/scale-function/{name}` with `{"serviceName","replicas","namespace"}`: 202, or 404. */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { parseScale } from './schemas.js';
import { functionName, requestNamespace, type SystemDeps } from './system-deps.js';

/** Creates the scale handler. */
export function createScaleFunctionHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const name = functionName(String(req.params['name']));
    const body = parseScale(req.body);
    if (body.serviceName && body.serviceName !== name) {
      throw new KfaasError('INVALID_FIELD', `serviceName: ${JSON.stringify(body.serviceName)} does not match the path's ${JSON.stringify(name)}`);
    }
    const namespace = requestNamespace(req, deps, body.namespace);
    await deps.provider.functions.scale(name, namespace, body.replicas);
    res.status(202).end();
  };
}
