// The call status contract against the Kafka adapters on the real broker (workers write the compacted status
// topic; a gateway's view materialises it into a local file), plus what only Kafka has: other gateway
// replicas, a restarted gateway rebuilding its view, and a worker killed mid-call.
import fs from 'node:fs';
import type { CallStatus } from '../../common/call-status.js';
import type { InvocationSource } from '../../common/queue.js';
import { createRedriver } from '../../queue/shared/redrive.js';
import {
  createKafkaCallStatusView,
  createKafkaDeadLetterReader,
  createKafkaInvocationQueue,
  createKafkaInvocationSource,
  type KafkaCallStatusView,
  type KafkaInvocationQueue,
} from '../../queue/kafka/index.js';
import { CONTRACT_RESULT_MAX_BYTES, describeCallStatusContract, type StatusAdapters } from '../contract/call-status.contract.js';
import { compileSourceChild, spawnSourceChild, type CompiledChild } from '../contract/child-process.js';
import { anInvocation } from '../contract/invocation-queue.contract.js';
import { loadServices, silentLogger, uniqueName, waitFor, type ServicesState } from '../helpers/index.js';

const TIMEOUT_MS = 120_000;
const RETENTION_MS = 3_600_000;

let state: ServicesState;

beforeAll(() => {
  state = loadServices();
});

/** One unique set of topics, with makers for the gateway and worker sides over it. */
function topics() {
  const topic = uniqueName('st');
  const statusTopic = `${topic}.status`;
  const cancelTopic = `${topic}.cancel`;
  const closers: Array<() => Promise<unknown>> = [];
  const track = <T extends { close(): Promise<unknown> }>(thing: T): T => {
    closers.push(() => thing.close());
    return thing;
  };
  const view = (): KafkaCallStatusView =>
    track(
      createKafkaCallStatusView({
        brokers: state.brokers,
        topic: statusTopic,
        cancelTopic,
        retentionMs: RETENTION_MS,
        partitions: 3,
        maxWaitTimeMs: 100,
        logger: silentLogger(),
      }),
    );
  const queue = (ownView?: KafkaCallStatusView): KafkaInvocationQueue =>
    track(
      createKafkaInvocationQueue({
        brokers: state.brokers,
        topicBase: topic,
        partitions: 3,
        logger: silentLogger(),
        enqueueTimeoutMs: 10_000,
        status: { topic: statusTopic, retentionMs: RETENTION_MS, ...(ownView ? { onQueued: (s: CallStatus) => ownView.record(s) } : {}) },
      }),
    );
  const source = (): InvocationSource =>
    track(
      createKafkaInvocationSource({
        brokers: state.brokers,
        topic,
        deadLetterTopic: `${topic}.dlq`,
        partitions: 3,
        logger: silentLogger(),
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 100,
        commitIntervalMs: 50,
        lagIntervalMs: 0,
        status: { topic: statusTopic, cancelTopic, retentionMs: RETENTION_MS, resultMaxBytes: CONTRACT_RESULT_MAX_BYTES },
      }),
    );
  // Sources first (they drain), then queues and views.
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  const deadLetters = () => track(createKafkaDeadLetterReader({ brokers: state.brokers, deadLetterTopic: `${topic}.dlq`, logger: silentLogger() }));
  return { topic, statusTopic, view, queue, source, deadLetters, close };
}

async function makeKafkaStatusAdapters(): Promise<StatusAdapters> {
  const t = topics();
  const statuses = t.view();
  const queue = t.queue(statuses);
  await Promise.all([queue.start(), statuses.start()]);
  let closing: Promise<void> | undefined;
  return {
    queue,
    statuses,
    canceller: statuses,
    redriver: createRedriver({ deadLetters: t.deadLetters(), queue, statuses }),
    source: () => t.source(),
    close: () => (closing ??= t.close()),
  };
}

describeCallStatusContract('Kafka', makeKafkaStatusAdapters);

describe('Kafka call status specifics', () => {
  let t: ReturnType<typeof topics>;
  let child: CompiledChild | undefined;

  beforeEach(() => {
    t = topics();
  });

  afterEach(async () => {
    await t.close();
  }, TIMEOUT_MS);

  afterAll(() => child?.remove());

  it(
    'a second gateway replica answers for calls the first accepted, within a second',
    async () => {
      const first = t.view();
      const second = t.view();
      const queue = t.queue(first);
      await Promise.all([queue.start(), first.start(), second.start()]);
      await t.source().start(async (inv) => ({ action: 'complete', invocation: { ...inv, attempt: 1, lastStatus: 200 } }));
      const calls = Array.from({ length: 20 }, () => anInvocation());
      const lagMs: number[] = [];
      for (const inv of calls) {
        await queue.enqueue(inv);
        const acceptedAt = Date.now();
        expect(await first.get(inv.callId)).toBeDefined();
        await waitFor(() => second.get(inv.callId), { timeoutMs: 10_000, intervalMs: 5, description: 'the second replica to know the call' });
        lagMs.push(Date.now() - acceptedAt);
      }
      for (const inv of calls) {
        await waitFor(async () => (await second.get(inv.callId))?.state === 'succeeded', { timeoutMs: 30_000, description: 'success seen by the second replica' });
      }
      lagMs.sort((a, b) => a - b);
      const p50 = lagMs[Math.floor(lagMs.length / 2)] as number;
      const max = lagMs[lagMs.length - 1] as number;
      process.stderr.write(`[call-status] second replica convergence: p50 ${p50} ms, max ${max} ms over ${lagMs.length} calls\n`);
      expect(p50).toBeLessThan(1_000);
    },
    TIMEOUT_MS,
  );

  it(
    'a restarted gateway rebuilds its store from the topic',
    async () => {
      const before = t.view();
      const queue = t.queue(before);
      await Promise.all([queue.start(), before.start()]);
      await t.source().start(async (inv) => ({
        action: 'dead-letter',
        reason: 'max_attempts',
        invocation: { ...inv, attempt: 3, lastStatus: 503 },
        lastStatus: 503,
      }));
      const inv = anInvocation();
      await queue.enqueue(inv);
      await waitFor(async () => (await before.get(inv.callId))?.state === 'dead-lettered', { timeoutMs: 30_000, description: 'the dead letter' });
      const oldFile = before.file;
      await before.close();
      expect(fs.existsSync(oldFile)).toBe(false);
      const after = t.view();
      await after.start();
      const rebuilt = await waitFor(() => after.get(inv.callId), { timeoutMs: 30_000, description: 'the rebuilt store to hold the call' });
      expect(rebuilt).toMatchObject({ state: 'dead-lettered', reason: 'max_attempts', attempts: 3, lastStatus: 503 });
    },
    TIMEOUT_MS,
  );

  it(
    'a worker SIGKILLed mid-call: another worker runs the call and the final state is still reached',
    async () => {
      const view = t.view();
      const queue = t.queue(view);
      await Promise.all([queue.start(), view.start()]);
      const inv = anInvocation();
      await queue.enqueue(inv);
      child ??= compileSourceChild();
      const victim = spawnSourceChild(child, {
        kind: 'kafka',
        brokers: state.brokers,
        topic: t.topic,
        sessionTimeoutMs: 6_000,
        maxInflight: 1,
        handlerMs: 60_000,
        statusTopic: t.statusTopic,
      });
      try {
        await waitFor(() => victim.started.has(inv.callId), { timeoutMs: 60_000, description: `the child to start the call (stderr: ${victim.stderr()})` });
        await waitFor(async () => (await view.get(inv.callId))?.state === 'running', { timeoutMs: 30_000, description: 'running' });
      } finally {
        await victim.kill();
      }
      await t.source().start(async (call) => ({ action: 'complete', invocation: { ...call, attempt: call.attempt + 1, lastStatus: 200 } }));
      const final = await view.waitForFinal(inv.callId, 60_000);
      expect(final).toMatchObject({ state: 'succeeded', lastStatus: 200 });
    },
    TIMEOUT_MS,
  );
});
