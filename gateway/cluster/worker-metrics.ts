/**
 * Metrics in a worker of a multi-process gateway: calls are counted locally as in a single process, but
 * whatever reads them (a /metrics scrape, the dashboard, a function's invocationCount) sees the sum over
 * every worker, fetched through the primary at read time. A scrape may land on any worker, and each must
 * answer for the whole gateway.
 */
import { AggregatorRegistry, Registry, type Metric } from 'prom-client';
import { withDeadline } from '../../runtime/deadline.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { isMessage, type ClusterMetricsResponse, type LocalMetricsRequest, type MetricsJson } from './messages.js';

/** The part of `process` this uses; tests pass a fake. */
export interface ParentChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * Wraps a worker's local metrics so that reads return the whole gateway's. `gatherTimeoutMs` is the primary's
 * wait for the workers (KFAAS_METRICS_GATHER_TIMEOUT); a worker waits twice that for the primary's answer.
 */
export function clusterWorkerMetrics(local: GatewayMetrics, gatherTimeoutMs: number, parent: ParentChannel = process as ParentChannel): GatewayMetrics {
  const askTimeoutMs = 2 * gatherTimeoutMs;
  let nextId = 0;
  const waiting = new Map<number, (r: ClusterMetricsResponse) => void>();
  parent.on('message', (m: unknown) => {
    if (isMessage<LocalMetricsRequest>(m, 'kfaas:local-metrics')) {
      local.registry.getMetricsAsJSON().then(
        (metrics) => parent.send({ type: 'kfaas:local-metrics-result', id: m.id, metrics: metrics as MetricsJson }),
        (err: unknown) => parent.send({ type: 'kfaas:local-metrics-result', id: m.id, error: (err as Error).message }),
      );
    } else if (isMessage<ClusterMetricsResponse>(m, 'kfaas:cluster-metrics-result')) {
      waiting.get(m.id)?.(m);
    }
  });

  /** Every worker's own metrics, from the primary. */
  const perWorker = (): Promise<MetricsJson[]> => {
    const id = nextId++;
    const answer = new Promise<MetricsJson[]>((resolve, reject) => {
      waiting.set(id, (r) => (r.perWorker ? resolve(r.perWorker) : reject(new Error(`cannot read the gateway's metrics: ${r.error ?? 'no answer'}`))));
    });
    parent.send({ type: 'kfaas:cluster-metrics', id });
    const timedOut = () => new Error(`the gateway's primary process did not send the workers' metrics within ${askTimeoutMs} ms`);
    return withDeadline(answer, askTimeoutMs, timedOut).finally(() => waiting.delete(id));
  };
  return summedMetrics(local, perWorker);
}

/**
 * Wraps one process's metrics so that reads return the sum of `perProcess()` (which must include this
 * process's own), while calls are still counted locally.
 */
export function summedMetrics(local: GatewayMetrics, perProcess: () => Promise<MetricsJson[]>): GatewayMetrics {
  const summed = async (): Promise<Registry> => AggregatorRegistry.aggregate(await perProcess());
  return {
    onStart: (fn) => local.onStart(fn),
    onComplete: (fn, statusCode, durationSeconds) => local.onComplete(fn, statusCode, durationSeconds),
    onAccepted: (fn, bodyBytes) => local.onAccepted(fn, bodyBytes),
    registry: new SummedRegistry(summed),
    // Every worker's sync calls, from the summed counters: the signals must count the whole gateway's load.
    async syncCalls() {
      const registry = await summed();
      const calls = new Map<string, { started: number; inflight: number }>();
      const entry = (fn: string) => calls.get(fn) ?? calls.set(fn, { started: 0, inflight: 0 }).get(fn)!;
      for (const v of (await registry.getSingleMetric('gateway_function_invocation_started')?.get())?.values ?? []) {
        entry(String(v.labels['function_name'])).started += v.value;
      }
      for (const v of (await registry.getSingleMetric('gateway_function_invocation_inflight')?.get())?.values ?? []) {
        entry(String(v.labels['function_name'])).inflight += v.value;
      }
      return calls;
    },
    async invocationCounts() {
      const total = await (await summed()).getSingleMetric('gateway_function_invocation_total')?.get();
      const counts = new Map<string, number>();
      for (const v of total?.values ?? []) {
        const fn = String(v.labels['function_name']);
        counts.set(fn, (counts.get(fn) ?? 0) + v.value);
      }
      return counts;
    },
  };
}

/** A registry whose reads return the workers' summed metrics; nothing is registered on it directly. */
class SummedRegistry extends Registry {
  constructor(private readonly summed: () => Promise<Registry>) {
    super();
  }

  override async metrics(): Promise<string> {
    return (await this.summed()).metrics();
  }

  override async getMetricsAsJSON(): Promise<MetricsJson> {
    return (await this.summed()).getMetricsAsJSON() as Promise<MetricsJson>;
  }

  override getSingleMetric(name: string): Metric | undefined {
    // Reads are async anyway (get()); the sum is fetched when the value is asked for.
    return { get: async () => (await this.summed()).getSingleMetric(name)?.get() } as unknown as Metric;
  }
}
