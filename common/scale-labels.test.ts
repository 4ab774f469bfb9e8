import { initialReplicas, pinnedReplicas, scaleBounds, scaleFromZeroReplicas } from './scale-labels.js';

describe('scale labels', () => {
  it('reads min and max, ignoring values that are not whole numbers', () => {
    expect(scaleBounds({ 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '5' })).toEqual({ min: 2, max: 5 });
    expect(scaleBounds({ 'com.openfaas.scale.min': 'two' })).toEqual({ min: undefined, max: undefined });
    expect(scaleBounds(undefined)).toEqual({ min: undefined, max: undefined });
  });

  it('starts a function at replicas, else scale.min, else 1', () => {
    expect(initialReplicas({ replicas: 0, labels: { 'com.openfaas.scale.min': '3' } })).toBe(0);
    expect(initialReplicas({ labels: { 'com.openfaas.scale.min': '3' } })).toBe(3);
    expect(initialReplicas({})).toBe(1);
  });

  it('scales from zero to max(1, scale.min)', () => {
    expect(scaleFromZeroReplicas({ 'com.openfaas.scale.min': '0' })).toBe(1);
    expect(scaleFromZeroReplicas({ 'com.openfaas.scale.min': '3' })).toBe(3);
    expect(scaleFromZeroReplicas(undefined)).toBe(1);
  });

  it('pins a function when min equals max', () => {
    expect(pinnedReplicas({ 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '2' })).toBe(2);
    expect(pinnedReplicas({ 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '4' })).toBeUndefined();
    expect(pinnedReplicas({ 'com.openfaas.scale.min': '2' })).toBeUndefined();
  });
});
