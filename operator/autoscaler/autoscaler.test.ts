import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, FunctionResource, ScaleStatus } from '../../common/function-types.js';
import winston from 'winston';
import type { FunctionSignals, ScaleSignalsReport } from '../../common/scale-signals.js';
import { aFunction } from '../testing/fixtures.js';
import { createAutoscaler, type AutoscalerPorts } from './autoscaler.js';

/** In-memory ports: Deployments by name, one gateway whose report the test sets, writes recorded. */
function harness(fns: FunctionResource[]) {
  let now = 1_000_000;
  const replicas = new Map<string, number>(fns.map((f) => [f.metadata.name, 1]));
  const hpas = new Set<string>();
  let functions: FunctionSignals[] = [];
  let reportAge = 0;
  const scaled: Array<[string, number]> = [];
  const statuses: Array<{ fn: string; conditions: Condition[]; scale?: ScaleStatus }> = [];
  const events: string[] = [];
  const ports: AutoscalerPorts = {
    functions: () => fns,
    deployment: (_ns, name) => (replicas.has(name) ? ({ spec: { replicas: replicas.get(name) } } as V1Deployment) : undefined),
    signals: async () => [{ at: now - reportAge, backlogLagMs: 0, hasBacklog: true, functions } satisfies ScaleSignalsReport],
    hpaTargets: async () => hpas,
    scale: async (_ns, name, n) => {
      replicas.set(name, n);
      scaled.push([name, n]);
    },
    patchStatus: async (fn, status) => {
      statuses.push({ fn: fn.metadata.name, ...status });
    },
    events: { record: (fn, type, reason, message) => events.push(`${fn.metadata.name} ${type} ${reason}: ${message}`) },
  };
  const autoscaler = createAutoscaler({
    ports,
    intervalMs: 1_000,
    stabilisationMs: 10_000,
    hpaRecheckMs: 10_000,
    logger: winston.createLogger({ silent: true }),
    now: () => now,
  });
  return {
    autoscaler, replicas, hpas, scaled, statuses, events,
    load: (name: string, queued: number) => {
      functions = [{ name, namespace: 'fns', queued, running: 0, retrying: 0, syncInflight: 0, syncRps: 0 }];
    },
    age: (ms: number) => (reportAge = ms),
    tick: async (ms: number) => {
      now += ms;
      await autoscaler.round();
    },
  };
}

describe('autoscaler', () => {
  it('scales up on backlog with an Event and status.scale, and down after the window', async () => {
    const h = harness([aFunction({ scale: { max: 6, target: 5 } })]);
    h.load('echo', 412);
    await h.tick(0);
    expect(h.scaled).toEqual([['echo', 6]]);
    expect(h.events).toEqual(['echo Normal Scaled: 1 -> 6 replicas: backlog 412 / target 5 -> 6 replicas (max 6)']);
    expect(h.statuses.at(-1)).toMatchObject({
      conditions: [{ type: 'Autoscaling', status: 'True', reason: 'Active' }],
      scale: { desiredReplicas: 6, reason: 'backlog 412 / target 5 -> 6 replicas (max 6)' },
    });
    h.load('echo', 0);
    await h.tick(5_000);
    expect(h.replicas.get('echo')).toBe(6);
    await h.tick(6_000);
    expect(h.scaled).toEqual([['echo', 6], ['echo', 1]]);
  });

  it('refuses to fight an HPA, saying so in the Autoscaling condition, and never scales', async () => {
    const h = harness([aFunction({ scale: { max: 6, target: 5 } })]);
    h.hpas.add('fns/echo');
    h.load('echo', 100);
    await h.tick(0);
    expect(h.scaled).toEqual([]);
    expect(h.statuses).toHaveLength(1);
    expect(h.statuses[0]!.conditions).toEqual([expect.objectContaining({ type: 'Autoscaling', status: 'False', reason: 'HorizontalPodAutoscalerPresent' })]);
    await h.tick(1_000);
    expect(h.statuses).toHaveLength(1);
  });

  it('refuses when spec.replicas is set with scale settings', async () => {
    const h = harness([aFunction({ replicas: 2, scale: { target: 5 } })]);
    h.load('echo', 100);
    await h.tick(0);
    expect(h.scaled).toEqual([]);
    expect(h.statuses[0]!.conditions[0]).toMatchObject({ status: 'False', reason: 'ReplicasSet' });
  });

  it('leaves functions without scale settings alone', async () => {
    const h = harness([aFunction()]);
    h.load('echo', 100);
    await h.tick(0);
    expect([h.scaled, h.statuses, h.events]).toEqual([[], [], []]);
  });

  it('never scales down on signals older than the bound, but keeps others conditions', async () => {
    const ready: Condition = { type: 'Ready', status: 'True', reason: 'Available', message: '1 of 1', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const fn = { ...aFunction({ scale: { target: 5, zeroAfter: '30s' } }), status: { conditions: [ready] } };
    const h = harness([fn]);
    h.replicas.set('echo', 4);
    h.age(5_000);
    await h.tick(0);
    await h.tick(20_000);
    expect(h.scaled).toEqual([]);
    expect(h.statuses[0]!.conditions.map((c) => c.type)).toEqual(['Ready', 'Autoscaling']);
    // Fresh signals, no load: the window still holds the 4 of the last stale round, then 1, then zero 30s
    // after the last round that could have had load.
    h.age(0);
    await h.tick(1_000);
    expect(h.scaled).toEqual([]);
    await h.tick(10_000);
    expect(h.scaled).toEqual([['echo', 1]]);
    await h.tick(19_000);
    expect(h.scaled).toEqual([['echo', 1], ['echo', 0]]);
  });
});
