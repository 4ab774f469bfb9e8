/**
 * `GET /system/scale-signals`: this gateway's load signals for the autoscalers (the operator's, `kfaas up`'s).
 * The sync counters are the metrics' plain per-function numbers, so the hot path pays nothing extra; the rate
 * is worked out here, at read time, from snapshots of the started counts no more than a few seconds old.
 */
import type { RequestHandler } from 'express';
import type { CallStatusReader } from '../../../common/call-status.js';
import type { FunctionSignals, ScaleSignalsReport } from '../../../common/scale-signals.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';

/** The rate is measured over at most this long. */
const RATE_WINDOW_MS = 10_000;
/** A new snapshot of the started counts is kept at most this often. */
const SNAPSHOT_EVERY_MS = 1_000;

/** What the handler reads. */
export interface ScaleSignalsDeps {
  readonly metrics: Pick<GatewayMetrics, 'syncCalls'>;
  readonly callStatus?: Pick<CallStatusReader, 'backlog'> | undefined;
  /** Injected for tests. */
  readonly now?: () => number;
}

interface Snapshot {
  readonly at: number;
  readonly started: ReadonlyMap<string, number>;
}

/** Builds this gateway's report; exported for the local provider, which reads it in process. */
export function createScaleSignalsReader(deps: ScaleSignalsDeps): () => Promise<ScaleSignalsReport> {
  const now = deps.now ?? Date.now;
  // The first snapshot is an empty one at start, so the first read already has a rate.
  const snapshots: Snapshot[] = [{ at: now(), started: new Map() }];
  return async () => {
    const [backlog, calls] = await Promise.all([deps.callStatus?.backlog(), deps.metrics.syncCalls()]);
    const at = now();
    while (snapshots.length > 1 && snapshots[1]!.at <= at - RATE_WINDOW_MS) snapshots.shift();
    const base = snapshots[0]!;
    const seconds = Math.max((at - base.at) / 1000, 0.001);
    const byKey = new Map<string, FunctionSignals>();
    const signal = (name: string, namespace: string): FunctionSignals => {
      const key = `${name}.${namespace}`;
      return byKey.get(key) ?? { name, namespace, queued: 0, running: 0, retrying: 0, syncInflight: 0, syncRps: 0 };
    };
    for (const [key, c] of calls) {
      const dot = key.indexOf('.');
      const s = signal(key.slice(0, dot), key.slice(dot + 1));
      const rps = Math.round(((c.started - (base.started.get(key) ?? 0)) / seconds) * 10) / 10;
      byKey.set(key, { ...s, syncInflight: c.inflight, syncRps: rps });
    }
    for (const b of backlog?.functions ?? []) {
      byKey.set(`${b.function}.${b.namespace}`, { ...signal(b.function, b.namespace), queued: b.queued, running: b.running, retrying: b.retrying });
    }
    if (at - snapshots[snapshots.length - 1]!.at >= SNAPSHOT_EVERY_MS) {
      snapshots.push({ at, started: new Map([...calls].map(([key, c]) => [key, c.started])) });
    }
    // Functions with nothing going on are left out: the report stays small with thousands of idle functions.
    const functions = [...byKey.values()].filter((f) => f.queued + f.running + f.retrying + f.syncInflight + f.syncRps > 0);
    return { at, backlogLagMs: backlog?.lagMs ?? 0, hasBacklog: backlog !== undefined, functions };
  };
}

/** Creates the handler. */
export function createScaleSignalsHandler(deps: ScaleSignalsDeps): RequestHandler {
  const read = createScaleSignalsReader(deps);
  return async (_req, res) => {
    res.status(200).json(await read());
  };
}
