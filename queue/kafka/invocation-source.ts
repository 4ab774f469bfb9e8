/**
 * The Kafka InvocationSource. Calls run off kafkajs's fetch loop: `eachBatch` only admits records (tracks their
 * offsets and hands them to the dispatcher) and returns, so the loop keeps fetching and heartbeating while a call
 * runs for minutes, and a slow call never holds up the other records of its partition or broker. Admission is
 * bounded: at `maxInflight + prefetch` unfinished records `eachBatch` waits for room, heartbeating meanwhile
 * (pausing instead would make kafkajs sleep a whole `maxWaitTime` per fetch cycle once the buffer fills).
 *
 * A record is acknowledged (its offset becomes committable) only once its decision is stored: a retry record
 * produced to `<topic>.retry`, a dead letter produced, or `complete`. Offsets are committed as the contiguous
 * finished prefix per partition, so a crash redelivers everything unfinished (at-least-once). Partitions with
 * unfinished work stay with this member across rebalances (sticky-assigner.ts), so a scale-out does not run an
 * in-flight call a second time. A record that is not an envelope is dead-lettered with its raw bytes.
 */
import type { Admin, Consumer, KafkaMessage } from 'kafkajs';
import { cancels } from '../../common/call-status.js';
import { decodeInvocation, type Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { FunctionCapacity, InvocationHandler, InvocationSource, ProcessDecision, QueueObserver } from '../../common/queue.js';
import { consumerGroup, DEFAULT_DEAD_LETTER_TOPIC, DELAY_TIERS_MS, retryTopic } from '../../common/topics.js';
import type { Backoff } from '../../common/backoff.js';
import { DEFAULT_INFRA_BACKOFF } from '../shared/backoff.js';
import { trackCallStatus, type CallStatusTracker } from '../shared/call-status-tracker.js';
import { concurrencyShare } from '../shared/concurrency-share.js';
import { createDispatcher, type Dispatcher } from '../shared/dispatcher.js';
import { drainCalls } from '../shared/drain.js';
import { definedOnly } from '../../common/env.js';
import { intAtLeast, nonEmpty } from '../shared/validate.js';
import { createBatchingProducer, type BatchingOptions } from './batching-producer.js';
import { createAdmissionGate } from './admission-gate.js';
import { undecodableDeadLetter } from './dead-letter-records.js';
import { decisionRecord } from './decision-records.js';
import { createFetchLoop, type FetchLoop } from './fetch-loop.js';
import { trackGroupMembers, type GroupMembers } from './group-members.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';
import { startLagReporter } from './lag-reporter.js';
import { createOffsetCommitter } from './offset-committer.js';
import { createDoneMarksSeeder, doneMarksTimeoutMs } from './committed-marks.js';
import { OffsetTracker, type PartitionProgress } from './offset-tracker.js';
import { createRetryRelay, type RetryRelay } from './retry-relay.js';
import { createDelayTiers, delayTierTopics, type DelayTiers } from './delay-tiers.js';
import { createKafkaCallStatusView, type KafkaCallStatusView } from './call-status-view.js';
import { STATUS_TOPIC_PARTITIONS, statusRecord, statusTopicSpec, type StatusTopicOptions } from './status-topic.js';
import { ensureTopics, INVOCATION_TOPIC_MAX_MESSAGE_BYTES, LARGE_TOPIC_MAX_MESSAGE_BYTES } from './topics-admin.js';

/** Options of createKafkaInvocationSource. */
export interface KafkaInvocationSourceOptions extends KafkaConnectionOptions, BatchingOptions {
  /** The invocation topic to consume (`invocationTopic(queue)`). */
  readonly topic: string;
  /** Consumer group; `consumerGroup(topic)` by default. */
  readonly groupId?: string;
  /** Handler calls at once in this process, over all partitions. */
  readonly maxInflight?: number;
  /** Records fetched ahead of free handler slots (default: maxInflight). */
  readonly prefetch?: number;
  /** How long close() waits for running calls before aborting their signal. */
  readonly drainTimeoutMs?: number;
  /** After the abort, how long close() still waits for handlers to return. */
  readonly abortGraceMs?: number;
  /** The longest exec timeout of any function; the rebalance timeout is derived from it. */
  readonly maxExecTimeoutMs?: number;
  /** Group rebalance timeout; default maxExecTimeoutMs + 30 s, so a member finishing a call can rejoin in time. */
  readonly rebalanceTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Broker-side wait of an empty fetch; bounds how stale heartbeats and resumes get. */
  readonly maxWaitTimeMs?: number;
  readonly deadLetterTopic?: string;
  /** Partitions of topics this source creates when missing. */
  readonly partitions?: number;
  /** Run the retry relay of this topic in this process (default true). */
  readonly retryRelay?: boolean;
  readonly retryMaxHeld?: number;
  readonly retryMaxHeldBytes?: number;
  /** Waits of the delay-tier topics, ascending (default DELAY_TIERS_MS: 1 min, 10 min, 1 h; tests shorten them). */
  readonly delayTiersMs?: readonly number[];
  /** Period of consumer lag reports to observer.onLag; 0 turns them off. */
  readonly lagIntervalMs?: number;
  readonly commitIntervalMs?: number;
  readonly observer?: QueueObserver;
  /**
   * Write every call's status snapshots (running, then what was decided) to this topic, with result bodies up
   * to `resultMaxBytes` (256 KiB by default); with `cancelTopic`, skip calls cancelled there before they run.
   */
  readonly status?: StatusTopicOptions & { readonly resultMaxBytes?: number; readonly cancelTopic?: string };
  /** Backoff of in-process retries of infrastructure faults. */
  readonly backoff?: Backoff;
  readonly now?: () => number;
}

/** The Kafka source: the InvocationSource port plus a health flag for readiness. */
export interface KafkaInvocationSource extends InvocationSource {
  /** False once the consumer crashed and kafkajs will not restart it; the process should be restarted. */
  healthy(): boolean;
}

/** Defaults of the source options. */
export const KAFKA_SOURCE_DEFAULTS = Object.freeze({
  maxInflight: 100,
  drainTimeoutMs: 30_000,
  abortGraceMs: 5_000,
  maxExecTimeoutMs: 600_000,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  maxWaitTimeMs: 1_000,
  deadLetterTopic: DEFAULT_DEAD_LETTER_TOPIC,
  partitions: 6,
  retryRelay: true,
  retryMaxHeld: 10_000,
  retryMaxHeldBytes: 256 * 1_048_576,
  lagIntervalMs: 15_000,
  commitIntervalMs: 100,
});

// How often the member list is read besides each join, and how long one member holds the remainder of a
// function's total when the total is below the member count (see concurrency-share.ts).
const GROUP_MEMBERS_REFRESH_MS = 10_000;
const SHARE_ROTATION_MS = 5_000;
const DEFER_WINDOW = 1_000;

/**
 * Creates the source; no I/O until start(). The steps, in the order a record meets them: `eachBatch` waits on
 * the admission gate (admission-gate.ts) for room in the fetch loop (fetch-loop.ts), tracks the offset and calls `admit`, which decodes the record
 * and hands it to the dispatcher; `persist` produces the decision (decision-records.ts) and the final status;
 * `settle` makes the offset committable for the committer (offset-committer.ts). `startConsuming` sets this up
 * in order: topics, producer, status tracking, dispatcher, consumer, retry relay, lag reports; `close` undoes it.
 */
export function createKafkaInvocationSource(options: KafkaInvocationSourceOptions): KafkaInvocationSource {
  const o = { ...KAFKA_SOURCE_DEFAULTS, ...definedOnly(options) };
  const topic = nonEmpty('topic', options.topic);
  const groupId = o.groupId ?? consumerGroup(topic);
  const maxInflight = intAtLeast('maxInflight', o.maxInflight, 1);
  const prefetch = intAtLeast('prefetch', o.prefetch ?? maxInflight, 0);
  const rebalanceTimeoutMs = validateTimeouts(o);
  const now = o.now ?? Date.now;
  const backoff = o.backoff ?? DEFAULT_INFRA_BACKOFF;
  const delayTiersMs = o.delayTiersMs ?? DELAY_TIERS_MS;
  const logger: Logger = options.logger.child({ component: 'kafka-source', topic });
  const kafka = createKafkaClient(options);
  const admin: Admin = kafka.admin();
  const producer = createBatchingProducer(kafka, options);
  const tracker = new OffsetTracker();
  // Records being deferred wait only for a produce ack: up to DEFER_WINDOW of them do not count against the
  // window, so a burst of one function is put back at the producer's pace and the fetch reaches other functions.
  const gate = createAdmissionGate(() => tracker.pending - Math.min(dispatcher?.deferring ?? 0, DEFER_WINDOW), maxInflight + prefetch);
  let fetchLoop: FetchLoop | undefined;
  let consumer: Consumer | undefined;
  let dispatcher: Dispatcher | undefined;
  let statusTracker: CallStatusTracker | undefined;
  let cancelled: KafkaCallStatusView | undefined;
  let relay: RetryRelay | undefined;
  let tiers: DelayTiers | undefined;
  let stopLag: (() => void) | undefined;
  let members: GroupMembers | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopping = false;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const committer = createOffsetCommitter({
    tracker,
    intervalMs: o.commitIntervalMs,
    logger,
    commit: async (commits) => {
      if (!consumer) return;
      await consumer.commitOffsets(commits.map((c) => ({ ...c })));
    },
  });

  async function startConsuming(handler: InvocationHandler, capacity: FunctionCapacity | undefined): Promise<void> {
    await admin.connect();
    await ensureOwnTopics();
    await producer.connect();
    if (o.status) statusTracker = await trackStatus(handler, o.status);
    const d = createDispatcher({
      handler: statusTracker?.handler ?? handler,
      maxInflight,
      ...(capacity ? { functionLimit: (fn: string) => functionShare(capacity, fn), onDefer: () => gate.signalRoom() } : {}),
      logger,
      observer: o.observer,
      backoff,
      now,
    });
    dispatcher = d;
    if (capacity) {
      members = trackGroupMembers({ admin, groupId, intervalMs: GROUP_MEMBERS_REFRESH_MS, logger, changed: () => d.limitsChanged() });
      unsubscribe = capacity.onChange(() => d.limitsChanged());
    }
    fetchLoop = createFetchLoop({
      kafka,
      topic,
      groupId,
      tracker,
      seeder: createDoneMarksSeeder({ admin, groupId, topic, timeoutMs: doneMarksTimeoutMs(o.sessionTimeoutMs), logger }),
      gate,
      sessionTimeoutMs: o.sessionTimeoutMs,
      rebalanceTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      maxWaitTimeMs: o.maxWaitTimeMs,
      stopping: () => stopping,
      admit: (progress, message) => admit(d, progress, message),
      joined: (memberId) => {
        members?.joined(memberId);
        committer.schedule();
      },
      logger,
    });
    consumer = fetchLoop.consumer;
    await fetchLoop.run();
    if (o.retryRelay) {
      relay = createOwnRetryRelay();
      await relay.start();
      tiers = createDelayTiers({
        kafka,
        topic,
        tiersMs: delayTiersMs,
        producer,
        deadLetterTopic: o.deadLetterTopic,
        logger,
        observer: o.observer,
        sessionTimeoutMs: o.sessionTimeoutMs,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        maxWaitTimeMs: o.maxWaitTimeMs,
        backoff,
        now,
      });
      await tiers.start();
    }
    if (o.observer?.onLag && o.lagIntervalMs > 0) {
      stopLag = startLagReporter({ admin, groupId, topic, intervalMs: o.lagIntervalMs, observer: o.observer, logger });
    }
    logger.info('consuming invocations', { groupId, maxInflight, rebalanceTimeoutMs });
  }

  /**
   * This member's share of a function's concurrency total. Until the member list is read (right after the join
   * that hands it partitions) a member runs one call of the function at a time: never more than its share once
   * each member has one, and never stuck at zero if the list cannot be read.
   */
  function functionShare(capacity: FunctionCapacity, fn: string): number | undefined {
    const total = capacity.total(fn);
    if (total === undefined) return undefined;
    const position = members?.position();
    return position ? concurrencyShare(total, position, Math.floor(now() / SHARE_ROTATION_MS)) : 1;
  }

  function ensureOwnTopics(): Promise<void> {
    return ensureTopics(admin, [
      { topic, partitions: o.partitions, maxMessageBytes: INVOCATION_TOPIC_MAX_MESSAGE_BYTES },
      { topic: retryTopic(topic), partitions: o.partitions, maxMessageBytes: LARGE_TOPIC_MAX_MESSAGE_BYTES },
      ...(o.retryRelay ? delayTierTopics(topic, delayTiersMs).map((t) => ({ topic: t, partitions: o.partitions, maxMessageBytes: LARGE_TOPIC_MAX_MESSAGE_BYTES })) : []),
      { topic: o.deadLetterTopic, partitions: o.partitions, maxMessageBytes: LARGE_TOPIC_MAX_MESSAGE_BYTES },
      ...(o.status ? [statusTopicSpec(o.status)] : []),
    ]);
  }

  /** Wraps the handler so each call writes its running status; skips calls cancelled on `cancelTopic`. */
  async function trackStatus(handler: InvocationHandler, status: NonNullable<KafkaInvocationSourceOptions['status']>): Promise<CallStatusTracker> {
    if (status.cancelTopic) {
      // Read to its end before the first call runs, so a restarted worker never runs a cancelled call.
      cancelled = createKafkaCallStatusView({ ...options, topic: status.cancelTopic, retentionMs: status.retentionMs, partitions: STATUS_TOPIC_PARTITIONS });
      await cancelled.start();
    }
    const view = cancelled;
    return trackCallStatus(handler, (snapshot) => {
      producer.send(statusRecord(status.topic, snapshot)).done.catch((err: unknown) => logger.debug('writing a running status failed', { err }));
    }, {
      now,
      ...(status.resultMaxBytes !== undefined ? { resultMaxBytes: status.resultMaxBytes } : {}),
      ...(view ? { isCancelled: (inv: Invocation) => cancels(view.peek(inv.callId), inv) } : {}),
    });
  }

  function admit(d: Dispatcher, progress: PartitionProgress, message: KafkaMessage): void {
    const offset = message.offset;
    let inv: Invocation;
    try {
      inv = decodeInvocation(message.value);
    } catch (err) {
      o.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a record that is not a kfaas envelope', { err, partition: progress.partition, offset });
      const record = undecodableDeadLetter(o.deadLetterTopic, message.value, err as Error, now());
      void d.store(`dead letter of undecodable record ${progress.partition}@${offset}`, () => producer.send(record).done).then((stored) =>
        settle(progress, offset, stored),
      );
      return;
    }
    void d.dispatch(inv, (decision, how) => persist(inv, decision, how?.deferred ?? false), { system: 'kafka', destination: topic, partition: progress.partition, offset }).then((stored) =>
      settle(progress, offset, stored),
    );
  }

  async function persist(inv: Invocation, decision: ProcessDecision, deferred: boolean): Promise<void> {
    // A deferred call did not run: its status stays `queued`.
    const status = deferred ? undefined : statusTracker?.decided(inv, decision);
    // The final snapshot is acknowledged before the offset may be committed: a crash never loses it.
    const statusDone = status && o.status ? producer.send(statusRecord(o.status.topic, status)).done : Promise.resolve();
    const record = decisionRecord(topic, o.deadLetterTopic, decision, now);
    await Promise.all([statusDone, record ? producer.send(record).done : undefined]);
  }

  /** A stored decision makes the offset committable; an unstored one leaves it pending so it is never committed. */
  function settle(progress: PartitionProgress, offset: string, stored: boolean): void {
    if (stored && tracker.isCurrent(progress)) {
      progress.finish(offset);
      committer.schedule();
    }
    gate.signalRoom();
  }

  function createOwnRetryRelay(): RetryRelay {
    return createRetryRelay({
      kafka,
      admin,
      topic,
      producer,
      deadLetterTopic: o.deadLetterTopic,
      logger,
      observer: o.observer,
      maxHeld: o.retryMaxHeld,
      maxHeldBytes: o.retryMaxHeldBytes,
      delayTiersMs,
      sessionTimeoutMs: o.sessionTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      maxWaitTimeMs: o.maxWaitTimeMs,
      commitIntervalMs: o.commitIntervalMs,
      backoff,
      now,
    });
  }

  /** Drains the calls, then commits what they finished; the order keeps a stored decision's offset. */
  async function drainAndCommit(d: Dispatcher): Promise<void> {
    d.stopStarting();
    fetchLoop?.stopFetching();
    await relay?.close();
    await tiers?.close();
    await drainCalls(d, o, logger);
    committer.stop();
    await committer.flush().catch((err: unknown) => logger.warn('final offset commit failed', { err }));
  }

  return {
    start(handler, startOptions) {
      if (closing) return Promise.reject(new Error('the source is closed'));
      starting ??= startConsuming(handler, startOptions?.capacity);
      return starting;
    },
    healthy: () => !(fetchLoop?.crashed() ?? false),
    close() {
      closing ??= (async () => {
        stopping = true;
        // First, before any await: a slot freed from here on must not start another call.
        dispatcher?.stopStarting();
        await starting?.catch(() => undefined);
        if (consumer && dispatcher) await drainAndCommit(dispatcher);
        stopLag?.();
        members?.stop();
        unsubscribe?.();
        await consumer?.disconnect().catch((err: unknown) => logger.warn('leaving the consumer group failed', { err }));
        await producer.close(o.abortGraceMs);
        await cancelled?.close();
        await admin.disconnect().catch(() => undefined);
        logger.info('Kafka source closed');
      })();
      return closing;
    },
  };
}

/** Checks the timeouts against each other; returns the rebalance timeout. */
function validateTimeouts(o: {
  readonly drainTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly maxExecTimeoutMs: number;
  readonly rebalanceTimeoutMs?: number;
}): number {
  intAtLeast('drainTimeoutMs', o.drainTimeoutMs, 0);
  intAtLeast('sessionTimeoutMs', o.sessionTimeoutMs, 1_000);
  intAtLeast('heartbeatIntervalMs', o.heartbeatIntervalMs, 1);
  if (o.heartbeatIntervalMs * 2 > o.sessionTimeoutMs) {
    throw new Error(`heartbeatIntervalMs: must be at most half of sessionTimeoutMs (${o.heartbeatIntervalMs} > ${o.sessionTimeoutMs}/2)`);
  }
  if (o.maxWaitTimeMs * 2 > o.sessionTimeoutMs) {
    throw new Error(`maxWaitTimeMs: must be at most half of sessionTimeoutMs (${o.maxWaitTimeMs} > ${o.sessionTimeoutMs}/2)`);
  }
  const rebalanceTimeoutMs = o.rebalanceTimeoutMs ?? o.maxExecTimeoutMs + 30_000;
  intAtLeast('rebalanceTimeoutMs', rebalanceTimeoutMs, o.sessionTimeoutMs);
  return rebalanceTimeoutMs;
}
