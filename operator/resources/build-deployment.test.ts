import type { V1Deployment } from '@kubernetes/client-node';
import { aFunction, withAnnotation, withEnv, withLabel, withSecrets } from '../testing/fixtures.js';
import { buildDeployment, terminationGracePeriodSeconds } from './build-deployment.js';
import { specHash } from './hash.js';
import { SPEC_HASH_ANNOTATION } from './names.js';

function withoutHash(d: V1Deployment): V1Deployment {
  const copy = structuredClone(d);
  delete copy.metadata!.annotations![SPEC_HASH_ANNOTATION];
  return copy;
}

const probeTimings = { initialDelaySeconds: 2, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 };
const livenessTimings = { initialDelaySeconds: 3, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };

describe('buildDeployment', () => {
  it('builds the whole Deployment of a minimal function', () => {
    const d = buildDeployment(aFunction());
    expect(withoutHash(d)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'echo',
        namespace: 'fns',
        labels: { app: 'echo', faas_function: 'echo', 'kfaas.dev/function': 'echo' },
        annotations: {
          'kfaas.dev/managed-labels': 'app,faas_function,kfaas.dev/function',
          'kfaas.dev/managed-annotations': '',
        },
        ownerReferences: [
          { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name: 'echo', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        selector: { matchLabels: { faas_function: 'echo' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 5,
        template: {
          metadata: {
            labels: { app: 'echo', faas_function: 'echo', 'kfaas.dev/function': 'echo' },
            annotations: { 'prometheus.io.scrape': 'false' },
          },
          spec: {
            containers: [
              {
                name: 'echo',
                image: 'ghcr.io/kfaas/echo:1',
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [
                  { name: 'exec_timeout', value: '30s' },
                  { name: 'read_timeout', value: '30s' },
                  { name: 'write_timeout', value: '30s' },
                ],
                readinessProbe: { httpGet: { path: '/_/ready', port: 'http', scheme: 'HTTP' }, ...probeTimings },
                livenessProbe: { httpGet: { path: '/_/health', port: 'http', scheme: 'HTTP' }, ...livenessTimings },
              },
            ],
            terminationGracePeriodSeconds: 62,
            enableServiceLinks: false,
          },
        },
      },
    });
    expect(d.metadata!.annotations![SPEC_HASH_ANNOTATION]).toBe(specHash(withoutHash(d)));
  });

  it('maps every spec field', () => {
    const fn = aFunction(
      {
        handler: 'node index.js',
        mode: 'http',
        replicas: 3,
        timeouts: { read: '10s', write: '1m', exec: '45' },
        limits: { cpu: '500m', memory: '256Mi' },
        requests: { cpu: '100m' },
        readOnlyRootFilesystem: true,
        constraints: ['kubernetes.io/arch=amd64', ' disk = ssd '],
      },
      withEnv('ZED', 'z'),
      withEnv('alpha', 'a'),
      withLabel('team', 'blue'),
      withAnnotation('example.com/owner', 'me'),
      withSecrets('db-creds', 'api-key'),
    );
    const d = buildDeployment(fn);
    const labels = { team: 'blue', app: 'echo', faas_function: 'echo', 'kfaas.dev/function': 'echo' };
    expect(withoutHash(d)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'echo',
        namespace: 'fns',
        labels,
        annotations: {
          'example.com/owner': 'me',
          'kfaas.dev/managed-labels': 'app,faas_function,kfaas.dev/function,team',
          'kfaas.dev/managed-annotations': 'example.com/owner',
        },
        ownerReferences: [
          { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name: 'echo', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { faas_function: 'echo' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 5,
        template: {
          metadata: { labels, annotations: { 'prometheus.io.scrape': 'false', 'example.com/owner': 'me' } },
          spec: {
            containers: [
              {
                name: 'echo',
                image: 'ghcr.io/kfaas/echo:1',
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [
                  { name: 'ZED', value: 'z' },
                  { name: 'alpha', value: 'a' },
                  { name: 'exec_timeout', value: '45' },
                  { name: 'fprocess', value: 'node index.js' },
                  { name: 'mode', value: 'http' },
                  { name: 'read_timeout', value: '10s' },
                  { name: 'write_timeout', value: '1m' },
                ],
                resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } },
                readinessProbe: { httpGet: { path: '/_/ready', port: 'http', scheme: 'HTTP' }, ...probeTimings },
                livenessProbe: { httpGet: { path: '/_/health', port: 'http', scheme: 'HTTP' }, ...livenessTimings },
                volumeMounts: [
                  { name: 'function-secrets', mountPath: '/var/openfaas/secrets', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                securityContext: { readOnlyRootFilesystem: true },
              },
            ],
            volumes: [
              { name: 'function-secrets', projected: { sources: [{ secret: { name: 'db-creds' } }, { secret: { name: 'api-key' } }] } },
              { name: 'tmp', emptyDir: {} },
            ],
            nodeSelector: { 'kubernetes.io/arch': 'amd64', disk: 'ssd' },
            terminationGracePeriodSeconds: 122,
            enableServiceLinks: false,
          },
        },
      },
    });
  });

  it('takes OpenFaaS-style settings from environment when the spec fields are unset, and spec fields win', () => {
    const fromEnv = buildDeployment(aFunction({}, withEnv('fprocess', 'cat'), withEnv('write_timeout', '5s'), withEnv('mode', 'streaming')));
    expect(fromEnv.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: 'exec_timeout', value: '30s' },
      { name: 'fprocess', value: 'cat' },
      { name: 'mode', value: 'streaming' },
      { name: 'read_timeout', value: '30s' },
      { name: 'write_timeout', value: '5s' },
    ]);
    expect(fromEnv.spec!.template.spec!.terminationGracePeriodSeconds).toBe(12);
    const specWins = buildDeployment(aFunction({ handler: 'sh', timeouts: { write: '7s' } }, withEnv('fprocess', 'cat'), withEnv('write_timeout', '5s')));
    const env = specWins.spec!.template.spec!.containers[0]!.env!;
    expect(env.filter((e) => e.name === 'fprocess')).toEqual([{ name: 'fprocess', value: 'sh' }]);
    expect(env.filter((e) => e.name === 'write_timeout')).toEqual([{ name: 'write_timeout', value: '7s' }]);
  });

  it('keeps the operator labels over user labels and dedupes secrets', () => {
    const d = buildDeployment(aFunction({}, withLabel('app', 'echo'), withSecrets('s', 's')));
    expect(d.metadata!.labels!.app).toBe('echo');
    expect(d.spec!.template.spec!.volumes).toEqual([{ name: 'function-secrets', projected: { sources: [{ secret: { name: 's' } }] } }]);
  });

  it('changes the hash when the spec changes and only then', () => {
    const a = buildDeployment(aFunction({ image: 'x:1' }));
    expect(buildDeployment(aFunction({ image: 'x:1' })).metadata!.annotations![SPEC_HASH_ANNOTATION]).toBe(a.metadata!.annotations![SPEC_HASH_ANNOTATION]);
    for (const changed of [aFunction({ image: 'x:2' }), aFunction({ image: 'x:1', replicas: 2 }), aFunction({ image: 'x:1' }, withEnv('A', '1'))]) {
      expect(buildDeployment(changed).metadata!.annotations![SPEC_HASH_ANNOTATION]).not.toBe(a.metadata!.annotations![SPEC_HASH_ANNOTATION]);
    }
  });
});

describe('terminationGracePeriodSeconds', () => {
  it.each([
    ['30s', 62],
    ['1', 4],
    ['500ms', 4],
    ['2m', 242],
  ])('%s -> %d', (write, seconds) => {
    expect(terminationGracePeriodSeconds(write)).toBe(seconds);
  });
});
