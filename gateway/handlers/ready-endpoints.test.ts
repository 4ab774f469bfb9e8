import { KfaasError } from '../../common/errors.js';
import type { FunctionStatus } from '../../common/function-types.js';
import type { ResolvedFunction } from '../ports.js';
import { createReadyEndpoints } from './ready-endpoints.js';

const policy = {} as ResolvedFunction['policy'];
const status = (replicas: number): FunctionStatus =>
  ({ name: 'fn', namespace: 'ns', image: 'i', labels: {}, annotations: {}, invocationCount: 0, replicas, availableReplicas: 0 });

describe('ready endpoints', () => {
  it('scales a function at zero, then waits for an endpoint', async () => {
    let endpoints: string[] = [];
    const scaled: number[] = [];
    const ready = createReadyEndpoints({
      resolver: { resolve: async () => ({ name: 'fn', namespace: 'ns', endpoints, policy }) },
      functions: {
        get: async () => status(0),
        scale: async (_n, _ns, replicas) => {
          scaled.push(replicas);
          setTimeout(() => (endpoints = ['http://198.18.0.1:8080']), 20);
        },
      },
      timeoutMs: 5_000,
      pollMs: 5,
    });
    expect((await ready({ name: 'fn', namespace: 'ns', endpoints: [], policy })).endpoints).toEqual(['http://198.18.0.1:8080']);
    expect(scaled).toEqual([1]);
  });

  it('leaves an autoscaled function (scale refused with 409) to its autoscaler and still waits', async () => {
    let endpoints: string[] = [];
    const ready = createReadyEndpoints({
      resolver: { resolve: async () => ({ name: 'fn', namespace: 'ns', endpoints, policy }) },
      functions: {
        get: async () => status(0),
        scale: async () => {
          // The autoscaler sees the waiting call in flight and wakes the function.
          setTimeout(() => (endpoints = ['http://198.18.0.1:8080']), 20);
          throw new KfaasError('CONFLICT', 'function fn.ns is autoscaled by the operator');
        },
      },
      timeoutMs: 5_000,
      pollMs: 5,
    });
    expect((await ready({ name: 'fn', namespace: 'ns', endpoints: [], policy })).endpoints).toEqual(['http://198.18.0.1:8080']);
  });

  it('fails the call on any other scale error', async () => {
    const ready = createReadyEndpoints({
      resolver: { resolve: async () => ({ name: 'fn', namespace: 'ns', endpoints: [], policy }) },
      functions: { get: async () => status(0), scale: async () => Promise.reject(new KfaasError('UNAVAILABLE', 'apiserver down')) },
      timeoutMs: 5_000,
    });
    await expect(ready({ name: 'fn', namespace: 'ns', endpoints: [], policy })).rejects.toThrow('apiserver down');
  });
});
