/**
 * The gateway's HTTP surface as one route table: each route names its methods, who may call it and whether it
 * takes a JSON body, and the per-route middleware follows from that. createApp never listens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import type { CallCanceller, CallStatusReader, DeadLetterRedriver } from '../common/call-status.js';
import { compileCallbackPolicy } from '../common/callback-policy.js';
import { KfaasError } from '../common/errors.js';
import { SCALE_SIGNALS_PATH } from '../common/scale-signals.js';
import { Headers } from '../common/headers.js';
import type { Logger } from '../common/logger.js';
import type { DeadLetterReader, InvocationQueue } from '../common/queue.js';
import type { GatewayConfig } from './config.js';
import { createCallResultHandler } from './handlers/async-call-result.js';
import { createCallStatusHandler } from './handlers/async-calls.js';
import { createCancelCallHandler } from './handlers/cancel-call.js';
import { createAsyncInvokeHandler } from './handlers/async-invoke.js';
import { liveNamespaces } from './handlers/namespace-policy.js';
import { createSyncInvokeHandler } from './handlers/sync-invoke.js';
import { createDeadLettersHandler } from './handlers/system/dead-letters.js';
import { createRedriveHandler } from './handlers/system/redrive.js';
import { createDeleteFunctionHandler } from './handlers/system/delete-function.js';
import { createDeployFunctionHandler } from './handlers/system/deploy-function.js';
import { createGetFunctionHandler } from './handlers/system/get-function.js';
import { createInfoHandler, createNamespaceHandler, createNamespacesHandler } from './handlers/system/info.js';
import { createListFunctionsHandler } from './handlers/system/list-functions.js';
import { createLogsHandler } from './handlers/system/logs.js';
import { createScaleFunctionHandler } from './handlers/system/scale-function.js';
import { createScaleSignalsHandler } from './handlers/system/scale-signals.js';
import { createSecretsHandler } from './handlers/system/secrets.js';
import type { SystemDeps } from './handlers/system/system-deps.js';
import { createBasicAuth, type BasicAuthCredentials } from './http/basic-auth.js';
import { createCallIdMiddleware } from './http/call-id.js';
import { createErrorHandler, logError, toKfaasError, writeError } from './http/error-handler.js';
import { Lifecycle, livenessHandler, metricsHandler, readinessHandler } from './http/health.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.js';
import type { Provider } from './ports.js';
import { createUpstreamAgent, type UpstreamAgent } from './proxy/upstream-agent.js';
import { createUiRoutes } from './ui/routes.js';
import { tracingEnabled } from '../runtime/tracing/spans.js';
import { traceAsyncRoute } from './tracing/async-spans.js';

/** Everything createApp wires together. */
export interface AppDeps {
  readonly config: GatewayConfig;
  readonly provider: Provider;
  readonly logger: Logger;
  /** Defaults to a fresh per-instance registry. */
  readonly metrics?: GatewayMetrics;
  /** Defaults to a Lifecycle marked ready once provider.ready() resolves. */
  readonly lifecycle?: Lifecycle;
  /** Required when config.auth.enabled. */
  readonly credentials?: BasicAuthCredentials;
  /** Enables /async-function; without it the route answers 501. */
  readonly queue?: InvocationQueue;
  /** Serves /system/dead-letters; without it the route answers 501. */
  readonly deadLetters?: DeadLetterReader;
  /** Serves /async-calls; without it the route answers 501. */
  readonly callStatus?: CallStatusReader;
  /** Serves DELETE /async-calls; without it the route answers 501. */
  readonly callCanceller?: CallCanceller;
  /** Serves POST /system/dead-letters/redrive; without it the route answers 501. */
  readonly redriver?: DeadLetterRedriver;
  /** Upstream keep-alive agent; defaults to one sized from config. */
  readonly agent?: UpstreamAgent;
  readonly buildSha?: string;
}

/** Who may call a route. */
type Access = 'public' | 'system' | 'invoke';

/** A handler on plain node:http types (Express accepts these too). */
type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

interface Route {
  /** 'all' when the handler checks methods itself (the invocation routes). */
  readonly methods: readonly string[] | 'all';
  readonly path: string;
  readonly access: Access;
  readonly json?: boolean;
  /**
   * Served before Express for every URL with this prefix. Express swaps the prototypes of req and res
   * (Object.setPrototypeOf), which deoptimises every later property access on them, Node's own included; on
   * the proxy path that tripled the CPU per call (bench/gateway.ts). Such routes take plain node handlers.
   * A prefix without a trailing `/` matches only whole segments: `/a` takes `/a`, `/a/…` and `/a?…`, not `/ab`.
   */
  readonly fastPrefix?: string;
  readonly handler: RequestHandler | NodeHandler;
}

/** The gateway's request listener: the fast routes, then the Express app for everything else. */
export type GatewayApp = ((req: IncomingMessage, res: ServerResponse) => void) & { readonly express: Express };

// Express 5 / path-to-regexp v8: `{/*rest}` is an optional wildcard tail. Both invocation routes are served by
// prefix, before Express; the async one takes `/async-function` itself too, and its route parser
// (handlers/invoke-route.ts) answers 404 for `/async-function/` and other names no function can have.
const INVOKE_PATH = '/function/:name{/*path}';
const ASYNC_PATH = '/async-function{/*rest}';

/** Builds the gateway's request listener (no listen). */
export function createApp(deps: AppDeps): GatewayApp {
  const { provider, logger } = deps;
  // One view of the settings whose allowed namespaces follow the provider's (cluster-wide installs add some).
  const config = liveNamespaces(deps.config, provider.namespaceManager);
  const metrics = deps.metrics ?? createGatewayMetrics();
  const lifecycle = deps.lifecycle ?? readyWhenProviderIs(provider, logger);
  if (config.auth.enabled && !deps.credentials) {
    throw new Error('createApp: config.auth.enabled needs credentials (see readBasicAuthCredentials)');
  }
  const system: SystemDeps = { provider, metrics, config, ...(deps.buildSha !== undefined ? { buildSha: deps.buildSha } : {}) };
  const sync = createSyncInvokeHandler({
    resolver: provider.resolver,
    functions: provider.functions,
    config,
    logger: logger.child({ component: 'sync-invoke' }),
    observer: metrics,
    agent: deps.agent ?? createUpstreamAgent({ idleTimeoutMs: config.upstreamIdleTimeoutMs, maxIdlePerEndpoint: config.maxIdleSocketsPerHost }),
  });

  const calls = { statuses: deps.callStatus, maxWaitMs: config.statusWaitMaxMs };

  const routes: Route[] = [
    { methods: ['GET'], path: '/healthz', access: 'public', handler: livenessHandler() },
    { methods: ['GET'], path: '/livez', access: 'public', handler: livenessHandler() },
    { methods: ['GET'], path: '/readyz', access: 'public', handler: readinessHandler(lifecycle) },
    { methods: ['GET'], path: '/metrics', access: 'public', handler: metricsHandler(metrics.registry) },
    { methods: 'all', path: INVOKE_PATH, fastPrefix: '/function/', access: 'invoke', handler: sync },
    { methods: 'all', path: ASYNC_PATH, fastPrefix: '/async-function', access: 'invoke', handler: withTrace(asyncInvokeHandler({ ...deps, metrics })) },
    // The status of a call is its caller's business: the same auth as the invocation that made it.
    { methods: ['GET'], path: '/async-calls/:callId', access: 'invoke', handler: createCallStatusHandler(calls) },
    { methods: ['DELETE'], path: '/async-calls/:callId', access: 'invoke', handler: createCancelCallHandler(deps.callCanceller) },
    { methods: ['GET'], path: '/async-calls/:callId/result', access: 'invoke', handler: createCallResultHandler(calls) },
    { methods: ['GET'], path: '/system/functions', access: 'system', handler: createListFunctionsHandler(system) },
    { methods: ['POST'], path: '/system/functions', access: 'system', json: true, handler: createDeployFunctionHandler(system, 'create') },
    { methods: ['PUT'], path: '/system/functions', access: 'system', json: true, handler: createDeployFunctionHandler(system, 'update') },
    { methods: ['DELETE'], path: '/system/functions', access: 'system', json: true, handler: createDeleteFunctionHandler(system) },
    { methods: ['GET'], path: '/system/function/:name', access: 'system', handler: createGetFunctionHandler(system) },
    { methods: ['POST'], path: '/system/scale-function/:name', access: 'system', json: true, handler: createScaleFunctionHandler(system) },
    { methods: ['GET'], path: SCALE_SIGNALS_PATH, access: 'system', handler: createScaleSignalsHandler({ metrics, callStatus: deps.callStatus }) },
    { methods: ['GET'], path: '/system/info', access: 'system', handler: createInfoHandler(system) },
    { methods: ['GET'], path: '/system/namespaces', access: 'system', handler: createNamespacesHandler(system) },
    { methods: ['GET'], path: '/system/namespace/:name', access: 'system', handler: createNamespaceHandler(system, 'get') },
    { methods: ['POST'], path: '/system/namespace{/:name}', access: 'system', json: true, handler: createNamespaceHandler(system, 'create') },
    { methods: ['PUT'], path: '/system/namespace{/:name}', access: 'system', json: true, handler: createNamespaceHandler(system, 'update') },
    { methods: ['DELETE'], path: '/system/namespace{/:name}', access: 'system', json: true, handler: createNamespaceHandler(system, 'delete') },
    { methods: ['GET'], path: '/system/secrets', access: 'system', handler: createSecretsHandler(system, 'list') },
    { methods: ['POST'], path: '/system/secrets', access: 'system', json: true, handler: createSecretsHandler(system, 'create') },
    { methods: ['PUT'], path: '/system/secrets', access: 'system', json: true, handler: createSecretsHandler(system, 'update') },
    { methods: ['DELETE'], path: '/system/secrets', access: 'system', json: true, handler: createSecretsHandler(system, 'delete') },
    { methods: ['GET'], path: '/system/logs', access: 'system', handler: createLogsHandler(system) },
    { methods: ['GET'], path: '/system/dead-letters', access: 'system', handler: createDeadLettersHandler(deps.deadLetters) },
    { methods: ['POST'], path: '/system/dead-letters/redrive', access: 'system', json: true, handler: createRedriveHandler(deps.redriver) },
    ...createUiRoutes({ registry: metrics.registry, asyncEnabled: deps.queue !== undefined, ...(deps.callStatus ? { callStatus: deps.callStatus } : {}) }),
  ];

  const auth = deps.credentials ? (createBasicAuth(deps.credentials) as RequestHandler) : undefined;
  const callId = createCallIdMiddleware(logger);
  // Only /system takes JSON bodies; the invocation routes stream theirs and must never meet a body parser.
  // Any content type is parsed, since not every client labels its JSON.
  const json = express.json({ limit: config.systemBodyLimitBytes, type: () => true, strict: true });
  const middlewareFor = (route: Route): Array<RequestHandler | NodeHandler> => {
    const chain: Array<RequestHandler | NodeHandler> = [];
    // The sync route mints its own call id (it needs it for the upstream request anyway).
    if (route.access === 'system') chain.push(callId);
    if (auth && (route.access === 'system' || (route.access === 'invoke' && config.auth.invocations))) chain.push(auth);
    if (route.json) chain.push(json);
    return chain;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const allowed = new Map<string, string[]>();
  const fast: Array<{ prefix: string; chain: NodeHandler[] }> = [];
  for (const route of routes) {
    const chain = [...middlewareFor(route), route.handler];
    if (route.fastPrefix) {
      fast.push({ prefix: route.fastPrefix, chain: chain as NodeHandler[] });
      continue;
    }
    if (route.methods === 'all') {
      app.all(route.path, ...chain);
      continue;
    }
    for (const method of route.methods) app[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](route.path, ...chain);
    const list = allowed.get(route.path) ?? [];
    list.push(...route.methods, ...(route.methods.includes('GET') ? ['HEAD'] : []));
    allowed.set(route.path, list);
  }
  for (const [path, methods] of allowed) {
    const allow = methods.join(', ');
    app.all(path, (req) => {
      throw new KfaasError('METHOD_NOT_ALLOWED', `method ${req.method} is not allowed on ${req.path} (allowed: ${allow})`, {
        headers: { allow },
      });
    });
  }
  app.use((req) => {
    throw new KfaasError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });
  app.use(createErrorHandler(logger));

  // The fast routes' errors go through the same mapping and writer as the Express error middleware.
  const fail = (req: IncomingMessage, res: ServerResponse) => (err: unknown) => {
    const kerr = toKfaasError(err);
    // The path without its query, which may carry tokens.
    logError(logger, kerr, { method: req.method, path: (req.url ?? '').split('?')[0], callId: res.getHeader(Headers.callId) });
    writeError(res, kerr);
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    for (const route of fast) {
      if (matchesPrefix(url, route.prefix)) {
        runChain(route.chain, req, res, fail(req, res));
        return;
      }
    }
    app(req, res);
  };
  return Object.assign(listener, { express: app });
}

/** True when `url` is under `prefix`; a prefix without a trailing `/` must end at a segment or query boundary. */
function matchesPrefix(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  if (prefix.endsWith('/') || url.length === prefix.length) return true;
  const next = url.charCodeAt(prefix.length);
  return next === 0x2f /* / */ || next === 0x3f /* ? */;
}

/** Runs node-style middleware in order; the first error (passed or thrown) goes to `fail`. */
function runChain(chain: readonly NodeHandler[], req: IncomingMessage, res: ServerResponse, fail: (err: unknown) => void): void {
  let index = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined) {
      fail(err);
      return;
    }
    const handler = chain[index++];
    if (!handler) return;
    try {
      handler(req, res, next);
    } catch (thrown) {
      fail(thrown);
    }
  };
  next();
}

/** The async route inside a request span when tracing is on (the queue is wrapped by the composition root). */
function withTrace(handler: NodeHandler): NodeHandler {
  return tracingEnabled() ? traceAsyncRoute(handler) : handler;
}

/** The async route: the queue-backed handler when a queue is wired, else an explicit 501. */
function asyncInvokeHandler(deps: AppDeps): NodeHandler {
  const { queue, provider, logger } = deps;
  const config = liveNamespaces(deps.config, provider.namespaceManager);
  if (!queue) {
    return () => {
      throw new KfaasError('NOT_IMPLEMENTED', 'async invocation is not configured on this gateway (no queue)');
    };
  }
  return createAsyncInvokeHandler({
    resolver: provider.resolver,
    queue,
    defaultNamespace: config.functionNamespace,
    get allowedNamespaces() {
      return config.allowedNamespaces;
    },
    bodyLimitBytes: config.asyncBodyLimitBytes,
    maxDelayMs: config.maxDelayMs,
    ...(deps.callStatus ? { statuses: deps.callStatus } : {}),
    callbackPolicy: compileCallbackPolicy({ allowlist: config.callbackAllowlist, kubernetesApiAddresses: config.kubernetesApiAddresses }),
    logger: logger.child({ component: 'async-invoke' }),
    ...(deps.metrics ? { observers: [deps.metrics] } : {}),
  });
}

function readyWhenProviderIs(provider: Provider, logger: Logger): Lifecycle {
  const lifecycle = new Lifecycle();
  provider.ready().then(
    () => lifecycle.markReady(),
    (err: unknown) => logger.error('provider failed to become ready', { err }),
  );
  return lifecycle;
}
