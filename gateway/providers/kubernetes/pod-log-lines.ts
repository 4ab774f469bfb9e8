/**
 * Pure pieces of /system/logs on Kubernetes: which pods can serve logs, why none can, the container to read,
 * and turning `timestamps=true` pod log lines into the NDJSON shape. No client, no I/O.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { LogLine } from '../../ports.js';

/**
 * True once the pod has run a container: its log exists in the kubelet. A Pending pod (unscheduled, or still
 * pulling its image) has none, and the log API refuses it.
 */
export function hasStarted(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') return true;
  return (pod.status?.containerStatuses ?? []).some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined || s.lastState?.terminated !== undefined);
}

/** Why no pod can serve logs: none exist, or each is in a phase before its container started. */
export function noStartedPodsMessage(fn: string, namespace: string, pods: readonly V1Pod[], instance?: string): string {
  const which = instance !== undefined ? `pod ${instance} of function ${fn}.${namespace}` : `function ${fn}.${namespace}`;
  if (pods.length === 0) {
    return `no pods exist for ${which} (label faas_function=${fn}); logs come from the Kubernetes pod log API once a pod has started`;
  }
  const phases = new Map<string, number>();
  for (const pod of pods) {
    const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
    const phase = waiting ?? pod.status?.phase ?? 'Unknown';
    phases.set(phase, (phases.get(phase) ?? 0) + 1);
  }
  const summary = [...phases].map(([phase, count]) => `${count} ${phase}`).join(', ');
  return `no started pods for ${which} (${summary}); logs come from the Kubernetes pod log API once a pod has started`;
}

/** The container whose log is the function's: the one named like the function (the operator's), else the first. */
export function functionContainer(pod: V1Pod, fn: string): string | undefined {
  const containers = pod.spec?.containers ?? [];
  return (containers.find((c) => c.name === fn) ?? containers[0])?.name;
}

// `timestamps=true` prefixes each line with an RFC 3339 (nano) time and one space.
const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/s;

/** Converts one pod log line (with its kubelet timestamp) to a LogLine; a line without one is stamped `fallbackTime`. */
export function podLogLine(raw: string, meta: { name: string; namespace: string; instance: string }, fallbackTime: string): LogLine {
  const match = STAMPED.exec(raw);
  const text = (match ? match[2]! : raw).replace(/\r$/, '');
  const timestamp = match ? toIso(match[1]!) ?? fallbackTime : fallbackTime;
  return { name: meta.name, namespace: meta.namespace, instance: meta.instance, timestamp, text };
}

/**
 * Merges the lines of several pods in time order (stable within a pod) and keeps the newest `tail` of them.
 * Each pod was asked for its own last `tail` lines, so the newest `tail` overall are among them.
 */
export function mergeByTime(perPod: ReadonlyArray<readonly LogLine[]>, tail?: number): LogLine[] {
  const all = perPod.flatMap((lines, pod) => lines.map((line, index) => ({ line, pod, index, at: Date.parse(line.timestamp) })));
  all.sort((a, b) => a.at - b.at || a.pod - b.pod || a.index - b.index);
  const merged = all.map((entry) => entry.line);
  return tail !== undefined && tail > 0 ? merged.slice(-tail) : merged;
}

// Date keeps milliseconds only; the kubelet's nanoseconds are cut, which keeps the ISO form clients parse.
function toIso(time: string): string | undefined {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
