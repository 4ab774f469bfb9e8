/** `GET /system/function/{name}?namespace=`: one function's status, or 404. */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { functionName, requestNamespace, withInvocationCount, type SystemDeps } from './system-deps.js';

/** Creates the get handler. */
export function createGetFunctionHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const name = functionName(String(req.params['name']));
    const namespace = requestNamespace(req, deps);
    const status = await deps.provider.functions.get(name, namespace);
    if (!status) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
    res.status(200).json(withInvocationCount(status, await deps.metrics.invocationCounts()));
  };
}
