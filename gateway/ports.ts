/**
 * The gateway's provider ports. The kubernetes and local adapters implement them; handlers depend on these
 * interfaces only, so both providers serve the same HTTP surface.
 */
import type { DeliveryPolicy } from '../common/delivery-policy.js';
import type { FunctionDeployment, FunctionStatus } from '../common/function-types.js';

/** Where and how to call one function, resolved on the hot path without an API round-trip. */
export interface ResolvedFunction {
  readonly name: string;
  readonly namespace: string;
  /** Base URLs of ready endpoints (e.g. `http://127.0.0.1:41234`); empty when none is ready. */
  readonly endpoints: readonly string[];
  /** The function's delivery policy (exec timeout, retry rules), from its spec. */
  readonly policy: DeliveryPolicy;
  /** Dedicated async queue, if the spec names one. */
  readonly queue?: string;
}

/** Resolves a function name to its endpoints and policy. Undefined means the function does not exist. */
export interface FunctionResolver {
  resolve(name: string, namespace: string): Promise<ResolvedFunction | undefined>;
}

/** CRUD on functions for the /system API. Errors are KfaasErrors (NOT_FOUND, CONFLICT, INVALID_FIELD, ...). */
export interface FunctionManager {
  list(namespace: string): Promise<FunctionStatus[]>;
  get(name: string, namespace: string): Promise<FunctionStatus | undefined>;
  /** Creates a function; CONFLICT when it exists. The function is readable as soon as this resolves. */
  deploy(deployment: FunctionDeployment, namespace: string): Promise<void>;
  /** Replaces a function's spec; NOT_FOUND when missing. */
  update(deployment: FunctionDeployment, namespace: string): Promise<void>;
  remove(name: string, namespace: string): Promise<void>;
  scale(name: string, namespace: string, replicas: number): Promise<void>;
}

/** Lists the namespaces functions may live in. */
export interface NamespaceLister {
  namespaces(): Promise<string[]>;
}

/** A namespace as /system/namespace carries it (faas-provider's FunctionNamespace). */
export interface FunctionNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * Namespaces managed through the API (faas-cli `namespace create/update/delete`). Errors are KfaasErrors
 * (NOT_FOUND, CONFLICT, BAD_REQUEST for a namespace that may not be changed).
 */
export interface NamespaceManager {
  /** The namespaces calls may name right now. Synchronous: every invocation asks. */
  allowed(): readonly string[];
  /** One function namespace, or undefined when it does not exist or is not one. */
  get(name: string): Promise<FunctionNamespace | undefined>;
  /** Creates a marked namespace; functions can be deployed there as soon as this resolves. */
  create(ns: FunctionNamespace): Promise<void>;
  /** Replaces a function namespace's labels and annotations, keeping its marker. */
  update(ns: FunctionNamespace): Promise<void>;
  /** Deletes a marked namespace, with everything in it; never a configured one. */
  remove(name: string): Promise<void>;
}

/** A secret as the /system/secrets API carries it. */
export interface SecretValue {
  readonly name: string;
  readonly namespace: string;
  readonly value: Buffer;
}

/** Secret CRUD; values are write-only through the API. */
export interface SecretStore {
  list(namespace: string): Promise<Array<{ name: string; namespace: string }>>;
  create(secret: SecretValue): Promise<void>;
  update(secret: SecretValue): Promise<void>;
  remove(name: string, namespace: string): Promise<void>;
}

/** One log line in the /system/logs NDJSON shape. */
export interface LogLine {
  readonly name: string;
  readonly namespace: string;
  readonly instance: string;
  readonly timestamp: string;
  readonly text: string;
}

/** What /system/logs asks a LogSource for. */
export interface LogQuery {
  name: string;
  namespace: string;
  /** Only the newest N lines (before following); absent means all that are kept. */
  tail?: number;
  sinceMs?: number;
  /** Only this instance's lines (a replica or pod name). */
  instance?: string;
  follow: boolean;
  signal: AbortSignal;
}

/**
 * Reads function logs. A source may answer with a promise: a rejection (e.g. 501, no started pods) then
 * reaches the client as an error status, before the 200 NDJSON stream begins.
 */
export interface LogSource {
  read(query: LogQuery): AsyncIterable<LogLine> | Promise<AsyncIterable<LogLine>>;
}

/** Information for /system/info. */
export interface ProviderInfo {
  readonly provider: string;
  readonly orchestration: string;
}

/** Everything a provider offers the gateway. Optional parts answer 501 when absent. */
export interface Provider {
  readonly info: ProviderInfo;
  readonly resolver: FunctionResolver;
  readonly functions: FunctionManager;
  readonly namespaces: NamespaceLister;
  /** Present when namespaces can be managed through the API (Kubernetes, cluster-wide install). */
  readonly namespaceManager?: NamespaceManager;
  readonly secrets?: SecretStore;
  readonly logs?: LogSource;
  /** Resolves once the provider's caches are synced (for /readyz). */
  ready(): Promise<void>;
  close(): Promise<void>;
}
