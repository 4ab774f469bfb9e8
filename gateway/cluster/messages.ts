/** The IPC messages between the gateway's primary process and its workers (KFAAS_GATEWAY_PROCESSES > 1). */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** One process's metrics, as prom-client's getMetricsAsJSON() returns them. */
export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** A worker asks the primary for every worker's metrics, summed. */
export interface ClusterMetricsRequest {
  readonly type: 'kfaas:cluster-metrics';
  readonly id: number;
}

/** The primary's answer: the metrics of every live worker (the asker included), one array each. */
export interface ClusterMetricsResponse {
  readonly type: 'kfaas:cluster-metrics-result';
  readonly id: number;
  readonly perWorker?: MetricsJson[];
  readonly error?: string;
}

/** The primary asks one worker for its own metrics. */
export interface LocalMetricsRequest {
  readonly type: 'kfaas:local-metrics';
  readonly id: number;
}

/** A worker's own metrics. */
export interface LocalMetricsResponse {
  readonly type: 'kfaas:local-metrics-result';
  readonly id: number;
  readonly metrics?: MetricsJson;
  readonly error?: string;
}

/** Narrows an IPC message by its type. */
export function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}
