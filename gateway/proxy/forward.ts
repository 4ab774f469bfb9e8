/**
 * Streams one call to a function and its reply back, with node:http only: no buffering, backpressure via
 * pipe, a deadline over the whole exchange, and a byte limit on the request body.
 */
import { request, type Agent, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { KfaasError } from '../../common/errors.js';
import { downstreamResponseHeaders } from './forward-headers.js';

/** One call to forward. */
export interface ForwardCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Base URL of the chosen endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Path and query the function sees, e.g. `/a/b?x=1`. */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly agent: Agent;
  readonly deadlineMs: number;
  /** 0 means no limit. */
  readonly bodyLimitBytes: number;
  /** `name.namespace`, for error messages. */
  readonly fn: string;
  /** Adds the gateway's own headers to the reply just before it is written. */
  readonly decorate: (headers: OutgoingHttpHeaders) => void;
}

/** How a forwarded call ended when no error response was due. */
export type ForwardOutcome = 'completed' | 'client-closed';

interface Target {
  readonly hostname: string;
  readonly port: number;
}

const targets = new Map<string, Target>();

/** Parses an endpoint base URL once; endpoints repeat on every call, URL parsing need not. */
function targetOf(endpoint: string): Target {
  let t = targets.get(endpoint);
  if (!t) {
    const url = new URL(endpoint);
    // URL keeps IPv6 brackets in hostname; node:http wants the bare address.
    t = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) };
    // Endpoints churn as pods come and go; a rare reset keeps the cache bounded.
    if (targets.size >= 10_000) targets.clear();
    targets.set(endpoint, t);
  }
  return t;
}

/** True when the request carries a body (Content-Length > 0 or Transfer-Encoding). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

/**
 * Forwards the call. Resolves when the reply is fully written or the client went away; rejects with a
 * KfaasError (504 deadline, 502 unreachable, 413 body too large) that the caller writes, or, once the reply
 * has started, that makes the caller cut the connection.
 */
export function forward(call: ForwardCall): Promise<ForwardOutcome> {
  const { req, res } = call;
  return new Promise<ForwardOutcome>((resolve, reject) => {
    const target = targetOf(call.endpoint);
    const withBody = hasRequestBody(req);
    let upstream: ClientRequest | undefined;
    let settled = false;
    let received = 0;

    const settle = (err: KfaasError | undefined, outcome: ForwardOutcome = 'completed'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(outcome);
    };
    const fail = (err: KfaasError): void => {
      if (settled) return;
      if (withBody) req.unpipe();
      upstream?.destroy();
      settle(err);
    };

    const timer = setTimeout(() => {
      fail(new KfaasError('UPSTREAM_TIMEOUT', `function ${call.fn} did not complete within ${call.deadlineMs} ms`));
    }, call.deadlineMs);

    // Stays attached after settling (a no-op then): removing it would cost more than it saves.
    const onClientClose = (): void => {
      if (settled) return;
      if (res.writableFinished) {
        settle(undefined, 'completed');
      } else {
        upstream?.destroy();
        settle(undefined, 'client-closed');
      }
    };
    res.on('close', onClientClose);

    const onResponse = (upRes: IncomingMessage): void => {
      if (settled) {
        upRes.resume();
        return;
      }
      const status = upRes.statusCode ?? 502;
      const headers = downstreamResponseHeaders(upRes.headers, status, req.headers['content-type']);
      call.decorate(headers);
      res.writeHead(status, headers);
      // A function that dies mid-reply must not leave the caller waiting on a half-written response.
      upRes.on('close', () => {
        if (!upRes.complete && !settled) {
          res.destroy();
          settle(new KfaasError('UPSTREAM_UNREACHABLE', `function ${call.fn} closed the connection mid-response`));
        }
      });
      upRes.pipe(res);
    };

    const send = (attempt: number): void => {
      const upstreamReq = request({
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: call.path,
        headers: call.headers,
        agent: call.agent,
      });
      upstream = upstreamReq;
      upstreamReq.on('response', onResponse);
      upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        // A pooled socket the function closed while idle fails on first use; a bodiless call is safe to resend.
        if (!withBody && attempt === 0 && upstreamReq.reusedSocket && err.code === 'ECONNRESET') {
          send(1);
          return;
        }
        const reason = err.code && UNREACHABLE_CODES.has(err.code) ? err.code : err.message;
        fail(new KfaasError('UPSTREAM_UNREACHABLE', `cannot reach function ${call.fn}: ${reason}`, { cause: err }));
      });
      if (withBody) req.pipe(upstreamReq);
      else upstreamReq.end();
    };

    if (withBody && call.bodyLimitBytes > 0) {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > call.bodyLimitBytes && !settled) {
          fail(tooLarge(call.bodyLimitBytes));
        }
      });
    }
    send(0);
  });
}

/** The 413 for a body over the sync limit; the connection closes since the rest of the body is not read. */
export function tooLarge(limitBytes: number): KfaasError {
  return new KfaasError('PAYLOAD_TOO_LARGE', `request body exceeds the sync limit of ${limitBytes} bytes`, {
    headers: { connection: 'close' },
  });
}
