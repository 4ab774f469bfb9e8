/**
 * A small JSON client for the Kubernetes API on top of a client-node KubeConfig (for its auth and TLS). The
 * operator works with raw JSON objects, exactly as the apiserver and the watch stream send them (the generated
 * client-node models would turn timestamps into Dates and drop unknown fields). Every request is counted by
 * verb, resource and status code, so the operator's API cost is measurable.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../reconciler/api-error.js';

/** Observer of every request: the verb, resource (`deployments`, `functions/status`) and HTTP status (0 = network error). */
export type RequestObserver = (verb: string, resource: string, statusCode: number) => void;

/** Options of a REST client. */
export interface RestClientOptions {
  readonly kubeConfig: KubeConfig;
  readonly timeoutMs: number;
  readonly maxSockets: number;
  readonly onRequest?: RequestObserver;
}

/** Options of one request. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout for this request (large lists). */
  readonly timeoutMs?: number;
}

const VERBS: Readonly<Record<string, string>> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The resource label of an API path: the plural after the namespace (or group version), plus a subresource. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  const afterNs = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return afterNs.length >= 3 ? `${afterNs[0]}/${afterNs[2]}` : (afterNs[0] ?? 'unknown');
}

/** A Kubernetes API client speaking JSON, with per-request timeouts and request counting. */
export class KubeRestClient {
  private readonly agent: http.Agent;
  private readonly server: URL;
  private readonly counts = new Map<string, number>();
  private total = 0;

  private constructor(
    private readonly options: RestClientOptions,
    tls: https.AgentOptions,
  ) {
    const cluster = options.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.agent = this.server.protocol === 'https:' ? new https.Agent({ ...tls, ...agentOptions }) : new http.Agent(agentOptions);
  }

  /** Creates a client; reads the kubeconfig's TLS material once for a shared keep-alive agent. */
  static async create(options: RestClientOptions): Promise<KubeRestClient> {
    const opts: https.RequestOptions = {};
    await options.kubeConfig.applyToHTTPSOptions(opts);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
    const tls: https.AgentOptions = { ca, cert, key, pfx, passphrase, servername };
    if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
    return new KubeRestClient(options, tls);
  }

  /** Requests made so far, in total. */
  get requestCount(): number {
    return this.total;
  }

  /** Requests made so far, by `verb resource`. */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private count(verb: string, resource: string, statusCode: number): void {
    this.total += 1;
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.options.onRequest?.(verb, resource, statusCode);
  }

  /** Sends one request and returns the parsed JSON body; non-2xx answers throw ApiError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    // Per request, so rotating credentials (token files, exec plugins) stay current.
    const auth: https.RequestOptions = {};
    await this.options.kubeConfig.applyToHTTPSOptions(auth);
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (payload) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const verb = VERBS[method] ?? method.toLowerCase();
    const resource = resourceOf(url.pathname);
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const lib = url.protocol === 'https:' ? https : http;

    let statusCode = 0;
    try {
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = lib.request(url, { method, headers, agent: this.agent, auth: auth.auth, signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', (err) => {
          if (signal.aborted && signals[0]!.aborted) reject(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs}ms`));
          else reject(err);
        });
        req.end(payload);
      });
      statusCode = status;
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      if (status < 200 || status >= 300) {
        const st = (body ?? {}) as { reason?: string; message?: string };
        throw new ApiError(status, st.reason, st.message ?? `${method} ${url.pathname}: HTTP ${status}`);
      }
      return body as T;
    } finally {
      this.count(verb, resource, statusCode);
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
