/**
 * The status block of a Function, computed purely from the Function and its live Deployment. Three
 * conditions, as kstatus reads them: `Ready` (all applied and available), `Reconciling` (a rollout is under
 * way) and `Stalled` (no progress without a change: bad spec, missing secret, rollout deadline).
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, FunctionResource, FunctionStatusBlock } from '../../common/function-types.js';
import { stableStringify } from '../resources/hash.js';

/** Condition types the operator writes. */
export const ConditionTypes = Object.freeze({ ready: 'Ready', reconciling: 'Reconciling', stalled: 'Stalled' });

/** How far a Deployment's rollout has come. */
export interface Rollout {
  readonly phase: 'complete' | 'progressing' | 'deadline-exceeded';
  readonly desired: number;
  readonly message: string;
}

/** Reads the rollout state of a Deployment from its status, as `kubectl rollout status` does. */
export function rolloutOf(dep: V1Deployment): Rollout {
  const desired = dep.spec?.replicas ?? 1;
  const status = dep.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { phase: 'deadline-exceeded', desired, message: progressing.message ?? 'rollout exceeded its progress deadline' };
  }
  const observed = (status.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1);
  if (!observed) return { phase: 'progressing', desired, message: 'waiting for the Deployment controller to observe the new spec' };
  if (updated < desired) return { phase: 'progressing', desired, message: `${updated} of ${desired} replicas updated` };
  if (total > updated) return { phase: 'progressing', desired, message: `${total - updated} old replicas pending termination` };
  if (available < desired) return { phase: 'progressing', desired, message: `${available} of ${desired} replicas available` };
  if (total > desired) return { phase: 'progressing', desired, message: `scaling down: ${total} replicas, ${desired} wanted` };
  return { phase: 'complete', desired, message: desired === 0 ? 'scaled to zero' : `${available} of ${desired} replicas available` };
}

function condition(type: string, status: Condition['status'], reason: string, message: string, fn: FunctionResource, now: Date): Condition {
  return { type, status, reason, message, lastTransitionTime: now.toISOString(), observedGeneration: fn.metadata.generation };
}

const OWN_TYPES: ReadonlySet<string> = new Set(Object.values(ConditionTypes));

/** True for the condition types the reconcile writes (the others belong to the autoscaler). */
export const reconcileOwnsCondition = (type: string): boolean => OWN_TYPES.has(type);

/**
 * Keeps a condition's lastTransitionTime when its status did not change, as Kubernetes conventions require, and
 * keeps the conditions other writers own (the autoscaler's): a merge patch replaces the whole list.
 */
function carryTransitionTimes(next: Condition[], prev: readonly Condition[] | undefined): Condition[] {
  const own = next.map((c) => {
    const before = prev?.find((p) => p.type === c.type);
    return before && before.status === c.status ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
  });
  return [...own, ...(prev ?? []).filter((c) => !OWN_TYPES.has(c.type))];
}

function counts(dep: V1Deployment | undefined): Pick<FunctionStatusBlock, 'replicas' | 'availableReplicas' | 'unavailableReplicas'> {
  return {
    replicas: dep?.status?.replicas ?? 0,
    availableReplicas: dep?.status?.availableReplicas ?? 0,
    unavailableReplicas: dep?.status?.unavailableReplicas ?? 0,
  };
}

/** Status after the owned objects were applied: Ready once the rollout completed. */
export function appliedStatus(fn: FunctionResource, dep: V1Deployment, now: Date): FunctionStatusBlock {
  const rollout = rolloutOf(dep);
  let conditions: Condition[];
  if (rollout.phase === 'complete') {
    const reason = rollout.desired === 0 ? 'ScaledToZero' : 'Available';
    conditions = [
      condition(ConditionTypes.ready, 'True', reason, rollout.message, fn, now),
      condition(ConditionTypes.reconciling, 'False', 'RolloutComplete', 'the Deployment is up to date', fn, now),
      condition(ConditionTypes.stalled, 'False', 'Progressing', 'no problems', fn, now),
    ];
  } else if (rollout.phase === 'deadline-exceeded') {
    conditions = [
      condition(ConditionTypes.ready, 'False', 'ProgressDeadlineExceeded', rollout.message, fn, now),
      condition(ConditionTypes.reconciling, 'False', 'ProgressDeadlineExceeded', rollout.message, fn, now),
      condition(ConditionTypes.stalled, 'True', 'ProgressDeadlineExceeded', rollout.message, fn, now),
    ];
  } else {
    conditions = [
      condition(ConditionTypes.ready, 'False', 'RolloutInProgress', rollout.message, fn, now),
      condition(ConditionTypes.reconciling, 'True', 'RolloutInProgress', rollout.message, fn, now),
      condition(ConditionTypes.stalled, 'False', 'Progressing', 'no problems', fn, now),
    ];
  }
  return {
    conditions: carryTransitionTimes(conditions, fn.status?.conditions),
    observedGeneration: fn.metadata.generation,
    ...counts(dep),
  };
}

/** Status when the operator cannot make progress without a change (bad spec, missing secret, conflict). */
export function stalledStatus(
  fn: FunctionResource,
  reason: string,
  message: string,
  dep: V1Deployment | undefined,
  now: Date,
): FunctionStatusBlock {
  const conditions = [
    condition(ConditionTypes.ready, 'False', reason, message, fn, now),
    condition(ConditionTypes.reconciling, 'False', reason, message, fn, now),
    condition(ConditionTypes.stalled, 'True', reason, message, fn, now),
  ];
  return {
    conditions: carryTransitionTimes(conditions, fn.status?.conditions),
    observedGeneration: fn.metadata.generation,
    ...counts(dep),
  };
}

function comparable(status: FunctionStatusBlock | undefined): unknown {
  if (!status) return undefined;
  // status.scale is the autoscaler's alone: the reconcile neither writes nor compares it.
  const { scale: _scale, ...rest } = status;
  return {
    ...rest,
    conditions: (status.conditions ?? [])
      .map(({ type, status: s, reason, message, observedGeneration }) => ({ type, status: s, reason, message, observedGeneration }))
      .sort((a, b) => (a.type < b.type ? -1 : 1)),
  };
}

/** True when `next` differs from `prev` in anything but transition times, so a write is needed. */
export function statusChanged(prev: FunctionStatusBlock | undefined, next: FunctionStatusBlock): boolean {
  return stableStringify(comparable(prev)) !== stableStringify(comparable(next));
}

/** The condition of a type, if present. */
export function findCondition(status: FunctionStatusBlock | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
