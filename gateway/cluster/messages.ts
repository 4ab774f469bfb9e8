/** The IPC messages between a multi-process gateway's primary (or `kfaas up`) and its gateway workers. */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ResolvedFunction } from '../ports.js';

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

/** A `kfaas up` gateway worker is listening for messages and wants the routes. */
export interface RoutesRequest {
  readonly type: 'kfaas:routes-request';
}

/**
 * The `kfaas up` process's routes for its gateway workers, sent on request and after every change: where it
 * serves what a worker cannot, and every function with its ready endpoints.
 */
export interface RoutesMessage {
  readonly type: 'kfaas:routes';
  readonly ownerUrl: string;
  readonly functions: ReadonlyArray<ResolvedFunction>;
}

/** A `kfaas up` gateway worker could not listen; `code` is the errno code (EADDRINUSE) when there is one. */
export interface ListenFailed {
  readonly type: 'kfaas:listen-failed';
  readonly code?: string;
  readonly message: string;
}
