/**
 * Long waits without memory: a delayed call or a long retry backoff waits in the delay-tier topics
 * (`<topic>.delay-<tier>`, common/topics.ts), not in the retry relay's memory, where thousands of calls delayed
 * for a day would fill the relay's hold and stall every short retry behind them. Every record of a tier waits
 * the same time, so each partition is read strictly in order: the head record moves on once it has waited its
 * tier (or is due), to a shorter tier, the retry topic (less than the first tier left) or the invocation topic;
 * when the head must still wait, the partition is paused until then. Memory is one fetched batch; a commit
 * follows each move, so a crash moves at most the last records twice.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { decodeInvocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { QueueObserver } from '../../common/queue.js';
import { consumerGroup, delayTierFor, delayTierTopic, retryTopic } from '../../common/topics.js';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';
import type { BatchingProducer } from './batching-producer.js';
import { undecodableDeadLetter } from './dead-letter-records.js';
import { MAX_TIMER_MS } from './due-queue.js';
import type { BatchRecord } from './producer-batcher.js';

/** Options of the delay tiers of one invocation topic. */
export interface DelayTiersOptions {
  readonly kafka: Kafka;
  /** The invocation topic the delayed calls are for. */
  readonly topic: string;
  /** The tiers' waits, ascending (DELAY_TIERS_MS; tests shorten them). */
  readonly tiersMs: readonly number[];
  readonly producer: BatchingProducer;
  readonly deadLetterTopic: string;
  readonly logger: Logger;
  readonly observer?: QueueObserver;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly backoff: Backoff;
  readonly now?: () => number;
}

/** The running tiers. */
export interface DelayTiers {
  start(): Promise<void>;
  /** Stops moving records and leaves the group; idempotent. */
  close(): Promise<void>;
}

/** The topics of an invocation topic's tiers, in the order of `tiersMs`. */
export function delayTierTopics(topic: string, tiersMs: readonly number[]): string[] {
  return tiersMs.map((ms) => delayTierTopic(topic, ms));
}

/**
 * Where a record goes once it has waited its tier: the invocation topic when due, else the tier for what is
 * left, else (less than the first tier left) the retry topic, whose relay holds it until due.
 */
export function nextHop(topic: string, tiersMs: readonly number[], dueAt: number, now: number): string {
  const left = dueAt - now;
  if (left <= 0) return topic;
  const tier = delayTierFor(tiersMs, left);
  return tier === undefined ? retryTopic(topic) : delayTierTopic(topic, tier);
}

/** Creates the tiers' consumer: one group for every tier topic of the invocation topic. */
export function createDelayTiers(o: DelayTiersOptions): DelayTiers {
  const now = o.now ?? Date.now;
  const tierOf = new Map(o.tiersMs.map((ms) => [delayTierTopic(o.topic, ms), ms]));
  const logger = o.logger.child({ component: 'delay-tiers', topic: o.topic });
  const timers = new Set<NodeJS.Timeout>();
  const failures = new Map<string, number>();
  let stopping = false;
  let started = false;
  let closing: Promise<void> | undefined;
  const consumer: Consumer = o.kafka.consumer({
    groupId: consumerGroup(`${o.topic}.delay`),
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: o.maxWaitTimeMs,
    allowAutoTopicCreation: false,
  });

  /** Pauses one partition until `at`; the consumer's own pause, so it holds across kafkajs's restarts of the group. */
  function pauseUntil(topic: string, partition: number, at: number): void {
    const tp = [{ topic, partitions: [partition] }];
    consumer.pause(tp);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) consumer.resume(tp);
    }, Math.max(0, Math.min(at - now(), MAX_TIMER_MS)));
    timers.add(timer);
  }

  /** The record a fetched one becomes when it moves on; undecodable records go to the dead letters at once. */
  function moveOf(value: Buffer | null, key: Buffer | null, at: number): { record: BatchRecord; readyAt: number } {
    try {
      const dueAt = decodeInvocation(value).notBefore ?? 0;
      return { record: { topic: nextHop(o.topic, o.tiersMs, dueAt, at), key, value: value ?? Buffer.alloc(0) }, readyAt: dueAt };
    } catch (err) {
      o.observer?.onUndecodable?.(err as Error);
      logger.warn('dead-lettering a delayed record that is not a kfaas envelope', { err });
      return { record: undecodableDeadLetter(o.deadLetterTopic, value, err as Error, at), readyAt: 0 };
    }
  }

  /** Moves the records of the batch that waited their tier, in order; pauses the partition at the first that has not. */
  async function eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const tierMs = tierOf.get(batch.topic);
    if (tierMs === undefined || stopping) return;
    const at = now();
    const moves: Array<{ offset: string; record: BatchRecord }> = [];
    let waitUntil: number | undefined;
    for (const message of batch.messages) {
      const { record, readyAt } = moveOf(message.value, message.key, at);
      // Every record of this tier waits tierMs from its append, so the head is always the next one ready.
      const ready = Math.min(readyAt, Number(message.timestamp) + tierMs);
      if (ready > at) {
        waitUntil = ready;
        break;
      }
      moves.push({ offset: message.offset, record });
    }
    const key = `${batch.topic}\u0000${batch.partition}`;
    if (moves.length > 0) {
      try {
        await Promise.all(moves.map((m) => o.producer.send(m.record).done));
        failures.delete(key);
      } catch (err) {
        const delayMs = backoffDelayMs(failures.get(key) ?? 0, o.backoff, Math.random);
        failures.set(key, (failures.get(key) ?? 0) + 1);
        logger.warn('moving delayed records failed; trying again', { err, delayMs, partition: batch.partition });
        // Unresolved: kafkajs fetches them again after the pause.
        pauseUntil(batch.topic, batch.partition, now() + delayMs);
        return;
      }
      if (!isRunning() || isStale()) return;
      const last = (moves[moves.length - 1] as { offset: string }).offset;
      resolveOffset(last);
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
      }).catch((err: unknown) => logger.warn('committing moved delayed records failed; they may move twice', { err }));
    }
    if (waitUntil !== undefined) pauseUntil(batch.topic, batch.partition, waitUntil);
  }

  return {
    async start() {
      if (tierOf.size === 0) return;
      started = true;
      await consumer.connect();
      await consumer.subscribe({ topics: [...tierOf.keys()], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        if (started) await consumer.disconnect().catch((err: unknown) => logger.warn('leaving the delay-tier group failed', { err }));
      })();
      return closing;
    },
  };
}
