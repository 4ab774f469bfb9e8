/**
 * EventRecorder on core/v1 Events. Recording is fire-and-forget (an Event is a hint, never worth failing a
 * reconcile over), and an identical Event for the same object within `dedupeWindowMs` is dropped, so a
 * Function retried every few seconds does not flood its namespace. At most `maxInFlight` Event writes run at
 * once and at most `maxBacklog` wait, so a burst (1,000 new Functions make 2,000 "Created" Events) never
 * queues ahead of reconcile traffic on the shared connections; beyond the backlog, Events are dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import type { FunctionResource } from '../../common/function-types.js';
import type { EventRecorder } from '../reconciler/ports.js';
import { OPERATOR_COMPONENT } from '../resources/names.js';
import { eventsPath } from './paths.js';
import type { KubeRestClient } from './rest-client.js';

/** Options of the event recorder. */
export interface EventRecorderOptions {
  readonly client: Pick<KubeRestClient, 'request'>;
  readonly logger: Logger;
  /** Identity of this operator instance (reportingInstance). */
  readonly instance: string;
  readonly dedupeWindowMs?: number;
  readonly maxInFlight?: number;
  readonly maxBacklog?: number;
  readonly now?: () => number;
}

/** An EventRecorder that also lets callers wait for Events in flight (for orderly shutdown and tests). */
export interface KubeEventRecorder extends EventRecorder {
  /** Resolves when every Event recorded so far has been written (or failed). */
  flush(): Promise<void>;
}

/** Builds the body of a core/v1 Event about a Function. */
export function eventBody(fn: FunctionResource, type: 'Normal' | 'Warning', reason: string, message: string, at: Date, instance: string) {
  const namespace = fn.metadata.namespace ?? 'default';
  const time = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${fn.metadata.name}.${at.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace },
    involvedObject: {
      apiVersion: fn.apiVersion,
      kind: fn.kind,
      name: fn.metadata.name,
      namespace,
      uid: fn.metadata.uid,
      resourceVersion: fn.metadata.resourceVersion,
    },
    type,
    reason,
    // The apiserver caps Event messages at 1 KiB.
    message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
    source: { component: OPERATOR_COMPONENT },
    reportingComponent: `kfaas.dev/${OPERATOR_COMPONENT}`,
    reportingInstance: instance.slice(0, 128),
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

/** Creates the recorder. */
export function createEventRecorder(options: EventRecorderOptions): KubeEventRecorder {
  const now = options.now ?? Date.now;
  const window = options.dedupeWindowMs ?? 10 * 60_000;
  const recent = new Map<string, number>();
  const maxInFlight = options.maxInFlight ?? 4;
  const maxBacklog = options.maxBacklog ?? 1000;
  const backlog: Array<() => Promise<void>> = [];
  let running = 0;
  let dropped = 0;
  const idle: Array<() => void> = [];

  const pump = (): void => {
    while (running < maxInFlight && backlog.length > 0) {
      const write = backlog.shift()!;
      running += 1;
      void write().finally(() => {
        running -= 1;
        pump();
      });
    }
    if (running === 0 && backlog.length === 0) for (const resolve of idle.splice(0)) resolve();
  };

  return {
    record(fn, type, reason, message) {
      const key = `${fn.metadata.uid}|${type}|${reason}|${message}`;
      const t = now();
      const last = recent.get(key);
      if (last !== undefined && t - last < window) return;
      recent.set(key, t);
      if (recent.size > 10_000) {
        for (const [k, at] of recent) if (t - at >= window) recent.delete(k);
      }
      const body = eventBody(fn, type, reason, message, new Date(t), options.instance);
      if (backlog.length >= maxBacklog) {
        dropped += 1;
        if (dropped === 1 || dropped % 1000 === 0) options.logger.warn('event backlog full; dropping events', { dropped });
        return;
      }
      backlog.push(() =>
        options.client
          .request('POST', eventsPath(body.metadata.namespace), { body })
          .then(() => undefined)
          .catch((err: unknown) => {
            options.logger.warn('could not record event', { fn: fn.metadata.name, namespace: body.metadata.namespace, reason, err });
          }),
      );
      pump();
    },
    flush() {
      if (running === 0 && backlog.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
