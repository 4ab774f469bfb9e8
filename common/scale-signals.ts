/**
 * The load signals a gateway reports for autoscaling (GET /system/scale-signals), and the pure rule that joins
 * the reports of several gateways into one load per function: sync in-flight calls and rates add up over the
 * gateways; the async backlog is the same queue seen by each, so the freshest report's is taken.
 */
import type { ScaleLoad } from './scale-decision.js';

/** The gateway path that serves the signals (system auth). */
export const SCALE_SIGNALS_PATH = '/system/scale-signals';

/** Signals are not trusted for scaling down once older than this (the bound on their staleness). */
export const MAX_SIGNAL_AGE_MS = 2_000;

/** One function's signals as one gateway sees them. */
export interface FunctionSignals {
  readonly name: string;
  readonly namespace: string;
  /** Async calls waiting in the queue. */
  readonly queued: number;
  /** Async calls a worker is running. */
  readonly running: number;
  /** Async calls waiting for a retry. */
  readonly retrying: number;
  /** Sync calls in flight through this gateway. */
  readonly syncInflight: number;
  /** Sync calls per second started through this gateway, over its last few seconds. */
  readonly syncRps: number;
}

/** One gateway's report. */
export interface ScaleSignalsReport {
  /** When the report was made (epoch ms, the gateway's clock). */
  readonly at: number;
  /** How far behind the queue the backlog may be, in ms (the status view's delay; 0 for the embedded queue). */
  readonly backlogLagMs: number;
  /** False when the gateway has no queue and so no backlog to report. */
  readonly hasBacklog: boolean;
  readonly functions: readonly FunctionSignals[];
}

/** The key a function's load is filed under. */
export function functionKey(name: string, namespace: string): string {
  return `${name}.${namespace}`;
}

/** The joined load per function key, and the age of the freshest backlog used. */
export interface JoinedSignals {
  readonly loads: ReadonlyMap<string, ScaleLoad>;
  /** Age in ms of the data behind the loads (report age plus the backlog's lag); Infinity with no report. */
  readonly ageMs: number;
}

/** Joins the reports of every gateway replica, as seen at `now`. */
export function joinSignals(reports: readonly ScaleSignalsReport[], now: number): JoinedSignals {
  const loads = new Map<string, { backlog: number; syncInflight: number; syncRps: number }>();
  const entry = (key: string) => {
    let l = loads.get(key);
    if (!l) loads.set(key, (l = { backlog: 0, syncInflight: 0, syncRps: 0 }));
    return l;
  };
  for (const report of reports) {
    for (const f of report.functions) {
      const l = entry(functionKey(f.name, f.namespace));
      l.syncInflight += f.syncInflight;
      l.syncRps += f.syncRps;
    }
  }
  const withBacklog = reports.filter((r) => r.hasBacklog);
  const freshest = withBacklog.reduce<ScaleSignalsReport | undefined>((best, r) => (!best || r.at - r.backlogLagMs > best.at - best.backlogLagMs ? r : best), undefined);
  for (const f of freshest?.functions ?? []) entry(functionKey(f.name, f.namespace)).backlog = f.queued + f.running + f.retrying;
  const newest = freshest ?? reports.reduce<ScaleSignalsReport | undefined>((best, r) => (!best || r.at > best.at ? r : best), undefined);
  const ageMs = newest ? Math.max(0, now - newest.at) + newest.backlogLagMs : Infinity;
  return { loads, ageMs };
}

/** The load of a function no gateway reported: none. */
export const NO_LOAD: ScaleLoad = Object.freeze({ backlog: 0, syncInflight: 0, syncRps: 0 });
