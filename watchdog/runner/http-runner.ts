/**
 * http mode: the function is a long-lived HTTP server (supervised by upstream-process.ts) and every call is
 * reverse-proxied to it, streaming both ways through node:http with a keep-alive agent; no body is buffered.
 */
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { Headers, withoutHopByHop } from '../../common/headers.js';
import { CallError, durationSeconds } from '../call-error.js';
import type { UpstreamTarget } from '../config.js';
import type { Call, Runner } from './runner.js';
import type { UpstreamProcess } from './upstream-process.js';

/** Creates the http-mode runner around a supervised upstream process. */
export function createHttpRunner(target: UpstreamTarget, upstream: UpstreamProcess): Runner {
  // Keep-alive to the local upstream saves a TCP handshake per call; no socket cap, max_inflight is the cap.
  // An idle socket is dropped after 4 s, before the 5 s keep-alive timeout of a default Node server closes it
  // under us (Node's agent also honours a shorter `Keep-Alive: timeout` hint).
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 256, timeout: IDLE_SOCKET_MS });
  return {
    start: () => upstream.start(),
    ready: () => upstream.ready(),
    run: (call) => proxy(call, target, upstream, agent),
    async close() {
      agent.destroy();
      await upstream.close();
    },
  };
}

const IDLE_SOCKET_MS = 4_000;

/** Bodies up to this size are kept until the upstream answers, so a request lost on a stale socket can be resent. */
const RETAINED_BODY_BYTES = 64 * 1024;

/** Resends of one call on another socket; each stale pooled socket fails once and is gone. */
const MAX_RESENDS = 3;

function proxy(call: Call, target: UpstreamTarget, upstream: UpstreamProcess, agent: Agent): Promise<void> {
  const { req, res, signal } = call;
  if (!upstream.ready()) {
    return Promise.reject(new CallError(503, 'UNAVAILABLE', 'function is not ready: its upstream process is starting or restarting'));
  }
  const headers = withoutHopByHop(req.headers);
  // The watchdog already answered any `Expect: 100-continue`; passing it on would make the upstream answer twice.
  delete headers['expect'];

  // A kept-alive socket the upstream closed just as we reused it fails the request before any answer. Such a
  // request is resent on another socket, which needs its whole body: small bodies are kept until the answer.
  let retained: Buffer[] | undefined = [];
  let retainedBytes = 0;
  req.on('data', (chunk: Buffer) => {
    if (!retained) return;
    retainedBytes += chunk.length;
    if (retainedBytes > RETAINED_BODY_BYTES) retained = undefined;
    else retained.push(chunk);
  });

  return new Promise((resolve, reject) => {
    let current: ClientRequest | undefined;
    const stop = (): void => {
      current?.destroy();
    };
    signal.addEventListener('abort', stop, { once: true });
    const finish = (err?: CallError): void => {
      signal.removeEventListener('abort', stop);
      retained = undefined;
      if (err && !signal.aborted) reject(err);
      else resolve();
    };

    const send = (resends: number): void => {
      const upstreamReq = request({
        agent,
        host: target.host,
        port: target.port,
        method: req.method,
        path: target.basePath + (req.url ?? '/'),
        headers,
        setHost: false,
      });
      current = upstreamReq;
      let answered = false;
      upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted) return finish();
        const stale = !answered && upstreamReq.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        if (stale && retained && req.readableEnded && resends < MAX_RESENDS) return send(resends + 1);
        finish(new CallError(502, 'UPSTREAM_UNREACHABLE', `cannot reach the function at ${target.host}:${target.port}: ${err.message}`));
      });
      upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
        answered = true;
        retained = undefined;
        if (signal.aborted) {
          upstreamRes.destroy();
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, {
          ...withoutHopByHop(upstreamRes.headers),
          [Headers.durationSeconds]: durationSeconds(call.startedAtMs),
        } as Record<string, string | string[]>);
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => {
          // winston formats a message before its transports filter by level; skip that work on the hot path.
          if (call.logger.isInfoEnabled()) {
            call.logger.info(`${req.method} ${req.url} - ${upstreamRes.statusCode} - Duration: ${durationSeconds(call.startedAtMs)} seconds`);
          }
          finish();
        });
        upstreamRes.on('error', () => undefined);
        upstreamRes.on('close', () => {
          if (!upstreamRes.complete) {
            finish(new CallError(502, 'UPSTREAM_UNREACHABLE', 'the function closed the connection before its response was complete'));
          }
        });
      });
      if (resends === 0) req.pipe(upstreamReq);
      else upstreamReq.end(Buffer.concat(retained ?? []));
    };
    send(0);
  });
}
