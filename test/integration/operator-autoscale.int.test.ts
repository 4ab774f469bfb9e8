/**
 * The operator's autoscaler against the real apiserver (no node: pods stay Pending, so replicas are read from
 * the Deployment spec). The gateways' signals are stood in for by the test (there are no gateway pods here);
 * everything else is real: the scale subresource, Events, the status, and an HPA it must not fight.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { FunctionSignals, ScaleSignalsReport } from '../../common/scale-signals.js';
import { deploymentPath } from '../../operator/kube/paths.js';
import { createStatusWriter } from '../../operator/kube/status-writer.js';
import type { KubeRestClient } from '../../operator/kube/rest-client.js';
import {
  conditionOf,
  createFunction,
  createNamespace,
  deleteNamespace,
  functionEvents,
  functionNamed,
  getFunction,
  getOrUndefined,
  patchFunctionSpec,
  startOperatorInNamespace,
  type OperatorInNamespace,
} from '../../operator/testing/kube-test-kit.js';
import { kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';

const TEST_TIMEOUT_MS = 120_000;

let client: KubeRestClient;
let ns: string;
/** What the stand-in gateway reports, by function name. */
const load = new Map<string, Partial<FunctionSignals>>();
/** Autoscaler rounds so far (each reads the signals once). */
let rounds = 0;

/** Resolves once the autoscaler has run `n` more rounds: to check that something did not happen. */
async function afterRounds(n: number): Promise<void> {
  const target = rounds + n;
  await waitFor(() => rounds >= target, { timeoutMs: 10_000, description: `${n} autoscaler rounds` });
}

let setup: OperatorInNamespace | undefined;

beforeAll(async () => {
  setup = await startOperatorInNamespace(kubeConfigFor(loadServices()), uniqueName('op-scale'), {
    identity: 'autoscale-test',
    env: {
      KFAAS_GATEWAY_SERVICE: 'kfaas-gateway',
      KFAAS_AUTOSCALE_INTERVAL: '200ms',
      KFAAS_AUTOSCALE_STABILISATION: '2s',
      KFAAS_HPA_RECHECK_PERIOD: '1s',
    },
    // No gateway pods run here: the test reports the load a gateway would.
    scaleSignals: async (): Promise<ScaleSignalsReport[]> => {
      rounds += 1;
      const functions = [...load].map(([name, s]) => ({ name, namespace: ns, queued: 0, running: 0, retrying: 0, syncInflight: 0, syncRps: 0, ...s }));
      return [{ at: Date.now(), backlogLagMs: 0, hasBacklog: true, functions }];
    },
  });
  ({ client, ns } = setup);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await setup?.stop();
}, TEST_TIMEOUT_MS);

const replicasOf = async (name: string) => (await getOrUndefined<V1Deployment>(client, deploymentPath(ns, name)))?.spec?.replicas;

describe('operator autoscaler', () => {
  it("writes status conditionally: a writer with a stale copy keeps the other writer's condition", async () => {
    // A namespace no operator watches, so only the two writes below touch the status.
    const quiet = uniqueName('quiet');
    await createNamespace(client, quiet);
    try {
      await writesConditionally(quiet);
    } finally {
      await deleteNamespace(client, quiet);
    }
  });

  async function writesConditionally(namespace: string): Promise<void> {
    const name = uniqueName('racing');
    const stale = await createFunction(client, namespace, functionNamed(name, {}));
    const writer = createStatusWriter(client);
    const at = new Date().toISOString();
    // A type neither the reconcile nor the autoscaler touches, so only the writer under test decides its fate.
    const other = { type: 'ExampleOther', status: 'True' as const, reason: 'Set', message: 'm', lastTransitionTime: at };
    const signal = new AbortController().signal;
    // One writer adds its condition; another then writes from the copy it read before that.
    await writer.writeStatus(stale, { conditions: [...(stale.status?.conditions ?? []), other] }, signal, (t) => t === 'ExampleOther');
    const ready = { type: 'Ready', status: 'False' as const, reason: 'Testing', message: 'm', lastTransitionTime: at };
    await writer.writeStatus(stale, { conditions: [ready] }, signal, (t) => t !== 'ExampleOther');
    const fn = await getFunction(client, namespace, name);
    expect(conditionOf(fn, 'ExampleOther')).toBe('True/Set');
    expect(conditionOf(fn, 'Ready')).toBe('False/Testing');
  }

  it('scales up on backlog at once, with an Event and status.scale, then down after the window and to zero', async () => {
    const name = uniqueName('scaled');
    await createFunction(client, ns, functionNamed(name, { scale: { max: 4, target: 5, zeroAfter: '3s' } }));
    await waitFor(async () => (await replicasOf(name)) === 1, { timeoutMs: 15_000, description: 'Deployment at 1 replica' });
    await waitFor(async () => conditionOf(await getFunction(client, ns, name), 'Autoscaling') === 'True/Active', {
      timeoutMs: 10_000,
      description: 'Autoscaling=True',
    });

    load.set(name, { queued: 100, running: 2 });
    await waitFor(async () => (await replicasOf(name)) === 4, { timeoutMs: 10_000, description: 'scaled to max' });
    const reason = 'backlog 102 / target 5 -> 4 replicas (max 4)';
    await waitFor(async () => (await getFunction(client, ns, name))?.status?.scale?.reason === reason, { timeoutMs: 10_000, description: 'status.scale' });
    const fn = await getFunction(client, ns, name);
    expect(fn?.status?.scale).toMatchObject({ desiredReplicas: 4, reason });
    // The reconcile keeps the autoscaler's condition next to its own.
    expect(conditionOf(fn, 'Ready')).toBeDefined();
    expect(conditionOf(fn, 'Autoscaling')).toBe('True/Active');
    // From 1, or from 0 when the waits above outlasted zeroAfter on a loaded machine.
    await waitFor(async () => (await functionEvents(client, ns, name)).some((e) => e.reason === 'Scaled' && /^[01] -> 4 replicas: /.test(e.message) && e.message.endsWith(reason)), {
      timeoutMs: 10_000,
      description: 'the Scaled Event',
    });
    // The reconcile never reverts the autoscaler's replicas.
    await afterRounds(3);
    expect(await replicasOf(name)).toBe(4);

    const idleFrom = Date.now();
    load.set(name, {});
    await waitFor(async () => (await replicasOf(name)) === 1, { timeoutMs: 10_000, description: 'back to min after the window' });
    // 2 s window (up to a round later): never before it.
    expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(1_800);
    await waitFor(async () => (await replicasOf(name)) === 0, { timeoutMs: 10_000, description: 'to zero after zeroAfter' });
    expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(2_800);

    load.set(name, { queued: 1 });
    await waitFor(async () => (await replicasOf(name)) === 1, { timeoutMs: 10_000, description: 'woken from zero by a backlog' });
  }, TEST_TIMEOUT_MS);

  it('refuses to fight an HPA, and spec.replicas with scale settings, with a clear condition', async () => {
    const name = uniqueName('hpa');
    await createFunction(client, ns, functionNamed(name, { scale: { max: 4, target: 5 } }));
    await waitFor(async () => (await replicasOf(name)) === 1, { timeoutMs: 15_000, description: 'Deployment' });
    await client.request('POST', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, {
      body: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 1, maxReplicas: 3 },
      },
    });
    await waitFor(async () => conditionOf(await getFunction(client, ns, name), 'Autoscaling') === 'False/HorizontalPodAutoscalerPresent', {
      timeoutMs: 10_000,
      description: 'Autoscaling=False because of the HPA',
    });
    load.set(name, { queued: 100 });
    await afterRounds(3);
    expect(await replicasOf(name)).toBe(1);

    await client.request('DELETE', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}`);
    await waitFor(async () => (await replicasOf(name)) === 4, { timeoutMs: 15_000, description: 'autoscaled once the HPA is gone' });

    await patchFunctionSpec(client, ns, name, { replicas: 2 });
    await waitFor(async () => conditionOf(await getFunction(client, ns, name), 'Autoscaling') === 'False/ReplicasSet', {
      timeoutMs: 10_000,
      description: 'Autoscaling=False because spec.replicas is set',
    });
    await waitFor(async () => (await replicasOf(name)) === 2, { timeoutMs: 10_000, description: 'spec.replicas wins' });
    await afterRounds(3);
    expect(await replicasOf(name)).toBe(2);
  }, TEST_TIMEOUT_MS);
});
