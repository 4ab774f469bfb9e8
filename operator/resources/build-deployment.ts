/** The desired Deployment of a function: a pure function of the Function resource, no I/O, no clock. */
import type { V1Container, V1Deployment, V1Probe, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { parseDuration } from '../../common/duration.js';
import type { FunctionResource, ResourceQuantities } from '../../common/function-types.js';
import { specHash } from './hash.js';
import {
  FUNCTION_PORT,
  FUNCTION_PORT_NAME,
  functionLabels,
  functionNamespace,
  deploymentName,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_LABELS_ANNOTATION,
  ownerReference,
  SECRETS_MOUNT_PATH,
  SECRETS_VOLUME,
  selectorLabels,
  SPEC_HASH_ANNOTATION,
  TMP_VOLUME,
} from './names.js';
import { effectivePlatformSettings } from '../../common/function-settings.js';
import { containerEnv } from './platform-env.js';
import { parseConstraint } from './validate-function.js';

/** Probe timings; faas-netes's values (2s period, 1s timeout, 3 failures). */
export interface ProbeTimings {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** Knobs of the Deployment builder that are not part of the Function spec. */
export interface BuildOptions {
  readonly readiness: ProbeTimings;
  readonly liveness: ProbeTimings;
  readonly revisionHistoryLimit: number;
}

/** The documented builder defaults. */
export const DEFAULT_BUILD_OPTIONS: BuildOptions = Object.freeze({
  readiness: Object.freeze({ initialDelaySeconds: 2, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 }),
  // Readiness reacts within seconds; liveness restarts a container only after 30 s without a health answer. A
  // watchdog saturated by forked calls answers slowly, and a restart would kill its in-flight calls and add load.
  liveness: Object.freeze({ initialDelaySeconds: 3, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
  revisionHistoryLimit: 5,
});

/** Seconds Kubernetes waits after SIGTERM: the watchdog waits `write_timeout` (its healthcheck interval), then drains for up to `write_timeout`; 2 s of slack on top. */
export function terminationGracePeriodSeconds(writeTimeout: string): number {
  const seconds = Math.ceil(parseDuration(writeTimeout, 'write_timeout') / 1000);
  return 2 * seconds + 2;
}

function probe(path: string, timings: ProbeTimings): V1Probe {
  return { httpGet: { path, port: FUNCTION_PORT_NAME, scheme: 'HTTP' }, ...timings };
}

function quantities(q: ResourceQuantities | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (q?.cpu !== undefined) out.cpu = q.cpu;
  if (q?.memory !== undefined) out.memory = q.memory;
  return Object.keys(out).length > 0 ? out : undefined;
}

function nonEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}

/** Labels of owned objects: the user's, then the operator's (which win). */
export function ownedLabels(fn: FunctionResource): Record<string, string> {
  return { ...(fn.spec.labels ?? {}), ...functionLabels(fn.metadata.name) };
}

/** Metadata annotations of owned objects: the user's, plus the lists of keys the operator manages. */
export function ownedAnnotations(fn: FunctionResource, labels: Record<string, string>): Record<string, string> {
  const user = fn.spec.annotations ?? {};
  return {
    ...user,
    [MANAGED_LABELS_ANNOTATION]: Object.keys(labels).sort().join(','),
    [MANAGED_ANNOTATIONS_ANNOTATION]: Object.keys(user).sort().join(','),
  };
}

/** Stamps the spec-hash annotation, computed over everything else in the object. */
export function withSpecHash<T extends { metadata?: { annotations?: Record<string, string> } }>(obj: T): T {
  const hash = specHash(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...(obj.metadata?.annotations ?? {}), [SPEC_HASH_ANNOTATION]: hash } } };
}

/**
 * Builds the desired Deployment. `spec.replicas` is present only when the Function sets it: when unset, the
 * live count belongs to whoever scales the function (the gateway, an HPA) and is never overridden.
 */
export function buildDeployment(fn: FunctionResource, options: BuildOptions = DEFAULT_BUILD_OPTIONS): V1Deployment {
  const name = deploymentName(fn);
  const spec = fn.spec;
  const settings = effectivePlatformSettings(spec);
  const labels = ownedLabels(fn);

  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  const secrets = [...new Set(spec.secrets ?? [])];
  if (secrets.length > 0) {
    // One projected volume: every key of every listed secret appears as /var/openfaas/secrets/<key>.
    volumes.push({ name: SECRETS_VOLUME, projected: { sources: secrets.map((secret) => ({ secret: { name: secret } })) } });
    mounts.push({ name: SECRETS_VOLUME, mountPath: SECRETS_MOUNT_PATH, readOnly: true });
  }
  if (spec.readOnlyRootFilesystem) {
    volumes.push({ name: TMP_VOLUME, emptyDir: {} });
    mounts.push({ name: TMP_VOLUME, mountPath: '/tmp' });
  }

  const nodeSelector: Record<string, string> = {};
  for (const constraint of spec.constraints ?? []) {
    const parsed = parseConstraint(constraint);
    if ('key' in parsed) nodeSelector[parsed.key] = parsed.value;
  }

  const limits = quantities(spec.limits);
  const requests = quantities(spec.requests);
  const container: V1Container = {
    name,
    image: spec.image,
    ports: [{ name: FUNCTION_PORT_NAME, containerPort: FUNCTION_PORT, protocol: 'TCP' }],
    env: containerEnv(spec),
    ...(limits || requests ? { resources: { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) } } : {}),
    readinessProbe: probe('/_/ready', options.readiness),
    livenessProbe: probe('/_/health', options.liveness),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(spec.readOnlyRootFilesystem ? { securityContext: { readOnlyRootFilesystem: true } } : {}),
  };

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: functionNamespace(fn),
      labels,
      annotations: ownedAnnotations(fn, labels),
      ownerReferences: [ownerReference(fn)],
    },
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      selector: { matchLabels: selectorLabels(name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      revisionHistoryLimit: options.revisionHistoryLimit,
      template: {
        metadata: {
          labels: { ...labels },
          // faas-netes opts function pods out of Prometheus pod scraping unless the user says otherwise.
          annotations: { 'prometheus.io.scrape': 'false', ...(spec.annotations ?? {}) },
        },
        spec: {
          containers: [container],
          ...(volumes.length > 0 ? { volumes } : {}),
          ...(nonEmpty(nodeSelector) ? { nodeSelector } : {}),
          terminationGracePeriodSeconds: terminationGracePeriodSeconds(settings.timeouts.write),
          // Service links inject an env var per Service in the namespace; with many functions that is noise.
          enableServiceLinks: false,
        },
      },
    },
  };
  return withSpecHash(deployment);
}
