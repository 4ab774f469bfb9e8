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
import { decodeInvocation, type Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { InvocationHandler, InvocationSource, ProcessDecision, QueueObserver, SourceStartOptions } from '../../common/queue.js';
import type { CallStatus } from '../../common/call-status.js';
import type { Backoff } from '../../common/backoff.js';
import { trackCallStatus, type CallStatusTracker } from '../shared/call-status-tracker.js';
import { createDispatcher, type Dispatcher } from '../shared/dispatcher.js';
import { drainCalls } from '../shared/drain.js';
import { definedOnly } from '../../common/env.js';
import { intAtLeast, nonEmpty } from '../shared/validate.js';
import { STATUS_EVENT } from './call-status.js';
import { ENQUEUED_EVENT } from './invocation-queue.js';
import { createClaimPump, type ClaimPump } from './claim-pump.js';
import { createLeaseKeeper } from './lease-keeper.js';
import { applyDecision, deadLetterUndecodable } from './row-decisions.js';
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

/**
 * Creates a source over one queue of the store. The steps, in the order a row meets them: the claim pump
 * (claim-pump.ts) claims due rows under a lease, `admit` decodes each and hands it to the dispatcher, `persist`
 * stores the decision with the call's status (row-decisions.ts), and `settle` frees its slot. The lease keeper
 * (lease-keeper.ts) renews leases while calls run; `close` drains (queue/shared/drain.ts) and releases them.
 */
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
  const leases = createLeaseKeeper({ store, owner, leaseMs, now, logger });
  let dispatcher: Dispatcher | undefined;
  let tracker: CallStatusTracker | undefined;
  let pump: ClaimPump | undefined;
  let closing: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  const onEnqueued = (queue: string): void => {
    if (queue === topic) pump?.schedule();
  };

  function admit(d: Dispatcher, row: ClaimedRow): void {
    held.add(row.id);
    let inv: Invocation;
    try {
      inv = decodeInvocation(row.envelope);
    } catch (err) {
      options.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a row that is not a kfaas envelope', { err, id: row.id });
      void d
        .store(`dead letter of undecodable row ${row.id}`, () => deadLetterUndecodable(store, owner, row, err as Error, now))
        .then((stored) => settle(row.id, stored));
      return;
    }
    void d.dispatch(inv, (decision, how) => persist(row.id, inv, decision, how?.deferred ?? false), { system: 'kfaas-embedded', destination: topic, offset: String(row.id) }).then((stored) =>
      settle(row.id, stored),
    );
  }

  /** Stores a decision; the status changes in the same transaction that moves the call, so the two never disagree. */
  async function persist(id: number, inv: Invocation, decision: ProcessDecision, deferred: boolean): Promise<void> {
    // A deferred call did not run: its status stays `queued`.
    const status = deferred ? undefined : tracker?.decided(inv, decision);
    const stillOurs = await store.write(() => {
      if (status) store.statuses.put(status);
      return applyDecision(store, owner, id, decision, now);
    });
    if (status) notifier.emit(STATUS_EVENT, status);
    if (!stillOurs) logger.warn('the lease of a finished call was lost; another claim runs it again', { id, action: decision.action });
  }

  function settle(id: number, stored: boolean): void {
    held.delete(id);
    // An unstored call keeps its lease until close() releases it (or it expires): it must not run twice here.
    if (stored) pump?.schedule();
  }

  /** Stores a status outside the call's own writes (a start); a failure only costs the snapshot. */
  function putStatus(status: CallStatus): void {
    store.write(() => store.statuses.put(status)).then(
      (stored) => stored && notifier.emit(STATUS_EVENT, status),
      (err: unknown) => logger.debug('storing a call status failed', { err, callId: status.callId }),
    );
  }

  return {
    async start(handler: InvocationHandler, startOptions?: SourceStartOptions) {
      if (closing) throw new Error('the source is closed');
      if (dispatcher) return;
      tracker = trackCallStatus(handler, putStatus, { now, ...(options.resultMaxBytes !== undefined ? { resultMaxBytes: options.resultMaxBytes } : {}) });
      // One worker pool consumes this queue: it runs a function's whole concurrency total.
      const capacity = startOptions?.capacity;
      const d = createDispatcher({
        handler: tracker.handler,
        maxInflight,
        ...(capacity ? { functionLimit: (fn: string) => capacity.total(fn) } : {}),
        logger,
        observer: options.observer,
        backoff: options.backoff,
        now,
      });
      dispatcher = d;
      unsubscribe = capacity?.onChange(() => d.limitsChanged());
      pump = createClaimPump({
        store,
        topic,
        owner,
        leaseMs,
        pollIntervalMs: o.pollIntervalMs,
        highWater,
        held: () => held.size,
        admit: (row) => admit(d, row),
        now,
        logger,
      });
      notifier.on(ENQUEUED_EVENT, onEnqueued);
      leases.start();
      pump.schedule();
      logger.info('consuming invocations', { maxInflight, leaseMs });
    },
    close() {
      closing ??= (async () => {
        pump?.stop();
        unsubscribe?.();
        notifier.off(ENQUEUED_EVENT, onEnqueued);
        if (dispatcher) {
          dispatcher.stopStarting();
          await drainCalls(dispatcher, o, logger);
        }
        leases.close();
        logger.info('embedded source closed');
      })();
      return closing;
    },
  };
}
