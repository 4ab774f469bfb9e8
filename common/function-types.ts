/**
 * The Function resource (`kfaas.dev/v1alpha1`), the OpenFaaS REST shapes of /system, and the conversions
 * between them. The CRD in crds/ is canonical; these types mirror its schema.
 */

/** API group, version and kind of the Function resource. */
export const FUNCTION_GROUP = 'kfaas.dev';
export const FUNCTION_VERSION = 'v1alpha1';
export const FUNCTION_KIND = 'Function';
export const FUNCTION_PLURAL = 'functions';
export const FUNCTION_API_VERSION = `${FUNCTION_GROUP}/${FUNCTION_VERSION}`;

/** CPU and memory quantities, as Kubernetes strings (`100m`, `128Mi`). */
export interface ResourceQuantities {
  cpu?: string;
  memory?: string;
}

/** The three watchdog timeouts, as duration strings (`30s`, `1m30s`, or whole seconds). */
export interface FunctionTimeouts {
  read?: string;
  write?: string;
  exec?: string;
}

/** Async retry policy of a function. */
export interface RetrySpec {
  /** Total attempts including the first (1 = no retry). */
  maxAttempts?: number;
  minBackoff?: string;
  maxBackoff?: string;
}

/** What a function's autoscaling measures per replica: concurrent calls (sync plus async) or requests per second. */
export const SCALE_TARGET_TYPES = Object.freeze(['inflight', 'rps'] as const);

/** One of SCALE_TARGET_TYPES. */
export type ScaleTargetType = (typeof SCALE_TARGET_TYPES)[number];

/** Autoscaling of a function (`spec.scale`); see common/scale-settings.ts for defaults and the label fallback. */
export interface ScaleSpec {
  /** Fewest replicas while the function has load (0 allowed). */
  min?: number;
  /** Most replicas. */
  max?: number;
  /** Load one replica takes: concurrent calls (inflight) or calls per second (rps). */
  target?: number;
  targetType?: ScaleTargetType;
  /** Scale to zero after this long with no calls and an empty backlog (a duration; unset = never). */
  zeroAfter?: string;
}

/** Watchdog modes: a process per call, or a long-running HTTP upstream. OpenFaaS names are accepted too. */
export const FUNCTION_MODES = Object.freeze(['fork', 'http', 'serializing', 'streaming'] as const);

/** Watchdog mode of a function; one of FUNCTION_MODES. */
export type FunctionMode = (typeof FUNCTION_MODES)[number];

/** True when `value` names a watchdog mode. */
export function isFunctionMode(value: string): value is FunctionMode {
  return (FUNCTION_MODES as readonly string[]).includes(value);
}

/** OpenFaaS's label with the function name: on every function and its pods, and the pod selector. */
export const FAAS_FUNCTION_LABEL = 'faas_function';

/** kfaas's label with the function name on every object the operator owns; its informers select by it. */
export const OWNER_FUNCTION_LABEL = 'kfaas.dev/function';

/** The spec of a Function resource; field names follow OpenFaaS's Function CRD. */
export interface FunctionSpec {
  /** Function name; equals metadata.name. */
  name: string;
  image: string;
  /** The command the watchdog runs (`fprocess`). */
  handler?: string;
  mode?: FunctionMode;
  environment?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  secrets?: string[];
  /** Node selector terms as `key=value`. */
  constraints?: string[];
  limits?: ResourceQuantities;
  requests?: ResourceQuantities;
  readOnlyRootFilesystem?: boolean;
  replicas?: number;
  timeouts?: FunctionTimeouts;
  /** Dedicated async queue name; its calls go to their own topic and consumer group. */
  queue?: string;
  retry?: RetrySpec;
  /** How long an async call may wait in total before it is dead-lettered. */
  maxEventAge?: string;
  /** Autoscaling on load; unset (and no OpenFaaS scale labels) means no autoscaling. */
  scale?: ScaleSpec;
}

/** A status condition, as Kubernetes defines it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The status of a Function resource, written by the operator. */
export interface FunctionStatusBlock {
  conditions?: Condition[];
  observedGeneration?: number;
  replicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  /** The autoscaler's latest change (written by the autoscaler only). */
  scale?: ScaleStatus;
}

/** The autoscaler's latest change of a Function's replicas. */
export interface ScaleStatus {
  /** Replicas the autoscaler set. */
  desiredReplicas: number;
  /** Why, e.g. `backlog 412 / target 50 -> 8 replicas (max 8)`. */
  reason: string;
  /** When (RFC 3339). */
  lastScaleTime: string;
}

/** A Function resource as stored in the Kubernetes API. */
export interface FunctionResource {
  apiVersion: typeof FUNCTION_API_VERSION;
  kind: typeof FUNCTION_KIND;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
  };
  spec: FunctionSpec;
  status?: FunctionStatusBlock;
}

/** OpenFaaS `FunctionDeployment`: the body of POST and PUT /system/functions. */
export interface FunctionDeployment {
  service: string;
  image: string;
  namespace?: string;
  envProcess?: string;
  envVars?: Record<string, string>;
  constraints?: string[];
  secrets?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  limits?: ResourceQuantities;
  requests?: ResourceQuantities;
  readOnlyRootFilesystem?: boolean;
}

/** OpenFaaS `FunctionStatus`: one item of GET /system/functions and the body of GET /system/function/{name}. */
export interface FunctionStatus {
  name: string;
  image: string;
  namespace: string;
  envProcess?: string;
  envVars?: Record<string, string>;
  constraints?: string[];
  secrets?: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  limits?: ResourceQuantities;
  requests?: ResourceQuantities;
  readOnlyRootFilesystem?: boolean;
  invocationCount: number;
  replicas: number;
  availableReplicas: number;
  createdAt?: string;
  /**
   * kfaas only (OpenFaaS clients ignore it): concurrent calls one replica takes (`perReplicaCapacity`); the
   * workers run at most availableReplicas x this many async calls of the function at once. Absent = unbounded.
   */
  replicaCapacity?: number;
}

/** Environment variables the platform sets itself; they are not echoed back as user `envVars`. */
export const PLATFORM_ENV_VARS: ReadonlySet<string> = new Set([
  'fprocess',
  'mode',
  'read_timeout',
  'write_timeout',
  'exec_timeout',
]);

/** Annotation keys through which an OpenFaaS deployment carries kfaas-only spec fields. */
export const SpecAnnotations = Object.freeze({
  mode: 'kfaas.dev/mode',
  queue: 'com.openfaas.queue',
  retryMaxAttempts: 'com.openfaas.retry.attempts',
  retryMinBackoff: 'com.openfaas.retry.min_wait',
  retryMaxBackoff: 'com.openfaas.retry.max_wait',
  maxEventAge: 'kfaas.dev/max-event-age',
});
