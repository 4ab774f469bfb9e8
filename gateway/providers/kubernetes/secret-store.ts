/**
 * /system/secrets on Kubernetes Secrets, as faas-netes keeps them: one Secret per name, its value under the key
 * of the same name (so the operator projects it to /var/openfaas/secrets/<name>), labelled as managed by kfaas
 * so that listing never shows (and the API never touches) Secrets that other tools own.
 */
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { KfaasError } from '../../../common/errors.js';
import type { SecretStore, SecretValue } from '../../ports.js';
import { apiStatus } from './api-errors.js';

/** The label selecting the Secrets /system/secrets manages. */
export const SECRET_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const SECRET_MANAGER = 'kfaas';

/** A SecretStore on the core API. */
export class KubeSecretStore implements SecretStore {
  constructor(private readonly core: CoreV1Api) {}

  async list(namespace: string): Promise<Array<{ name: string; namespace: string }>> {
    const list = await this.call(`list secrets in ${namespace}`, () =>
      this.core.listNamespacedSecret({ namespace, labelSelector: `${SECRET_MANAGED_BY}=${SECRET_MANAGER}` }),
    );
    return list.items.map((s) => ({ name: s.metadata?.name ?? '', namespace })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(secret: SecretValue): Promise<void> {
    try {
      await this.core.createNamespacedSecret({ namespace: secret.namespace, body: body(secret) });
    } catch (err) {
      if (apiStatus(err) === 409) throw new KfaasError('CONFLICT', `secret ${secret.name} already exists in ${secret.namespace}`, { cause: err });
      throw failure(err, `create secret ${secret.name}`);
    }
  }

  async update(secret: SecretValue): Promise<void> {
    const live = await this.managed(secret.name, secret.namespace);
    await this.call(`update secret ${secret.name}`, () =>
      this.core.replaceNamespacedSecret({
        name: secret.name,
        namespace: secret.namespace,
        body: { ...body(secret), metadata: { ...live.metadata, labels: { ...(live.metadata?.labels ?? {}), [SECRET_MANAGED_BY]: SECRET_MANAGER } } },
      }),
    );
  }

  async remove(name: string, namespace: string): Promise<void> {
    await this.managed(name, namespace);
    await this.call(`delete secret ${name}`, () => this.core.deleteNamespacedSecret({ name, namespace }));
  }

  /** Reads a Secret, treating one that kfaas does not manage as absent. */
  private async managed(name: string, namespace: string): Promise<V1Secret> {
    const live = await this.call(`read secret ${name}`, () => this.core.readNamespacedSecret({ name, namespace }));
    if (live.metadata?.labels?.[SECRET_MANAGED_BY] !== SECRET_MANAGER) {
      throw new KfaasError('NOT_FOUND', `secret ${name} not found in ${namespace} (a Secret of that name exists but is not managed by kfaas)`);
    }
    return live;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw failure(err, action);
    }
  }
}

function body(secret: SecretValue): V1Secret {
  return {
    metadata: { name: secret.name, namespace: secret.namespace, labels: { [SECRET_MANAGED_BY]: SECRET_MANAGER } },
    type: 'Opaque',
    data: { [secret.name]: secret.value.toString('base64') },
  };
}

function failure(err: unknown, action: string): KfaasError {
  const status = apiStatus(err);
  if (status === 404) return new KfaasError('NOT_FOUND', `${action}: not found`, { cause: err });
  if (status === 400 || status === 422) return new KfaasError('INVALID_FIELD', `${action} was rejected by Kubernetes`, { cause: err });
  if (status === 401 || status === 403) return new KfaasError('INTERNAL', `the gateway is not allowed to ${action} (Kubernetes answered ${status}); check its RBAC`, { cause: err });
  return new KfaasError('UNAVAILABLE', `could not ${action}: the Kubernetes API failed (${status ?? (err as Error)?.message})`, { cause: err, retryAfterSeconds: 1 });
}
