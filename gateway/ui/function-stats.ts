/**
 * Per-function figures for the dashboard, read from the gateway's own Prometheus registry at request time:
 * invocations, error rate, p50/p99 latency (interpolated from the duration histogram the way Prometheus's
 * histogram_quantile does), calls in flight and async calls accepted. Nothing extra is counted on the hot path.
 */
import type { Registry } from 'prom-client';

/** What the Functions page shows for one `name.namespace`. */
export interface FunctionStats {
  readonly fn: string;
  readonly invocations: number;
  /** Completed invocations answered 4xx or 5xx (the function's or the gateway's). */
  readonly errors: number;
  /** errors / invocations, 0 when there were none. */
  readonly errorRate: number;
  /** Seconds; absent until the function has completed a call. */
  readonly p50Seconds?: number;
  readonly p99Seconds?: number;
  readonly inflight: number;
  readonly asyncAccepted: number;
}

/** One sample of a metric, as prom-client's Metric.get() gives it. */
export interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

/** A cumulative histogram bucket: how many observations were at most `le` seconds. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile of a cumulative histogram, interpolating linearly inside the bucket it falls in; when it
 * falls in the +Inf bucket the highest finite bound is returned. Undefined for an empty histogram.
 */
export function quantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = Number.isFinite(b.le) ? b.le : lowerLe;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** Builds the per-function figures from the histogram, in-flight and accepted samples (pure). */
export function functionStats(histogram: readonly Sample[], inflight: readonly Sample[], accepted: readonly Sample[]): FunctionStats[] {
  interface Acc { invocations: number; errors: number; buckets: Map<number, number>; inflight: number; asyncAccepted: number }
  const byFn = new Map<string, Acc>();
  const acc = (fn: string): Acc => {
    let a = byFn.get(fn);
    if (!a) {
      a = { invocations: 0, errors: 0, buckets: new Map(), inflight: 0, asyncAccepted: 0 };
      byFn.set(fn, a);
    }
    return a;
  };
  for (const s of histogram) {
    const fn = String(s.labels['function_name'] ?? '');
    if (s.metricName?.endsWith('_count')) {
      const a = acc(fn);
      a.invocations += s.value;
      if (Number(s.labels['code']) >= 400) a.errors += s.value;
    } else if (s.metricName?.endsWith('_bucket')) {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      const a = acc(fn);
      a.buckets.set(le, (a.buckets.get(le) ?? 0) + s.value);
    }
  }
  for (const s of inflight) acc(String(s.labels['function_name'] ?? '')).inflight += s.value;
  for (const s of accepted) acc(String(s.labels['function_name'] ?? '')).asyncAccepted += s.value;
  return [...byFn]
    .map(([fn, a]) => {
      const buckets = [...a.buckets].map(([le, count]) => ({ le, count }));
      const p50 = quantile(0.5, buckets);
      const p99 = quantile(0.99, buckets);
      return {
        fn,
        invocations: a.invocations,
        errors: a.errors,
        errorRate: a.invocations === 0 ? 0 : a.errors / a.invocations,
        inflight: a.inflight,
        asyncAccepted: a.asyncAccepted,
        ...(p50 !== undefined ? { p50Seconds: p50 } : {}),
        ...(p99 !== undefined ? { p99Seconds: p99 } : {}),
      };
    })
    .sort((x, y) => x.fn.localeCompare(y.fn));
}

/** Reads the gateway metrics the dashboard needs from `registry` and summarises them per function. */
export async function readFunctionStats(registry: Registry): Promise<FunctionStats[]> {
  const samples = async (name: string): Promise<Sample[]> => ((await registry.getSingleMetric(name)?.get())?.values ?? []) as Sample[];
  const [histogram, inflight, accepted] = await Promise.all([
    samples('gateway_functions_seconds'),
    samples('gateway_function_invocation_inflight'),
    samples('gateway_async_accepted_total'),
  ]);
  return functionStats(histogram, inflight, accepted);
}
