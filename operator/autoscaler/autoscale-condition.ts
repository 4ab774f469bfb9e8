/**
 * Whether the operator may autoscale a Function, as the `Autoscaling` status condition says it: never without
 * scale settings, never when `spec.replicas` pins the count, never against a HorizontalPodAutoscaler.
 */
import type { Condition, FunctionResource } from '../../common/function-types.js';
import { effectiveScale, type ScaleSettings } from '../../common/scale-settings.js';

/** The condition type the autoscaler owns. */
export const AUTOSCALING_CONDITION = 'Autoscaling';

/** What the autoscaler may do with one Function. */
export type AutoscaleVerdict =
  | { readonly kind: 'off' }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string }
  | { readonly kind: 'active'; readonly settings: ScaleSettings; readonly message: string };

/** The verdict for a Function; `hpaTargeted` is true when an HPA scales its Deployment. */
export function autoscaleVerdict(fn: FunctionResource, hpaTargeted: boolean): AutoscaleVerdict {
  let settings: ScaleSettings | undefined;
  try {
    settings = effectiveScale(fn.spec);
  } catch (err) {
    return { kind: 'refused', reason: 'InvalidScaleSettings', message: (err as Error).message };
  }
  if (!settings) return { kind: 'off' };
  if (hpaTargeted) {
    return {
      kind: 'refused',
      reason: 'HorizontalPodAutoscalerPresent',
      message: `a HorizontalPodAutoscaler scales Deployment ${fn.metadata.name}; delete it or remove the scale settings (${settings.source}) so only one autoscaler owns the replicas`,
    };
  }
  if (fn.spec.replicas !== undefined) {
    return {
      kind: 'refused',
      reason: 'ReplicasSet',
      message: `spec.replicas (${fn.spec.replicas}) fixes the replica count; unset it to autoscale with ${settings.source}`,
    };
  }
  const zero = settings.zeroAfterMs === undefined ? 'never to zero' : `to zero after ${settings.zeroAfterMs / 1000}s idle`;
  return {
    kind: 'active',
    settings,
    message: `${settings.min}-${settings.max} replicas, target ${settings.target} ${settings.targetType === 'rps' ? 'rps' : 'in-flight calls'} per replica, ${zero} (${settings.source})`,
  };
}

/** The Autoscaling condition a verdict calls for (undefined for `off`), keeping the transition time of `prev`. */
export function autoscalingCondition(verdict: AutoscaleVerdict, fn: FunctionResource, prev: Condition | undefined, now: Date): Condition | undefined {
  if (verdict.kind === 'off') return undefined;
  const status = verdict.kind === 'active' ? 'True' : 'False';
  const reason = verdict.kind === 'active' ? 'Active' : verdict.reason;
  const lastTransitionTime = prev?.status === status ? prev.lastTransitionTime : now.toISOString();
  return { type: AUTOSCALING_CONDITION, status, reason, message: verdict.message, lastTransitionTime, observedGeneration: fn.metadata.generation };
}

/** True when two conditions say the same thing (transition times aside). */
export function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  return a?.status === b?.status && a?.reason === b?.reason && a?.message === b?.message && a?.observedGeneration === b?.observedGeneration;
}
