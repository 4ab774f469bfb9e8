/**
 * `GET /system/logs?name=&namespace=&tail=&since=&follow=`: function logs as NDJSON, streamed; 501 when the
 * provider has no log source.
 */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import { functionName, requestNamespace, type SystemDeps } from './system-deps.js';

/** Creates the logs handler. */
export function createLogsHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const logs = deps.provider.logs;
    if (!logs) throw new KfaasError('NOT_IMPLEMENTED', `the ${deps.provider.info.provider} provider does not serve logs`);
    const name = functionName(String(req.query['name'] ?? ''), 'name');
    const namespace = requestNamespace(req, deps);
    const tailRaw = req.query['tail'];
    const tail = tailRaw === undefined || tailRaw === '' ? undefined : Number(tailRaw);
    if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new KfaasError('INVALID_FIELD', 'tail: must be a whole number');
    const sinceRaw = req.query['since'];
    const sinceMs = typeof sinceRaw === 'string' && sinceRaw !== '' ? Date.parse(sinceRaw) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new KfaasError('INVALID_FIELD', 'since: must be an RFC 3339 time');
    const follow = req.query['follow'] === 'true' || req.query['follow'] === '1';
    const status = await deps.provider.functions.get(name, namespace);
    if (!status) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);

    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.status(200).setHeader('content-type', 'application/x-ndjson');
    res.flushHeaders();
    for await (const line of logs.read({ name, namespace, follow, signal: abort.signal, ...(tail !== undefined ? { tail } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) })) {
      if (!res.write(`${JSON.stringify(line)}\n`)) await drainedOrClosed(res);
      if (abort.signal.aborted) break;
    }
    res.end();
  };
}

/** Waits until a slow reader catches up, or leaves. */
function drainedOrClosed(res: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
