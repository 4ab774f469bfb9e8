import { aFunction, liveDeployment } from '../testing/fixtures.js';
import { buildDeployment } from './build-deployment.js';
import { buildService } from './build-service.js';
import { driftReasons, firstDifference } from './drift.js';
import { deploymentForCreate } from './merge.js';

describe('firstDifference', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, undefined],
    [{ a: 1 }, { a: 2 }, '.a'],
    [{ a: [1, 2] }, { a: [1, 2, 3] }, '.a'],
    [{ a: [{ x: 1 }] }, { a: [{ x: 1, y: 0 }] }, undefined],
    [{ a: [{ x: 1 }] }, { a: [{ x: 2 }] }, '.a[0].x'],
    [{ a: [] }, {}, undefined],
    [{ a: {} }, {}, undefined],
    [{ a: { b: 1 } }, {}, '.a'],
    [{ r: { resources: { limits: { cpu: '0.5' } } } }, { r: { resources: { limits: { cpu: '500m' } } } }, undefined],
    [{ r: { resources: { limits: { cpu: '0.5' } } } }, { r: { resources: { limits: { cpu: '600m' } } } }, '.r.resources.limits.cpu'],
    [{ v: '0.5' }, { v: '500m' }, '.v'],
  ])('%j vs %j -> %s', (desired, live, expected) => {
    expect(firstDifference(desired, live)).toBe(expected);
  });
});

describe('driftReasons', () => {
  const fn = aFunction({ limits: { cpu: '0.5' } });
  const desired = buildDeployment(fn);

  it('finds nothing when the live object is the desired one plus apiserver defaults', () => {
    const live = liveDeployment(deploymentForCreate(desired, fn));
    live.spec!.template.spec!.containers[0]!.resources!.limits!.cpu = '500m';
    expect(driftReasons(desired, live)).toEqual([]);
  });

  it('ignores the live replica count when the function leaves replicas unset', () => {
    const live = liveDeployment(deploymentForCreate(desired, fn));
    live.spec!.replicas = 7;
    expect(driftReasons(desired, live)).toEqual([]);
  });

  it('detects a manual edit of an owned field even though the hash annotation is unchanged', () => {
    const live = liveDeployment(deploymentForCreate(desired, fn));
    live.spec!.template.spec!.containers[0]!.image = 'evil:latest';
    expect(driftReasons(desired, live)).toEqual(['spec.template.spec.containers[0].image changed']);
  });

  it('detects an added env var, a removed label, a lost owner reference and a changed hash', () => {
    const live = liveDeployment(deploymentForCreate(desired, fn));
    live.spec!.template.spec!.containers[0]!.env!.push({ name: 'X', value: '1' });
    delete live.metadata!.labels!.faas_function;
    live.metadata!.ownerReferences = [];
    live.metadata!.annotations!['kfaas.dev/spec-hash'] = 'old';
    expect(driftReasons(desired, live)).toEqual([
      `spec hash old -> ${desired.metadata!.annotations!['kfaas.dev/spec-hash']}`,
      'metadata.labels.faas_function changed',
      'owner reference missing',
      'spec.template.spec.containers[0].env changed',
    ]);
  });

  it('works for Services with allocated fields', () => {
    const svc = buildService(fn);
    const live = structuredClone(svc);
    live.spec!.clusterIP = '198.19.0.12';
    live.spec!.sessionAffinity = 'None';
    expect(driftReasons(svc, live)).toEqual([]);
    live.spec!.ports![0]!.port = 80;
    expect(driftReasons(svc, live)).toEqual(['spec.ports[0].port changed']);
  });
});
