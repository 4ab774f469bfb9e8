/**
 * `POST /async-function/{name}[/{path…}]`: validate, look the function up, store the call durably, and only
 * then answer 202. Unlike OpenFaaS CE, an unknown function gets 404 and a failed write gets 503, so a 202
 * always means a stored record (docs/openfaas-compatibility.md). Written against node:http types: the gateway
 * serves this route before Express (app.ts), whose prototype swap on req and res slows every later access.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compileCallbackPolicy, type CallbackPolicy } from '../../common/callback-policy.js';
import { KfaasError, isKfaasError } from '../../common/errors.js';
import { Headers, unixNanos, withoutHopByHop } from '../../common/headers.js';
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

/** A node-style handler (Express accepts it too); errors go to `next`. */
export type AsyncInvokeHandler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Creates the handler of `/async-function[/…]`; the route parser reads the raw URL. */
export function createAsyncInvokeHandler(deps: AsyncInvokeDeps): AsyncInvokeHandler {
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

  const accept = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      throw new KfaasError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on /async-function: use POST`, {
        headers: { Allow: 'POST' },
      });
    }
    const incoming = req.headers;
    // The raw URL, undecoded: the sync route parses the same bytes the same way.
    const { name, namespace, path, rawQuery } = parseInvokeRoute(req.url ?? '/', ROUTE_PREFIX, namespaces);
    const callbackUrl = checkCallbackUrl(incoming[Headers.callbackUrl], callbackPolicy);
    const notBefore = requestedNotBefore(incoming, now(), maxDelayMs);
    const declared = incoming['content-length'];
    if (declared !== undefined && Number(declared) > deps.bodyLimitBytes) throw tooLarge(deps.bodyLimitBytes);

    const resolved = await resolveTarget(deps.resolver, { name, namespace });
    const body = await readBody(req, deps.bodyLimitBytes);

    const idempotencyKey = idempotencyKeyOf(incoming);
    const callId = idempotencyKey === undefined ? resolveCallId(incoming[Headers.callId]) : idempotentCallId(idempotencyKey, resolved.name, resolved.namespace);
    if (idempotencyKey !== undefined && (await isRepeat(callId))) {
      res.setHeader(Headers.callId, callId);
      res.setHeader(IdempotencyHeaders.replay, 'true');
      res.writeHead(202).end();
      return;
    }
    const enqueuedAt = now();
    const startTime = unixNanos(enqueuedAt);
    // A fresh object the envelope owns; Node gives lower-case names, and only set-cookie as an array.
    const headers: Record<string, string | string[]> = withoutHopByHop(incoming);
    headers[Headers.callId] = callId;
    headers[Headers.startTime] = startTime;
    const orderingKey = incoming[Headers.orderingKey];
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
    if (observers.length > 0) {
      const fn = `${resolved.name}.${resolved.namespace}`;
      for (const o of observers) o.onAccepted(fn, body.length);
    }
    // Checked first: winston formats a record (timestamp, JSON) before its transports drop a disabled level.
    if (deps.logger.isDebugEnabled()) {
      deps.logger.debug('async call accepted', { callId, fn: resolved.name, namespace: resolved.namespace, bytes: body.length });
    }
    // Set, not passed to writeHead: only set headers are readable afterwards (the tracing hook reads X-Call-Id).
    res.setHeader(Headers.callId, callId);
    res.setHeader(Headers.startTime, startTime);
    res.writeHead(202).end();
  };

  return (req, res, next) => {
    accept(req, res).catch(next);
  };
}

function tooLarge(limit: number): KfaasError {
  return new KfaasError('PAYLOAD_TOO_LARGE', `request body exceeds the async limit of ${limit} bytes`, {
    // The rest of an oversized upload is not worth reading: close the connection after the 413.
    headers: { Connection: 'close' },
  });
}

/**
 * Reads the raw body as Buffers (never strings), counting bytes as they stream so a missing or lying
 * Content-Length cannot exceed the limit. A body that arrives in one chunk is kept as it is, uncopied.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
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
