/** `GET /system/functions?namespace=`: every function in a namespace, as FunctionStatus[]. */
import type { RequestHandler } from 'express';
import { requestNamespace, withInvocationCount, type SystemDeps } from './system-deps.js';

/** Creates the list handler. */
export function createListFunctionsHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const namespace = requestNamespace(req, deps);
    const [items, counts] = await Promise.all([deps.provider.functions.list(namespace), deps.metrics.invocationCounts()]);
    res.status(200).json(items.map((s) => withInvocationCount(s, counts)));
  };
}
