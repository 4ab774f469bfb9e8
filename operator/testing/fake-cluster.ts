/** An in-memory stand-in for the reconciler's ports, with resourceVersion semantics and a call log. */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { FunctionResource, FunctionStatusBlock } from '../../common/function-types.js';
import { ApiError } from '../reconciler/api-error.js';
import type { DeploymentWriter, EventRecorder, FunctionStore, SecretReader, ServiceWriter, StatusWriter } from '../reconciler/ports.js';

type Obj = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

class FakeCollection<T extends Obj> {
  readonly items = new Map<string, T>();
  constructor(
    private readonly kind: string,
    private readonly cluster: FakeCluster,
  ) {}

  private key(ns: string | undefined, name: string | undefined): string {
    return `${ns ?? ''}/${name ?? ''}`;
  }

  get(ns: string, name: string): T | undefined {
    const item = this.items.get(this.key(ns, name));
    return item ? structuredClone(item) : undefined;
  }

  put(obj: T): T {
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.cluster.revision) };
    this.items.set(this.key(obj.metadata?.namespace, obj.metadata?.name), stored);
    return structuredClone(stored);
  }

  writer(): { create(o: T): Promise<T>; replace(o: T): Promise<T>; read(ns: string, n: string): Promise<T | undefined> } {
    return {
      create: async (obj) => {
        this.cluster.calls.push(`create ${this.kind} ${obj.metadata?.name}`);
        this.cluster.failNext(`create ${this.kind}`);
        if (this.items.has(this.key(obj.metadata?.namespace, obj.metadata?.name))) {
          throw new ApiError(409, 'AlreadyExists', `${this.kind} already exists`);
        }
        return this.put(obj);
      },
      replace: async (obj) => {
        this.cluster.calls.push(`replace ${this.kind} ${obj.metadata?.name}`);
        this.cluster.failNext(`replace ${this.kind}`);
        const live = this.items.get(this.key(obj.metadata?.namespace, obj.metadata?.name));
        if (!live) throw new ApiError(404, 'NotFound', `${this.kind} not found`);
        if (live.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
          throw new ApiError(409, 'Conflict', 'the object has been modified');
        }
        return this.put(obj);
      },
      read: async (ns, name) => {
        this.cluster.calls.push(`read ${this.kind} ${name}`);
        return this.get(ns, name);
      },
    };
  }
}

/** An in-memory cluster: the store reads `cache` views that tests can make stale on purpose. */
export class FakeCluster {
  revision = 0;
  readonly calls: string[] = [];
  readonly events: Array<{ type: string; reason: string; message: string }> = [];
  readonly statuses: FunctionStatusBlock[] = [];
  readonly functions = new Map<string, FunctionResource>();
  readonly secrets = new Set<string>();
  readonly deploymentsCol = new FakeCollection<V1Deployment>('Deployment', this);
  readonly servicesCol = new FakeCollection<V1Service>('Service', this);
  /** When set, the store does not see objects in these collections (an informer cache that lags). */
  staleCache = false;
  private readonly failures = new Map<string, ApiError>();

  /** Makes the next call with this label (`create Deployment`, `replace Service`...) throw `err`. */
  failOnce(label: string, err: ApiError): void {
    this.failures.set(label, err);
  }

  /** Throws the failure armed for `label`, once. */
  failNext(label: string): void {
    const err = this.failures.get(label);
    if (err) {
      this.failures.delete(label);
      throw err;
    }
  }

  addFunction(fn: FunctionResource): void {
    this.functions.set(`${fn.metadata.namespace}/${fn.metadata.name}`, structuredClone(fn));
  }

  readonly store: FunctionStore = {
    getFunction: (ns, name) => {
      const fn = this.functions.get(`${ns}/${name}`);
      return fn ? structuredClone(fn) : undefined;
    },
    getDeployment: (ns, name) => (this.staleCache ? undefined : this.deploymentsCol.get(ns, name)),
    getService: (ns, name) => (this.staleCache ? undefined : this.servicesCol.get(ns, name)),
  };

  readonly secretReader: SecretReader = {
    missingSecrets: async (ns, names) => {
      this.calls.push(`check secrets ${names.join(',')}`);
      return names.filter((n) => !this.secrets.has(`${ns}/${n}`));
    },
  };

  readonly deployments: DeploymentWriter = this.deploymentsCol.writer();
  readonly services: ServiceWriter = this.servicesCol.writer();

  readonly status: StatusWriter = {
    writeStatus: async (fn, status) => {
      this.calls.push(`status ${fn.metadata.name}`);
      this.statuses.push(structuredClone(status));
      const stored = this.functions.get(`${fn.metadata.namespace}/${fn.metadata.name}`);
      if (stored) stored.status = structuredClone(status);
    },
  };

  readonly recorder: EventRecorder = {
    record: (_fn, type, reason, message) => {
      this.events.push({ type, reason, message });
    },
  };
}
