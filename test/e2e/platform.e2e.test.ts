// The whole platform on a real node, the way a user runs it: `helm install` of the chart with the kfaas image,
// `kubectl apply` of a Function, then calls through the gateway pod to function pods, and async calls through
// Kafka and the worker pod. The steps share one install and run in order; each logs its time.
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { kubeConfigFor, loadServices, uniqueName, waitFor, type ServicesState } from '../helpers/index.js';
import {
  gatewayClient, installPlatform, kubectl, nodeOf, ok, REPO, run, startReceiver, steadyLoad, type Answer, type LoadReport,
} from './support.js';

jest.setTimeout(300_000);

const timings: Array<[string, number]> = [];
/** Records how long a step took, for the summary printed at the end (and the README). */
const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  const value = await fn();
  timings.push([what, Date.now() - t0]);
  return value;
};

const ok2xx = (a: Answer): boolean => a.status >= 200 && a.status < 300;

describe('kfaas on a real node: helm install, kubectl apply, calls through pods', () => {
  let state: ServicesState;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let release: string;
  let namespace: string;
  let fnNamespace: string;
  let installed: ReturnType<typeof gatewayClient> | undefined;
  /** The gateway of step 1; the later steps fail at once, naming step 1, when it did not install. */
  const gatewayOrFail = (): ReturnType<typeof gatewayClient> => {
    if (!installed) throw new Error('the platform is not installed: step 1 failed (see its error)');
    return installed;
  };
  const gateway: ReturnType<typeof gatewayClient> = {
    call: (...args) => gatewayOrFail().call(...args),
    system: (...args) => gatewayOrFail().system(...args),
  };
  let functionImage: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  /** A Function manifest for `kubectl apply`. */
  const functionYaml = (name: string, spec: Record<string, unknown>): string => YAML.stringify({
    apiVersion: 'kfaas.dev/v1alpha1',
    kind: 'Function',
    metadata: { name, namespace: fnNamespace },
    spec: { name, image: functionImage, mode: 'fork', ...spec },
  });
  const apply = async (yaml: string): Promise<void> => {
    ok(await kubectl(state, ['apply', '--server-side', '--field-manager=e2e', '-f', '-'], yaml), 'kubectl apply');
  };
  const readyPods = async (fn: string): Promise<k8s.V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: fnNamespace, labelSelector: `faas_function=${fn}` })).items.filter((p) =>
      !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  /**
   * Applies `yaml` (a changed pod template of a 3-replica function) and waits for the rollout to finish: three
   * Ready pods that all differ from those before, and no old pod left, terminating ones included.
   */
  const rollOut = async (fn: string, yaml: string): Promise<void> => {
    const before = new Set((await core.listNamespacedPod({ namespace: fnNamespace, labelSelector: `faas_function=${fn}` })).items.map((p) => p.metadata!.name!));
    await apply(yaml);
    await waitFor(async () => {
      const ready = await readyPods(fn);
      const all = (await core.listNamespacedPod({ namespace: fnNamespace, labelSelector: `faas_function=${fn}` })).items;
      return ready.length === 3 && all.length === 3 && all.every((p) => !before.has(p.metadata!.name!));
    }, { timeoutMs: 180_000, intervalMs: 250, description: `the rollout of ${fn}: three new Ready pods and no old one` });
  };
  /** Polls a sync call until it answers 200 (a new function has no ready endpoint for a moment). */
  const firstAnswer = (fn: string, body: string): Promise<Answer> =>
    gatewayOrFail() && waitFor(async () => {
      const a = await gateway.call('POST', `/function/${fn}`, body);
      return a.status === 200 ? a : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, description: `a 200 from /function/${fn}` });

  beforeAll(async () => {
    state = loadServices();
    const node = nodeOf(state);
    kc = kubeConfigFor(state);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    functionImage = node.images.function;
    release = 'kfaas';
    namespace = 'kfaas';
    // The chart's default function namespace: what a user who sets nothing gets.
    fnNamespace = (YAML.parse(fs.readFileSync(path.join(REPO, 'charts/kfaas/values.yaml'), 'utf8')) as { functions: { namespace: string } }).functions.namespace;
    receiver = await startReceiver(node.ip);
  });

  afterAll(async () => {
    await receiver?.close();
    // eslint-disable-next-line no-console
    console.log(`e2e step timings:\n${timings.map(([what, ms]) => `  ${what}: ${(ms / 1000).toFixed(1)} s`).join('\n')}`);
  });

  it('0. the images keep the Dockerfile\'s contract: entrypoint, non-root user, ports', async () => {
    const node = nodeOf(state);
    /** The OCI image config inside one of scripts/images.sh's tarballs. */
    const configOf = async (file: string): Promise<{ config: { User?: string; Entrypoint?: string[]; ExposedPorts?: Record<string, unknown>; WorkingDir?: string } }> => {
      const tarball = path.join(node.imagesDir, file);
      const blob = async (name: string): Promise<unknown> => JSON.parse(ok(await run('tar', ['-xOf', tarball, `./${name}`]), `tar ${name}`));
      const index = await blob('index.json') as { manifests: Array<{ digest: string }> };
      const manifest = await blob(`blobs/sha256/${index.manifests[0]!.digest.slice(7)}`) as { config: { digest: string } };
      return await blob(`blobs/sha256/${manifest.config.digest.slice(7)}`) as never;
    };
    /** The value of a directive in the final stage of a Dockerfile (its last occurrence). */
    const directive = (file: string, name: string): string => {
      const all = [...fs.readFileSync(path.join(REPO, file), 'utf8').matchAll(new RegExp(`^${name} (.*)$`, 'gm'))];
      if (!all.length) throw new Error(`${file} has no ${name}`);
      return all[all.length - 1]![1]!.trim();
    };
    const platform = (await configOf('kfaas.tar')).config;
    expect({ entrypoint: platform.Entrypoint, user: platform.User, ports: Object.keys(platform.ExposedPorts ?? {}).sort(), workdir: platform.WorkingDir })
      .toEqual({
        entrypoint: JSON.parse(directive('Dockerfile', 'ENTRYPOINT')) as string[],
        user: directive('Dockerfile', 'USER'),
        ports: directive('Dockerfile', 'EXPOSE').split(/\s+/).map((p) => `${p}/tcp`).sort(),
        workdir: directive('Dockerfile', 'WORKDIR'),
      });
    const fnFile = 'examples/function-image/Dockerfile';
    const fn = (await configOf('function.tar')).config;
    expect({ entrypoint: fn.Entrypoint, user: fn.User, workdir: fn.WorkingDir }).toEqual({
      entrypoint: JSON.parse(directive(fnFile, 'ENTRYPOINT')) as string[], user: directive(fnFile, 'USER'), workdir: directive(fnFile, 'WORKDIR'),
    });
  });

  it('1. helm install: the operator, gateway and worker run as pods and become Ready', async () => {
    const node = nodeOf(state);
    const client = await timed('helm install to every platform pod Ready', () => installPlatform(state, release, namespace));
    const pods = (await core.listNamespacedPod({ namespace })).items;
    expect(pods.map((p) => p.metadata!.name!.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')).sort()).toEqual(['kfaas-gateway', 'kfaas-operator', 'kfaas-worker']);
    for (const pod of pods) {
      expect(pod.spec?.nodeName).toBe(node.name);
      expect(pod.status?.phase).toBe('Running');
    }
    expect((await client.call('GET', '/healthz')).status).toBe(200);
    installed = client;
  });

  it('2. kubectl apply of a Function starts a watchdog pod that answers through the gateway, with its exec_timeout', async () => {
    const answer = await timed('kubectl apply of a Function to its first answered call', async () => {
      await apply(functionYaml('wordcount', { handler: 'node /home/app/handler.mjs', timeouts: { read: '10s', write: '10s', exec: '5s' } }));
      return firstAnswer('wordcount', 'hello kfaas world');
    });
    expect(JSON.parse(answer.body)).toMatchObject({ words: 3, method: 'POST' });
    const pods = await readyPods('wordcount');
    expect(pods).toHaveLength(1);
    expect(pods[0]!.spec?.containers[0]?.image).toBe(functionImage);

    // The sleep handler outlives its 2 s exec_timeout: the watchdog in the pod (not the gateway) answers 504.
    await apply(functionYaml('sleepy', { handler: 'sh /home/app/functions/sleep.sh', timeouts: { read: '10s', write: '10s', exec: '2s' } }));
    await firstAnswer('sleepy', '0');
    const slow = await gateway.call('POST', '/function/sleepy', '8');
    expect(slow.status).toBe(504);
    expect(slow.headers.get('x-openfaas-internal')).toBe('watchdog');
    expect(slow.ms).toBeGreaterThanOrEqual(1900);
    expect(slow.ms).toBeLessThan(7000);
    const env = (await apps.readNamespacedDeployment({ namespace: fnNamespace, name: 'sleepy' })).spec?.template.spec?.containers[0]?.env ?? [];
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toMatchObject({ exec_timeout: '2s', read_timeout: '10s', write_timeout: '10s' });
  });

  it('3. an async call with a callback runs through Kafka, the worker pod and the function pod', async () => {
    const accepted = await gateway.call('POST', '/async-function/wordcount', 'one two three four', { 'x-callback-url': receiver.url, 'x-e2e': 'kept' });
    expect(accepted.status).toBe(202);
    const callId = accepted.headers.get('x-call-id')!;
    expect(callId).toBeTruthy();
    const [cb] = await waitFor(() => receiver.received.get(callId), { timeoutMs: 60_000, description: 'the callback' });
    expect(JSON.parse(cb!.body)).toMatchObject({ words: 4 });
    expect(cb!.headers).toMatchObject({
      'x-call-id': callId,
      'x-function-name': 'wordcount',
      'x-function-namespace': fnNamespace,
      'x-function-status': '200',
      'x-attempts': '1',
    });
    for (const header of ['x-duration-seconds', 'x-start-time', 'x-retry', 'x-retry-max', 'user-agent']) expect(cb!.headers[header]).toBeDefined();
  });

  it('4. /system deploys a function whose pod reads its secret, and /system/logs returns the pod\'s log lines', async () => {
    const secret = uniqueName('e2e-secret');
    expect((await gateway.system('POST', '/system/secrets', { name: secret, value: 's3cr3t-value', namespace: fnNamespace })).status).toBeLessThan(300);
    const deploy = await gateway.system('POST', '/system/functions', {
      service: 'reader', image: functionImage, namespace: fnNamespace, envProcess: `cat /var/openfaas/secrets/${secret}`, secrets: [secret],
      envVars: { mode: 'fork' },
    });
    expect(deploy.status).toBe(202);
    const answer = await firstAnswer('reader', '');
    expect(answer.body).toBe('s3cr3t-value');

    const logs = await waitFor(async () => {
      const res = await gateway.system('GET', `/system/logs?name=reader&namespace=${fnNamespace}&follow=false&tail=50`);
      return res.status === 200 && res.body.includes('Forking') ? res.body : undefined;
    }, { timeoutMs: 30_000, description: 'pod log lines through /system/logs' });
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l) as { name: string; namespace: string; instance: string; text: string });
    expect(lines.every((l) => l.name === 'reader' && l.namespace === fnNamespace)).toBe(true);
    const pod = (await readyPods('reader'))[0]!;
    expect(lines.some((l) => l.instance === pod.metadata!.name)).toBe(true);
  });

  it('5. /system/scale-function to 3 gives three Ready pods, and calls reach all three', async () => {
    await apply(functionYaml('whoami', { handler: 'cat /etc/hostname' }));
    await firstAnswer('whoami', '');
    const scaled = await gateway.system('POST', '/system/scale-function/whoami', { serviceName: 'whoami', namespace: fnNamespace, replicas: 3 });
    expect(scaled.status).toBeLessThan(300);
    const pods = await timed('scale 1 to 3 Ready pods', () =>
      waitFor(async () => { const p = await readyPods('whoami'); return p.length === 3 ? p : undefined; }, { timeoutMs: 90_000, description: '3 Ready pods' }));
    const names = new Set(pods.map((p) => p.metadata!.name!));
    // The gateway learns endpoints from EndpointSlices: wait until every pod has answered at least once.
    const seen = new Set<string>();
    await waitFor(async () => {
      const answers = await Promise.all(Array.from({ length: 12 }, () => gateway.call('POST', '/function/whoami', '')));
      for (const a of answers) if (a.status === 200) seen.add(a.body.trim());
      return seen.size === 3;
    }, { timeoutMs: 30_000, description: 'answers from all three pods' });
    expect(seen).toEqual(names);
  });

  it('6a. a rolling update under steady sync load fails no call', async () => {
    let done = false;
    const load = steadyLoad(8, () => gateway.call('POST', '/function/whoami', ''), ok2xx, () => done);
    await timed('rolling update of 3 pods under sync load (old pods drain before they exit)', () =>
      rollOut('whoami', functionYaml('whoami', { handler: 'cat /etc/hostname', environment: { ROLLED: '1' } })));
    done = true;
    const report: LoadReport = await load;
    // eslint-disable-next-line no-console
    console.log(`rolling update under sync load: ${report.calls} calls, ${report.failures.length} failed`);
    expect(report.calls).toBeGreaterThan(100);
    expect(report.failures).toEqual([]);
  });

  it('6b. a rolling update under async load loses no call', async () => {
    const ids: string[] = [];
    let done = false;
    const load = steadyLoad(4, async () => {
      const a = await gateway.call('POST', '/async-function/whoami', '', { 'x-callback-url': receiver.url });
      if (a.status === 202) ids.push(a.headers.get('x-call-id')!);
      return a;
      // A steady 40 calls/s at most: two cores cannot run more forked calls while pods roll.
    }, ok2xx, () => done, 100);
    await waitFor(() => ids.length >= 50, { timeoutMs: 30_000, description: '50 accepted calls' });
    await timed('rolling update of 3 pods under async load', () =>
      rollOut('whoami', functionYaml('whoami', { handler: 'cat /etc/hostname', environment: { ROLLED: '2' } })));
    done = true;
    const report = await load;
    expect(report.failures).toEqual([]);
    await waitFor(() => ids.every((id) => receiver.received.has(id)), { timeoutMs: 120_000, intervalMs: 250, description: `callbacks for all ${ids.length} accepted calls` });
    const failed = ids.filter((id) => receiver.received.get(id)!.some((cb) => cb.headers['x-function-status'] !== '200'));
    // eslint-disable-next-line no-console
    console.log(`rolling update under async load: ${ids.length} accepted, ${ids.length} called back, ${failed.length} not 200`);
    expect(failed).toEqual([]);
  });

  it('7. force-deleting a function pod and then the worker pod mid-flight loses no accepted call', async () => {
    // Calls that take 3 s, so that some are in flight in the function pod and in the worker when each is killed.
    await apply(functionYaml('slowpoke', { handler: 'sh /home/app/functions/sleep.sh', timeouts: { read: '10s', write: '10s', exec: '10s' }, replicas: 2 }));
    await firstAnswer('slowpoke', '0');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = await gateway.call('POST', '/async-function/slowpoke', '3', { 'x-callback-url': receiver.url });
      expect(a.status).toBe(202);
      ids.push(a.headers.get('x-call-id')!);
    }
    const [victim] = await readyPods('slowpoke');
    ok(await kubectl(state, ['-n', fnNamespace, 'delete', 'pod', victim!.metadata!.name!, '--grace-period=0', '--force']), 'force delete of a function pod');
    const worker = (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/component=worker' })).items[0]!;
    ok(await kubectl(state, ['-n', namespace, 'delete', 'pod', worker.metadata!.name!, '--grace-period=0', '--force']), 'force delete of the worker pod');
    await waitFor(() => ids.every((id) => receiver.received.has(id)), { timeoutMs: 240_000, intervalMs: 500, description: `callbacks for all ${ids.length} calls` });
    const notOk = ids.filter((id) => !receiver.received.get(id)!.some((cb) => cb.headers['x-function-status'] === '200'));
    const duplicates = ids.filter((id) => receiver.received.get(id)!.length > 1).length;
    // eslint-disable-next-line no-console
    console.log(`force deletes mid-flight: ${ids.length} accepted, all called back, ${duplicates} called back more than once (at-least-once)`);
    expect(notOk).toEqual([]);
  });

  it('shows the objects as kubectl lists them', async () => {
    const out = ok(await kubectl(state, ['get', 'fn,deploy,pods', '-n', fnNamespace]), 'kubectl get');
    // eslint-disable-next-line no-console
    console.log(`kubectl get fn,deploy,pods -n ${fnNamespace}\n${out}`);
    expect(out).toMatch(/function\.kfaas\.dev\/wordcount/);
  });
});
