/**
 * The worker's Prometheus metrics, on a per-instance Registry (two workers in one process, as in tests, never
 * share counters). They are fed by observers: the handler's WorkerObserver and the source's QueueObserver.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueObserver } from '../../common/queue.js';
import type { WorkerObserver } from '../observer.js';

/** The worker's metrics: observers to wire in, and the registry /metrics serves. */
export interface WorkerMetrics {
  readonly registry: Registry;
  readonly observer: WorkerObserver;
  readonly queueObserver: QueueObserver;
}

// Seconds, from 10 ms to 6 h (the default maximum event age): enqueue-to-callback spans retries and backlogs.
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600];

/** Creates the worker metrics on a fresh Registry. */
export function createWorkerMetrics(options: { readonly defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const started = new Counter({ name: 'kfaas_worker_invocations_started_total', help: 'Invocation attempts started', labelNames: ['function_name'] as const, registers });
  const succeeded = new Counter({ name: 'kfaas_worker_invocations_succeeded_total', help: 'Calls whose final outcome was a success', labelNames: ['function_name'] as const, registers });
  const failed = new Counter({ name: 'kfaas_worker_invocations_failed_total', help: 'Calls that failed for good', labelNames: ['function_name'] as const, registers });
  const retried = new Counter({
    name: 'kfaas_worker_retries_total',
    help: 'Retries scheduled, by phase (invoke or callback)',
    labelNames: ['function_name', 'phase'] as const,
    registers,
  });
  const deadLettered = new Counter({ name: 'kfaas_worker_dead_letters_total', help: 'Calls dead-lettered, by reason', labelNames: ['function_name', 'reason'] as const, registers });
  const inflight = new Gauge({ name: 'kfaas_worker_inflight', help: 'Calls being handled now', registers });
  const lag = new Gauge({ name: 'kfaas_worker_consumer_lag', help: 'Records behind the partition end', labelNames: ['topic', 'partition'] as const, registers });
  const deferred = new Counter({
    name: 'kfaas_worker_deferred_total',
    help: 'Calls put back in the queue unrun because their function already had a full round waiting (not attempts)',
    labelNames: ['function_name'] as const,
    registers,
  });
  const undecodable = new Counter({ name: 'kfaas_worker_undecodable_total', help: 'Records that were not valid envelopes (dead-lettered)', registers });
  const callbacks = new Counter({ name: 'kfaas_worker_callbacks_total', help: 'Callback POSTs, by result', labelNames: ['result'] as const, registers });
  const latency = new Histogram({
    name: 'kfaas_worker_enqueue_to_callback_seconds',
    help: 'Time from acceptance by the gateway to a delivered callback',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const fn = (inv: { function: string; namespace: string }) => `${inv.function}.${inv.namespace}`;

  return {
    registry,
    observer: {
      onHandleStart: () => inflight.inc(),
      onHandleEnd: () => inflight.dec(),
      onAttemptStart: (inv) => started.labels(fn(inv)).inc(),
      onFinal: (inv, ok) => (ok ? succeeded : failed).labels(fn(inv)).inc(),
      onCallback: (_inv, outcome, latencyMs) => {
        callbacks.labels(outcome.ok ? 'ok' : 'failed').inc();
        if (outcome.ok) latency.observe(latencyMs / 1000);
      },
      onDecision: (inv, decision) => {
        if (decision.action === 'retry') retried.labels(fn(inv), decision.invocation.result ? 'callback' : 'invoke').inc();
        else if (decision.action === 'dead-letter') deadLettered.labels(fn(inv), decision.reason).inc();
      },
    },
    queueObserver: {
      onLag: (topic, partition, value) => lag.labels(topic, String(partition)).set(value),
      onDeferred: (inv) => deferred.labels(fn(inv)).inc(),
      onUndecodable: () => {
        undecodable.inc();
        deadLettered.labels('unknown', 'undecodable').inc();
      },
    },
  };
}
