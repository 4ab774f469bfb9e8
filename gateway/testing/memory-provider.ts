/**
 * An in-memory Provider for tests of the HTTP surface: functions are plain records whose endpoints a test
 * points at real servers on port 0. It fakes only the narrow Provider port.
 */
import { DEFAULT_POLICY, policyFromSpec, type DeliveryPolicy } from '../../common/delivery-policy.js';
import { KfaasError } from '../../common/errors.js';
import { initialReplicas } from '../../common/scale-labels.js';
import type { FunctionDeployment, FunctionSpec, FunctionStatus } from '../../common/function-types.js';
import type { FunctionManager, FunctionResolver, NamespaceLister, Provider, ResolvedFunction } from '../ports.js';
import { deploymentToSpec, specToStatus } from '../providers/function-spec.js';

interface Entry {
  spec: FunctionSpec;
  namespace: string;
  endpoints: string[];
  /** Derived from spec on first resolve, as the real providers cache it. */
  policy?: DeliveryPolicy;
}

/** A Provider backed by a Map; `setEndpoints` decides where calls go. */
export class MemoryProvider implements Provider {
  readonly info = { provider: 'memory', orchestration: 'none' };
  private readonly entries = new Map<string, Entry>();
  private readonly allowed: readonly string[];
  private readonly readyPromise: Promise<void>;

  constructor(options: { namespaces?: readonly string[]; ready?: Promise<void> } = {}) {
    this.allowed = options.namespaces ?? ['openfaas-fn'];
    this.readyPromise = options.ready ?? Promise.resolve();
  }

  /** Adds (or replaces) a function with the given endpoints. */
  put(spec: Partial<FunctionSpec> & { name: string }, namespace = 'openfaas-fn', endpoints: string[] = []): void {
    this.entries.set(`${namespace}/${spec.name}`, { spec: { image: 'test', ...spec }, namespace, endpoints });
  }

  /** Replaces a function's endpoints. */
  setEndpoints(name: string, namespace: string, endpoints: string[]): void {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) throw new Error(`no function ${name}.${namespace}`);
    entry.endpoints = endpoints;
  }

  readonly resolver: FunctionResolver = {
    resolve: async (name, namespace): Promise<ResolvedFunction | undefined> => {
      const entry = this.entries.get(`${namespace}/${name}`);
      if (!entry) return undefined;
      if (!entry.policy) {
        try {
          entry.policy = policyFromSpec(entry.spec);
        } catch {
          // Invalid specs fall back to defaults, as the real providers do.
          entry.policy = DEFAULT_POLICY;
        }
      }
      return { name, namespace, endpoints: entry.endpoints, policy: entry.policy, ...(entry.spec.queue ? { queue: entry.spec.queue } : {}) };
    },
  };

  readonly functions: FunctionManager = {
    list: async (namespace) => [...this.entries.values()].filter((e) => e.namespace === namespace).map((e) => this.status(e)),
    get: async (name, namespace) => {
      const entry = this.entries.get(`${namespace}/${name}`);
      return entry ? this.status(entry) : undefined;
    },
    deploy: async (d: FunctionDeployment, namespace) => {
      if (this.entries.has(`${namespace}/${d.service}`)) throw new KfaasError('CONFLICT', `function ${d.service}.${namespace} already exists`);
      this.entries.set(`${namespace}/${d.service}`, { spec: deploymentToSpec(d), namespace, endpoints: [] });
    },
    update: async (d: FunctionDeployment, namespace) => {
      const entry = this.entries.get(`${namespace}/${d.service}`);
      if (!entry) throw new KfaasError('FN_NOT_FOUND', `function ${d.service}.${namespace} not found`);
      entry.spec = deploymentToSpec(d, entry.spec);
      delete entry.policy;
    },
    remove: async (name, namespace) => {
      if (!this.entries.delete(`${namespace}/${name}`)) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
    },
    scale: async (name, namespace, replicas) => {
      const entry = this.entries.get(`${namespace}/${name}`);
      if (!entry) throw new KfaasError('FN_NOT_FOUND', `function ${name}.${namespace} not found`);
      entry.spec = { ...entry.spec, replicas };
      delete entry.policy;
    },
  };

  readonly namespaces: NamespaceLister = { namespaces: async () => [...this.allowed] };

  ready(): Promise<void> {
    return this.readyPromise;
  }

  async close(): Promise<void> {}

  private status(e: Entry): FunctionStatus {
    return specToStatus(e.spec, { namespace: e.namespace, replicas: initialReplicas(e.spec), availableReplicas: e.endpoints.length });
  }
}
