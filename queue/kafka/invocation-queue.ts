/**
 * The Kafka InvocationQueue: encodes a call, picks its topic and key, and resolves only once the broker has
 * acknowledged the record with acks=-1. Concurrent calls share produce requests (see batching-producer.ts).
 * Anything short of an ack within `enqueueTimeoutMs` rejects with QUEUE_UNAVAILABLE (the gateway answers 503
 * with Retry-After), and a record that has not been sent by then is withdrawn so it is never written behind the
 * caller's back. The producer reconnects by itself once the broker is back; nothing needs a restart.
 */
import { queuedStatus, type CallStatus } from '../../common/call-status.js';
import { KfaasError, isKfaasError } from '../../common/errors.js';
import { encodeInvocation, type Invocation } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import type { InvocationQueue } from '../../common/queue.js';
import { DEFAULT_INVOCATIONS_TOPIC, invocationTopic, queueNameProblem, recordKey, retryTopic } from '../../common/topics.js';
import { withDeadline } from '../../runtime/deadline.js';
import { definedOnly } from '../../common/env.js';
import { intAtLeast, nonEmpty } from '../shared/validate.js';
import { createBatchingProducer, type BatchingOptions } from './batching-producer.js';
import { pingAdmin } from './health.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';
import type { PendingRecord } from './producer-batcher.js';
import { queuedStatusRecord, statusTopicSpec, type StatusTopicOptions } from './status-topic.js';
import { ensureTopics, INVOCATION_TOPIC_MAX_MESSAGE_BYTES, LARGE_TOPIC_MAX_MESSAGE_BYTES } from './topics-admin.js';

/** Options of createKafkaInvocationQueue. */
export interface KafkaInvocationQueueOptions extends KafkaConnectionOptions, BatchingOptions {
  /** Topic of calls to functions without a dedicated queue. */
  readonly topicBase?: string;
  /** Partitions of the topics this queue creates (existing topics keep theirs). */
  readonly partitions?: number;
  /** Longest an enqueue waits for the ack before failing with QUEUE_UNAVAILABLE. */
  readonly enqueueTimeoutMs?: number;
  /** Retry-After of a QUEUE_UNAVAILABLE rejection. */
  readonly retryAfterSeconds?: number;
  /** Records above this many bytes are refused with PAYLOAD_TOO_LARGE; matches the topic's max.message.bytes. */
  readonly maxMessageBytes?: number;
  /**
   * Also write each call's `queued` status to this topic, in the produce request of the call itself, and hand
   * it to `onQueued`, with the record's value, once the call is acknowledged (the accepting gateway's own
   * store, for read-your-writes).
   */
  readonly status?: StatusTopicOptions & { readonly onQueued?: (status: CallStatus, value: Buffer) => void };
}

/** The Kafka queue: the InvocationQueue port plus start and a readiness ping. */
export interface KafkaInvocationQueue extends InvocationQueue {
  /** Connects and creates the shared topics when missing; enqueue() also does this lazily. Idempotent. */
  start(): Promise<void>;
  /** Resolves when the cluster answers a metadata request within `timeoutMs` (the prober's own deadline). */
  ping(timeoutMs: number): Promise<void>;
}

/** Defaults of the queue options. */
export const KAFKA_QUEUE_DEFAULTS = Object.freeze({
  topicBase: DEFAULT_INVOCATIONS_TOPIC,
  partitions: 6,
  enqueueTimeoutMs: 5_000,
  retryAfterSeconds: 5,
  maxMessageBytes: INVOCATION_TOPIC_MAX_MESSAGE_BYTES,
});

// Per-record framing kafkajs and the broker add on top of key and value (record + batch headers, generous).
const RECORD_OVERHEAD_BYTES = 512;

/** Creates the Kafka queue; no I/O until start() or the first enqueue(). */
export function createKafkaInvocationQueue(options: KafkaInvocationQueueOptions): KafkaInvocationQueue {
  const o = { ...KAFKA_QUEUE_DEFAULTS, ...definedOnly(options) };
  nonEmpty('topicBase', o.topicBase);
  intAtLeast('partitions', o.partitions, 1);
  intAtLeast('enqueueTimeoutMs', o.enqueueTimeoutMs, 1);
  intAtLeast('retryAfterSeconds', o.retryAfterSeconds, 0);
  intAtLeast('maxMessageBytes', o.maxMessageBytes, 1_024);
  const logger: Logger = options.logger.child({ component: 'kafka-queue' });
  const kafka = createKafkaClient(options);
  const admin = kafka.admin();
  const producer = createBatchingProducer(kafka, options);
  const topicsReady = new Map<string, Promise<void>>();
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const unavailable = (reason: string, cause?: unknown): KfaasError =>
    new KfaasError('QUEUE_UNAVAILABLE', `the call could not be stored on Kafka: ${reason}`, {
      retryAfterSeconds: o.retryAfterSeconds,
      cause,
    });

  const retryOnFailure = <T>(make: () => Promise<T>, forget: () => void): Promise<T> =>
    make().catch((err: unknown) => {
      forget();
      throw err;
    });

  const start = (): Promise<void> => {
    starting ??= retryOnFailure(
      async () => {
        await Promise.all([admin.connect(), producer.connect()]);
        if (options.status) await ensureTopics(admin, [statusTopicSpec(options.status)]);
        await ensureTopic(o.topicBase);
        logger.info('Kafka queue ready', { topic: o.topicBase });
      },
      () => (starting = undefined),
    );
    return starting;
  };

  const ensureTopic = (topic: string): Promise<void> => {
    let ready = topicsReady.get(topic);
    if (!ready) {
      ready = retryOnFailure(
        () =>
          ensureTopics(admin, [
            { topic, partitions: o.partitions, maxMessageBytes: o.maxMessageBytes },
            { topic: retryTopic(topic), partitions: o.partitions, maxMessageBytes: LARGE_TOPIC_MAX_MESSAGE_BYTES },
          ]),
        () => topicsReady.delete(topic),
      );
      topicsReady.set(topic, ready);
    }
    return ready;
  };

  async function enqueue(inv: Invocation): Promise<void> {
    if (closing) throw unavailable('the queue is closed');
    if (inv.queue !== undefined) {
      const problem = queueNameProblem(inv.queue);
      if (problem) throw new KfaasError('INVALID_FIELD', problem);
    }
    const value = encodeInvocation(inv);
    const key = recordKey(inv);
    const size = value.length + Buffer.byteLength(key) + RECORD_OVERHEAD_BYTES;
    if (size > o.maxMessageBytes) {
      throw new KfaasError('PAYLOAD_TOO_LARGE', `the encoded call is ${size} bytes; the queue takes at most ${o.maxMessageBytes}`);
    }
    const callTopic = invocationTopic(inv.queue, o.topicBase);
    // A delayed call waits where retries wait: the retry relay moves it to the call topic once due.
    const topic = inv.notBefore !== undefined && inv.notBefore > Date.now() ? retryTopic(callTopic) : callTopic;
    let pending: PendingRecord | undefined;
    let pendingStatus: PendingRecord | undefined;
    let timedOut = false;
    const status = options.status ? queuedStatus(inv, inv.enqueuedAt) : undefined;
    const queuedRecord = status && options.status ? queuedStatusRecord(options.status.topic, status) : undefined;
    const work = (async () => {
      await start();
      await ensureTopic(callTopic);
      if (timedOut) return;
      // The trace context also goes in the record headers, where Kafka tooling looks for it (W3C names).
      const trace = traceHeadersOf(inv);
      pending = producer.send(trace ? { topic, key, value, headers: trace } : { topic, key, value });
      // Same request as the call, bundled with the other calls' (status-topic.ts): no extra round trip, one
      // record per request. Its ack is not awaited: a worker's later snapshot supersedes it, and the accepting
      // gateway's own store has it at once through onQueued.
      if (queuedRecord) {
        pendingStatus = producer.send(queuedRecord);
        pendingStatus.done.catch((err: unknown) => logger.debug('writing a queued status failed', { err, callId: inv.callId }));
      }
      await pending.done;
    })();
    try {
      await withDeadline(work, o.enqueueTimeoutMs, () => {
        timedOut = true;
        return unavailable(`no acknowledgement from the brokers within ${o.enqueueTimeoutMs} ms`);
      });
    } catch (err) {
      // Withdraw a record still waiting for a send: the caller is told it failed, so it must never be written.
      pending?.cancel();
      pendingStatus?.cancel();
      work.catch(() => undefined);
      if (isKfaasError(err)) throw err;
      throw unavailable((err as Error).message, err);
    }
    if (status && queuedRecord) options.status?.onQueued?.(status, queuedRecord.value);
  }

  return {
    enqueue,
    start,
    ping: (timeoutMs) => pingAdmin(admin, timeoutMs),
    close() {
      closing ??= (async () => {
        await producer.close(o.enqueueTimeoutMs);
        await admin.disconnect().catch(() => undefined);
        logger.info('Kafka queue closed');
      })();
      return closing;
    },
  };
}

/** The call's `traceparent` and `tracestate`, as stored in its envelope; undefined when it has none. */
function traceHeadersOf(inv: Invocation): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = inv.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out['traceparent'] ? out : undefined;
}
