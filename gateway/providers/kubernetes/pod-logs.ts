/**
 * /system/logs on Kubernetes: the pod log API of the function's pods (label `faas_function=<name>`), as
 * faas-netes reads them. Pods that have not started have no log yet; with none started the answer is 501, naming
 * the pods' phases, before any stream begins.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { KfaasError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { LogLine, LogQuery, LogSource } from '../../ports.js';
import { FAAS_FUNCTION_LABEL } from '../../../common/function-types.js';
import { apiStatus } from './api-errors.js';
import { functionContainer, hasStarted, mergeByTime, noStartedPodsMessage, podLogLine } from './pod-log-lines.js';
import { openPodLog, PodLogError } from './pod-log-stream.js';

/** Options of KubePodLogSource. */
export interface PodLogSourceOptions {
  readonly core: CoreV1Api;
  /** Cluster address and credentials for the log requests. */
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
}

type LineMeta = { name: string; namespace: string; instance: string };

interface OpenLog {
  readonly pod: string;
  readonly body: Readable;
}

/** A LogSource on the pod log API. */
export class KubePodLogSource implements LogSource {
  private readonly core: CoreV1Api;
  private readonly kubeConfig: KubeConfig;
  private readonly logger: Logger;

  constructor(options: PodLogSourceOptions) {
    this.core = options.core;
    this.kubeConfig = options.kubeConfig;
    this.logger = options.logger;
  }

  async read(query: LogQuery): Promise<AsyncIterable<LogLine>> {
    const { name, namespace } = query;
    let pods: V1Pod[];
    try {
      pods = (await this.core.listNamespacedPod({ namespace, labelSelector: `${FAAS_FUNCTION_LABEL}=${name}` })).items;
    } catch (err) {
      throw failure(err, `list the pods of ${name}.${namespace}`);
    }
    if (query.instance !== undefined) pods = pods.filter((p) => p.metadata?.name === query.instance);
    const started = pods.filter(hasStarted).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (started.length === 0) throw new KfaasError('NOT_IMPLEMENTED', noStartedPodsMessage(name, namespace, pods, query.instance));

    // Every request ends with the reader: aborting this signal destroys each open log body.
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    query.signal.addEventListener('abort', onAbort, { once: true });
    const opened = await Promise.allSettled(started.map((pod) => this.open(pod, query, abort.signal)));
    const logs = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failures = opened.flatMap((o) => (o.status === 'rejected' ? [o.reason as KfaasError] : []));
    if (logs.length === 0) {
      query.signal.removeEventListener('abort', onAbort);
      throw failures[0]!;
    }
    // A pod going away mid-rollout should not hide the others' logs; only when none can be read is it an error.
    for (const f of failures) this.logger.warn('skipping a pod whose log cannot be read', { fn: name, namespace, err: f.message });

    const meta = (pod: string): LineMeta => ({ name, namespace, instance: pod });
    const lines = query.follow ? interleave(logs, meta) : merged(logs, meta, query.tail, query.sinceMs);
    return (async function* () {
      try {
        yield* lines;
      } finally {
        query.signal.removeEventListener('abort', onAbort);
        abort.abort();
      }
    })();
  }

  private async open(pod: V1Pod, query: LogQuery, signal: AbortSignal): Promise<OpenLog> {
    const podName = pod.metadata?.name ?? '';
    const container = functionContainer(pod, query.name);
    if (!container) throw new KfaasError('UNAVAILABLE', `pod ${podName} has no container to read logs from`);
    try {
      const body = await openPodLog(this.kubeConfig, {
        namespace: query.namespace,
        pod: podName,
        container,
        follow: query.follow,
        signal,
        ...(query.tail !== undefined ? { tailLines: query.tail } : {}),
        ...(query.sinceMs !== undefined ? { sinceTime: new Date(query.sinceMs).toISOString() } : {}),
      });
      return { pod: podName, body };
    } catch (err) {
      throw failure(err, `read the logs of pod ${podName}`);
    }
  }
}

function linesOf(body: Readable): AsyncIterable<string> {
  return createInterface({ input: body, crlfDelay: Infinity });
}

/** Non-follow: every pod's lines, merged in time order, the newest `tail` of them. */
async function* merged(logs: readonly OpenLog[], meta: (pod: string) => LineMeta, tail?: number, sinceMs?: number): AsyncGenerator<LogLine> {
  const perPod = await Promise.all(
    logs.map(async (log) => {
      const out: LogLine[] = [];
      const now = new Date().toISOString();
      for await (const raw of linesOf(log.body)) out.push(podLogLine(raw, meta(log.pod), now));
      // sinceTime is applied by the kubelet at its own precision; the exact cut is made on the line times.
      return sinceMs === undefined ? out : out.filter((l) => Date.parse(l.timestamp) >= sinceMs);
    }),
  );
  yield* mergeByTime(perPod, tail);
}

/** Follow: lines from every pod as they arrive, until each stream ends or the reader leaves. */
async function* interleave(logs: readonly OpenLog[], meta: (pod: string) => LineMeta): AsyncGenerator<LogLine> {
  const pending: LogLine[] = [];
  let open = logs.length;
  let wake: (() => void) | undefined;
  for (const log of logs) {
    void (async () => {
      try {
        for await (const raw of linesOf(log.body)) {
          pending.push(podLogLine(raw, meta(log.pod), new Date().toISOString()));
          wake?.();
        }
      } catch {
        // An aborted or broken stream just ends this pod's share.
      } finally {
        open--;
        wake?.();
      }
    })();
  }
  for (;;) {
    const next = pending.shift();
    if (next) {
      yield next;
      continue;
    }
    if (open === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

/** A failed API call as a platform error naming the action and, when there is one, the apiserver's message. */
function failure(err: unknown, action: string): KfaasError {
  if (err instanceof KfaasError) return err;
  const status = err instanceof PodLogError ? err.code : apiStatus(err);
  const detail = err instanceof PodLogError ? err.detail : undefined;
  if (status === 401 || status === 403) {
    return new KfaasError('INTERNAL', `the gateway is not allowed to ${action} (Kubernetes answered ${status}); check its RBAC (pods, pods/log)`, { cause: err });
  }
  const answer = status !== undefined ? `Kubernetes answered ${status}` : 'the Kubernetes API failed';
  return new KfaasError('UNAVAILABLE', `could not ${action}: ${answer}${detail ? `: ${detail}` : ''}`, { cause: err, retryAfterSeconds: 1 });
}
