/**
 * Lists dead letters from the dead-letter topic. Kafka has no "latest N" query, so each list() reads the tail of
 * every partition (up to `scanPerPartition` records back from the end) with a throwaway consumer group that
 * commits nothing and is deleted afterwards, then filters, sorts newest first and truncates. It is meant for an
 * operator's occasional look, not for a hot path: each call costs a group join.
 */
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { decodeDeadLetter, type DeadLetter } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { DeadLetterReader } from '../../common/queue.js';
import { DEFAULT_DEAD_LETTER_TOPIC } from '../../common/topics.js';
import { withDeadline } from '../../runtime/deadline.js';
import { definedOnly } from '../../common/env.js';
import { intAtLeast } from '../shared/validate.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';

/** Options of createKafkaDeadLetterReader. */
export interface KafkaDeadLetterReaderOptions extends KafkaConnectionOptions {
  readonly deadLetterTopic?: string;
  /** Records read back from the end of each partition per list(). */
  readonly scanPerPartition?: number;
  /** Longest a list() may take. */
  readonly timeoutMs?: number;
}

/** Default number of dead letters list() returns. */
export const DEFAULT_DEAD_LETTER_LIMIT = 100;

/** Creates a dead-letter reader over the dead-letter topic. */
export function createKafkaDeadLetterReader(options: KafkaDeadLetterReaderOptions): DeadLetterReader & { close(): Promise<void> } {
  const o = { deadLetterTopic: DEFAULT_DEAD_LETTER_TOPIC, scanPerPartition: 10_000, timeoutMs: 30_000, ...definedOnly(options) };
  intAtLeast('scanPerPartition', o.scanPerPartition, 1);
  const logger: Logger = options.logger.child({ component: 'kafka-dead-letters' });
  const kafka = createKafkaClient(options);
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;

  return {
    async list(listOptions = {}) {
      const limit = listOptions.limit ?? DEFAULT_DEAD_LETTER_LIMIT;
      intAtLeast('limit', limit, 1);
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      if (!(await admin.listTopics()).includes(o.deadLetterTopic)) return [];
      const ends = await admin.fetchTopicOffsets(o.deadLetterTopic);
      const ranges = ends
        .map((e) => {
          const high = BigInt(e.high);
          const low = BigInt(e.low);
          const from = high - BigInt(o.scanPerPartition) > low ? high - BigInt(o.scanPerPartition) : low;
          return { partition: e.partition, from, high };
        })
        .filter((r) => r.from < r.high);
      if (ranges.length === 0) return [];
      const letters = await readRanges(kafka, o.deadLetterTopic, ranges, o.timeoutMs, logger);
      await admin.deleteGroups([letters.groupId]).catch(() => undefined);
      return letters.found
        .filter((dl) => listOptions.functionName === undefined || dl.invocation?.function === listOptions.functionName)
        .sort((a, b) => b.deadAt - a.deadAt)
        .slice(0, limit);
    },
    async close() {
      await admin.disconnect().catch(() => undefined);
    },
  };
}

async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: Array<{ partition: number; from: bigint; high: bigint }>,
  timeoutMs: number,
  logger: Logger,
): Promise<{ groupId: string; found: DeadLetter[] }> {
  const groupId = `kfaas-dead-letter-reader.${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  const found: DeadLetter[] = [];
  const remaining = new Map(ranges.map((r) => [r.partition, r]));
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = remaining.get(batch.partition);
        if (!range) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from) continue;
          if (offset >= range.high) break;
          try {
            found.push(decodeDeadLetter(message.value ?? Buffer.alloc(0)));
          } catch (err) {
            logger.warn('skipping a dead-letter record that cannot be decoded', { err, partition: batch.partition, offset: message.offset });
          }
        }
        if (BigInt(batch.lastOffset()) >= range.high - 1n) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        }
      },
    });
    await withDeadline(done, timeoutMs, () => new Error(`reading dead letters from ${topic} took longer than ${timeoutMs} ms`));
    return { groupId, found };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
