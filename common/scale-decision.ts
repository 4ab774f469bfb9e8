/**
 * The autoscaling decision, pure and shared by the operator's autoscaler and `kfaas up`'s: from a function's
 * settings, its load and what was recommended before, the replica count it should have now and why.
 *
 * - desired = ceil(load / target), clamped to [max(min, 1), max];
 * - up at once (and from zero as soon as there is any load);
 * - down only to the highest recommendation of the stabilisation window, as the HPA does, so a load that flaps
 *   never makes the replicas flap;
 * - to zero once the function has had no load for zeroAfter (when set).
 * Time is injected, so tests drive the windows without waiting.
 */
import type { ScaleSettings } from './scale-settings.js';

/** A function's load, summed over the gateways. */
export interface ScaleLoad {
  /** Async calls queued, waiting for a retry, or running (exact per function). */
  readonly backlog: number;
  /** Sync calls in flight through the gateways. */
  readonly syncInflight: number;
  /** Sync calls per second started through the gateways (recent rate). */
  readonly syncRps: number;
}

/** What the decision remembers between rounds for one function; start with `initialScaleMemory(now)`. */
export interface ScaleMemory {
  /** Recommendations of the stabilisation window, oldest first. */
  readonly recent: ReadonlyArray<{ readonly at: number; readonly replicas: number }>;
  /** The last time the function had any load (a call, a backlog). */
  readonly lastActiveAt: number;
}

/** Decision options that are the platform's, not the function's. */
export interface ScaleDecisionOptions {
  /** Scale-down waits for this long; the highest recommendation in it wins. */
  readonly stabilisationMs: number;
}

/** The default stabilisation window (the HPA's). */
export const DEFAULT_STABILISATION_MS = 60_000;

/** The outcome of one round. */
export interface ScaleDecision {
  readonly replicas: number;
  /** For the Event and the status, e.g. `backlog 412 / target 50 -> 9 replicas (max 8)`. */
  readonly reason: string;
  readonly memory: ScaleMemory;
}

/**
 * The memory of a function first seen at `now` with `current` replicas: idle time counts from now and the
 * window starts out holding `current`, so a restarted autoscaler neither drops to zero nor scales down at once.
 */
export function initialScaleMemory(now: number, current?: number): ScaleMemory {
  return { recent: current === undefined ? [] : [{ at: now, replicas: current }], lastActiveAt: now };
}

/** The memory after a round whose load is unknown (stale signals): treated as load that keeps `current`. */
export function holdScaleMemory(memory: ScaleMemory, current: number, now: number, options: ScaleDecisionOptions): ScaleMemory {
  return { recent: [...memory.recent.filter((r) => r.at >= now - options.stabilisationMs), { at: now, replicas: current }], lastActiveAt: now };
}

/** The load the target is compared with: in-flight calls (sync and async), or requests per second. */
export function loadOf(settings: Pick<ScaleSettings, 'targetType'>, load: ScaleLoad): number {
  // Under `rps` every waiting async call counts as one request of the coming second: a backlog still scales up.
  return settings.targetType === 'rps' ? load.syncRps + load.backlog : load.syncInflight + load.backlog;
}

/** Decides the replica count for `current` replicas under `load` at `now`. */
export function decideScale(
  settings: ScaleSettings,
  load: ScaleLoad,
  current: number,
  memory: ScaleMemory,
  now: number,
  options: ScaleDecisionOptions,
): ScaleDecision {
  const value = loadOf(settings, load);
  const active = value > 0;
  const lastActiveAt = active ? now : memory.lastActiveAt;
  const raw = Math.ceil(value / settings.target);
  const floor = Math.max(settings.min, 1);
  const wanted = Math.min(Math.max(raw, floor), settings.max);
  const recent = [...memory.recent.filter((r) => r.at >= now - options.stabilisationMs), { at: now, replicas: wanted }];
  const next: ScaleMemory = { recent, lastActiveAt };
  const base = describeLoad(settings, load, value);
  const bound = wanted !== raw ? (wanted === settings.max ? ` (max ${settings.max})` : ` (min ${floor})`) : '';

  if (settings.zeroAfterMs !== undefined && !active && now - lastActiveAt >= settings.zeroAfterMs) {
    const idle = formatMs(now - lastActiveAt);
    return { replicas: 0, reason: `no calls and no backlog for ${idle} (zeroAfter ${formatMs(settings.zeroAfterMs)}) -> 0 replicas`, memory: next };
  }
  // At zero a function stays there until a call or a backlog wakes it, even when first seen (an operator restart).
  if (current === 0 && !active) return { replicas: 0, reason: `no calls and no backlog -> stays at 0 replicas`, memory: next };
  if (wanted >= current) return { replicas: wanted, reason: `${base} -> ${plural(wanted)}${bound}`, memory: next };
  const held = Math.max(...recent.map((r) => r.replicas));
  if (held > wanted) {
    const window = formatMs(options.stabilisationMs);
    const replicas = Math.min(held, current);
    return { replicas, reason: `${base} -> ${plural(wanted)}${bound}; holding ${replicas} (highest in the last ${window})`, memory: next };
  }
  return { replicas: wanted, reason: `${base} -> ${plural(wanted)}${bound}`, memory: next };
}

function describeLoad(settings: ScaleSettings, load: ScaleLoad, value: number): string {
  const parts: string[] = [];
  if (load.backlog > 0) parts.push(`backlog ${load.backlog}`);
  if (settings.targetType === 'rps') {
    if (load.syncRps > 0) parts.push(`${round(load.syncRps)} rps`);
  } else if (load.syncInflight > 0) {
    parts.push(`in-flight ${load.syncInflight}`);
  }
  const what = parts.length > 0 ? parts.join(' + ') : `load ${round(value)}`;
  return `${what} / target ${settings.target}${settings.targetType === 'rps' ? ' rps' : ''}`;
}

function plural(n: number): string {
  return `${n} replica${n === 1 ? '' : 's'}`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** 90000 -> `1m30s`, 1500 -> `1.5s`: short enough for a status message. */
function formatMs(ms: number): string {
  if (ms < 60_000) return `${round(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

/** Decisions for many functions, each with its own memory, kept by key; what both autoscalers run. */
export interface ScaleDecider {
  /** Decides for `key` (its memory starts at `current` when first seen). */
  decide(key: string, settings: ScaleSettings, load: ScaleLoad, current: number, now: number): ScaleDecision;
  /** Records a round whose load is unknown (stale signals): nothing scales down or to zero on it. */
  hold(key: string, current: number, now: number): void;
  /** Forgets the keys not in `live` (deleted functions, autoscaling turned off). */
  retain(live: ReadonlySet<string>): void;
}

/** Creates a decider with the platform's options. */
export function createScaleDecider(options: ScaleDecisionOptions): ScaleDecider {
  const memories = new Map<string, ScaleMemory>();
  return {
    decide(key, settings, load, current, now) {
      const decision = decideScale(settings, load, current, memories.get(key) ?? initialScaleMemory(now, current), now, options);
      memories.set(key, decision.memory);
      return decision;
    },
    hold(key, current, now) {
      memories.set(key, holdScaleMemory(memories.get(key) ?? initialScaleMemory(now, current), current, now, options));
    },
    retain(live) {
      for (const key of memories.keys()) if (!live.has(key)) memories.delete(key);
    },
  };
}
