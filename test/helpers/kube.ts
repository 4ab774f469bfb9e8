import * as k8s from '@kubernetes/client-node';
import type { ServicesState } from '../harness/state.js';
import { uniqueName } from './names.js';

/** A KubeConfig for the test apiserver, as its admin (system:masters). */
export function kubeConfigFor(state: Pick<ServicesState, 'kubeconfig'>): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return kc;
}

/** Creates a namespace with a unique name starting with `prefix` and returns its name. */
export async function createNamespace(kc: k8s.KubeConfig, prefix = 'test'): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Deletes a namespace (kube-controller-manager then removes its contents); a missing one is not an error. */
export async function deleteNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  try {
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
