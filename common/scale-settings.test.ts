import { effectiveScale, perReplicaCapacity } from './scale-settings.js';

describe('scale settings', () => {
  it('means no autoscaling without spec.scale or a scale label', () => {
    expect(effectiveScale({})).toBeUndefined();
    // min/max alone are bounds for manual and from-zero scaling, as before.
    expect(effectiveScale({ labels: { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '4' } })).toBeUndefined();
  });

  it('reads spec.scale with defaults', () => {
    expect(effectiveScale({ scale: { max: 6, target: 5, zeroAfter: '2m' } })).toEqual({
      min: 1, max: 6, target: 5, targetType: 'inflight', zeroAfterMs: 120_000, source: 'spec.scale',
    });
    expect(effectiveScale({ scale: { min: 30 } })).toMatchObject({ min: 30, max: 30 });
  });

  it('turns on from OpenFaaS labels, with their defaults', () => {
    expect(effectiveScale({ labels: { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.max': '8' } })).toEqual({
      min: 1, max: 8, target: 50, targetType: 'rps', zeroAfterMs: 900_000, source: 'labels',
    });
    expect(effectiveScale({ labels: { 'com.openfaas.scale.type': 'capacity', 'com.openfaas.scale.target': '4' } })).toMatchObject({
      targetType: 'inflight', target: 4, zeroAfterMs: undefined,
    });
  });

  it.each([
    [{ scale: { min: 5, max: 2 } }, 'spec.scale.min: must not exceed max (2), got 5'],
    [{ scale: { target: 0 } }, 'spec.scale.target: must be a whole number >= 1, got 0'],
    [{ scale: { zeroAfter: 'soon' } }, 'spec.scale.zeroAfter: invalid duration'],
    [{ scale: { targetType: 'cpu' as never } }, 'spec.scale.targetType: must be one of inflight, rps, got "cpu"'],
    [{ labels: { 'com.openfaas.scale.type': 'cpu' } }, 'labels.com.openfaas.scale.type: must be capacity, inflight or rps'],
    [{ labels: { 'com.openfaas.scale.target': 'x' } }, 'labels.com.openfaas.scale.target: must be a whole number, got "x"'],
    [{ labels: { 'com.openfaas.scale.zero': 'yes' } }, 'labels.com.openfaas.scale.zero: must be true or false'],
  ])('refuses bad settings with the field named (%j)', (spec, message) => {
    expect(() => effectiveScale(spec)).toThrow(message);
  });

  it('takes per-replica capacity from max_inflight, else an inflight target', () => {
    expect(perReplicaCapacity({ environment: { max_inflight: '3' }, scale: { target: 9 } })).toBe(3);
    expect(perReplicaCapacity({ scale: { target: 9 } })).toBe(9);
    expect(perReplicaCapacity({ scale: { target: 9, targetType: 'rps' } })).toBeUndefined();
    expect(perReplicaCapacity({ scale: { min: 5, max: 1 } })).toBeUndefined();
    expect(perReplicaCapacity({})).toBeUndefined();
  });
});
