/**
 * The synchronous invocation route, `/function/{name}[/{path…}]`: resolve the function, pick an endpoint,
 * stream the call through and the reply back. Written against node:http types so it runs with or without
 * Express in front; it never reads the body itself.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { tryParseDuration } from '../../common/duration.js';
import { KfaasError } from '../../common/errors.js';
import { Headers, unixNanos } from '../../common/headers.js';
import type { Logger } from '../../common/logger.js';
import { KFAAS_VERSION } from '../../common/version.js';
import type { GatewayConfig } from '../config.js';
import { resolveCallId } from '../http/call-id.js';
import type { InvocationObserver } from '../metrics/gateway-metrics.js';
import type { FunctionManager, FunctionResolver } from '../ports.js';
import { upstreamDeadlineMs } from '../proxy/deadline.js';
import { forward, tooLarge } from '../proxy/forward.js';
import { upstreamRequestHeaders } from '../proxy/forward-headers.js';
import { RoundRobin } from '../proxy/round-robin.js';
import type { UpstreamAgent } from '../proxy/upstream-agent.js';
import { parseInvokeRoute, resolveTarget } from './invoke-route.js';
import { createReadyEndpoints } from './ready-endpoints.js';

/** Methods a function may be called with (others get 405), as in OpenFaaS. */
export const INVOKE_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
const ALLOW = [...INVOKE_METHODS].join(', ');

/** The value of `X-Served-By`. */
export const SERVED_BY = `kfaas/${KFAAS_VERSION}`;

/** What the sync route needs. */
export interface SyncInvokeDeps {
  readonly resolver: FunctionResolver;
  /** Scales a function from zero when a call arrives for it. */
  readonly functions: Pick<FunctionManager, 'get' | 'scale'>;
  readonly config: Pick<
    GatewayConfig,
    'functionNamespace' | 'allowedNamespaces' | 'syncBodyLimitBytes' | 'maxUpstreamTimeoutMs' | 'timeoutMarginMs' | 'scaleFromZeroTimeoutMs'
  >;
  readonly logger?: Logger;
  readonly observer: InvocationObserver;
  readonly agent: UpstreamAgent;
}

/** Per-call facts the reply headers carry, success or error. */
interface CallState {
  readonly started: number;
  callId: string | undefined;
  startTimeNs: string | undefined;
}

/** Creates the sync invocation handler (`(req, res, next)`, Express-compatible). */
export function createSyncInvokeHandler(deps: SyncInvokeDeps) {
  const { resolver, config, observer, agent } = deps;
  const roundRobin = new RoundRobin();
  const readyEndpoints = createReadyEndpoints({
    resolver,
    functions: deps.functions,
    timeoutMs: config.scaleFromZeroTimeoutMs,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });

  const invoke = async (req: IncomingMessage, res: ServerResponse, call: CallState): Promise<void> => {
    const callId = resolveCallId(req.headers[Headers.callId]);
    const startTimeNs = unixNanos();
    call.callId = callId;
    call.startTimeNs = startTimeNs;

    const method = req.method ?? 'GET';
    if (!INVOKE_METHODS.has(method)) {
      throw new KfaasError('METHOD_NOT_ALLOWED', `method ${method} is not allowed on /function`, { headers: { allow: ALLOW } });
    }
    const target = parseInvokeRoute(req.url ?? '/', '/function/', config);
    const limit = config.syncBodyLimitBytes;
    const length = Number(req.headers['content-length']);
    if (limit > 0 && length > limit) throw tooLarge(limit);

    const fn = `${target.name}.${target.namespace}`;
    const found = await resolveTarget(resolver, target);

    observer.onStart(fn);
    let status = 0;
    try {
      // Inside the try: time spent scaling from zero counts in the call's duration and status metrics.
      const resolved = await readyEndpoints(found);
      const endpoint = roundRobin.pick(fn, resolved.endpoints);
      const outcome = await forward({
        req,
        res,
        endpoint,
        path: target.rawQuery === '' ? target.path : `${target.path}?${target.rawQuery}`,
        headers: upstreamRequestHeaders(req.headers, { callId, startTimeNs, remoteAddress: req.socket.remoteAddress }),
        agent,
        deadlineMs: upstreamDeadlineMs(resolved.policy.execTimeoutMs, config.timeoutMarginMs, config.maxUpstreamTimeoutMs, requestedTimeoutMs(req)),
        // A declared Content-Length was checked above and Node's parser holds the body to it; only a chunked
        // body needs counting as it streams.
        bodyLimitBytes: req.headers['transfer-encoding'] !== undefined ? limit : 0,
        fn,
        // Added to the writeHead object rather than with setHeader beforehand: Node then validates and stores
        // the reply headers in one pass, which is measurably cheaper on this path.
        decorate: (headers: OutgoingHttpHeaders) => platformHeaders(headers, call),
      });
      // 499 (nginx's "client closed request") marks calls whose caller left before the reply was written.
      status = outcome === 'client-closed' ? 499 : res.statusCode;
    } catch (err) {
      // Once the reply has started its status is what the caller saw; otherwise the error's status will be.
      status = res.headersSent ? res.statusCode : err instanceof KfaasError ? err.statusCode : 500;
      throw err;
    } finally {
      observer.onComplete(fn, status, (performance.now() - call.started) / 1000);
    }
  };

  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const call: CallState = { started: performance.now(), callId: undefined, startTimeNs: undefined };
    invoke(req, res, call).catch((err: unknown) => {
      // Gateway-made errors carry the same call headers as a function's reply.
      if (!res.headersSent) {
        const headers: OutgoingHttpHeaders = {};
        platformHeaders(headers, call);
        for (const [key, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(key, value);
      }
      next(err);
    });
  };
}

/** The caller's `X-Timeout` in ms, when it is a valid duration (an invalid one is ignored, as the watchdog does). */
function requestedTimeoutMs(req: IncomingMessage): number | undefined {
  const value = req.headers[Headers.timeout];
  return typeof value === 'string' ? tryParseDuration(value) : undefined;
}

/** Sets X-Call-Id, X-Start-Time, X-Duration-Seconds and X-Served-By on a reply's headers. */
function platformHeaders(headers: OutgoingHttpHeaders, call: CallState): void {
  if (call.callId !== undefined) headers[Headers.callId] = call.callId;
  if (call.startTimeNs !== undefined) headers[Headers.startTime] = call.startTimeNs;
  headers[Headers.durationSeconds] = ((performance.now() - call.started) / 1000).toFixed(6);
  headers[Headers.servedBy] = SERVED_BY;
}
