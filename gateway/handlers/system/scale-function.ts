/**
 * `POST /system/scale-function/{name}` with `{"serviceName","replicas","namespace"}`: 202, or 404; 409 when the
 * function's scale.min and scale.max labels pin it at another count.
 */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { pinnedReplicas, SCALE_MAX_LABEL, SCALE_MIN_LABEL } from '../../../common/scale-labels.js';
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
    const current = await deps.provider.functions.get(name, namespace);
    if (!current) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
    const pinned = pinnedReplicas(current.labels);
    if (pinned !== undefined && body.replicas !== pinned) {
      throw new KfaasError('CONFLICT', `${name}.${namespace} is pinned at ${pinned} replicas (${SCALE_MIN_LABEL} = ${SCALE_MAX_LABEL}): scaling is disabled`);
    }
    await deps.provider.functions.scale(name, namespace, body.replicas);
    res.status(202).end();
  };
}
