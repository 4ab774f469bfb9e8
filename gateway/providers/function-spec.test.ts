import type { FunctionDeployment } from '../../common/function-types.js';
import { deploymentToSpec, specToStatus } from './function-spec.js';

const base: FunctionDeployment = { service: 'fn', image: 'img:1' };

describe('deploymentToSpec', () => {
  it('maps the OpenFaaS fields onto the Function spec', () => {
    expect(
      deploymentToSpec({
        service: 'fn',
        image: 'img:1',
        envProcess: 'python index.py',
        envVars: { A: '1', read_timeout: '10s', write_timeout: '11s', exec_timeout: '9s', mode: 'http', fprocess: 'ignored' },
        labels: { team: 'a' },
        annotations: { 'com.openfaas.queue': 'slow', 'com.openfaas.retry.attempts': '5', 'com.openfaas.retry.min_wait': '2s', 'kfaas.dev/max-event-age': '1h' },
        secrets: ['db'],
        constraints: ['disk=ssd'],
        limits: { memory: '128Mi', cpu: '' },
        requests: { cpu: '100m' },
        readOnlyRootFilesystem: true,
      }),
    ).toEqual({
      name: 'fn',
      image: 'img:1',
      handler: 'python index.py',
      mode: 'http',
      environment: { A: '1' },
      labels: { team: 'a', faas_function: 'fn' },
      annotations: { 'com.openfaas.queue': 'slow', 'com.openfaas.retry.attempts': '5', 'com.openfaas.retry.min_wait': '2s', 'kfaas.dev/max-event-age': '1h' },
      secrets: ['db'],
      constraints: ['disk=ssd'],
      limits: { memory: '128Mi' },
      requests: { cpu: '100m' },
      readOnlyRootFilesystem: true,
      timeouts: { read: '10s', write: '11s', exec: '9s' },
      queue: 'slow',
      retry: { maxAttempts: 5, minBackoff: '2s' },
      maxEventAge: '1h',
    });
  });

  it('takes fprocess from envVars when envProcess is absent, and keeps the live replica count on update', () => {
    expect(deploymentToSpec({ ...base, envVars: { fprocess: 'cat' } }, { name: 'fn', image: 'old', replicas: 4 })).toEqual({
      name: 'fn',
      image: 'img:1',
      handler: 'cat',
      labels: { faas_function: 'fn' },
      replicas: 4,
    });
  });

  it.each([
    [{ ...base, service: 'Bad' }, 'INVALID_NAME', /^service: must be a DNS-1123 label/],
    [{ ...base, service: 'x'.repeat(64) }, 'INVALID_NAME', /at most 63 characters/],
    [{ ...base, image: ' ' }, 'INVALID_FIELD', /^image: must not be empty/],
    [{ ...base, envVars: { read_timeout: 'soon' } }, 'INVALID_FIELD', /^envVars\.read_timeout: invalid duration "soon"/],
    [{ ...base, envVars: { mode: 'static' } }, 'INVALID_FIELD', /^envVars\.mode: must be one of fork, http, serializing, streaming/],
    [{ ...base, requests: { cpu: 'fast' } }, 'INVALID_FIELD', /^requests\.cpu: "fast" is not a Kubernetes quantity/],
    [{ ...base, constraints: ['a=b=c'] }, 'INVALID_FIELD', /^constraints:/],
    [{ ...base, annotations: { 'com.openfaas.queue': 'Bad Queue' } }, 'INVALID_FIELD', /com\.openfaas\.queue: queue name "Bad Queue"/],
    [{ ...base, annotations: { 'com.openfaas.retry.attempts': '0' } }, 'INVALID_FIELD', /^annotations\.com\.openfaas\.retry\.attempts: must be an integer >= 1/],
    [{ ...base, annotations: { 'com.openfaas.retry.min_wait': '10s', 'com.openfaas.retry.max_wait': '1s' } }, 'INVALID_FIELD', /^annotations\.com\.openfaas\.retry\.max_wait: must not be below/],
    [{ ...base, annotations: { 'kfaas.dev/max-event-age': 'forever' } }, 'INVALID_FIELD', /kfaas\.dev\/max-event-age: invalid duration/],
  ])('rejects %j with %s', (d, code, message) => {
    expect(() => deploymentToSpec(d)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });
});

describe('specToStatus', () => {
  it('always has labels and annotations objects, omits empty envVars and hides platform variables', () => {
    const status = specToStatus(
      { name: 'fn', image: 'img', environment: { exec_timeout: '5s', fprocess: 'cat' } },
      { namespace: 'ns', replicas: 2, availableReplicas: 1, createdAt: new Date('2024-01-02T03:04:05Z') },
    );
    expect(status).toEqual({
      name: 'fn',
      image: 'img',
      namespace: 'ns',
      labels: { faas_function: 'fn' },
      annotations: {},
      invocationCount: 0,
      replicas: 2,
      availableReplicas: 1,
      createdAt: '2024-01-02T03:04:05.000Z',
    });
  });

  it('carries the per-replica capacity (kfaas only) from max_inflight or an inflight scale target, else none', () => {
    const facts = { namespace: 'ns', replicas: 1, availableReplicas: 1 };
    expect(specToStatus({ name: 'fn', image: 'img', environment: { max_inflight: '4' } }, facts).replicaCapacity).toBe(4);
    expect(specToStatus({ name: 'fn', image: 'img', scale: { target: 7, targetType: 'inflight' } }, facts).replicaCapacity).toBe(7);
    expect(specToStatus({ name: 'fn', image: 'img', scale: { target: 7, targetType: 'rps' } }, facts)).not.toHaveProperty('replicaCapacity');
  });

  it('round-trips a deployment', () => {
    const d: FunctionDeployment = { service: 'fn', image: 'img', envProcess: 'cat', envVars: { A: '1' }, annotations: { x: 'y' }, secrets: ['s'] };
    expect(specToStatus(deploymentToSpec(d), { namespace: 'ns', replicas: 1, availableReplicas: 0 })).toMatchObject({
      name: 'fn',
      envProcess: 'cat',
      envVars: { A: '1' },
      annotations: { x: 'y' },
      secrets: ['s'],
      labels: { faas_function: 'fn' },
    });
  });
});
