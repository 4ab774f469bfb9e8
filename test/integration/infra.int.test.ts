// Proves the harness gives real services: a Kafka broker with working groups and idempotent producers, and an
// apiserver whose CRDs are served and whose controller-manager creates and garbage-collects ReplicaSets.
import * as k8s from '@kubernetes/client-node';
import type { Admin, Consumer, Producer } from 'kafkajs';
import os from 'node:os';
import path from 'node:path';
import {
  createNamespace,
  deleteNamespace,
  kafkaFor,
  kubeConfigFor,
  loadServices,
  uniqueName,
  waitFor,
  type ServicesState,
} from '../helpers/index.js';

// Explicit per-test timeouts: jest reads `testTimeout` only from the top-level config, never from a project, and
// its 5 s default is shorter than the deadlines below.
const TIMEOUT_MS = 60_000;

describe('test services harness', () => {
  it('fails, rather than skips, when the services are not running', () => {
    const missing = path.join(os.tmpdir(), uniqueName('no-state'), 'state.json');
    expect(() => loadServices(missing)).toThrow(/not running/);
  });

  it('loads a ready state with every service running', () => {
    const state = loadServices();
    expect(state.brokers).toHaveLength(1);
    expect(state.services.kafka.version).toMatch(/^3\.9\./);
    expect(state.services.kubeApiserver.version).toMatch(/^v1\.\d+\.\d+$/);
  });
});

describe('Kafka broker', () => {
  let state: ServicesState;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  beforeAll(() => {
    state = loadServices();
  });

  afterEach(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    consumer = producer = admin = undefined;
  });

  it('creates a topic, takes idempotent acks=-1 writes and serves them to a consumer group', async () => {
    const kafka = kafkaFor(state);
    const topic = uniqueName('infra-topic');
    const groupId = uniqueName('infra-group');

    admin = kafka.admin();
    await admin.connect();
    await expect(admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).resolves.toBe(true);
    expect(await admin.listTopics()).toContain(topic);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = ['one', 'two', 'three', 'four'];
    const meta = await producer.send({
      topic,
      acks: -1,
      messages: sent.map((value, i) => ({ key: `k${i}`, value })),
    });
    expect(meta.map((m) => m.errorCode)).toEqual(meta.map(() => 0));

    consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString() ?? '');
      },
    });
    await waitFor(() => received.length >= sent.length, { timeoutMs: 30_000, description: 'all records consumed' });
    expect([...received].sort()).toEqual([...sent].sort());

    // The group committed its position on the broker: offsets per partition add up to the records read.
    await waitFor(
      async () => {
        const [offsets] = await admin!.fetchOffsets({ groupId, topics: [topic] });
        const total = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        return total === sent.length;
      },
      { timeoutMs: 15_000, description: 'committed group offsets' },
    );
  }, TIMEOUT_MS);
});

describe('Kubernetes control plane', () => {
  let kc: k8s.KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    kc = kubeConfigFor(loadServices());
    namespace = await createNamespace(kc, 'infra');
  }, TIMEOUT_MS);

  afterAll(async () => {
    if (namespace) await deleteNamespace(kc, namespace);
  });

  it('reports the stamped Kubernetes version', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toBe(loadServices().services.kubeApiserver.version);
  });

  it('serves a CRD through discovery and stores custom objects', async () => {
    // A group per run: CRDs are cluster-scoped and the services may be shared with `make infra-up`.
    const group = `${uniqueName('g')}.infra.kfaas.test`;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 } } },
                    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const resources = await waitFor(
      async () => {
        const list = await custom.getAPIResources({ group, version: 'v1' });
        return list.resources.some((r) => r.name === 'widgets') ? list : undefined;
      },
      { timeoutMs: 10_000, description: `${group}/v1 widgets in discovery` },
    );
    expect(resources.groupVersion).toBe(`${group}/v1`);

    const body = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
    await custom.createNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets', body });
    const stored = await custom.getNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets', name: 'w1' });
    expect(stored.spec).toEqual({ size: 3 });
    // The schema is enforced by the real apiserver.
    await expect(
      custom.createNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets',
        body: { ...body, metadata: { name: 'bad' }, spec: { size: 0 } } }),
    ).rejects.toMatchObject({ code: 422 });

    await ext.deleteCustomResourceDefinition({ name: `widgets.${group}` });
  }, TIMEOUT_MS);

  it('runs the Deployment controller and garbage-collects owned ReplicaSets', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const name = uniqueName('web');
    const labels = { app: name };
    const deployment = await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          // No kubelet runs here, so the image is never pulled.
          template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] } },
        },
      },
    });

    const ownedBy = (refs: k8s.V1OwnerReference[] | undefined, uid: string | undefined): boolean =>
      (refs ?? []).some((r) => r.uid === uid && r.controller === true);
    const rs = await waitFor(
      async () => {
        const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` });
        return list.items.find((r) => ownedBy(r.metadata?.ownerReferences, deployment.metadata?.uid));
      },
      { timeoutMs: 30_000, description: 'ReplicaSet created by kube-controller-manager' },
    );
    expect(rs.spec?.replicas).toBe(2);
    // The ReplicaSet controller creates the Pods too (they stay Pending: there is no scheduler or kubelet).
    await waitFor(
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
        return pods.items.filter((p) => ownedBy(p.metadata?.ownerReferences, rs.metadata?.uid)).length === 2;
      },
      { timeoutMs: 30_000, description: 'two Pods owned by the ReplicaSet' },
    );

    await apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' });
    await waitFor(
      async () => (await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` })).items.length === 0,
      { timeoutMs: 30_000, description: 'ReplicaSet garbage-collected after the Deployment was deleted' },
    );
  }, TIMEOUT_MS);
});
