/**
 * The one way our adapters write to Kafka: an idempotent producer (acks=-1, one request in flight, unlimited
 * retries, as KIP-98 requires for the guarantee) behind a micro-batcher. Retries are never limited: after a
 * give-up, a later batch could reuse the sequence number of one that did land, and the broker would drop it as
 * a duplicate while acknowledging it. Callers bound their wait instead (and withdraw records not yet sent).
 */
import kafkajs, { type Kafka, type Producer } from 'kafkajs';
import { definedOnly } from '../../common/env.js';
import { settlesWithin } from '../../runtime/deadline.js';
import { KeyHashPartitioner } from './partitioner.js';
import { createProducerBatcher, type BatchRecord, type PendingRecord, type ProducerBatcher } from './producer-batcher.js';

const { CompressionTypes } = kafkajs;

/** Batching limits; see ProducerBatcherOptions. */
export interface BatchingOptions {
  readonly lingerMs?: number;
  readonly maxBatchRecords?: number;
  readonly maxBatchBytes?: number;
  readonly maxPendingRecords?: number;
  readonly maxPendingBytes?: number;
  /** Broker-side wait for the in-sync replicas' acks per request. */
  readonly ackTimeoutMs?: number;
  /** Observes each acknowledged send (for metrics: records per request and ack latency). */
  readonly onBatchSent?: (records: number, durationMs: number) => void;
}

/** Defaults of the batching limits. */
export const DEFAULT_BATCHING = Object.freeze({
  lingerMs: 1,
  maxBatchRecords: 1_000,
  // One record batch per partition must stay under the topic's max.message.bytes (1.5 MiB): 1 MiB leaves room.
  maxBatchBytes: 1_048_576,
  maxPendingRecords: 20_000,
  maxPendingBytes: 128 * 1_048_576,
  ackTimeoutMs: 30_000,
});

/** An idempotent producer with a batcher in front of it. */
export interface BatchingProducer {
  readonly producer: Producer;
  /** Connects the producer; idempotent while connected, retried on the next call after a failure. */
  connect(): Promise<void>;
  /** Queues one record; see ProducerBatcher.add. */
  send(record: BatchRecord): PendingRecord;
  /** Flushes (bounded by `timeoutMs`) and disconnects; idempotent. */
  close(timeoutMs: number): Promise<void>;
}

/** Creates the producer and its batcher; nothing connects until connect() or the first send. */
export function createBatchingProducer(kafka: Kafka, options: BatchingOptions = {}): BatchingProducer {
  const o = { ...DEFAULT_BATCHING, ...definedOnly(options) };
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: KeyHashPartitioner,
    // Short steps so a producer is writing again within ~2 s of the broker coming back.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  let connecting: Promise<void> | undefined;
  const connect = (): Promise<void> => {
    connecting ??= producer.connect().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };
  const batcher: ProducerBatcher = createProducerBatcher({
    lingerMs: o.lingerMs,
    maxBatchRecords: o.maxBatchRecords,
    maxBatchBytes: o.maxBatchBytes,
    maxPendingRecords: o.maxPendingRecords,
    maxPendingBytes: o.maxPendingBytes,
    send: async (topicMessages) => {
      await connect();
      const t0 = Date.now();
      await producer.sendBatch({ topicMessages, acks: -1, timeout: o.ackTimeoutMs, compression: CompressionTypes.None });
      options.onBatchSent?.(
        topicMessages.reduce((n, t) => n + t.messages.length, 0),
        Date.now() - t0,
      );
    },
  });
  let closing: Promise<void> | undefined;
  return {
    producer,
    connect,
    send: (record) => batcher.add(record),
    close(timeoutMs) {
      closing ??= (async () => {
        await settlesWithin(batcher.close(), timeoutMs);
        await producer.disconnect().catch(() => undefined);
      })();
      return closing;
    },
  };
}
