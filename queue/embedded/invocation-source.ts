/**
 * The embedded InvocationSource: claims due rows of one queue with a lease, runs them through the shared
 * dispatcher (per-key order, `maxInflight`), and stores each decision in the row: `complete` deletes it,
 * `retry` rewrites its envelope and due time (other rows keep flowing meanwhile), `dead-letter` moves it to the
 * dead_letters table. Leases are renewed while calls run and expire after a crash, so a killed process's calls
 * run again. Claims happen when the queue announces an enqueue, when a call finishes, when the next row falls
 * due, and at least every `pollIntervalMs`.
 */
import crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { decodeInvocation, encodeDeadLetter, encodeInvocation, type Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import { deadLetterOf, type InvocationHandler, type InvocationSource, type ProcessDecision, type QueueObserver } from '../../common/queue.js';
import type { CallStatus } from '../../common/call-status.js';
import type { Backoff } from '../../common/backoff.js';
import { trackCallStatus, type CallStatusTracker } from '../shared/call-status-tracker.js';
import { createDispatcher, type Dispatcher } from '../shared/dispatcher.js';
import { settlesWithin } from '../../runtime/deadline.js';
import { definedOnly } from '../../common/env.js';
import { intAtLeast, nonEmpty } from '../shared/validate.js';
import { STATUS_EVENT } from './call-status.js';
import { ENQUEUED_EVENT } from './invocation-queue.js';
import type { ClaimedRow, EmbeddedStore } from './store.js';

/** Options of an embedded source (see EmbeddedQueue.source). */
export interface EmbeddedSourceOptions {
  /** The queue (topic name) to consume; the queue's topicBase by default. */
  readonly topic?: string;
  readonly maxInflight?: number;
  /** Rows claimed ahead of free handler slots (default: maxInflight). */
  readonly prefetch?: number;
  readonly drainTimeoutMs?: number;
  /** After the abort, how long close() still waits for handlers to return. */
  readonly abortGraceMs?: number;
  /** Lease of a claimed row; renewed every third of it while the call runs. */
  readonly leaseMs?: number;
  /** Longest pause between claims when nothing announces work. */
  readonly pollIntervalMs?: number;
  readonly observer?: QueueObserver;
  readonly backoff?: Backoff;
  readonly logger?: Logger;
  /** Largest result body kept with a call's status (256 KiB by default); larger ones are dropped. */
  readonly resultMaxBytes?: number;
}

/** Defaults of the embedded source options. */
export const EMBEDDED_SOURCE_DEFAULTS = Object.freeze({
  maxInflight: 100,
  drainTimeoutMs: 30_000,
  abortGraceMs: 5_000,
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
});

/** Collaborators an EmbeddedQueue hands its sources. */
export interface EmbeddedSourceDeps {
  readonly store: EmbeddedStore;
  readonly notifier: EventEmitter;
  readonly topic: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Creates a source over one queue of the store. */
export function createEmbeddedSource(deps: EmbeddedSourceDeps, options: EmbeddedSourceOptions = {}): InvocationSource {
  const o = { ...EMBEDDED_SOURCE_DEFAULTS, ...definedOnly(options) };
  const topic = nonEmpty('topic', options.topic ?? deps.topic);
  const maxInflight = intAtLeast('maxInflight', o.maxInflight, 1);
  const highWater = maxInflight + intAtLeast('prefetch', options.prefetch ?? maxInflight, 0);
  const leaseMs = intAtLeast('leaseMs', o.leaseMs, 100);
  intAtLeast('pollIntervalMs', o.pollIntervalMs, 1);
  const now = deps.now ?? Date.now;
  const { store, notifier } = deps;
  const logger = (options.logger ?? deps.logger).child({ component: 'embedded-source', topic });
  const owner = crypto.randomUUID();
  const held = new Set<number>();
  let dispatcher: Dispatcher | undefined;
  let tracker: CallStatusTracker | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let pumpScheduled = false;
  let stopping = false;
  let closing: Promise<void> | undefined;

  const onEnqueued = (queue: string): void => {
    if (queue === topic) schedulePump();
  };

  function schedulePump(): void {
    if (pumpScheduled || stopping) return;
    pumpScheduled = true;
    setImmediate(pump);
  }

  function scheduleWake(delayMs: number): void {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      schedulePump();
    }, Math.max(1, delayMs));
  }

  // Claim in chunks: only once a quarter of the buffer has drained, so one commit covers many claims instead of
  // paying an fsync for every finished call.
  const refillAt = highWater - Math.max(1, Math.floor(highWater / 4));
  let pumping = false;
  let pumpAgain = false;

  function pump(): void {
    pumpScheduled = false;
    const d = dispatcher;
    if (stopping || !d) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    if (held.size > refillAt) return; // a finishing call pumps again
    const capacity = highWater - held.size;
    pumping = true;
    let claimedAt = now();
    store
      .write(() => {
        claimedAt = now();
        return store.claim(topic, capacity, claimedAt, claimedAt + leaseMs, owner);
      })
      .then(
        (rows) => {
          for (const row of rows) admit(d, row);
          if (rows.length < capacity) {
            const next = store.nextWakeAt(topic, owner);
            const t = now();
            scheduleWake(next !== undefined && next > t ? Math.min(next - t, o.pollIntervalMs) : o.pollIntervalMs);
          }
        },
        (err: unknown) => {
          if (!stopping) logger.warn('claiming calls failed; trying again', { err });
          scheduleWake(o.pollIntervalMs);
        },
      )
      .finally(() => {
        pumping = false;
        if (pumpAgain) {
          pumpAgain = false;
          schedulePump();
        }
      });
  }

  const settle = (id: number, stored: boolean): void => {
    held.delete(id);
    // An unstored call keeps its lease until close() releases it (or it expires): it must not run twice here.
    if (stored) schedulePump();
  };

  function admit(d: Dispatcher, row: ClaimedRow): void {
    held.add(row.id);
    let inv: Invocation;
    try {
      inv = decodeInvocation(row.envelope);
    } catch (err) {
      options.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a row that is not a kfaas envelope', { err, id: row.id });
      const record = encodeDeadLetter({
        reason: 'undecodable',
        attempts: 0,
        error: (err as Error).message,
        deadAt: now(),
        rawBase64: row.envelope.toString('base64'),
      });
      void d
        .store(`dead letter of undecodable row ${row.id}`, () =>
          store.write(() => {
            store.insertDeadLetter({ fn: null, reason: 'undecodable', deadAt: now(), record });
            store.removeInvocation(row.id, owner);
          }),
        )
        .then((stored) => settle(row.id, stored));
      return;
    }
    void d.dispatch(inv, (decision) => persist(row.id, inv, decision), { system: 'kfaas-embedded', destination: topic, offset: String(row.id) }).then((stored) =>
      settle(row.id, stored),
    );
  }

  /** Stores a status outside the call's own writes (a start); a failure only costs the snapshot. */
  function putStatus(status: CallStatus): void {
    store.write(() => store.statuses.put(status)).then(
      (stored) => stored && notifier.emit(STATUS_EVENT, status),
      (err: unknown) => logger.debug('storing a call status failed', { err, callId: status.callId }),
    );
  }

  async function persist(id: number, inv: Invocation, decision: ProcessDecision): Promise<void> {
    const status = tracker?.decided(inv, decision);
    const stillOurs = await store.write(() => {
      // The status changes in the transaction that moves the call, so the two never disagree.
      if (status) store.statuses.put(status);
      switch (decision.action) {
        case 'complete':
          return store.removeInvocation(id, owner);
        case 'retry': {
          const dueAt = now() + Math.max(0, decision.delayMs);
          const next: Invocation = { ...decision.invocation, notBefore: dueAt };
          return store.rescheduleInvocation(id, owner, encodeInvocation(next), next.function, dueAt);
        }
        case 'dead-letter': {
          const inv = decision.invocation;
          const deadAt = now();
          const record = encodeDeadLetter(deadLetterOf(decision, deadAt));
          if (!store.removeInvocation(id, owner)) return false;
          store.insertDeadLetter({ fn: inv.function, reason: decision.reason, deadAt, record });
          return true;
        }
      }
    });
    if (status) notifier.emit(STATUS_EVENT, status);
    if (!stillOurs) logger.warn('the lease of a finished call was lost; another claim runs it again', { id, action: decision.action });
  }

  return {
    async start(handler: InvocationHandler) {
      if (closing) throw new Error('the source is closed');
      if (dispatcher) return;
      tracker = trackCallStatus(handler, putStatus, { now, ...(options.resultMaxBytes !== undefined ? { resultMaxBytes: options.resultMaxBytes } : {}) });
      dispatcher = createDispatcher({ handler: tracker.handler, maxInflight, logger, observer: options.observer, backoff: options.backoff, now });
      notifier.on(ENQUEUED_EVENT, onEnqueued);
      renewTimer = setInterval(() => {
        try {
          store.renewLeases(owner, now() + leaseMs);
        } catch (err) {
          logger.warn('renewing leases failed', { err });
        }
      }, Math.max(50, Math.floor(leaseMs / 3)));
      schedulePump();
      logger.info('consuming invocations', { maxInflight, leaseMs });
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        notifier.off(ENQUEUED_EVENT, onEnqueued);
        if (wakeTimer) clearTimeout(wakeTimer);
        const d = dispatcher;
        if (d) {
          d.stopStarting();
          if (!(await settlesWithin(d.idle(), o.drainTimeoutMs))) {
            logger.warn('calls still running at the drain deadline; aborting them', { running: d.running });
            d.abort(`the source is closing and the drain deadline of ${o.drainTimeoutMs} ms passed`);
            await settlesWithin(d.idle(), o.abortGraceMs);
          }
        }
        if (renewTimer) clearInterval(renewTimer);
        try {
          store.releaseLeases(owner);
        } catch (err) {
          logger.warn('releasing leases failed; they expire by themselves', { err });
        }
        logger.info('embedded source closed');
      })();
      return closing;
    },
  };
}
