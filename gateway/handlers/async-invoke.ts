/**
 * `POST /async-function/{name}[/{path…}]`: validate, look the function up, store the call durably, and only
 * then answer 202. Unlike OpenFaaS CE, an unknown function gets 404 and a failed write gets 503, so a 202
 * always means a stored record (docs/openfaas-compatibility.md).
 */
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { compileCallbackPolicy, type CallbackPolicy } from '../../common/callback-policy.js';
import { KfaasError, isKfaasError } from '../../common/errors.js';
import { Headers, isValidCallId, unixNanos, withoutHopByHop } from '../../common/headers.js';
import { ENVELOPE_VERSION, type Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { InvocationQueue } from '../../common/queue.js';
import { resolveCallId } from '../http/call-id.js';
import type { CallStatusReader } from '../../common/call-status.js';
import { requestedNotBefore } from './call-delay.js';
import { IdempotencyHeaders, idempotencyKeyOf, idempotentCallId, InflightCalls } from './idempotency.js';
import type { FunctionResolver } from '../ports.js';
import { checkCallbackUrl } from './callback-url.js';
import { parseInvokeRoute, resolveTarget, type RouteNamespaces } from './invoke-route.js';

/** Observes accepted async calls (metrics); `fn` is `name.namespace`. */
export interface AsyncInvokeObserver {
  onAccepted(fn: string, bodyBytes: number): void;
}

/** What the async route needs. */
export interface AsyncInvokeDeps {
  readonly resolver: FunctionResolver;
  readonly queue: InvocationQueue;
  /** Namespace used when the route names none. */
  readonly defaultNamespace: string;
  /** Namespaces a call may name (others get 400); default: only the default namespace. */
  readonly allowedNamespaces?: readonly string[];
  /** Largest accepted body in bytes (config `asyncBodyLimitBytes`). */
  readonly bodyLimitBytes: number;
  /** Where callbacks may go; absent: the default policy (no allowlist, link-local refused). */
  readonly callbackPolicy?: CallbackPolicy;
  readonly logger: Logger;
  readonly observers?: readonly AsyncInvokeObserver[];
  /** Call status, to recognise a repeated Idempotency-Key; without it the header is refused with 501. */
  readonly statuses?: CallStatusReader;
  /** Longest X-Delay / X-Not-Before a call may ask for; default 7 days. */
  readonly maxDelayMs?: number;
  /** Retry-After sent with a 503 when the queue is unavailable; default 5 s. */
  readonly retryAfterSeconds?: number;
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
}

const ROUTE_PREFIX = '/async-function/';

/** Default longest delay of a delayed call: 7 days. */
export const DEFAULT_MAX_DELAY_MS = 7 * 24 * 3_600_000;

/** Creates the Express 5 handler mounted at `/async-function{/*rest}`; the route parser reads the raw URL. */
export function createAsyncInvokeHandler(deps: AsyncInvokeDeps): RequestHandler {
  const callbackPolicy = deps.callbackPolicy ?? compileCallbackPolicy({ allowlist: [], kubernetesApiAddresses: [] });
  const retryAfterSeconds = deps.retryAfterSeconds ?? 5;
  const maxDelayMs = deps.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const now = deps.now ?? Date.now;
  const observers = deps.observers ?? [];
  // Read per call: deps.allowedNamespaces may be a live getter (namespace-policy.ts liveNamespaces).
  const namespaces: RouteNamespaces = {
    functionNamespace: deps.defaultNamespace,
    get allowedNamespaces() {
      return deps.allowedNamespaces ?? [deps.defaultNamespace];
    },
  };
  const inflight = new InflightCalls();

  /** True when the call of an idempotency key is already stored (or being stored by a racing request). */
  const isRepeat = async (callId: string): Promise<boolean> => {
    if (!deps.statuses) throw new KfaasError('NOT_IMPLEMENTED', 'Idempotency-Key needs call status tracking, which is off on this gateway');
    const racing = inflight.get(callId);
    if (racing) return racing.then(() => true, () => false);
    return (await deps.statuses.get(callId)) !== undefined;
  };

  return async (req: Request, res: Response) => {
    if (req.method !== 'POST') {
      throw new KfaasError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on /async-function: use POST`, {
        headers: { Allow: 'POST' },
      });
    }
    // The raw URL, not Express's decoded params: the sync route parses the same bytes the same way.
    const { name, namespace, path, rawQuery } = parseInvokeRoute(req.originalUrl, ROUTE_PREFIX, namespaces);
    const callbackUrl = checkCallbackUrl(req.headers[Headers.callbackUrl], callbackPolicy);
    const notBefore = requestedNotBefore(req.headers, now(), maxDelayMs);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > deps.bodyLimitBytes) throw tooLarge(deps.bodyLimitBytes);

    const resolved = await resolveTarget(deps.resolver, { name, namespace });
    const body = await readBody(req, deps.bodyLimitBytes);

    const idempotencyKey = idempotencyKeyOf(req.headers);
    const callId = idempotencyKey === undefined ? pickCallId(req, res) : idempotentCallId(idempotencyKey, resolved.name, resolved.namespace);
    if (idempotencyKey !== undefined && (await isRepeat(callId))) {
      res.setHeader(Headers.callId, callId);
      res.setHeader(IdempotencyHeaders.replay, 'true');
      res.status(202).end();
      return;
    }
    const enqueuedAt = now();
    const startTime = unixNanos(enqueuedAt);
    const headers = { ...copyHeaders(req.headers), [Headers.callId]: callId, [Headers.startTime]: startTime };
    const orderingKey = req.headers[Headers.orderingKey];
    const invocation: Invocation = {
      version: ENVELOPE_VERSION,
      callId,
      function: resolved.name,
      namespace: resolved.namespace,
      method: 'POST',
      path,
      rawQuery,
      headers,
      body,
      enqueuedAt,
      attempt: 0,
      policy: resolved.policy,
      ...(callbackUrl !== undefined ? { callbackUrl } : {}),
      ...(resolved.queue ? { queue: resolved.queue } : {}),
      ...(typeof orderingKey === 'string' && orderingKey !== '' ? { orderingKey } : {}),
      ...(notBefore !== undefined ? { notBefore, delayedUntil: notBefore } : {}),
    };

    const enqueue = () => enqueueDurably(deps.queue, invocation, retryAfterSeconds);
    await (idempotencyKey === undefined ? enqueue() : inflight.run(callId, enqueue));
    const fn = `${resolved.name}.${resolved.namespace}`;
    for (const o of observers) o.onAccepted(fn, body.length);
    const log = (res.locals['logger'] as Logger | undefined) ?? deps.logger;
    log.debug('async call accepted', { callId, fn: resolved.name, namespace: resolved.namespace, bytes: body.length });
    res.setHeader(Headers.callId, callId);
    res.setHeader(Headers.startTime, startTime);
    res.status(202).end();
  };
}

// The call-id middleware, when mounted before us, has already chosen (and echoed) an id: reuse it.
function pickCallId(req: Request, res: Response): string {
  const chosen = res.locals['callId'];
  return typeof chosen === 'string' && isValidCallId(chosen) ? chosen : resolveCallId(req.headers[Headers.callId]);
}

function copyHeaders(incoming: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(withoutHopByHop(incoming))) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map(String);
  }
  return out;
}

function tooLarge(limit: number): KfaasError {
  return new KfaasError('PAYLOAD_TOO_LARGE', `request body exceeds the async limit of ${limit} bytes`, {
    // The rest of an oversized upload is not worth reading: close the connection after the 413.
    headers: { Connection: 'close' },
  });
}

/** Reads the raw body, counting bytes as they stream so a missing or lying Content-Length cannot exceed the limit. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) {
    if (req.body.length > limit) return Promise.reject(tooLarge(limit));
    return Promise.resolve(req.body);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new KfaasError('BAD_REQUEST', `request body could not be read: ${err.message}`, { cause: err }));
    };
    const onClose = () => {
      cleanup();
      reject(new KfaasError('BAD_REQUEST', 'request body could not be read: the client closed the connection'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Writes the call durably. The deadline is the queue's own (the Kafka adapter's `enqueueTimeoutMs`, from the
 * gateway's KFAAS_ENQUEUE_TIMEOUT): only the adapter can withdraw a record it has not sent yet, so a second
 * deadline here could answer 503 for a call that is still written afterwards.
 */
async function enqueueDurably(queue: InvocationQueue, inv: Invocation, retryAfterSeconds: number): Promise<void> {
  try {
    await queue.enqueue(inv);
  } catch (err) {
    // A non-retriable platform error (say, a record the broker refuses as too large) is the client's to see.
    if (isKfaasError(err) && !err.retriable) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new KfaasError('QUEUE_UNAVAILABLE', `the call was not accepted: the queue is unavailable (${detail})`, {
      retryAfterSeconds: isKfaasError(err) && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds : retryAfterSeconds,
      cause: err,
    });
  }
}
