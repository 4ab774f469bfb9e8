/**
 * Micro-batching of produce calls. Concurrent `add()` calls are collected and sent as one `sendBatch`, one send
 * at a time: while a send waits for its acks the next batch fills, so under load each round-trip carries many
 * records (group commit) and an idle queue still sends a lone record after `lingerMs`. Each caller's promise
 * settles with the ack (or failure) of the send that carried its record. The send function is injected, so the
 * batching logic is tested without a broker; queue/kafka wires it to an idempotent kafkajs producer.
 *
 * A batch is capped in bytes as well as records: kafkajs packs all records for one partition of one request
 * into a single record batch, which the broker rejects whole when it exceeds the topic's max.message.bytes.
 *
 * Records marked `bundle` travel joined: those of one send and topic become one Kafka record (see BatchRecord),
 * so a small record written for every call (the `queued` status) costs the producer, the broker and every
 * reader one record per send instead of one per call.
 */

/** One record to produce. */
export interface BatchRecord {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  /** Record headers (the call's W3C trace context, when it has one). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Join with the other `bundle` records of the same send and topic: one record whose key is the first one's
   * key and whose value is their values separated by '\n' (so values must not contain a newline), split where
   * it would exceed BUNDLE_MAX_BYTES. Headers are not kept.
   */
  readonly bundle?: boolean;
}

/** Largest value of a bundled record; more values go in a second record of the same send. */
export const BUNDLE_MAX_BYTES = 256 * 1_024;

/** A message of one send. */
type Message = { key: string | Buffer | null; value: Buffer; headers?: Record<string, string> };

/** Records of one send, grouped by topic (the shape of kafkajs `sendBatch({ topicMessages })`). */
export type TopicMessages = Array<{ topic: string; messages: Message[] }>;

/** Limits and timing of a batcher. */
export interface ProducerBatcherOptions {
  /** Sends one batch; resolves once every record in it is acknowledged. */
  readonly send: (topicMessages: TopicMessages) => Promise<void>;
  /** Wait this long for company before sending a batch that is not full (0 = next tick). */
  readonly lingerMs: number;
  readonly maxBatchRecords: number;
  readonly maxBatchBytes: number;
  /** Records waiting (not yet in a send) beyond which add() fails at once: backpressure, not unbounded memory. */
  readonly maxPendingRecords: number;
  readonly maxPendingBytes: number;
}

/** A record handed to the batcher. */
export interface PendingRecord {
  /** Settles with the ack of the send that carried the record. */
  readonly done: Promise<void>;
  /** Withdraws the record if it has not been sent yet; returns true when withdrawn (it will never be written). */
  cancel(): boolean;
}

/** Raised by add() when too much is already waiting. */
export class BatcherFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatcherFullError';
  }
}

/** Settles the promise of a record withdrawn with cancel(). */
export class BatcherWithdrawnError extends Error {
  constructor() {
    super('the record was withdrawn before it was sent');
    this.name = 'BatcherWithdrawnError';
  }
}

/** Raised by add() once the batcher is closing. */
export class BatcherClosedError extends Error {
  constructor() {
    super('the producer batcher is closed');
    this.name = 'BatcherClosedError';
  }
}

interface Item {
  readonly record: BatchRecord;
  readonly bytes: number;
  resolve(): void;
  reject(err: unknown): void;
  state: 'waiting' | 'sent' | 'cancelled';
}

/** Collects concurrent produce calls into shared sends; see the file comment. */
export interface ProducerBatcher {
  add(record: BatchRecord): PendingRecord;
  /** Records waiting for a send. */
  readonly waiting: number;
  /** Sends what is waiting, waits for every send in flight, then refuses new records; idempotent. */
  close(): Promise<void>;
}

const recordBytes = (r: BatchRecord): number => r.value.length + (r.key === null ? 0 : Buffer.byteLength(r.key)) + 64;

const NEWLINE = Buffer.from('\n');

/** The records of one send and topic marked `bundle`, joined into as few messages as BUNDLE_MAX_BYTES allows. */
function bundleMessages(records: readonly BatchRecord[]): Message[] {
  const out: Message[] = [];
  let parts: Buffer[] = [];
  let key: string | Buffer | null = null;
  let bytes = 0;
  const close = (): void => {
    if (parts.length > 0) out.push({ key, value: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes) });
    parts = [];
    bytes = 0;
  };
  for (const r of records) {
    if (parts.length > 0 && bytes + 1 + r.value.length > BUNDLE_MAX_BYTES) close();
    if (parts.length === 0) key = r.key;
    else {
      parts.push(NEWLINE);
      bytes += 1;
    }
    parts.push(r.value);
    bytes += r.value.length;
  }
  close();
  return out;
}

/** Creates a batcher. */
export function createProducerBatcher(options: ProducerBatcherOptions): ProducerBatcher {
  let queue: Item[] = [];
  let waitingCount = 0;
  let waitingBytes = 0;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const takeBatch = (): Item[] => {
    const batch: Item[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < queue.length; i += 1) {
      const item = queue[i] as Item;
      if (item.state === 'cancelled') continue;
      if (batch.length > 0 && (batch.length >= options.maxBatchRecords || bytes + item.bytes > options.maxBatchBytes)) break;
      batch.push(item);
      bytes += item.bytes;
    }
    queue = queue.slice(i);
    waitingCount -= batch.length;
    waitingBytes -= bytes;
    return batch;
  };

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight) return;
    const batch = takeBatch();
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    const bundles = new Map<string, BatchRecord[]>();
    for (const item of batch) {
      item.state = 'sent';
      const { topic, key, value, headers, bundle } = item.record;
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      if (bundle) {
        const list = bundles.get(topic);
        if (list) list.push(item.record);
        else bundles.set(topic, [item.record]);
        continue;
      }
      messages.push(headers ? { key, value, headers: { ...headers } } : { key, value });
    }
    for (const [topic, records] of bundles) byTopic.get(topic)!.push(...bundleMessages(records));
    const topicMessages: TopicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    inFlight = (async () => {
      try {
        await options.send(topicMessages);
        for (const item of batch) item.resolve();
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    })().finally(() => {
      inFlight = undefined;
      // What arrived during the send goes out at once: it already waited one round-trip.
      if (waitingCount > 0) flush();
    });
  };

  const schedule = (): void => {
    if (inFlight || timer) return;
    if (waitingCount >= options.maxBatchRecords || waitingBytes >= options.maxBatchBytes) flush();
    else timer = setTimeout(flush, options.lingerMs);
  };

  return {
    add(record) {
      if (closing) return { done: Promise.reject(new BatcherClosedError()), cancel: () => false };
      const bytes = recordBytes(record);
      if (waitingCount >= options.maxPendingRecords || waitingBytes + bytes > options.maxPendingBytes) {
        const err = new BatcherFullError(
          `${waitingCount} records (${waitingBytes} bytes) already wait for the broker; ` +
            `limits ${options.maxPendingRecords} records, ${options.maxPendingBytes} bytes`,
        );
        return { done: Promise.reject(err), cancel: () => false };
      }
      let item!: Item;
      const done = new Promise<void>((resolve, reject) => {
        item = { record, bytes, resolve, reject, state: 'waiting' };
      });
      queue.push(item);
      waitingCount += 1;
      waitingBytes += bytes;
      schedule();
      return {
        done,
        cancel: () => {
          if (item.state !== 'waiting') return false;
          item.state = 'cancelled';
          waitingCount -= 1;
          waitingBytes -= bytes;
          item.reject(new BatcherWithdrawnError());
          return true;
        },
      };
    },
    get waiting() {
      return waitingCount;
    },
    close() {
      closing ??= (async () => {
        while (inFlight || waitingCount > 0) {
          if (!inFlight) flush();
          await inFlight;
        }
      })();
      return closing;
    },
  };
}
