// The call status contract against the Kafka adapters on the real broker (workers write the compacted status
// topic; a gateway's view materialises it into a local file), plus what only Kafka has: other gateway
// replicas, a restarted gateway rebuilding its view, and a worker killed mid-call.
import fs from 'node:fs';
import type { CallStatus } from '../../common/call-status.js';
import type { InvocationSource } from '../../common/queue.js';
import { MAX_SIGNAL_AGE_MS } from '../../common/scale-signals.js';
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
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createGateway } from '../../gateway/index.js';
import { MemoryProvider } from '../../gateway/testing/memory-provider.js';
import { kafkaFor, loadServices, silentLogger, uniqueName, waitFor, type ServicesState } from '../helpers/index.js';

const TIMEOUT_MS = 120_000;
const NS = 'openfaas-fn';
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
  /** Two gateway replicas, started: the first accepts through `queue` and holds its own snapshots. */
  const replicas = async () => {
    const first = view();
    const second = view();
    const q = queue(first);
    await Promise.all([q.start(), first.start(), second.start()]);
    return { first, second, queue: q };
  };
  return { topic, statusTopic, view, queue, source, deadLetters, replicas, close };
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
  const closers: Array<() => Promise<unknown>> = [];

  beforeEach(() => {
    t = topics();
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await t.close();
  }, TIMEOUT_MS);

  afterAll(() => child?.remove());

  it(
    'a second gateway replica answers for calls the first accepted, within a second',
    async () => {
      const { first, second, queue } = await t.replicas();
      await t.source().start(async (inv) => ({ action: 'complete', invocation: { ...inv, attempt: 1, lastStatus: 200 } }));
      const calls = Array.from({ length: 20 }, () => anInvocation());
      const lagMs: number[] = [];
      const reported: number[] = [];
      for (const inv of calls) {
        await queue.enqueue(inv);
        const acceptedAt = Date.now();
        expect(await first.get(inv.callId)).toBeDefined();
        await waitFor(() => second.get(inv.callId), { timeoutMs: 10_000, intervalMs: 5, description: 'the second replica to know the call' });
        lagMs.push(Date.now() - acceptedAt);
        // The delay the replica reports with its backlog (the autoscaler's staleness bound reads it).
        reported.push((await second.backlog()).lagMs ?? 0);
      }
      for (const inv of calls) {
        await waitFor(async () => (await second.get(inv.callId))?.state === 'succeeded', { timeoutMs: 30_000, description: 'success seen by the second replica' });
      }
      lagMs.sort((a, b) => a - b);
      const p50 = lagMs[Math.floor(lagMs.length / 2)] as number;
      const max = lagMs[lagMs.length - 1] as number;
      reported.sort((a, b) => a - b);
      process.stderr.write(
        `[call-status] second replica convergence: p50 ${p50} ms, max ${max} ms over ${lagMs.length} calls; reported view lag p50 ${reported[10]} ms, max ${reported.at(-1)} ms\n`,
      );
      expect(p50).toBeLessThan(1_000);
      // Below the autoscaler's 2 s bound, and a real measurement (records took some time to arrive).
      expect(reported.at(-1)).toBeLessThan(MAX_SIGNAL_AGE_MS);
      expect(reported.at(-1)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'the queued snapshots of concurrent accepts travel bundled: another replica and a rebuilt view know every call',
    async () => {
      const { first, second, queue } = await t.replicas();
      const calls = Array.from({ length: 200 }, () => anInvocation());
      await Promise.all(calls.map((inv) => queue.enqueue(inv)));
      for (const view of [first, second]) {
        await waitFor(async () => (await Promise.all(calls.map((inv) => view.get(inv.callId)))).every((s) => s?.state === 'queued'), {
          timeoutMs: 10_000,
          description: 'every call queued in both views',
        });
      }
      expect((await second.backlog()).functions).toEqual([expect.objectContaining({ queued: 200 })]);
      // Fewer records than calls on the topic: the snapshots shared records.
      const admin = kafkaFor(state).admin();
      await admin.connect();
      const records = (await admin.fetchTopicOffsets(t.statusTopic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      await admin.disconnect();
      expect(records).toBeGreaterThan(0);
      expect(records).toBeLessThan(calls.length / 2);
      await first.close();
      const rebuilt = t.view();
      await rebuilt.start();
      const states = await Promise.all(calls.map((inv) => rebuilt.get(inv.callId)));
      expect(states.map((s) => s?.state)).toEqual(calls.map(() => 'queued'));
      expect(states[7]).toMatchObject({ callId: calls[7]!.callId, function: calls[7]!.function, namespace: calls[7]!.namespace });
    },
    TIMEOUT_MS,
  );

  it(
    'a second replica keeps up with a stream of accepts fast enough to pace its reads, each call within a second',
    async () => {
      const { first, second, queue } = await t.replicas();
      // 40 calls every 20 ms for 2 s: about 2,000 queued snapshots a second, ~350 KiB/s on the topic, well
      // above the 64 KiB/s at which the view spaces its fetches 100 ms apart.
      const lagMs: number[] = [];
      const watched: Array<Promise<void>> = [];
      const started = Date.now();
      while (Date.now() - started < 2_000) {
        const wave = Array.from({ length: 40 }, () => anInvocation());
        await Promise.all(wave.map((inv) => queue.enqueue(inv)));
        const acceptedAt = Date.now();
        const probe = wave[0]!;
        watched.push(
          waitFor(() => second.get(probe.callId), { timeoutMs: 10_000, intervalMs: 5, description: 'the second replica to know the call' }).then(() => {
            lagMs.push(Date.now() - acceptedAt);
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(watched);
      lagMs.sort((a, b) => a - b);
      process.stderr.write(`[call-status] second replica under a stream: p50 ${lagMs[Math.floor(lagMs.length / 2)]} ms, max ${lagMs.at(-1)} ms over ${lagMs.length} probes\n`);
      expect(lagMs.at(-1)).toBeLessThan(1_000);
      const queued = (await second.backlog()).functions.reduce((n, f) => n + f.queued, 0);
      expect(queued).toBe(lagMs.length * 40);
    },
    TIMEOUT_MS,
  );

  it(
    'an Idempotency-Key repeated on another gateway replica gets the first call id, and the call runs once',
    async () => {
      const provider = new MemoryProvider({ namespaces: [NS] });
      provider.put({ name: 'fn', timeouts: { exec: '5s' } }, NS, ['http://127.0.0.1:9']);
      const gateways = [];
      for (let i = 0; i < 2; i += 1) {
        const view = t.view();
        const queue = t.queue(view);
        await Promise.all([queue.start(), view.start()]);
        const config = loadGatewayConfig({ KFAAS_GATEWAY_PORT: '0', basic_auth: 'false', function_namespace: NS, KFAAS_DRAIN_DELAY: '0s' });
        const gateway = createGateway(config, { provider, logger: silentLogger(), queue, callStatus: view });
        const { port } = await gateway.start();
        closers.push(() => gateway.close());
        gateways.push({ url: `http://127.0.0.1:${port}`, view });
      }
      const [one, two] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
      const post = (url: string) => fetch(`${url}/async-function/fn`, { method: 'POST', body: 'x', headers: { 'idempotency-key': 'order-7' } });
      const first = await post(one.url);
      expect(first.status).toBe(202);
      const id = first.headers.get('x-call-id') as string;
      await waitFor(() => two.view.get(id), { timeoutMs: 10_000, intervalMs: 5, description: 'the second replica to know the call' });
      const repeat = await post(two.url);
      expect(repeat.status).toBe(202);
      expect(repeat.headers.get('x-call-id')).toBe(id);
      expect(repeat.headers.get('x-idempotent-replay')).toBe('true');
      const runs: string[] = [];
      await t.source().start(async (inv) => {
        runs.push(inv.callId);
        return { action: 'complete', invocation: { ...inv, attempt: 1, lastStatus: 200 } };
      });
      expect(await two.view.waitForFinal(id, 30_000)).toMatchObject({ state: 'succeeded' });
      expect(runs).toEqual([id]);
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
