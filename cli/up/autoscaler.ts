/**
 * `kfaas up`'s autoscaler: the operator's rules on local processes. Every interval it reads the in-process
 * gateway's signals (the embedded queue's exact backlog, the sync calls in flight), decides each function's
 * replicas with the shared decision code and scales its watchdog processes. A scale-from-zero by a sync call
 * stays the gateway's (it waits for a ready replica).
 */
import type { FunctionSpec } from '../../common/function-types.js';
import type { Logger } from '../../common/logger.js';
import { createScaleDecider } from '../../common/scale-decision.js';
import { functionKey, joinSignals, NO_LOAD, type ScaleSignalsReport } from '../../common/scale-signals.js';
import { effectiveScale } from '../../common/scale-settings.js';
import { startPeriodic, type Periodic } from '../../runtime/periodic.js';

/** A local function as the autoscaler sees it. */
export interface LocalScaleTarget {
  readonly name: string;
  readonly namespace: string;
  readonly spec: FunctionSpec;
  readonly replicas: number;
}

/** What the local autoscaler reads and drives. */
export interface LocalAutoscalerOptions {
  readonly signals: () => Promise<ScaleSignalsReport>;
  readonly functions: () => Promise<readonly LocalScaleTarget[]>;
  readonly scale: (name: string, namespace: string, replicas: number) => Promise<void>;
  readonly intervalMs: number;
  readonly stabilisationMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A running local autoscaler. */
export interface LocalAutoscaler {
  /** One round now (the loop calls this; tests too). */
  round(): Promise<void>;
  close(): Promise<void>;
}

/** Creates the autoscaler; `start` begins its rounds. */
export function createLocalAutoscaler(options: LocalAutoscalerOptions, start = true): LocalAutoscaler {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const decider = createScaleDecider({ stabilisationMs: options.stabilisationMs });
  // A bad label is logged once per value, not every second.
  const warned = new Set<string>();

  async function round(): Promise<void> {
    const report = await options.signals();
    const at = now();
    const { loads } = joinSignals([report], at);
    const live = new Set<string>();
    for (const fn of await options.functions()) {
      let settings;
      try {
        settings = effectiveScale(fn.spec);
      } catch (err) {
        const message = `${fn.name}: ${(err as Error).message}`;
        if (!warned.has(message)) logger.warn('not autoscaling a function with bad scale settings', { fn: fn.name, err: (err as Error).message });
        warned.add(message);
        continue;
      }
      if (!settings) continue;
      const key = functionKey(fn.name, fn.namespace);
      live.add(key);
      const decision = decider.decide(key, settings, loads.get(key) ?? NO_LOAD, fn.replicas, at);
      if (decision.replicas === fn.replicas) continue;
      logger.info('scaled', { fn: fn.name, from: fn.replicas, to: decision.replicas, reason: decision.reason });
      await options.scale(fn.name, fn.namespace, decision.replicas);
    }
    decider.retain(live);
  }

  const periodic: Periodic | undefined = start
    ? startPeriodic(round, options.intervalMs, (err) => logger.warn('autoscaling round failed', { err }))
    : undefined;
  return { round, close: async () => periodic?.close() };
}
