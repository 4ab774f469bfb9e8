/**
 * Moves delayed retries back onto their invocation topic when they are due. The worker writes a retry to
 * `<topic>.retry` with `notBefore` set; this relay reads that topic in its own consumer group, passes records
 * with at least the first delay tier left to wait on to the delay tiers (delay-tiers.ts), holds the others in
 * memory until due (bounded: it pauses fetching when `maxHeld` records or `maxHeldBytes` are held), re-produces
 * each one to the invocation topic, and commits a retry-topic offset only once every record before it has been
 * re-produced; records re-produced out of order are named in the commit's done-marks (done-marks.ts), so the
 * next owner skips them. A waiting retry therefore never blocks an invocation partition, and a crash re-produces
 * a retry twice only when it lands between the re-produce and the next commit (at-least-once). A record that is
 * not an envelope is dead-lettered here too.
 */
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { decodeInvocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { QueueObserver } from '../../common/queue.js';
import { consumerGroup, delayTierFor, delayTierTopic, retryTopic } from '../../common/topics.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import type { BatchingProducer } from './batching-producer.js';
import { undecodableDeadLetter } from './dead-letter-records.js';
import { DueQueue } from './due-queue.js';
import { createDoneMarksSeeder, doneMarksTimeoutMs } from './committed-marks.js';
import { createOffsetCommitter } from './offset-committer.js';
import { OffsetTracker, type PartitionProgress } from './offset-tracker.js';
import type { BatchRecord } from './producer-batcher.js';

/** Options of a retry relay. */
export interface RetryRelayOptions {
  readonly kafka: Kafka;
  /** A connected admin client, to read the done-marks of partitions this relay is given. */
  readonly admin: Admin;
  /** The invocation topic; the relay reads `retryTopic(topic)` and writes back to `topic`. */
  readonly topic: string;
  readonly producer: BatchingProducer;
  readonly deadLetterTopic: string;
  readonly logger: Logger;
  readonly observer?: QueueObserver;
  readonly maxHeld: number;
  readonly maxHeldBytes: number;
  /** The delay tiers (delay-tiers.ts): a record with at least the first tier left to wait is passed on to them, not held. */
  readonly delayTiersMs: readonly number[];
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly commitIntervalMs: number;
  readonly backoff: Backoff;
  readonly now?: () => number;
}

/** A running relay. */
export interface RetryRelay {
  start(): Promise<void>;
  /** Stops fetching, waits for re-produces in flight, commits and leaves the group; idempotent. */
  close(): Promise<void>;
  /** Records held or being re-produced. */
  readonly held: number;
}

interface Held {
  readonly progress: PartitionProgress;
  readonly offset: string;
  readonly record: BatchRecord;
  readonly bytes: number;
  failures: number;
}

/**
 * Creates the relay of one invocation topic. The steps, in the order a record meets them: `accept` holds a
 * fetched record until its due time (`flow` pauses fetching while too much is held), `reproduce` sends it back
 * to the invocation topic once due, and the committer commits the offsets of what was re-produced.
 */
export function createRetryRelay(o: RetryRelayOptions): RetryRelay {
  const now = o.now ?? Date.now;
  const source = retryTopic(o.topic);
  const logger = o.logger.child({ component: 'retry-relay', topic: source });
  const tracker = new OffsetTracker();
  const producing = new Set<Promise<void>>();
  const due = new DueQueue<Held>(now, () => reproduceDue());
  let heldBytes = 0;
  let closing: Promise<void> | undefined;
  let stopping = false;
  let running = false;
  const groupId = consumerGroup(source);
  const seeder = createDoneMarksSeeder({ admin: o.admin, groupId, topic: source, timeoutMs: doneMarksTimeoutMs(o.sessionTimeoutMs), logger });
  const consumer: Consumer = o.kafka.consumer({
    groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: o.maxWaitTimeMs,
    allowAutoTopicCreation: false,
  });
  const committer = createOffsetCommitter({
    tracker,
    intervalMs: o.commitIntervalMs,
    logger,
    commit: (commits) => consumer.commitOffsets(commits.map((c) => ({ ...c }))),
  });
  const flow = createFlowControl({
    consumer,
    topic: source,
    logger,
    held: () => ({ count: due.size + producing.size, bytes: heldBytes }),
    maxHeld: o.maxHeld,
    maxHeldBytes: o.maxHeldBytes,
    stopping: () => stopping,
  });

  /** Holds one fetched record until due; a record that is not an envelope becomes a dead letter, due now. */
  function accept(progress: PartitionProgress, message: KafkaMessage): void {
    const value = message.value ?? Buffer.alloc(0);
    const bytes = value.length + (message.key?.length ?? 0);
    heldBytes += bytes;
    let dueAt: number;
    let record: BatchRecord;
    try {
      dueAt = decodeInvocation(message.value).notBefore ?? 0;
      // A long wait is not held here (it would sit in memory, and stall the topic once the hold is full): it goes
      // on to its delay tier now.
      const tier = delayTierFor(o.delayTiersMs, dueAt - now());
      record = { topic: tier === undefined ? o.topic : delayTierTopic(o.topic, tier), key: message.key, value };
      if (tier !== undefined) dueAt = 0;
    } catch (err) {
      o.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a retry record that is not a kfaas envelope', { err, offset: message.offset });
      dueAt = 0;
      record = undecodableDeadLetter(o.deadLetterTopic, message.value, err as Error, now());
    }
    due.push(dueAt, { progress, offset: message.offset, record, bytes, failures: 0 });
  }

  /** Re-produces every record that is due; a record of a partition no longer ours is dropped. */
  function reproduceDue(): void {
    for (let held = due.popDue(); held && !stopping; held = due.popDue()) {
      if (tracker.isCurrent(held.progress)) reproduce(held);
      else heldBytes -= held.bytes;
    }
    due.arm();
  }

  /** Sends one due record back; on success its offset may be committed, on failure it is held again. */
  function reproduce(held: Held): void {
    const sending = o.producer
      .send(held.record)
      .done.then(
        () => {
          heldBytes -= held.bytes;
          held.progress.finish(held.offset);
          committer.schedule();
        },
        (err: unknown) => {
          const delayMs = backoffDelayMs(held.failures++, o.backoff, Math.random);
          logger.warn('re-producing a due retry failed; trying again', { err, delayMs, offset: held.offset });
          if (stopping) heldBytes -= held.bytes;
          else due.push(now() + delayMs, held);
        },
      )
      .finally(() => {
        producing.delete(sending);
        flow.resumeIfRoom();
        due.arm();
      });
    producing.add(sending);
  }

  /** A rebalance: track the new partitions, drop what is held for lost ones, and restore the pause. */
  function onGroupJoin(partitions: readonly number[]): void {
    seeder.seed(tracker.reassign(partitions.map((partition) => ({ topic: source, partition }))).fresh);
    for (const dropped of due.filter((held) => tracker.isCurrent(held.progress))) heldBytes -= dropped.bytes;
    flow.reapply();
    committer.schedule();
  }

  return {
    get held() {
      return due.size + producing.size;
    },
    async start() {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(payload.memberAssignment[source] ?? []));
      await consumer.connect();
      await consumer.subscribe({ topics: [source], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
          const progress = tracker.partition(batch.topic, batch.partition);
          await seeder.ready(progress);
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || stopping) return;
            if (flow.full()) {
              flow.pause();
              return;
            }
            if (progress.track(message.offset)) accept(progress, message);
            resolveOffset(message.offset);
          }
        },
      });
      running = true;
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        if (running) flow.pause();
        due.stop();
        await Promise.allSettled([...producing]);
        committer.stop();
        await committer.flush().catch((err: unknown) => logger.warn('final commit of the retry relay failed', { err }));
        await consumer.disconnect().catch((err: unknown) => logger.warn('leaving the retry relay group failed', { err }));
      })();
      return closing;
    },
  };
}

/** What flow control watches and steers. */
interface FlowControlOptions {
  readonly consumer: Consumer;
  readonly topic: string;
  readonly logger: Logger;
  /** Records and bytes held now (waiting or being re-produced). */
  readonly held: () => { count: number; bytes: number };
  readonly maxHeld: number;
  readonly maxHeldBytes: number;
  readonly stopping: () => boolean;
}

/**
 * Bounds what the relay holds: fetching pauses at `maxHeld` records or `maxHeldBytes`, and resumes below half
 * of both, so it does not flap at the limit.
 */
function createFlowControl(o: FlowControlOptions) {
  let paused = false;
  const setPaused = (value: boolean): void => {
    paused = value;
    try {
      if (value) o.consumer.pause([{ topic: o.topic }]);
      else o.consumer.resume([{ topic: o.topic }]);
    } catch (err) {
      o.logger.debug('pausing or resuming fetches failed', { err, paused: value });
    }
  };
  const resumeIfRoom = (): void => {
    const { count, bytes } = o.held();
    if (paused && !o.stopping() && count <= o.maxHeld / 2 && bytes <= o.maxHeldBytes / 2) setPaused(false);
  };
  return {
    full(): boolean {
      const { count, bytes } = o.held();
      return count >= o.maxHeld || bytes >= o.maxHeldBytes;
    },
    pause: () => setPaused(true),
    resumeIfRoom,
    /** After a rebalance: kafkajs forgets a pause when it restarts a consumer, so pause again if we were. */
    reapply(): void {
      if (paused || o.stopping()) setPaused(true);
      resumeIfRoom();
    },
  };
}
