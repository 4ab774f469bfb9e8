import { isMarkedFunctionNamespace, withMarker } from './namespace-marker.js';

describe('the function namespace marker (openfaas: "1")', () => {
  it('is read from a label or an annotation, with the exact value "1"', () => {
    expect(isMarkedFunctionNamespace({ labels: { openfaas: '1' } })).toBe(true);
    expect(isMarkedFunctionNamespace({ annotations: { openfaas: '1' } })).toBe(true);
    expect(isMarkedFunctionNamespace({ labels: { openfaas: 'true' }, annotations: { other: '1' } })).toBe(false);
    expect(isMarkedFunctionNamespace({})).toBe(false);
  });

  it('is put back on labels that drop or change it, keeping the others', () => {
    expect(withMarker({ team: 'a', openfaas: '0' })).toEqual({ team: 'a', openfaas: '1' });
    expect(withMarker({})).toEqual({ openfaas: '1' });
  });
});
