// The queue contract against the Kafka adapter on the real broker, plus what only Kafka has: an unreachable
// broker, calls longer than the session timeout, members joining mid-call, topic configuration and lag.
import net from 'node:net';
import type { Producer } from 'kafkajs';
import { isKfaasError } from '../../common/errors.js';
import type { Invocation } from '../../common/invocation.js';
import type { InvocationSource } from '../../common/queue.js';
import { consumerGroup, retryTopic } from '../../common/topics.js';
import { decodeDoneMarks } from '../../queue/kafka/done-marks.js';
import { delayTierTopics } from '../../queue/kafka/delay-tiers.js';
import {
  createKafkaDeadLetterReader,
  createKafkaInvocationQueue,
  createKafkaInvocationSource,
  INVOCATION_TOPIC_MAX_MESSAGE_BYTES,
  kafkaHealth,
  type KafkaInvocationQueue,
  type KafkaInvocationSourceOptions,
} from '../../queue/kafka/index.js';
import { anInvocation, describeQueueContract, type QueueAdapters } from '../contract/invocation-queue.contract.js';
import { kafkaFor, loadServices, silentLogger, uniqueName, waitFor, type ServicesState } from '../helpers/index.js';

const TIMEOUT_MS = 120_000;
const CHILD_SESSION_TIMEOUT_MS = 6_000;

let state: ServicesState;

beforeAll(() => {
  state = loadServices();
});

/** Source options tuned for tests: short waits, no lag reports unless asked. */
const testSourceOptions = (topic: string, deadLetterTopic: string): KafkaInvocationSourceOptions => ({
  brokers: state.brokers,
  topic,
  deadLetterTopic,
  partitions: 3,
  logger: silentLogger(),
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 200,
  commitIntervalMs: 50,
  lagIntervalMs: 0,
});

async function makeKafkaAdapters(): Promise<QueueAdapters> {
  const topic = uniqueName('q');
  const deadLetterTopic = `${topic}.dlq`;
  const logger = silentLogger();
  const queue = createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 3, logger, enqueueTimeoutMs: 10_000 });
  await queue.start();
  const reader = createKafkaDeadLetterReader({ brokers: state.brokers, deadLetterTopic, logger });
  const sources: InvocationSource[] = [];
  let raw: Producer | undefined;
  let closing: Promise<void> | undefined;
  return {
    queue,
    source: (options = {}) => {
      const source = createKafkaInvocationSource({ ...testSourceOptions(topic, deadLetterTopic), ...options });
      sources.push(source);
      return source;
    },
    deadLetters: reader,
    async writeRaw(value) {
      raw ??= kafkaFor(state).producer();
      await raw.connect();
      await raw.send({ topic, messages: [{ key: 'garbage', value }] });
    },
    childSpec: ({ maxInflight, handlerMs }) => ({
      kind: 'kafka',
      brokers: state.brokers,
      topic,
      sessionTimeoutMs: CHILD_SESSION_TIMEOUT_MS,
      maxInflight,
      handlerMs,
    }),
    crashRecoveryMs: CHILD_SESSION_TIMEOUT_MS,
    close() {
      closing ??= (async () => {
        await Promise.all(sources.map((s) => s.close()));
        await queue.close();
        await reader.close();
        await raw?.disconnect();
      })();
      return closing;
    },
  };
}

describeQueueContract('Kafka', makeKafkaAdapters);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Kafka queue specifics', () => {
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  }, TIMEOUT_MS);

  const track = <T extends { close(): Promise<unknown> }>(thing: T): T => {
    closers.push(() => thing.close());
    return thing;
  };

  it(
    'rejects enqueue with QUEUE_UNAVAILABLE within the enqueue timeout when no broker answers',
    async () => {
      const queue = track(
        createKafkaInvocationQueue({
          brokers: [`127.0.0.1:${await closedPort()}`],
          logger: silentLogger(),
          enqueueTimeoutMs: 1_500,
          retryAfterSeconds: 7,
        }),
      );
      for (let i = 0; i < 2; i += 1) {
        const t0 = Date.now();
        const err = await queue.enqueue(anInvocation()).catch((e: unknown) => e);
        const elapsed = Date.now() - t0;
        expect(isKfaasError(err, 'QUEUE_UNAVAILABLE')).toBe(true);
        expect((err as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(7);
        expect(elapsed).toBeGreaterThanOrEqual(1_400);
        expect(elapsed).toBeLessThan(3_000);
      }
      await expect(queue.ping(500)).rejects.toThrow(/within 500 ms|ECONNREFUSED|Connection error/);
      const health = track(kafkaHealth({ brokers: [`127.0.0.1:${await closedPort()}`], logger: silentLogger() }));
      await expect(health.ping(500)).rejects.toThrow();
    },
    TIMEOUT_MS,
  );

  it(
    'creates topics with a max.message.bytes that takes a 1 MiB body, and refuses records above it',
    async () => {
      const topic = uniqueName('big');
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 2, logger: silentLogger() }));
      await queue.start();
      await queue.ping(5_000);
      const health = track(kafkaHealth({ brokers: state.brokers, logger: silentLogger() }));
      await health.ping(5_000);
      const admin = kafkaFor(state).admin();
      await admin.connect();
      try {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [topic, retryTopic(topic)].map((name) => ({ type: 2 /* TOPIC */, name, configNames: ['max.message.bytes'] })),
        });
        const limits = resources.map((r) => Number(r.configEntries[0]?.configValue));
        expect(limits[0]).toBe(INVOCATION_TOPIC_MAX_MESSAGE_BYTES);
        expect(limits[1]).toBeGreaterThan(INVOCATION_TOPIC_MAX_MESSAGE_BYTES);
        const partitions = await admin.fetchTopicMetadata({ topics: [topic] });
        expect(partitions.topics[0]?.partitions).toHaveLength(2);
      } finally {
        await admin.disconnect();
      }
      const body = Buffer.alloc(1_048_576, 7);
      const big = anInvocation({ body, headers: { 'x-pad': 'h'.repeat(16_384) } });
      await queue.enqueue(big);
      const got: Invocation[] = [];
      const source = track(createKafkaInvocationSource(testSourceOptions(topic, `${topic}.dlq`)));
      await source.start(async (inv) => {
        got.push(inv);
        return { action: 'complete' };
      });
      await waitFor(() => got.length === 1, { timeoutMs: 30_000, description: 'the 1 MiB call' });
      expect(Buffer.compare((got[0] as Invocation).body, body)).toBe(0);
      const err = await queue.enqueue(anInvocation({ body: Buffer.alloc(INVOCATION_TOPIC_MAX_MESSAGE_BYTES) })).catch((e: unknown) => e);
      expect(isKfaasError(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'runs a call longer than the session timeout exactly once, with a second member waiting in the group',
    async () => {
      const topic = uniqueName('long');
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 2, logger: silentLogger() }));
      await queue.start();
      const runs = new Map<string, number>();
      const done = new Set<string>();
      const handler = async (inv: Invocation) => {
        runs.set(inv.callId, (runs.get(inv.callId) ?? 0) + 1);
        if (inv.function === 'fn-long') await new Promise((resolve) => setTimeout(resolve, 15_000));
        done.add(inv.callId);
        return { action: 'complete' } as const;
      };
      const options = { ...testSourceOptions(topic, `${topic}.dlq`), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxExecTimeoutMs: 20_000 };
      await track(createKafkaInvocationSource(options)).start(handler);
      await track(createKafkaInvocationSource(options)).start(handler);
      const long = anInvocation({ function: 'fn-long' });
      await queue.enqueue(long);
      await waitFor(() => done.has(long.callId), { timeoutMs: 60_000, description: 'the 15 s call' });
      // Calls enqueued after it flow through both members; had the long call's member been dropped, its partition
      // would have moved and the call would have started again before this point.
      const after = Array.from({ length: 10 }, (_, i) => anInvocation({ function: `fn-after-${i}` }));
      await Promise.all(after.map((inv) => queue.enqueue(inv)));
      await waitFor(() => after.every((inv) => done.has(inv.callId)), { timeoutMs: 30_000, description: 'the later calls' });
      expect(runs.get(long.callId)).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    'does not run again the calls a member finished out of order before it went away (done-marks in its commit)',
    async () => {
      const topic = uniqueName('marks');
      // One partition: the first call holds the committed position while the later two finish.
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 1, logger: silentLogger() }));
      await queue.start();
      const [held, a, b] = [anInvocation({ function: 'fn-held' }), anInvocation({ function: 'fn-a' }), anInvocation({ function: 'fn-b' })];
      for (const inv of [held, a, b]) await queue.enqueue(inv);
      const options = { ...testSourceOptions(topic, `${topic}.dlq`), partitions: 1, drainTimeoutMs: 300, abortGraceMs: 300 };

      const firstRuns: string[] = [];
      const first = createKafkaInvocationSource(options);
      await first.start(async (inv, signal) => {
        firstRuns.push(inv.callId);
        if (inv.callId === held.callId) {
          // Never finishes here: it is cut off when the member goes away, as a crash or an expired drain would.
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return { action: 'complete' };
      });
      const admin = kafkaFor(state).admin();
      await admin.connect();
      closers.push(() => admin.disconnect());
      // Both later calls finished: the group's commit stays at the held call's offset, with their done-marks.
      await waitFor(
        async () => {
          const [committed] = (await admin.fetchOffsets({ groupId: consumerGroup(topic), topics: [topic] }))[0]?.partitions ?? [];
          return committed?.offset === '0' && decodeDoneMarks(0n, committed.metadata).length === 2;
        },
        { timeoutMs: 30_000, description: 'a commit at offset 0 marking offsets 1 and 2 done' },
      );
      await first.close();
      expect(firstRuns.sort()).toEqual([held.callId, a.callId, b.callId].sort());

      const secondRuns: string[] = [];
      const second = track(createKafkaInvocationSource(options));
      await second.start(async (inv) => {
        secondRuns.push(inv.callId);
        return { action: 'complete' };
      });
      await waitFor(
        async () => (await admin.fetchOffsets({ groupId: consumerGroup(topic), topics: [topic] }))[0]?.partitions[0]?.offset === '3',
        { timeoutMs: 30_000, description: 'the second member to commit past all three calls' },
      );
      // Only the call the first member never finished runs again.
      expect(secondRuns).toEqual([held.callId]);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps long waits out of the retry relay: they move through the delay tiers, and a short retry is not stalled behind them',
    async () => {
      const topic = uniqueName('tiers');
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 2, logger: silentLogger() }));
      await queue.start();
      const tiersMs = [1_500, 4_000];
      // The relay may hold 3 records: before the tiers, the 10 far calls below filled it and stalled the retry.
      const options = { ...testSourceOptions(topic, `${topic}.dlq`), partitions: 2, delayTiersMs: tiersMs, retryMaxHeld: 3 };
      const t0 = Date.now();
      const far = Array.from({ length: 10 }, () => anInvocation({ function: 'fn-far', notBefore: t0 + 3_600_000 }));
      const soon = Array.from({ length: 3 }, () => anInvocation({ function: 'fn-soon', notBefore: t0 + 6_000 }));
      for (const inv of [...far, ...soon]) await queue.enqueue(inv);
      const flaky = anInvocation({ function: 'fn-flaky' });
      const ranAt = new Map<string, number[]>();
      const source = track(createKafkaInvocationSource(options));
      await source.start(async (inv) => {
        ranAt.set(inv.callId, [...(ranAt.get(inv.callId) ?? []), Date.now()]);
        if (inv.callId === flaky.callId && inv.attempt === 0) return { action: 'retry', invocation: { ...inv, attempt: 1 }, delayMs: 300 };
        return { action: 'complete' };
      });
      await queue.enqueue(flaky);
      await waitFor(() => (ranAt.get(flaky.callId)?.length ?? 0) === 2, { timeoutMs: 15_000, description: 'the retried call to run twice' });
      await waitFor(() => soon.every((inv) => ranAt.has(inv.callId)), { timeoutMs: 20_000, description: 'the calls delayed 6 s' });
      for (const inv of soon) {
        const [at] = ranAt.get(inv.callId) ?? [];
        expect(at).toBeGreaterThanOrEqual(inv.notBefore as number);
        // Late by at most the first tier's granularity and a few fetches (on a loaded machine).
        expect((at as number) - (inv.notBefore as number)).toBeLessThan(5_000);
      }
      expect(far.filter((inv) => ranAt.has(inv.callId))).toEqual([]);
      // The far calls wait in the longest tier's topic, not in the relay (which would have stalled the retry).
      const admin = kafkaFor(state).admin();
      await admin.connect();
      closers.push(() => admin.disconnect());
      const [, longest] = delayTierTopics(topic, tiersMs);
      const written = (await admin.fetchTopicOffsets(longest as string)).reduce((sum, p) => sum + Number(p.high), 0);
      expect(written).toBeGreaterThanOrEqual(far.length);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps a partition with a call in flight on its member when another member joins (no second run)',
    async () => {
      const topic = uniqueName('sticky');
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 4, logger: silentLogger() }));
      await queue.start();
      const runs = new Map<string, number>();
      const ranOn = new Map<string, string>();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const handlerOf = (member: string) => async (inv: Invocation) => {
        runs.set(inv.callId, (runs.get(inv.callId) ?? 0) + 1);
        ranOn.set(inv.callId, member);
        if (inv.function === 'fn-held') await released;
        return { action: 'complete' } as const;
      };
      const options = testSourceOptions(topic, `${topic}.dlq`);
      await track(createKafkaInvocationSource(options)).start(handlerOf('first'));
      const held = anInvocation({ function: 'fn-held' });
      await queue.enqueue(held);
      await waitFor(() => runs.get(held.callId) === 1, { timeoutMs: 30_000, description: 'the held call to start' });
      // The join triggers a rebalance while the call runs; the joiner must not be given its partition.
      await track(createKafkaInvocationSource(options)).start(handlerOf('second'));
      const others = Array.from({ length: 20 }, (_, i) => anInvocation({ function: `fn-other-${i}` }));
      await Promise.all(others.map((inv) => queue.enqueue(inv)));
      await waitFor(() => others.every((inv) => runs.has(inv.callId)), { timeoutMs: 30_000, description: 'the other calls' });
      expect(new Set(others.map((inv) => ranOn.get(inv.callId)))).toEqual(new Set(['first', 'second']));
      release();
      await waitFor(() => others.length + 1 === runs.size, { timeoutMs: 10_000, description: 'all calls' });
      expect(runs.get(held.callId)).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    'reports consumer lag to the observer',
    async () => {
      const topic = uniqueName('lag');
      const queue = track(createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 1, logger: silentLogger() }));
      await queue.start();
      for (let i = 0; i < 5; i += 1) await queue.enqueue(anInvocation());
      const lag: number[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const source = track(
        createKafkaInvocationSource({
          ...testSourceOptions(topic, `${topic}.dlq`),
          lagIntervalMs: 100,
          observer: { onLag: (t, partition, value) => t === topic && partition === 0 && lag.push(value) },
        }),
      );
      await source.start(async () => {
        await released;
        return { action: 'complete' };
      });
      await waitFor(() => lag.includes(5), { timeoutMs: 20_000, description: 'a lag of 5 while nothing is committed' });
      release();
      await waitFor(() => lag[lag.length - 1] === 0, { timeoutMs: 20_000, description: 'the lag to drop to 0' });
    },
    TIMEOUT_MS,
  );

  it(
    'shares produce requests between concurrent enqueues',
    async () => {
      const topic = uniqueName('batch');
      const batches: number[] = [];
      const queue: KafkaInvocationQueue = track(
        createKafkaInvocationQueue({
          brokers: state.brokers,
          topicBase: topic,
          partitions: 3,
          logger: silentLogger(),
          onBatchSent: (records) => batches.push(records),
        }),
      );
      await queue.start();
      const admin = kafkaFor(state).admin();
      await admin.connect();
      try {
        await Promise.all(Array.from({ length: 2_000 }, () => queue.enqueue(anInvocation())));
        const offsets = await admin.fetchTopicOffsets(topic);
        expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2_000);
        expect(batches.reduce((n, b) => n + b, 0)).toBe(2_000);
        // 2,000 calls made at once travel in a handful of requests, not 2,000 round-trips.
        expect(batches.length).toBeLessThan(100);
      } finally {
        await admin.disconnect();
      }
    },
    TIMEOUT_MS,
  );
});
