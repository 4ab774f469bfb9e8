/** The operator's Prometheus metrics, on their own registry; components report through observer methods. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Observer methods the controller, informers, API client and elector call. */
export interface OperatorObserver {
  onReconcile(result: string, durationMs: number): void;
  onInformerRestart(informer: string): void;
  onApiRequest(verb: string, resource: string, statusCode: number): void;
  setLeader(leading: boolean): void;
}

/** The metrics registry plus the observer that feeds it. */
export interface OperatorMetrics extends OperatorObserver {
  readonly registry: Registry;
  /** Where the queue-depth gauge reads from (the current controller's queue; 0 when there is none). */
  setQueueDepthSource(source: (() => number) | undefined): void;
}

/** Creates the metrics on a fresh registry. */
export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  let depth: (() => number) | undefined;
  const reconciles = new Counter({
    name: 'kfaas_operator_reconcile_total',
    help: 'Reconciles by result: ready, progressing, stalled, gone or error',
    labelNames: ['result'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kfaas_operator_reconcile_duration_seconds',
    help: 'Duration of one reconcile',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'kfaas_operator_queue_depth',
    help: 'Function keys waiting to be reconciled',
    registers: [registry],
    collect() {
      this.set(depth?.() ?? 0);
    },
  });
  const restarts = new Counter({
    name: 'kfaas_operator_informer_restarts_total',
    help: 'Informer restarts after a failed list or watch',
    labelNames: ['informer'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'kfaas_operator_api_requests_total',
    help: 'Kubernetes API requests by verb, resource and status code (0 = no response)',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  });
  const leader = new Gauge({ name: 'kfaas_operator_leader', help: '1 while this instance holds the leader lease', registers: [registry] });
  return {
    registry,
    onReconcile: (result, ms) => {
      reconciles.inc({ result });
      duration.observe(ms / 1000);
    },
    onInformerRestart: (informer) => restarts.inc({ informer }),
    onApiRequest: (verb, resource, code) => requests.inc({ verb, resource, code: String(code) }),
    setLeader: (leading) => leader.set(leading ? 1 : 0),
    setQueueDepthSource: (source) => {
      depth = source;
    },
  };
}
