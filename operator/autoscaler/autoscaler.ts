/**
 * The leader's autoscaler: every interval it reads the load signals of every gateway replica, joins them, and
 * for each Function with scale settings decides its replicas (common/scale-decision.ts) and sets them through
 * the Deployment's scale subresource. Each change gets an Event and `status.scale` with the reason; whether
 * the Function is autoscaled at all is its `Autoscaling` condition. Rounds never overlap.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, FunctionResource, ScaleStatus } from '../../common/function-types.js';
import type { Logger } from '../../common/logger.js';
import { createScaleDecider } from '../../common/scale-decision.js';
import { functionKey as loadKey, joinSignals, MAX_SIGNAL_AGE_MS, NO_LOAD, type ScaleSignalsReport } from '../../common/scale-signals.js';
import { startPeriodic, type Periodic } from '../../runtime/periodic.js';
import type { EventRecorder } from '../reconciler/ports.js';
import { functionNamespace } from '../resources/names.js';
import { AUTOSCALING_CONDITION, autoscaleVerdict, autoscalingCondition, sameCondition } from './autoscale-condition.js';

/** What the autoscaler reads and writes; kube/autoscale-ports.ts implements it on the API. */
export interface AutoscalerPorts {
  /** Functions in the informer cache. */
  functions(): FunctionResource[];
  /** A Function's Deployment from the informer cache. */
  deployment(namespace: string, name: string): V1Deployment | undefined;
  /** One report per gateway replica that answered. */
  signals(signal: AbortSignal): Promise<ScaleSignalsReport[]>;
  /** `namespace/name` of every Deployment an HPA targets. */
  hpaTargets(signal: AbortSignal): Promise<ReadonlySet<string>>;
  /** Sets a Deployment's replicas through its scale subresource. */
  scale(namespace: string, name: string, replicas: number, signal: AbortSignal): Promise<void>;
  /** Merge-patches the Function's status with these fields. */
  patchStatus(fn: FunctionResource, status: { conditions: Condition[]; scale?: ScaleStatus }, signal: AbortSignal): Promise<void>;
  readonly events: EventRecorder;
}

/** Options of the autoscaler. */
export interface AutoscalerOptions {
  readonly ports: AutoscalerPorts;
  readonly intervalMs: number;
  readonly stabilisationMs: number;
  readonly hpaRecheckMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A running autoscaler. */
export interface Autoscaler {
  /** One round now (the loop calls this; tests too). */
  round(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

// The Deployment cache may not show a scale just made; the value set is trusted this long.
const OWN_WRITE_TRUST_MS = 5_000;

/** Creates the autoscaler; nothing runs until start(). */
export function createAutoscaler(options: AutoscalerOptions): Autoscaler {
  const { ports, logger } = options;
  const now = options.now ?? Date.now;
  const decider = createScaleDecider({ stabilisationMs: options.stabilisationMs });
  const written = new Map<string, { replicas: number; at: number }>();
  // Conditions written lately: trusted over the cache until it catches up; after that the cache decides, so a
  // condition dropped by another writer (a reconcile patching from a stale cache) is written again.
  const conditions = new Map<string, { condition: Condition; at: number }>();
  let hpas: { at: number; targets: ReadonlySet<string> } | undefined;
  const abort = new AbortController();
  let periodic: Periodic | undefined;
  let closed = false;

  async function hpaTargets(at: number): Promise<ReadonlySet<string>> {
    if (!hpas || at - hpas.at >= options.hpaRecheckMs) hpas = { at, targets: await ports.hpaTargets(abort.signal) };
    return hpas.targets;
  }

  function currentReplicas(key: string, dep: V1Deployment, at: number): number {
    const cached = dep.spec?.replicas ?? 1;
    const own = written.get(key);
    return own && own.replicas !== cached && at - own.at < OWN_WRITE_TRUST_MS ? own.replicas : cached;
  }

  async function writeCondition(fn: FunctionResource, key: string, next: Condition | undefined, at: number, scale?: ScaleStatus): Promise<void> {
    const cached = fn.status?.conditions?.find((c) => c.type === AUTOSCALING_CONDITION);
    const own = conditions.get(key);
    const known = own && at - own.at < OWN_WRITE_TRUST_MS ? own.condition : cached;
    if (!scale && (next ? sameCondition(known, next) : known === undefined)) return;
    const others = (fn.status?.conditions ?? []).filter((c) => c.type !== AUTOSCALING_CONDITION);
    await ports.patchStatus(fn, { conditions: next ? [...others, next] : others, ...(scale ? { scale } : {}) }, abort.signal);
    if (next) conditions.set(key, { condition: next, at });
    else conditions.delete(key);
  }

  async function scaleOne(
    fn: FunctionResource,
    targets: ReadonlySet<string>,
    loads: ReturnType<typeof joinSignals>,
    at: number,
    live: Set<string>,
  ): Promise<void> {
    const namespace = functionNamespace(fn);
    const name = fn.metadata.name;
    const key = `${namespace}/${name}`;
    const verdict = autoscaleVerdict(fn, targets.has(key));
    const prev = conditions.get(key)?.condition ?? fn.status?.conditions?.find((c) => c.type === AUTOSCALING_CONDITION);
    const condition = autoscalingCondition(verdict, fn, prev, new Date(at));
    if (verdict.kind !== 'active') {
      // A condition left from earlier settings is removed once the Function has none.
      await writeCondition(fn, key, condition, at);
      return;
    }
    const dep = ports.deployment(namespace, name);
    if (!dep) return;
    const current = currentReplicas(key, dep, at);
    live.add(key);
    if (loads.ageMs > MAX_SIGNAL_AGE_MS) {
      // Unknown load counts as load that keeps the replicas: nothing scales down or to zero on signals older
      // than the bound.
      decider.hold(key, current, at);
      await writeCondition(fn, key, condition, at);
      return;
    }
    const decision = decider.decide(key, verdict.settings, loads.loads.get(loadKey(name, namespace)) ?? NO_LOAD, current, at);
    if (decision.replicas === current) {
      await writeCondition(fn, key, condition, at);
      return;
    }
    await ports.scale(namespace, name, decision.replicas, abort.signal);
    written.set(key, { replicas: decision.replicas, at });
    logger.info('scaled', { function: key, from: current, to: decision.replicas, reason: decision.reason });
    ports.events.record(fn, 'Normal', 'Scaled', `${current} -> ${decision.replicas} replicas: ${decision.reason}`);
    await writeCondition(fn, key, condition, at, { desiredReplicas: decision.replicas, reason: decision.reason, lastScaleTime: new Date(at).toISOString() });
  }

  async function round(): Promise<void> {
    const reports = await ports.signals(abort.signal);
    const at = now();
    const loads = joinSignals(reports, at);
    const targets = await hpaTargets(at);
    const seen = new Set<string>();
    const live = new Set<string>();
    for (const fn of ports.functions()) {
      if (closed) return;
      if (fn.metadata.deletionTimestamp) continue;
      seen.add(`${functionNamespace(fn)}/${fn.metadata.name}`);
      try {
        await scaleOne(fn, targets, loads, at, live);
      } catch (err) {
        logger.warn('autoscaling a function failed', { function: `${functionNamespace(fn)}/${fn.metadata.name}`, err });
      }
    }
    decider.retain(live);
    for (const map of [written, conditions]) for (const key of map.keys()) if (!seen.has(key)) map.delete(key);
  }

  return {
    round,
    start() {
      periodic ??= startPeriodic(round, options.intervalMs, (err) => logger.warn('autoscaling round failed', { err }));
    },
    async close() {
      closed = true;
      abort.abort();
      await periodic?.close();
    },
  };
}
