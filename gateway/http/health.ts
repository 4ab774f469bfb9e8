/** Liveness, readiness and the Prometheus endpoint: honest probes that check only what they claim to. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** The gateway's readiness state: ready once the provider's caches synced, not ready again while draining. */
export class Lifecycle {
  private synced = false;
  private drainingSince: number | undefined;

  /** Marks the provider synced. */
  markReady(): void {
    this.synced = true;
  }

  /** Marks the gateway draining: /readyz turns 503 so load balancers stop sending calls. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  /** True when the gateway should receive traffic. */
  get ready(): boolean {
    return this.synced && this.drainingSince === undefined;
  }

  /** True once shutdown began. */
  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}

type PlainHandler = (req: IncomingMessage, res: ServerResponse) => void;

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** `/healthz` and `/livez`: the process answers; nothing external is checked, so a slow apiserver never restarts us. */
export function livenessHandler(): PlainHandler {
  return (_req, res) => text(res, 200, 'OK');
}

/** `/readyz`: 200 once the provider is ready, 503 before that and while draining. */
export function readinessHandler(lifecycle: Lifecycle): PlainHandler {
  return (_req, res) => {
    if (lifecycle.ready) text(res, 200, 'OK');
    else text(res, 503, lifecycle.draining ? 'draining' : 'provider not ready');
  };
}

/** `/metrics`: the per-instance registry in the Prometheus text format. */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('content-type', registry.contentType);
    res.end(body);
  };
}
