/**
 * Streams one call to a function and its reply back, on undici's connection pool: no buffering, backpressure
 * both ways, a deadline over the whole exchange, and a byte limit on the request body.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Readable, Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { KfaasError } from '../../common/errors.js';
import { downstreamResponseHeaders, headersFromRaw } from './forward-headers.js';
import type { TrackedHandler, UpstreamAgent } from './upstream-agent.js';

/** One call to forward. */
export interface ForwardCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Base URL of the chosen endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Path and query the function sees, e.g. `/a/b?x=1`. */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly agent: UpstreamAgent;
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

/** True when the request carries a body (Content-Length > 0 or Transfer-Encoding). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);
// undici's "other side closed": the function dropped the connection.
const SOCKET_CLOSED = 'UND_ERR_SOCKET';

/**
 * Forwards the call. Resolves when the reply is fully written or the client went away; rejects with a
 * KfaasError (504 deadline, 502 unreachable, 413 body too large) that the caller writes, or, once the reply
 * has started, that makes the caller cut the connection.
 */
export function forward(call: ForwardCall): Promise<ForwardOutcome> {
  const { req, res } = call;
  return new Promise<ForwardOutcome>((resolve, reject) => {
    const withBody = hasRequestBody(req);
    let abortUpstream: ((err: Error) => void) | undefined;
    let aborted = false;
    let settled = false;
    let replying = false;
    let received = 0;
    let resumeUpstream: (() => void) | undefined;

    const settle = (err: KfaasError | undefined, outcome: ForwardOutcome = 'completed'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(outcome);
    };
    const cancel = (reason: string): void => {
      aborted = true;
      abortUpstream?.(new Error(reason));
    };
    const fail = (err: KfaasError): void => {
      if (settled) return;
      cancel(err.message);
      settle(err);
    };

    const timer = setTimeout(() => {
      fail(new KfaasError('UPSTREAM_TIMEOUT', `function ${call.fn} did not complete within ${call.deadlineMs} ms`));
    }, call.deadlineMs);

    // Stays attached after settling (a no-op then): removing it would cost more than it saves.
    res.on('close', () => {
      if (settled) return;
      if (res.writableFinished) {
        settle(undefined, 'completed');
      } else {
        cancel('the client closed the connection');
        settle(undefined, 'client-closed');
      }
    });

    const send = (attempt: number): void => {
      const handler: TrackedHandler = {
        onConnect(abort) {
          abortUpstream = abort;
          if (aborted) abort(new Error('call cancelled'));
        },
        onHeaders(statusCode, rawHeaders, resume) {
          if (settled || aborted) return false;
          // 1xx interim replies are the gateway's own server's business, not the caller's.
          if (statusCode < 200) return true;
          replying = true;
          resumeUpstream = resume;
          const headers = downstreamResponseHeaders(headersFromRaw(rawHeaders as unknown as Buffer[]), statusCode, req.headers['content-type']);
          call.decorate(headers);
          res.writeHead(statusCode, headers);
          return true;
        },
        onData(chunk) {
          if (settled) return false;
          // false pauses undici's read of the function's reply until the caller's socket drains.
          return res.write(chunk);
        },
        onComplete() {
          // Counted for the resend rule below: the next call on this socket goes out on a reused one.
          if (handler.connection) handler.connection.replies++;
          if (!settled) res.end();
        },
        onError(err: Error & { code?: string }) {
          if (settled || aborted) return;
          if (replying) {
            // A function that dies mid-reply must not leave the caller waiting on a half-written response.
            res.destroy();
            settle(new KfaasError('UPSTREAM_UNREACHABLE', `function ${call.fn} closed the connection mid-response`));
            return;
          }
          // A reused connection the function closed while it sat idle fails on first use, before any reply: a
          // bodiless call is resent once, as node:http's agent allowed (reusedSocket). A call that failed on a
          // fresh connection is not: the function may have run it. (A call not yet written when undici saw the
          // close is moved to a new connection by undici itself.)
          const reused = handler.connection !== undefined && handler.connection.replies > 0;
          if (!withBody && attempt === 0 && reused && (err.code === 'ECONNRESET' || err.code === SOCKET_CLOSED)) {
            send(1);
            return;
          }
          const reason = err.code && UNREACHABLE_CODES.has(err.code) ? err.code : err.message;
          settle(new KfaasError('UPSTREAM_UNREACHABLE', `cannot reach function ${call.fn}: ${reason}`, { cause: err }));
        },
      };
      call.agent.dispatch(
        {
          origin: call.endpoint,
          path: call.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: call.headers as Record<string, string | string[]>,
          body,
        },
        handler,
      );
    };

    res.on('drain', () => resumeUpstream?.());
    // The body undici reads. A 'data' listener on req itself would start the flow before undici listens and
    // lose the first chunks, so a counted body goes through a pipe; undici destroys only the pipe on a cancel,
    // which leaves the caller's socket open for the 413.
    let body: Readable | null = withBody ? req : null;
    if (withBody && call.bodyLimitBytes > 0) {
      const limit = call.bodyLimitBytes;
      body = req.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            received += chunk.length;
            if (received > limit) {
              req.unpipe();
              fail(tooLarge(limit));
              done();
            } else done(null, chunk);
          },
        }),
      );
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
