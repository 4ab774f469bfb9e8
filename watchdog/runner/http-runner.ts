/**
 * http mode: the function is a long-lived HTTP server (supervised by upstream-process.ts) and every call is
 * reverse-proxied to it, streaming both ways through node:http with a keep-alive agent; no body is buffered.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { Headers, withoutHopByHop } from '../../common/headers.js';
import { CallError, durationSeconds } from '../call-error.js';
import type { UpstreamTarget } from '../config.js';
import type { Call, Runner } from './runner.js';
import type { UpstreamProcess } from './upstream-process.js';

/** Creates the http-mode runner around a supervised upstream process. */
export function createHttpRunner(target: UpstreamTarget, upstream: UpstreamProcess): Runner {
  // Keep-alive to the local upstream saves a TCP handshake per call; no socket cap, max_inflight is the cap.
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 256 });
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

function proxy(call: Call, target: UpstreamTarget, upstream: UpstreamProcess, agent: Agent): Promise<void> {
  const { req, res, signal } = call;
  if (!upstream.ready()) {
    return Promise.reject(new CallError(503, 'UNAVAILABLE', 'function is not ready: its upstream process is starting or restarting'));
  }
  const headers = withoutHopByHop(req.headers) as Record<string, string | string[]>;
  // The watchdog already answered any `Expect: 100-continue`; passing it on would make the upstream answer twice.
  delete headers['expect'];

  return new Promise((resolve, reject) => {
    const upstreamReq = request({
      agent,
      host: target.host,
      port: target.port,
      method: req.method,
      path: target.basePath + (req.url ?? '/'),
      headers,
      setHost: false,
    });
    const stop = (): void => {
      upstreamReq.destroy();
    };
    signal.addEventListener('abort', stop, { once: true });
    const finish = (err?: CallError): void => {
      signal.removeEventListener('abort', stop);
      if (err && !signal.aborted) reject(err);
      else resolve();
    };

    upstreamReq.on('error', (err) => {
      finish(new CallError(502, 'UPSTREAM_UNREACHABLE', `cannot reach the function at ${target.host}:${target.port}: ${err.message}`));
    });
    upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
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
    req.pipe(upstreamReq);
  });
}
