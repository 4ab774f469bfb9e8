/**
 * `GET /system/logs?name=&namespace=&instance=&tail=&since=&follow=`: function logs as NDJSON (one
 * `{name, namespace, instance, timestamp, text}` per line), streamed; 501 when the provider has no log source
 * or cannot read this function's logs.
 */
import type { Request, RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import type { LogQuery } from '../../ports.js';
import { functionName, requestNamespace, type SystemDeps } from './system-deps.js';

/** The query a /system/logs request makes, validated (without the abort signal). */
export type LogsRequest = Omit<LogQuery, 'signal'>;

// strconv.ParseBool's spellings: faas-cli (Go) sends `follow=true|false`, curl users type 1 or 0.
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function queryText(req: Request, key: string): string | undefined {
  const value = req.query[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Parses the logs query; throws 400 naming the parameter. As in faas-provider, a tail of 0 or less means
 * "no limit": faas-cli sends `tail=-1` unless --lines is given.
 */
export function parseLogsQuery(req: Request, deps: SystemDeps): LogsRequest {
  const name = functionName(queryText(req, 'name') ?? '', 'name');
  const namespace = requestNamespace(req, deps);
  const tailText = queryText(req, 'tail');
  if (tailText !== undefined && !/^-?\d+$/.test(tailText)) throw new KfaasError('INVALID_FIELD', `tail: must be a whole number (got ${JSON.stringify(tailText)})`);
  const tail = tailText !== undefined && Number(tailText) > 0 ? Number(tailText) : undefined;
  const sinceText = queryText(req, 'since');
  const sinceMs = sinceText !== undefined ? Date.parse(sinceText) : undefined;
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new KfaasError('INVALID_FIELD', `since: must be an RFC 3339 time (got ${JSON.stringify(sinceText)})`);
  const followText = queryText(req, 'follow');
  if (followText !== undefined && !TRUE.has(followText) && !FALSE.has(followText)) {
    throw new KfaasError('INVALID_FIELD', `follow: must be true or false (got ${JSON.stringify(followText)})`);
  }
  const instance = queryText(req, 'instance');
  return {
    name,
    namespace,
    follow: followText !== undefined && TRUE.has(followText),
    ...(tail !== undefined ? { tail } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(instance !== undefined ? { instance } : {}),
  };
}

/** Creates the logs handler. */
export function createLogsHandler(deps: SystemDeps): RequestHandler {
  return async (req, res) => {
    const logs = deps.provider.logs;
    if (!logs) throw new KfaasError('NOT_IMPLEMENTED', `the ${deps.provider.info.provider} provider does not serve logs`);
    const query = parseLogsQuery(req, deps);
    const status = await deps.provider.functions.get(query.name, query.namespace);
    if (!status) throw new KfaasError('FN_NOT_FOUND', `function ${query.name}.${query.namespace} not found`);

    const abort = new AbortController();
    res.on('close', () => abort.abort());
    // Awaited before the status line, so a source that cannot serve this function answers with an error status.
    const lines = await logs.read({ ...query, signal: abort.signal });
    res.status(200).setHeader('content-type', 'application/x-ndjson');
    res.flushHeaders();
    for await (const line of lines) {
      if (abort.signal.aborted) break;
      if (query.instance !== undefined && line.instance !== query.instance) continue;
      if (!res.write(`${JSON.stringify(line)}\n`)) await drainedOrClosed(res);
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
