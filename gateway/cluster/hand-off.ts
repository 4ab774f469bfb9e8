/**
 * How a `kfaas up` gateway worker hands a request it does not serve to the owner process: a plain reverse proxy
 * over loopback keep-alive connections. The owner then answers exactly as a single-process `kfaas up` would.
 */
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { withoutHopByHop } from '../../common/headers.js';
import type { HandOff } from '../index.js';

/** A hand-off to the owner, and the pool it uses. */
export interface OwnerHandOff extends HandOff {
  close(): void;
}

// Below the owner's 65 s server keep-alive timeout by far, so a reused idle socket is never one it is closing.
const IDLE_MS = 4_000;

/** Sends what `serveHere` refuses to `ownerUrl()` and streams the answer back. */
export function createOwnerHandOff(serveHere: (url: string) => boolean, ownerUrl: () => string): OwnerHandOff {
  const agent = new Agent({ keepAlive: true, timeout: IDLE_MS });
  return {
    serveHere: (req) => serveHere(req.url ?? '/'),
    handle(req: IncomingMessage, res: ServerResponse) {
      const headers = withoutHopByHop(req.headers);
      // A chunked body stays chunked: without this, a DELETE or OPTIONS body would go out with no framing.
      if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
      const upstream = request(`${ownerUrl()}${req.url ?? '/'}`, { method: req.method, headers, agent });
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
        pipeline(answer, res, () => undefined);
      });
      upstream.on('error', (err) => {
        if (res.headersSent) {
          res.destroy(err);
          return;
        }
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`the kfaas up process did not answer: ${err.message}\n`);
      });
      // A client that goes away cancels the owner's side too (a long call, a followed log).
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      pipeline(req, upstream, () => undefined);
    },
    close: () => agent.destroy(),
  };
}
