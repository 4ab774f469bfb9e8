// Small HTTP probes for service readiness (plain and TLS, with client certificates), used by the harness only.
import http from 'node:http';
import https from 'node:https';
import { waitFor } from '../helpers/wait-for.js';
import type { ServiceProcess } from './process.js';

/** TLS settings of a probe. */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Only for KCM's self-signed serving cert, on loopback. */
  insecure?: boolean;
}

/** GETs a URL and returns the status code and body (1 s timeout). */
export function get(url: string, tls: TlsOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? https.get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 1000 }, done)
        : http.get(url, { timeout: 1000 }, done);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Polls `url` until it answers 200 (and `accept(body)` when given). */
export async function until200(url: string, proc: ServiceProcess, tls: TlsOptions, timeoutMs: number, accept?: (b: string) => boolean): Promise<void> {
  await waitFor(
    async () => {
      const { status, body } = await get(url, tls);
      if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 200)}`);
      return accept && !accept(body) ? undefined : true;
    },
    { description: `${proc.name} at ${url} (log: ${proc.logPath})`, timeoutMs, intervalMs: 100, abort: proc.exitError },
  );
}


/** GETs a URL and parses its JSON body. */
export async function getJson(url: string, tls: TlsOptions = {}): Promise<{ status: number; body: unknown }> {
  const { status, body } = await get(url, tls);
  return { status, body: body ? (JSON.parse(body) as unknown) : undefined };
}
