/**
 * The gateway's Prometheus metrics, on a per-instance Registry (never prom-client's global one, so two
 * gateways in one process, as in tests, never share counters). Names follow the OpenFaaS gateway.
 *
 * The hot path only bumps plain numbers; prom-client sees them when /metrics is scraped. prom-client's own
 * inc/observe hash the label set and validate it on every call, which cost more per proxied call than the rest
 * of the gateway's bookkeeping together (bench/gateway.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** Observes invocations; the sync (and async) handlers call it. `fn` is `name.namespace`. */
export interface InvocationObserver {
  onStart(fn: string): void;
  onComplete(fn: string, statusCode: number, durationSeconds: number): void;
}

/** Sync calls per `name.namespace`: started so far and in flight now. */
export type SyncCalls = ReadonlyMap<string, Readonly<{ started: number; inflight: number }>>;

/** Observes async calls the queue accepted (the 202s). */
export interface AcceptObserver {
  onAccepted(fn: string, bodyBytes: number): void;
}

/** The gateway's metrics: an observer plus the registry /metrics serves and the per-function invocation counts. */
export interface GatewayMetrics extends InvocationObserver, AcceptObserver {
  readonly registry: Registry;
  /** Completed invocations per `name.namespace`, summed over status codes (FunctionStatus.invocationCount). */
  invocationCounts(): Promise<Map<string, number>>;
  /**
   * Sync calls per `name.namespace`: started so far and in flight now (the autoscaler's signals read these); a
   * multi-process gateway sums its workers'.
   */
  syncCalls(): SyncCalls | Promise<SyncCalls>;
}

/** Options of createGatewayMetrics. */
export interface GatewayMetricsOptions {
  /** Also collect process metrics (CPU, RSS, event-loop lag); main.ts turns this on. */
  readonly defaultMetrics?: boolean;
}

/** Duration buckets in seconds: 5 ms to the 5 min ceiling, since function durations span that whole range. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);

const HISTOGRAM_NAME = 'gateway_functions_seconds';

interface FunctionSeries {
  started: number;
  inflight: number;
}

interface CodeSeries {
  readonly fn: string;
  readonly code: string;
  count: number;
  sum: number;
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly buckets: Float64Array;
}

/** Creates the gateway metrics on a fresh Registry. */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const perFn = new Map<string, FunctionSeries>();
  const perCode = new Map<string, CodeSeries>();
  const accepted = new Map<string, { calls: number; bytes: number }>();

  new Counter({
    name: 'gateway_function_invocation_total',
    help: 'Function invocations by function and status code',
    labelNames: ['function_name', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of perCode.values()) this.inc({ function_name: s.fn, code: s.code }, s.count);
    },
  });
  perFunctionCounter(registry, 'gateway_function_invocation_started', 'Function invocations started', () =>
    [...perFn].map(([fn, f]) => [fn, f.started]),
  );
  new Gauge({
    name: 'gateway_function_invocation_inflight',
    help: 'Function invocations in flight',
    labelNames: ['function_name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [fn, s] of perFn) this.set({ function_name: fn }, s.inflight);
    },
  });
  perFunctionCounter(registry, 'gateway_async_accepted_total', 'Async calls durably queued (answered 202), by function', () =>
    [...accepted].map(([fn, a]) => [fn, a.calls]),
  );
  perFunctionCounter(registry, 'gateway_async_accepted_bytes_total', 'Request body bytes of async calls durably queued, by function', () =>
    [...accepted].map(([fn, a]) => [fn, a.bytes]),
  );
  registry.registerMetric(histogramView(perCode));

  return {
    registry,
    onStart(fn) {
      let s = perFn.get(fn);
      if (!s) {
        s = { started: 0, inflight: 0 };
        perFn.set(fn, s);
      }
      s.started++;
      s.inflight++;
    },
    onComplete(fn, statusCode, durationSeconds) {
      const f = perFn.get(fn);
      if (f) f.inflight--;
      const key = `${fn} ${statusCode}`;
      let s = perCode.get(key);
      if (!s) {
        s = { fn, code: String(statusCode), count: 0, sum: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1) };
        perCode.set(key, s);
      }
      s.count++;
      s.sum += durationSeconds;
      let i = 0;
      while (i < DURATION_BUCKETS.length && durationSeconds > DURATION_BUCKETS[i]!) i++;
      s.buckets[i]!++;
    },
    onAccepted(fn, bodyBytes) {
      let a = accepted.get(fn);
      if (!a) {
        a = { calls: 0, bytes: 0 };
        accepted.set(fn, a);
      }
      a.calls++;
      a.bytes += bodyBytes;
    },
    async invocationCounts() {
      const counts = new Map<string, number>();
      for (const s of perCode.values()) counts.set(s.fn, (counts.get(s.fn) ?? 0) + s.count);
      return counts;
    },
    syncCalls: () => perFn,
  };
}

/** A counter labelled by function whose values are read from plain numbers at scrape time. */
function perFunctionCounter(registry: Registry, name: string, help: string, read: () => Iterable<readonly [string, number]>): void {
  new Counter({
    name,
    help,
    labelNames: ['function_name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [fn, value] of read()) this.inc({ function_name: fn }, value);
    },
  });
}

/**
 * The duration histogram as prom-client renders one (`_bucket` with cumulative `le`, `_sum`, `_count`), built
 * from the plain counts at scrape time. prom-client has no API to load bucket counts into its Histogram.
 */
function histogramView(perCode: ReadonlyMap<string, CodeSeries>): Metric {
  const help = 'Function invocation duration in seconds, by function and status code';
  const view = {
    name: HISTOGRAM_NAME,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
      for (const s of perCode.values()) {
        const labels = { function_name: s.fn, code: s.code };
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!;
          values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${HISTOGRAM_NAME}_bucket` });
        });
        values.push({ labels: { le: '+Inf', ...labels }, value: s.count, metricName: `${HISTOGRAM_NAME}_bucket` });
        values.push({ labels, value: s.sum, metricName: `${HISTOGRAM_NAME}_sum` });
        values.push({ labels, value: s.count, metricName: `${HISTOGRAM_NAME}_count` });
      }
      return { name: HISTOGRAM_NAME, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // The registry only calls get() and reads name/type; the cast spares a prom-client subclass.
  return view as unknown as Metric;
}
