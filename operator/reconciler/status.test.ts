import type { V1Deployment } from '@kubernetes/client-node';
import { aFunction } from '../testing/fixtures.js';
import { appliedStatus, rolloutOf, stalledStatus, statusChanged } from './status.js';

function dep(spec: number, status: V1Deployment['status'], generation = 1): V1Deployment {
  return { metadata: { generation }, spec: { replicas: spec, selector: {}, template: {} }, status };
}

describe('rolloutOf', () => {
  it.each([
    ['not observed yet', dep(1, {}), 'progressing', 'waiting for the Deployment controller'],
    ['old generation observed', dep(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 2), 'progressing', 'waiting'],
    ['not updated', dep(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }), 'progressing', '1 of 2 replicas updated'],
    ['old pods left', dep(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), 'progressing', '1 old replicas pending'],
    ['unavailable', dep(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), 'progressing', '1 of 2 replicas available'],
    ['complete', dep(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), 'complete', '2 of 2 replicas available'],
    ['scaled to zero', dep(0, { observedGeneration: 1 }), 'complete', 'scaled to zero'],
    ['scaling down', dep(0, { observedGeneration: 1, replicas: 4, updatedReplicas: 4 }), 'progressing', 'scaling down: 4 replicas, 0 wanted'],
    [
      'deadline exceeded',
      dep(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' }] }),
      'deadline-exceeded',
      'too slow',
    ],
  ])('%s', (_label, d, phase, message) => {
    const rollout = rolloutOf(d);
    expect(rollout.phase).toBe(phase);
    expect(rollout.message).toContain(message);
  });
});

describe('status blocks', () => {
  const t0 = new Date('2030-01-01T00:00:00Z');
  const t1 = new Date('2030-01-01T00:05:00Z');

  it('keeps transition times of unchanged conditions and moves changed ones', () => {
    const fn = aFunction();
    const first = stalledStatus(fn, 'SecretNotFound', 'm', undefined, t0);
    const again = stalledStatus({ ...fn, status: first }, 'SecretNotFound', 'm2', undefined, t1);
    expect(again.conditions!.map((c) => c.lastTransitionTime)).toEqual([t0.toISOString(), t0.toISOString(), t0.toISOString()]);
    const ready = appliedStatus({ ...fn, status: again }, dep(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), t1);
    expect(ready.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'Available', message: '1 of 1 replicas available', lastTransitionTime: t1.toISOString(), observedGeneration: 1 },
      { type: 'Reconciling', status: 'False', reason: 'RolloutComplete', message: 'the Deployment is up to date', lastTransitionTime: t0.toISOString(), observedGeneration: 1 },
      { type: 'Stalled', status: 'False', reason: 'Progressing', message: 'no problems', lastTransitionTime: t1.toISOString(), observedGeneration: 1 },
    ]);
    expect(ready).toMatchObject({ observedGeneration: 1, replicas: 1, availableReplicas: 1, unavailableReplicas: 0 });
  });

  it('statusChanged ignores transition times and key order only', () => {
    const fn = aFunction();
    const a = stalledStatus(fn, 'X', 'm', undefined, t0);
    const b = stalledStatus(fn, 'X', 'm', undefined, t1);
    expect(statusChanged(a, b)).toBe(false);
    expect(statusChanged(a, stalledStatus(fn, 'X', 'other', undefined, t0))).toBe(true);
    expect(statusChanged(undefined, a)).toBe(true);
    const reordered = { replicas: a.replicas, conditions: [...a.conditions!].reverse(), unavailableReplicas: 0, availableReplicas: 0, observedGeneration: 1 };
    expect(statusChanged(reordered, a)).toBe(false);
  });
});

describe('the autoscaler\'s part of the status', () => {
  it('is kept by a reconcile and never makes it write again', () => {
    const autoscaling = { type: 'Autoscaling', status: 'True' as const, reason: 'Active', message: '1-6 replicas', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const scale = { desiredReplicas: 6, reason: 'backlog 412 / target 5 -> 6 replicas (max 6)', lastScaleTime: '2026-01-01T00:00:00Z' };
    const done = dep(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    const fn = aFunction();
    const first = appliedStatus(fn, done, new Date('2026-01-01T00:00:00Z'));
    const withScaler = { ...fn, status: { ...first, conditions: [...first.conditions!, autoscaling], scale } };
    const next = appliedStatus(withScaler, done, new Date('2026-01-02T00:00:00Z'));
    expect(next.conditions).toContainEqual(autoscaling);
    expect(statusChanged(withScaler.status, next)).toBe(false);
    expect(stalledStatus(withScaler, 'InvalidSpec', 'bad', done, new Date()).conditions).toContainEqual(autoscaling);
  });
});
