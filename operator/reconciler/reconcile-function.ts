/**
 * The level-triggered reconcile of one Function: read from the caches, validate (spec, secrets, ownership)
 * before writing anything, then ensure the Deployment and the Service (side by side), then update the status.
 * Idempotent; a missing Function means done (garbage collection removes what it owned). Returns when to look
 * again, or throws so the queue retries with backoff.
 */
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { FunctionResource, FunctionStatusBlock } from '../../common/function-types.js';
import { buildDeployment, DEFAULT_BUILD_OPTIONS, type BuildOptions } from '../resources/build-deployment.js';
import { buildService } from '../resources/build-service.js';
import { driftReasons, type OwnedObject } from '../resources/drift.js';
import { deploymentForCreate, deploymentForUpdate, serviceForUpdate } from '../resources/merge.js';
import { functionNamespace, SPEC_HASH_ANNOTATION, splitKey } from '../resources/names.js';
import { validateFunction } from '../resources/validate-function.js';
import { isAlreadyExists, isInvalid } from './api-error.js';
import type { DeploymentWriter, EventRecorder, FunctionStore, SecretReader, ServiceWriter, StatusWriter } from './ports.js';
import { appliedStatus, reconcileOwnsCondition, stalledStatus, statusChanged } from './status.js';

/** Everything a reconcile needs. */
export interface ReconcileDeps {
  readonly store: FunctionStore;
  readonly secrets: SecretReader;
  readonly deployments: DeploymentWriter;
  readonly services: ServiceWriter;
  readonly status: StatusWriter;
  readonly events: EventRecorder;
  readonly now: () => Date;
  /** How soon to look again while a listed secret is missing (there is no watch on Secrets). */
  readonly secretRecheckMs: number;
  readonly buildOptions?: BuildOptions;
}

/** What one reconcile concluded. */
export interface ReconcileResult {
  readonly outcome: 'gone' | 'ready' | 'progressing' | 'stalled';
  /** Look again after this long even if nothing changes. */
  readonly requeueAfterMs?: number;
}

/** What happened to one owned object: the live state and the change made (for the Events). */
type Ensured<T> =
  | { ok: true; live: T; change?: { action: 'created' | 'updated' | 'reverted'; detail: string } }
  | { ok: false; reason: string; message: string };

interface Writer<T> {
  create(obj: T, signal: AbortSignal): Promise<T>;
  replace(obj: T, signal: AbortSignal): Promise<T>;
  read(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined>;
}

function controllerUid(obj: KubernetesObject): string | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller)?.uid;
}

function notOwned(kind: string, namespace: string, name: string): { ok: false; reason: string; message: string } {
  return {
    ok: false,
    reason: `${kind}NotOwned`,
    message: `${kind} ${namespace}/${name} exists and is not controlled by this Function; delete it or rename the function`,
  };
}

async function ensureOwned<T extends OwnedObject>(
  kind: 'Deployment' | 'Service',
  fn: FunctionResource,
  desired: T,
  cached: T | undefined,
  writer: Writer<T>,
  forCreate: (desired: T) => T,
  forUpdate: (desired: T, live: T) => T,
  signal: AbortSignal,
): Promise<Ensured<T>> {
  const namespace = functionNamespace(fn);
  const name = desired.metadata!.name!;
  let live = cached;
  try {
    if (!live) {
      try {
        const created = await writer.create(forCreate(desired), signal);
        return { ok: true, live: created, change: { action: 'created', detail: `${kind} ${name}` } };
      } catch (err) {
        // The cache lags behind the API (or the object lost our label): read it and carry on with an update.
        if (!isAlreadyExists(err)) throw err;
        live = await writer.read(namespace, name, signal);
        if (!live) throw err;
      }
    }
    if (controllerUid(live) !== fn.metadata.uid) return notOwned(kind, namespace, name);
    const reasons = driftReasons(desired, live);
    if (reasons.length === 0) return { ok: true, live };
    const updated = await writer.replace(forUpdate(desired, live), signal);
    const specChanged = live.metadata?.annotations?.[SPEC_HASH_ANNOTATION] !== desired.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
    return {
      ok: true,
      live: updated,
      change: specChanged
        ? { action: 'updated', detail: `${kind} ${name}` }
        : { action: 'reverted', detail: `a manual change to ${kind} ${name}: ${reasons.join(', ')}` },
    };
  } catch (err) {
    if (isInvalid(err)) return { ok: false, reason: `${kind}Rejected`, message: `the apiserver rejected ${kind} ${name}: ${(err as Error).message}` };
    throw err;
  }
}

const CHANGE_EVENTS = {
  created: { reason: 'Created', message: (details: string) => `created ${details}` },
  updated: { reason: 'Updated', message: (details: string) => `updated ${details} to the new spec` },
  reverted: { reason: 'DriftReverted', message: (details: string) => `reverted ${details}` },
} as const;

/** One Normal Event per kind of change, e.g. `Created`: "created Deployment echo and Service echo". */
function recordChanges(fn: FunctionResource, results: ReadonlyArray<PromiseSettledResult<Ensured<unknown>>>, deps: ReconcileDeps): void {
  const byAction = new Map<keyof typeof CHANGE_EVENTS, string[]>();
  for (const result of results) {
    if (result.status !== 'fulfilled' || !result.value.ok || !result.value.change) continue;
    const { action, detail } = result.value.change;
    byAction.set(action, [...(byAction.get(action) ?? []), detail]);
  }
  for (const [action, details] of byAction) {
    deps.events.record(fn, 'Normal', CHANGE_EVENTS[action].reason, CHANGE_EVENTS[action].message(details.join(' and ')));
  }
}

async function writeStatusIfChanged(fn: FunctionResource, next: FunctionStatusBlock, deps: ReconcileDeps, signal: AbortSignal): Promise<void> {
  if (statusChanged(fn.status, next)) await deps.status.writeStatus(fn, next, signal, reconcileOwnsCondition);
}

async function stall(
  fn: FunctionResource,
  reason: string,
  message: string,
  deps: ReconcileDeps,
  signal: AbortSignal,
  requeueAfterMs?: number,
): Promise<ReconcileResult> {
  const dep = deps.store.getDeployment(functionNamespace(fn), fn.metadata.name);
  const next = stalledStatus(fn, reason, message, dep, deps.now());
  if (statusChanged(fn.status, next)) {
    // One Event per new problem, not per retry: the status carries the current state.
    deps.events.record(fn, 'Warning', reason, message);
    await deps.status.writeStatus(fn, next, signal, reconcileOwnsCondition);
  }
  return requeueAfterMs === undefined ? { outcome: 'stalled' } : { outcome: 'stalled', requeueAfterMs };
}

/** Reconciles the Function named by a `namespace/name` key. */
export async function reconcileFunction(key: string, deps: ReconcileDeps, signal: AbortSignal): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  const fn = deps.store.getFunction(namespace, name);
  if (!fn || fn.metadata.deletionTimestamp) return { outcome: 'gone' };

  const problems = validateFunction(fn);
  if (problems.length > 0) return stall(fn, 'InvalidSpec', problems.join('; '), deps, signal);

  const secrets = fn.spec.secrets ?? [];
  const missing = secrets.length > 0 ? await deps.secrets.missingSecrets(namespace, secrets, signal) : [];
  if (missing.length > 0) {
    const list = missing.map((s) => JSON.stringify(s)).join(', ');
    const message = `secret${missing.length > 1 ? 's' : ''} ${list} not found in namespace ${namespace}; create ${missing.length > 1 ? 'them' : 'it'} (e.g. faas-cli secret create) and the function will be deployed`;
    return stall(fn, 'SecretNotFound', message, deps, signal, deps.secretRecheckMs);
  }

  const cachedDeployment = deps.store.getDeployment(namespace, name);
  const cachedService = deps.store.getService(namespace, name);
  // Someone else's object of the same name, seen before writing anything (one without our label is not in the
  // cache: its create fails with AlreadyExists, and ensureOwned finds the conflict then).
  for (const [kind, cached] of [['Deployment', cachedDeployment], ['Service', cachedService]] as const) {
    if (cached && controllerUid(cached) !== fn.metadata.uid) {
      const conflict = notOwned(kind, namespace, name);
      return stall(fn, conflict.reason, conflict.message, deps, signal);
    }
  }

  // The Deployment and the Service do not depend on each other: ensuring both at once saves a round trip on
  // every first reconcile (bench/operator.ts: 1,000 new Functions). Both settle before anything is decided, so
  // no write of this reconcile is still in flight when the next one of the key starts.
  const [depResult, svcResult] = await Promise.allSettled([
    ensureOwned<V1Deployment>(
      'Deployment',
      fn,
      buildDeployment(fn, deps.buildOptions ?? DEFAULT_BUILD_OPTIONS),
      cachedDeployment,
      deps.deployments,
      (desired) => deploymentForCreate(desired, fn),
      deploymentForUpdate,
      signal,
    ),
    ensureOwned<V1Service>('Service', fn, buildService(fn), cachedService, deps.services, (desired) => desired, serviceForUpdate, signal),
  ]);
  recordChanges(fn, [depResult, svcResult], deps);
  if (depResult.status === 'rejected') throw depResult.reason;
  if (svcResult.status === 'rejected') throw svcResult.reason;
  const deployment = depResult.value;
  const service = svcResult.value;
  if (!deployment.ok) return stall(fn, deployment.reason, deployment.message, deps, signal);
  if (!service.ok) return stall(fn, service.reason, service.message, deps, signal);

  const next = appliedStatus(fn, deployment.live, deps.now());
  await writeStatusIfChanged(fn, next, deps, signal);
  const ready = next.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const stalled = next.conditions?.find((c) => c.type === 'Stalled')?.status === 'True';
  return { outcome: ready ? 'ready' : stalled ? 'stalled' : 'progressing' };
}
