/**
 * One GET of a pod's log (`/api/v1/namespaces/<ns>/pods/<pod>/log`) as a byte stream. client-node's generated
 * readNamespacedPodLog fails to parse answers without a Content-Type, and its Log helper drops the apiserver's
 * error message, so this makes the request itself with the kubeconfig's TLS and credentials.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';

/** What to read. */
export interface PodLogRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly follow: boolean;
  readonly tailLines?: number;
  /** RFC 3339. */
  readonly sinceTime?: string;
  readonly signal: AbortSignal;
  /** Longest wait for the response headers; default 10 s. */
  readonly timeoutMs?: number;
}

/** A refused log read: the apiserver's status and message (`code` as on a client-node ApiException). */
export class PodLogError extends Error {
  constructor(
    readonly code: number | undefined,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'PodLogError';
  }
}

const MAX_ERROR_BODY = 8 * 1024;

/** Opens the log; resolves with the body once the apiserver answered 200 (or 204: empty), rejects with a PodLogError otherwise. */
export async function openPodLog(kubeConfig: KubeConfig, request: PodLogRequest): Promise<Readable> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new PodLogError(undefined, 'the kubeconfig has no current cluster');
  const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/log`);
  url.searchParams.set('container', request.container);
  url.searchParams.set('timestamps', 'true');
  if (request.follow) url.searchParams.set('follow', 'true');
  if (request.tailLines !== undefined) url.searchParams.set('tailLines', String(request.tailLines));
  if (request.sinceTime !== undefined) url.searchParams.set('sinceTime', request.sinceTime);
  const options: https.RequestOptions = { method: 'GET', headers: { accept: 'text/plain, application/json' } };
  await kubeConfig.applyToHTTPSOptions(options);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Readable>((resolve, reject) => {
    const req = client.request(url, { ...options, signal: request.signal, timeout: request.timeoutMs ?? 10_000 }, (res) => {
      // The timeout guards the wait for an answer; a followed log may then stay quiet for as long as it likes.
      req.setTimeout(0);
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      // The apiserver answers 204 for a pod that is bound to no node yet: it has no log, which is an empty one.
      if (res.statusCode === 204) {
        res.resume();
        resolve(Readable.from([]));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_ERROR_BODY) body += chunk;
      });
      res.on('end', () => reject(new PodLogError(res.statusCode, statusMessage(body))));
      res.on('error', (err) => reject(new PodLogError(res.statusCode, err.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs ?? 10_000} ms`)));
    req.on('error', (err) => reject(err instanceof PodLogError ? err : new PodLogError(undefined, err.message)));
    req.end();
  });
}

/** The `message` of a Kubernetes Status body, else the body's first line. */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not a Status object: fall through to the text itself.
  }
  return body.split('\n')[0]!.slice(0, 200);
}
