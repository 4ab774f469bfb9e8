/**
 * Queue adapter benchmark, without HTTP in the way:
 *  1. Kafka enqueue (idempotent, acks=all, micro-batched) from `concurrency` closed-loop callers (and from 4x as
 *     many), against a raw kafkajs idempotent producer doing one `send` per message from `concurrency` callers,
 *     and against a single caller doing `sendBatch` of 100 (the ceiling of hand-batching);
 *  2. Kafka end to end: the source delivering what phase 1 wrote to a no-op handler (commits included), against a
 *     raw kafkajs consumer with autoCommit reading the same records;
 *  3. embedded enqueue (SQLite, WAL synced before each acknowledgement, group commit) against raw better-sqlite3 with one
 *     transaction (one fsync) per insert;
 *  4. embedded end to end: the source delivering phase 3's rows to a no-op handler.
 * Delivery rates are measured from the first to the last delivery, so group joins do not count.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import kafkajs from 'kafkajs';
import winston from 'winston';
import { DEFAULT_POLICY } from '../common/delivery-policy.js';
import { ENVELOPE_VERSION, encodeInvocation, type Invocation } from '../common/invocation.js';
import type { InvocationQueue, InvocationSource } from '../common/queue.js';
import { createEmbeddedQueue } from '../queue/embedded/index.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource } from '../queue/kafka/index.js';
import { withDeadline } from '../runtime/deadline.js';
import { summarize, type LoadResult } from './load.js';
import type { BenchResult } from './types.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

/** Options of the queue benchmark. */
export interface QueueBenchOptions {
  /** Length of each measured enqueue phase. */
  readonly durationMs: number;
  /** Kafka brokers; without them only the embedded queue is measured. */
  readonly brokers?: readonly string[];
  /** Closed-loop callers of the enqueue phases (default 64). */
  readonly concurrency?: number;
  /** Body bytes per call (default 1024). */
  readonly bodyBytes?: number;
}

const logger = winston.createLogger({ silent: true });
const mib = (): number => process.memoryUsage().rss / 1_048_576;

function invocation(body: Buffer, i: number): Invocation {
  return {
    version: ENVELOPE_VERSION,
    callId: `bench-${i}`,
    function: `fn-${i % 16}`,
    namespace: 'bench',
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: { 'content-type': 'application/octet-stream' },
    body,
    enqueuedAt: Date.now(),
    attempt: 0,
    policy: DEFAULT_POLICY,
  };
}

/** Runs `op` from `concurrency` loops for `durationMs`, recording each call's latency. */
async function closedLoop(concurrency: number, durationMs: number, op: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op(next++);
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarize(latencies, errors, performance.now() - start);
}

/** Delivery rate of `count` records from the first delivery to the last. */
class DeliveryClock {
  private first = 0;
  private last = 0;
  private seen = 0;
  private done!: () => void;
  readonly finished: Promise<void>;

  constructor(private readonly count: number) {
    this.finished = new Promise((resolve) => (this.done = resolve));
  }

  tick(n = 1): void {
    const now = performance.now();
    if (this.seen === 0) this.first = now;
    this.seen += n;
    this.last = now;
    if (this.seen >= this.count) this.done();
  }

  perSecond(): number {
    return this.last > this.first ? ((this.seen - 1) * 1000) / (this.last - this.first) : Number.NaN;
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(promise, ms, () => new Error(`${what}: no end within ${ms} ms`));
}

const row = (scenario: string, baseline: string, r: LoadResult, baseRate: number, notes?: string): BenchResult => ({
  scenario,
  baseline,
  reqPerSec: r.reqPerSec,
  p50Ms: r.p50Ms,
  p99Ms: r.p99Ms,
  ratio: r.reqPerSec / baseRate,
  rssMb: mib(),
  ...(notes ? { notes } : {}),
});

async function drain(source: InvocationSource, count: number, timeoutMs: number): Promise<number> {
  const clock = new DeliveryClock(count);
  await source.start(async () => {
    clock.tick();
    return { action: 'complete' };
  });
  await within(clock.finished, timeoutMs, 'delivering the enqueued calls');
  await source.close();
  return clock.perSecond();
}

async function benchKafka(brokers: string[], o: Required<Omit<QueueBenchOptions, 'brokers'>>, body: Buffer): Promise<BenchResult[]> {
  const run = `bench-queue-${Date.now().toString(36)}`;
  const kafka = new Kafka({ clientId: 'kfaas-bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await raw.connect();
  const queue = createKafkaInvocationQueue({ brokers, logger, topicBase: `${run}-ours`, partitions: 6, kafkaLogLevel: 'nothing' });
  try {
    const rawTopic = `${run}-raw`;
    await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 6 }], waitForLeaders: true });
    await queue.start();
    const value = (i: number) => encodeInvocation(invocation(body, i));
    const perMessage = await closedLoop(o.concurrency, o.durationMs, async (i) => {
      await raw.send({ topic: rawTopic, acks: -1, messages: [{ key: `fn-${i % 16}`, value: value(i) }] });
    });
    const batched = await closedLoop(1, o.durationMs, async (i) => {
      await raw.send({ topic: rawTopic, acks: -1, messages: Array.from({ length: 100 }, (_, j) => ({ key: `fn-${j % 16}`, value: value(i * 100 + j) })) });
    });
    const batchedRate = batched.reqPerSec * 100;
    const ours = await closedLoop(o.concurrency, o.durationMs, (i) => queue.enqueue(invocation(body, i)));
    // A closed loop of N callers caps a batch at N records; 4N callers show what the batcher does with more.
    const oursWide = await closedLoop(o.concurrency * 4, o.durationMs, (i) => queue.enqueue(invocation(body, ours.requests + i)));

    // End to end over what `ours` wrote, against a raw consumer reading the raw topic's first as many records.
    const count = ours.requests + oursWide.requests;
    const source = createKafkaInvocationSource({ brokers, logger, kafkaLogLevel: 'nothing', topic: `${run}-ours`, deadLetterTopic: `${run}-dlq`, lagIntervalMs: 0, maxInflight: 100 });
    const deliveredPerSec = await drain(source, count, 300_000);
    const rawClock = new DeliveryClock(Math.min(count, perMessage.requests + batched.requests * 100));
    const consumer = kafka.consumer({ groupId: `${run}-raw-consumer`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [rawTopic], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => rawClock.tick(batch.messages.length) });
    await within(rawClock.finished, 300_000, 'the raw consumer');
    await consumer.disconnect();
    const rawDeliveredPerSec = rawClock.perSecond();

    const size = `${body.length} B bodies, ${o.concurrency} callers`;
    return [
      row('raw kafkajs send, 1 message per call (idempotent, acks=all)', 'itself', perMessage, perMessage.reqPerSec, size),
      row('raw kafkajs sendBatch of 100, one caller', 'raw send, 1 message per call', { ...batched, reqPerSec: batchedRate }, perMessage.reqPerSec,
        `messages/s; latency is per batch of 100`),
      row('Kafka enqueue (idempotent, acks=all, micro-batched)', 'raw send, 1 message per call', ours, perMessage.reqPerSec,
        `${(ours.reqPerSec / batchedRate).toFixed(2)}x raw sendBatch of 100; errors ${ours.errors}`),
      row(`Kafka enqueue, ${o.concurrency * 4} callers`, 'raw send, 1 message per call', oursWide, perMessage.reqPerSec,
        `${(oursWide.reqPerSec / batchedRate).toFixed(2)}x raw sendBatch of 100; errors ${oursWide.errors}`),
      {
        scenario: 'Kafka source, no-op handler, commits (deliveries/s)',
        baseline: 'raw kafkajs consumer, autoCommit',
        reqPerSec: deliveredPerSec,
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        ratio: deliveredPerSec / rawDeliveredPerSec,
        rssMb: mib(),
        notes: `${count} calls; raw consumer ${Math.round(rawDeliveredPerSec)}/s`,
      },
    ];
  } finally {
    await queue.close();
    await raw.disconnect();
    await admin.disconnect();
  }
}

async function benchEmbedded(o: Required<Omit<QueueBenchOptions, 'brokers'>>, body: Buffer): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-bench-queue-'));
  try {
    const db = new Database(path.join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE calls (id INTEGER PRIMARY KEY, envelope BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO calls (envelope) VALUES (?)');
    const perInsert = await closedLoop(o.concurrency, o.durationMs, async (i) => {
      insert.run(encodeInvocation(invocation(body, i)));
      await new Promise((resolve) => setImmediate(resolve));
    });
    db.close();

    const queue: InvocationQueue & { source(options?: { maxInflight?: number }): InvocationSource } = createEmbeddedQueue({ dataDir: dir, logger });
    try {
      const ours = await closedLoop(o.concurrency, o.durationMs, (i) => queue.enqueue(invocation(body, i)));
      const deliveredPerSec = await drain(queue.source({ maxInflight: 100 }), ours.requests, 300_000);
      const size = `${body.length} B bodies, ${o.concurrency} callers`;
      return [
        row('raw better-sqlite3 insert, 1 transaction per call (WAL, synchronous=FULL)', 'itself', perInsert, perInsert.reqPerSec, size),
        row('embedded enqueue (group commit, WAL fdatasync before each acknowledgement)', 'raw insert, 1 transaction per call', ours, perInsert.reqPerSec, `errors ${ours.errors}`),
        {
          scenario: 'embedded source, no-op handler (deliveries/s)',
          baseline: 'embedded enqueue rate',
          reqPerSec: deliveredPerSec,
          p50Ms: Number.NaN,
          p99Ms: Number.NaN,
          ratio: deliveredPerSec / ours.reqPerSec,
          rssMb: mib(),
          notes: `${ours.requests} calls`,
        },
      ];
    } finally {
      await queue.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the queue scenarios (Kafka when brokers are given, and embedded) and returns their results. */
export async function runQueueBench(opts: QueueBenchOptions): Promise<BenchResult[]> {
  const o = { durationMs: opts.durationMs, concurrency: opts.concurrency ?? 64, bodyBytes: opts.bodyBytes ?? 1_024 };
  const body = Buffer.alloc(o.bodyBytes, 'b');
  const results: BenchResult[] = [];
  if (opts.brokers?.length) results.push(...(await benchKafka([...opts.brokers], o, body)));
  results.push(...(await benchEmbedded(o, body)));
  return results;
}
