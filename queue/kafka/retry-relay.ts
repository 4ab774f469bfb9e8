/**
 * Moves delayed retries back onto their invocation topic when they are due. The worker writes a retry to
 * `<topic>.retry` with `notBefore` set; this relay reads that topic in its own consumer group, holds records in
 * memory until due (bounded: it pauses fetching when `maxHeld` records or `maxHeldBytes` are held), re-produces
 * each one to the invocation topic, and commits a retry-topic offset only once every record before it has been
 * re-produced. A waiting retry therefore never blocks an invocation partition, and a crash at worst re-produces
 * some retries twice (at-least-once). A record that is not an envelope is dead-lettered here too.
 */
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { decodeInvocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { QueueObserver } from '../../common/queue.js';
import { consumerGroup, retryTopic } from '../../common/topics.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import { MinHeap } from '../shared/min-heap.js';
import type { BatchingProducer } from './batching-producer.js';
import { undecodableDeadLetter } from './dead-letter-records.js';
import { createOffsetCommitter } from './offset-committer.js';
import { OffsetTracker, type PartitionProgress } from './offset-tracker.js';
import type { BatchRecord } from './producer-batcher.js';

/** Options of a retry relay. */
export interface RetryRelayOptions {
  readonly kafka: Kafka;
  /** The invocation topic; the relay reads `retryTopic(topic)` and writes back to `topic`. */
  readonly topic: string;
  readonly producer: BatchingProducer;
  readonly deadLetterTopic: string;
  readonly logger: Logger;
  readonly observer?: QueueObserver;
  readonly maxHeld: number;
  readonly maxHeldBytes: number;
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

// setTimeout takes at most 2^31-1 ms; a retry due later than that is simply re-checked then.
const MAX_TIMER_MS = 2_147_483_647;

/** Creates the relay of one invocation topic. */
export function createRetryRelay(o: RetryRelayOptions): RetryRelay {
  const now = o.now ?? Date.now;
  const source = retryTopic(o.topic);
  const logger = o.logger.child({ component: 'retry-relay', topic: source });
  const tracker = new OffsetTracker();
  const heap = new MinHeap<Held>();
  const producing = new Set<Promise<void>>();
  let heldBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  let paused = false;
  let closing: Promise<void> | undefined;
  let stopping = false;
  let running = false;
  const consumer: Consumer = o.kafka.consumer({
    groupId: consumerGroup(source),
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

  const count = (): number => heap.size + producing.size;
  const full = (): boolean => count() >= o.maxHeld || heldBytes >= o.maxHeldBytes;

  /** Pauses or resumes fetching; repeated by callers because kafkajs forgets a pause when it restarts a consumer. */
  const setPaused = (value: boolean): void => {
    paused = value;
    try {
      if (value) consumer.pause([{ topic: source }]);
      else consumer.resume([{ topic: source }]);
    } catch (err) {
      logger.debug('pausing or resuming fetches failed', { err, paused: value });
    }
  };

  const resumeIfRoom = (): void => {
    if (paused && !stopping && count() <= o.maxHeld / 2 && heldBytes <= o.maxHeldBytes / 2) setPaused(false);
  };

  const arm = (): void => {
    const due = heap.peekPriority();
    if (due === undefined || stopping) return;
    if (timer && due >= timerDue) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(fire, Math.min(MAX_TIMER_MS, Math.max(0, due - now())));
  };

  const hold = (due: number, held: Held): void => {
    heap.push(due, held);
    arm();
  };

  function fire(): void {
    timer = undefined;
    timerDue = Infinity;
    const t = now();
    while (!stopping && (heap.peekPriority() ?? Infinity) <= t) {
      const held = heap.pop() as Held;
      if (!tracker.isCurrent(held.progress)) {
        heldBytes -= held.bytes;
        continue;
      }
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
            else heap.push(now() + delayMs, held);
          },
        )
        .finally(() => {
          producing.delete(sending);
          resumeIfRoom();
          arm();
        });
      producing.add(sending);
    }
    arm();
  }

  const accept = (progress: PartitionProgress, message: KafkaMessage): void => {
    const value = message.value ?? Buffer.alloc(0);
    const bytes = value.length + (message.key?.length ?? 0);
    heldBytes += bytes;
    let due: number;
    let record: BatchRecord;
    try {
      due = decodeInvocation(message.value).notBefore ?? 0;
      record = { topic: o.topic, key: message.key, value };
    } catch (err) {
      o.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a retry record that is not a kfaas envelope', { err, offset: message.offset });
      due = 0;
      record = undecodableDeadLetter(o.deadLetterTopic, message.value, err as Error, now());
    }
    hold(due, { progress, offset: message.offset, record, bytes, failures: 0 });
  };

  return {
    get held() {
      return count();
    },
    async start() {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const partitions = payload.memberAssignment[source] ?? [];
        tracker.reassign(partitions.map((partition) => ({ topic: source, partition })));
        for (const dropped of heap.filter((held) => tracker.isCurrent(held.progress))) heldBytes -= dropped.bytes;
        if (paused || stopping) setPaused(true);
        resumeIfRoom();
        committer.schedule();
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [source], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
          const progress = tracker.partition(batch.topic, batch.partition);
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || stopping) return;
            if (full()) {
              setPaused(true);
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
        if (running) setPaused(true);
        if (timer) clearTimeout(timer);
        await Promise.allSettled([...producing]);
        committer.stop();
        await committer.flush().catch((err: unknown) => logger.warn('final commit of the retry relay failed', { err }));
        await consumer.disconnect().catch((err: unknown) => logger.warn('leaving the retry relay group failed', { err }));
      })();
      return closing;
    },
  };
}
