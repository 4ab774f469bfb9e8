// `helm install`, `upgrade`, `uninstall` and a re-install of the chart on the real control plane: the notes a
// user reads, the generated basic-auth password kept across upgrades and re-installs, and the objects that
// outlive an uninstall on purpose (the Secret, the function namespace).
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, kubeConfigFor, loadServices, uniqueName, waitFor } from '../helpers/index.js';
import { CHART, helm, statusFrom, writeValues, type HelmResult } from './chart-support.js';

// Helm, the apiserver and RBAC propagation take seconds: the integration project's 120 s testTimeout is a
// global-only jest option that projects ignore, so the suite sets its own.
jest.setTimeout(120_000);

/** Exit 0; on failure the assertion shows helm's stderr (client-go's informational lines are not failures). */
function expectSuccess(res: HelmResult): void {
  expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr }).toEqual({ code: 0, stderr: '' });
}

describe('helm install / upgrade / uninstall on the real apiserver', () => {
  let admin: k8s.KubeConfig;
  let kubeconfig: string;
  let namespace: string;
  let fnNamespace: string;
  let release: string;
  let values: string;

  const password = async (): Promise<string> => {
    const secret = await admin.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace, name: `${release}-kfaas-basic-auth` });
    return Buffer.from(secret.data!['basic-auth-password']!, 'base64').toString();
  };
  const inNamespace = (args: string[]) => [...args, '--namespace', namespace];

  beforeAll(async () => {
    const state = loadServices();
    kubeconfig = state.kubeconfig;
    admin = kubeConfigFor(state);
    namespace = await createNamespace(admin, 'chart-inst');
    // Not created here: the chart creates it (and keeps it on uninstall).
    fnNamespace = uniqueName('chart-inst-fn');
    release = uniqueName('inst');
    values = writeValues({ kafka: { brokers: ['kafka-bootstrap.kafka:9092'] }, functions: { namespace: fnNamespace } });
  });

  afterAll(async () => {
    if (!admin) return;
    await helm(inNamespace(['uninstall', release]), { kubeconfig });
    await Promise.all([namespace, fnNamespace].map((ns) => deleteNamespace(admin, ns)));
  });

  it('installs, prints how to get the password and make a first call, and keeps that password through upgrade, uninstall and re-install', async () => {
    const install = await helm(inNamespace(['install', release, CHART, '-f', values]), { kubeconfig });
    expectSuccess(install);
    expect(install.stdout).toContain(`kubectl -n ${namespace} port-forward svc/${release}-kfaas-gateway 8080:8080`);
    expect(install.stdout).toContain(`kubectl -n ${namespace} get secret ${release}-kfaas-basic-auth`);
    expect(install.stdout).toContain(`$OPENFAAS_URL/function/wordcount`);
    expect(install.stdout).toContain(`kubectl -n ${fnNamespace} get functions.kfaas.dev`);

    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const deployments = await apps.listNamespacedDeployment({ namespace });
    expect(deployments.items.map((d) => d.metadata!.name).sort()).toEqual([`${release}-kfaas-gateway`, `${release}-kfaas-operator`, `${release}-kfaas-worker`]);
    // The CRD comes with the chart (Helm installs crds/ before the templates when it is missing).
    expect(await statusFrom(() => admin.makeApiClient(k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name: 'functions.kfaas.dev' }))).toBe(200);
    expect(await statusFrom(() => admin.makeApiClient(k8s.CoreV1Api).readNamespace({ name: fnNamespace }))).toBe(200);
    const first = await password();
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);

    // An upgrade renders a fresh random password, but `lookup` finds the live one and keeps it.
    const upgrade = await helm(inNamespace(['upgrade', release, CHART, '-f', values, '--set', 'gateway.replicas=3']), { kubeconfig });
    expectSuccess(upgrade);
    expect((await apps.readNamespacedDeployment({ namespace, name: `${release}-kfaas-gateway` })).spec?.replicas).toBe(3);
    expect(await password()).toBe(first);

    const uninstall = await helm(inNamespace(['uninstall', release]), { kubeconfig });
    expectSuccess(uninstall);
    await waitFor(async () => (await statusFrom(() => apps.readNamespacedDeployment({ namespace, name: `${release}-kfaas-gateway` }))) === 404, {
      timeoutMs: 30_000,
      description: 'the gateway Deployment to be uninstalled',
    });
    // Kept on purpose: clients keep their credentials, and deleting the release never deletes functions.
    expect(await password()).toBe(first);
    expect(await statusFrom(() => admin.makeApiClient(k8s.CoreV1Api).readNamespace({ name: fnNamespace }))).toBe(200);

    const reinstall = await helm(inNamespace(['install', release, CHART, '-f', values]), { kubeconfig });
    expectSuccess(reinstall);
    expect(await password()).toBe(first);
  });

  it('refuses to install without kafka.brokers, before creating anything', async () => {
    const name = uniqueName('inst-nok');
    const res = await helm(inNamespace(['install', name, CHART]), { kubeconfig });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('kafka.brokers is required');
    expect((await helm(inNamespace(['status', name]), { kubeconfig })).code).not.toBe(0);
  });
});
