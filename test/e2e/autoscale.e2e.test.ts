// The operator's autoscaler on a real node: 500 async calls of 1 s each to a Function with target 5 and max 6
// raise it to 6 Ready pods, the backlog drains with no call meeting a watchdog's 429, the Function returns to
// min after the stabilisation window and to zero after zeroAfter, and the next calls (sync, then async) wake it
// and complete.
// Its own release, namespaces and topics, so it never shares a worker with the platform suite's install.
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { kubeConfigFor, loadServices, waitFor, type ServicesState } from '../helpers/index.js';
import { helm, installPlatform, kubectl, nodeOf, ok, startReceiver } from './support.js';

jest.setTimeout(600_000);

const CALLS = 500;
const RELEASE = 'kfaas-as';
const FN_NAMESPACE = 'autoscale-fn';
// Each pod takes 5 calls (the watchdog's max_inflight, and the scale target). The worker runs at most ready
// replicas x 5 of the function's calls at once, so a 429 from a watchdog here would be a platform bug.
const CAPACITY = 5;

describe('autoscaling on a real node', () => {
  let state: ServicesState;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  let gateway: Awaited<ReturnType<typeof installPlatform>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const deployment = async (): Promise<{ spec: number; ready: number }> => {
    const d = await apps.readNamespacedDeployment({ namespace: FN_NAMESPACE, name: 'burst' });
    return { spec: d.spec?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0 };
  };
  /** Pods of the function, terminating ones included. */
  const pods = async (): Promise<number> => (await core.listNamespacedPod({ namespace: FN_NAMESPACE, labelSelector: 'faas_function=burst' })).items.length;

  beforeAll(async () => {
    state = loadServices();
    const node = nodeOf(state);
    apps = kubeConfigFor(state).makeApiClient(k8s.AppsV1Api);
    core = kubeConfigFor(state).makeApiClient(k8s.CoreV1Api);
    receiver = await startReceiver(node.ip);
    gateway = await installPlatform(state, RELEASE, RELEASE, {
      functions: { namespace: FN_NAMESPACE },
      topics: { invocations: 'kfaas-as.invocations', deadLetter: 'kfaas-as.dead-letter' },
      operator: { autoscaling: { enabled: true, interval: '1s', stabilisationWindow: '10s', hpaRecheckPeriod: '10s' } },
    });
    const fn = {
      apiVersion: 'kfaas.dev/v1alpha1',
      kind: 'Function',
      metadata: { name: 'burst', namespace: FN_NAMESPACE },
      spec: {
        name: 'burst',
        image: node.images.function,
        mode: 'fork',
        handler: 'sh /home/app/functions/sleep.sh',
        environment: { max_inflight: String(CAPACITY) },
        timeouts: { read: '10s', write: '10s', exec: '10s' },
        scale: { min: 1, max: 6, target: CAPACITY, zeroAfter: '20s' },
      },
    };
    ok(await kubectl(state, ['apply', '--server-side', '--field-manager=e2e', '-f', '-'], YAML.stringify(fn)), 'kubectl apply');
    await waitFor(async () => (await gateway.call('POST', '/function/burst', '0')).status === 200, {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: 'a first answer from burst',
    });
  });

  afterAll(async () => {
    await receiver?.close();
    // Frees the node for the next suite; the CRD and namespaces stay, as helm leaves them.
    if (state) await helm(state, ['uninstall', RELEASE, '--namespace', RELEASE, '--wait']);
  });

  it('scales to max on the backlog, drains it with no 429, returns to min, then to zero, and wakes on the next call', async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < CALLS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, CALLS - i) }, () =>
        gateway.call('POST', '/async-function/burst', '1', { 'x-callback-url': receiver.url })));
      for (const a of batch) {
        expect(a.status).toBe(202);
        ids.push(a.headers.get('x-call-id')!);
      }
    }
    const enqueued = Date.now() - t0;
    const specAtMax = await waitFor(async () => ((await deployment()).spec === 6 ? Date.now() - t0 : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'Deployment scaled to 6',
    });
    const readyAtMax = await waitFor(async () => ((await deployment()).ready === 6 ? Date.now() - t0 : undefined), {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: '6 Ready pods',
    });
    await waitFor(() => ids.every((id) => receiver.received.has(id)), {
      timeoutMs: 300_000,
      intervalMs: 500,
      description: `callbacks for all ${CALLS} calls`,
    });
    const drained = Date.now() - t0;
    // One attempt each, all 200: no call was retried, so none met a watchdog's 429.
    const notFirstTime200 = ids.filter((id) => receiver.received.get(id)!.some((cb) => cb.headers['x-function-status'] !== '200' || cb.headers['x-attempts'] !== '1'));
    expect(notFirstTime200).toEqual([]);

    const atMin = await waitFor(async () => ((await deployment()).spec === 1 ? Date.now() - t0 : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'back to 1 replica',
    });
    const atZero = await waitFor(async () => ((await deployment()).spec === 0 ? Date.now() - t0 : undefined), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: 'scaled to zero',
    });
    // Not down before the window (10 s) nor to zero before zeroAfter (20 s), counted from the drain; the margin
    // covers the last second, in which fewer than 6 x 5 calls are left, and the callbacks' delivery.
    expect(atMin - drained).toBeGreaterThanOrEqual(7_000);
    expect(atZero - drained).toBeGreaterThanOrEqual(17_000);

    // Truly at zero: the last pod is gone (a terminating pod still serves while it drains).
    await waitFor(async () => (await pods()) === 0, { timeoutMs: 60_000, intervalMs: 250, description: 'no pod left' });
    // A sync call at zero: the gateway leaves the autoscaled function's replicas to the operator (its scale
    // request gets 409) and waits; the operator sees the call in flight and wakes the function.
    const woken = Date.now();
    const sync = await gateway.call('POST', '/function/burst', '0');
    expect([sync.status, sync.body.trim()]).toEqual([200, 'slept 0s']);
    const wake = Date.now() - woken;
    expect((await gateway.system('POST', '/system/scale-function/burst', { serviceName: 'burst', namespace: FN_NAMESPACE, replicas: 3 })).status).toBe(409);
    const accepted = await gateway.call('POST', '/async-function/burst', '0', { 'x-callback-url': receiver.url });
    expect(accepted.status).toBe(202);
    const id = accepted.headers.get('x-call-id')!;
    const [cb] = await waitFor(() => receiver.received.get(id), { timeoutMs: 120_000, intervalMs: 250, description: 'the waking call' });
    expect(cb!.headers['x-function-status']).toBe('200');
    const events = ok(await kubectl(state, ['-n', FN_NAMESPACE, 'get', 'events', '--field-selector', 'reason=Scaled,involvedObject.name=burst', '-o', 'jsonpath={.items[*].message}']), 'kubectl get events');
    // The backlog took it to 6. The reason's load part varies with the moment the operator looked (`backlog 29`
    // while the first batches were still arriving; `backlog 50 + in-flight 5`), and so does the clamp at max.
    expect(events).toMatch(/ -> 6 replicas: backlog \d+( \+ in-flight \d+)? \/ target 5 -> 6 replicas/);
    // eslint-disable-next-line no-console
    console.log([
      `autoscaling e2e: ${CALLS} calls of 1 s enqueued in ${enqueued} ms`,
      `Deployment at 6 after ${specAtMax} ms, 6 Ready pods after ${readyAtMax} ms`,
      `drained after ${drained} ms; at min after ${atMin} ms, at zero after ${atZero} ms`,
      `a sync call at zero answered after ${wake} ms`,
    ].join('\n'));
  });
});
