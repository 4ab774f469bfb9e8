import { aFunction, withLabel } from '../testing/fixtures.js';
import { autoscaleVerdict, autoscalingCondition } from './autoscale-condition.js';

describe('autoscale verdict', () => {
  it('is off without settings, active with spec.scale or the OpenFaaS labels', () => {
    expect(autoscaleVerdict(aFunction(), false)).toEqual({ kind: 'off' });
    expect(autoscaleVerdict(aFunction({ scale: { max: 6, target: 5, zeroAfter: '2m' } }), false)).toMatchObject({
      kind: 'active',
      message: '1-6 replicas, target 5 in-flight calls per replica, to zero after 120s idle (spec.scale)',
    });
    expect(autoscaleVerdict(aFunction({}, withLabel('com.openfaas.scale.target', '20')), false)).toMatchObject({ kind: 'active' });
  });

  it('refuses an HPA first, then spec.replicas, then bad settings', () => {
    const fn = aFunction({ replicas: 2, scale: { target: 5 } });
    expect(autoscaleVerdict(fn, true)).toMatchObject({ kind: 'refused', reason: 'HorizontalPodAutoscalerPresent' });
    expect(autoscaleVerdict(fn, false)).toMatchObject({ kind: 'refused', reason: 'ReplicasSet' });
    expect(autoscaleVerdict(aFunction({}, withLabel('com.openfaas.scale.type', 'cpu')), false)).toMatchObject({
      kind: 'refused',
      reason: 'InvalidScaleSettings',
    });
  });

  it('keeps the transition time while the status holds', () => {
    const fn = aFunction({ scale: { target: 5 } });
    const verdict = autoscaleVerdict(fn, false);
    const first = autoscalingCondition(verdict, fn, undefined, new Date('2026-01-01T00:00:00Z'))!;
    expect(autoscalingCondition(verdict, fn, first, new Date('2026-02-01T00:00:00Z'))!.lastTransitionTime).toBe('2026-01-01T00:00:00.000Z');
    expect(autoscalingCondition(autoscaleVerdict(fn, true), fn, first, new Date('2026-02-01T00:00:00Z'))).toMatchObject({
      status: 'False',
      lastTransitionTime: '2026-02-01T00:00:00.000Z',
    });
  });
});
