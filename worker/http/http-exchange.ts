/**
 * One HTTP request/response exchange over node:http(s) with a hard overall deadline, the whole response
 * buffered as bytes. Statuses are outcomes, never exceptions; only "no answer" is reported as an error.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** Request options of an exchange. */
export interface ExchangeRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
  /** Deadline for the whole exchange, body included; undefined = none. */
  readonly timeoutMs: number | undefined;
  /** Aborts the exchange early (worker shutdown). */
  readonly signal?: AbortSignal;
  readonly agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
  /** Resolves the host instead of dns.lookup (the callback poster checks each address it connects to). */
  readonly lookup?: LookupFunction;
}

/** What came back: a response, or why none did. */
export type ExchangeResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Lower-case names; repeated headers joined with ", ". */
      readonly headers: Record<string, string>;
      readonly body: Buffer;
    }
  | {
      readonly kind: 'network-error';
      readonly error: string;
      readonly timedOut: boolean;
      /** The Node error code (`ECONNREFUSED`, or the lookup's own), when there is one. */
      readonly code?: string;
    };

/** Sends one request and buffers the response; never rejects. */
export function exchange(url: URL, req: ExchangeRequest): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const controller = new AbortController();
    let timedOut = false;
    let settled = false;
    const finish = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const fail = (err: unknown) => {
      const reason = timedOut
        ? `no complete response within ${req.timeoutMs} ms`
        : req.signal?.aborted
          ? 'aborted: the worker is shutting down'
          : err instanceof Error
            ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}`
            : String(err);
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      finish({ kind: 'network-error', error: reason, timedOut, ...(code !== undefined && !timedOut ? { code } : {}) });
    };
    const onAbort = () => controller.abort();
    const timer =
      req.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, req.timeoutMs);
    if (req.signal?.aborted) controller.abort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });

    const secure = url.protocol === 'https:';
    const agent = secure ? req.agents?.https : req.agents?.http;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = typeof v === 'string' ? v : [...v];
    headers['content-length'] = String(req.body.length);
    let outgoing: http.ClientRequest;
    try {
      outgoing = (secure ? https : http).request(url, {
        method: req.method,
        headers,
        signal: controller.signal,
        ...(agent ? { agent } : {}),
        ...(req.lookup ? { lookup: req.lookup } : {}),
      });
    } catch (err) {
      fail(err);
      return;
    }
    outgoing.on('error', fail);
    outgoing.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('the response was cut short')));
      res.on('end', () => {
        if (!res.complete) {
          fail(new Error('the response was cut short'));
          return;
        }
        finish({ kind: 'response', status: res.statusCode ?? 0, headers: flatten(res.headers), body: Buffer.concat(chunks) });
      });
    });
    outgoing.end(req.body);
  });
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
