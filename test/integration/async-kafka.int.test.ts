// Async invocation end to end on the real broker: a real gateway (createGateway with an in-memory provider whose
// endpoints are real function servers on 127.0.0.1:0), the real Kafka queue and source, real workers (in-process,
// and a child process for kill -9), and a real callback receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer, Kafka } from 'kafkajs';
import type { FunctionSpec } from '../../common/function-types.js';
import { decodeDeadLetter, type DeadLetter } from '../../common/invocation.js';
import type { Logger } from '../../common/logger.js';
import { loadConfig as loadGatewayConfig } from '../../gateway/config.js';
import { createGateway, type Gateway } from '../../gateway/index.js';
import { MemoryProvider } from '../../gateway/testing/memory-provider.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource, type KafkaInvocationQueue } from '../../queue/kafka/index.js';
import { loadConfig as loadWorkerConfig } from '../../worker/config.js';
import { createWorker, type Worker } from '../../worker/index.js';
import { startKafka } from '../harness/kafka.js';
import { killGroup, spawnService, type ServiceProcess } from '../harness/process.js';
import { repoRoot } from '../harness/state.js';
import { resolveTools } from '../harness/tools.js';
import { kafkaFor, loadServices, silentLogger, uniqueName, waitFor, type ServicesState } from '../helpers/index.js';

const NS = 'openfaas-fn';

// ---------------------------------------------------------------------------------------------------------------
// Real collaborators
// ---------------------------------------------------------------------------------------------------------------

interface Received {
  /** Epoch ms when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  delayMs?: number;
}

/** An HTTP server on 127.0.0.1 recording requests and answering each with `script(n, req)` (n is 1-based). */
class Recorder {
  readonly requests: Received[] = [];
  private server: http.Server | undefined;
  private timers = new Set<NodeJS.Timeout>();
  port = 0;

  constructor(private readonly script: (n: number, req: Received) => Reply) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0 = any free one; a fixed port brings a stopped receiver back at the same address). */
  async listen(port = this.port): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = { at: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(received);
        const reply = this.script(this.requests.length, received);
        const send = () => {
          if (!res.destroyed) res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
        };
        if (!reply.delayMs) return send();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
        }, reply.delayMs);
        this.timers.add(timer);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Requests carrying this call id. */
  forCall(callId: string): Received[] {
    return this.requests.filter((r) => r.headers['x-call-id'] === callId);
  }
}

/** Collects every dead letter written to a topic, from the beginning. */
async function collectDeadLetters(kafka: Kafka, topic: string): Promise<{ letters: DeadLetter[]; consumer: Consumer }> {
  const letters: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) letters.push(decodeDeadLetter(message.value));
    },
  });
  return { letters, consumer };
}

async function ensureTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Best effort: the names are unique to this run anyway.
  } finally {
    await admin.disconnect();
  }
}

interface StackOptions {
  brokers: string[];
  topic: string;
  deadLetterTopic: string;
  logger: Logger;
  enqueueTimeoutMs?: number;
}

/** A real gateway whose async route writes to Kafka, with functions served by Recorders. */
async function startGateway(o: StackOptions): Promise<{ provider: MemoryProvider; gateway: Gateway; queue: KafkaInvocationQueue; url: string }> {
  const provider = new MemoryProvider({ namespaces: [NS] });
  const queue = createKafkaInvocationQueue({
    brokers: o.brokers,
    logger: o.logger,
    topicBase: o.topic,
    partitions: 3,
    enqueueTimeoutMs: o.enqueueTimeoutMs ?? 5_000,
    retryAfterSeconds: 2,
    kafkaLogLevel: 'nothing',
  });
  const config = loadGatewayConfig({
    KFAAS_GATEWAY_PORT: '0',
    basic_auth: 'false',
    function_namespace: NS,
    KFAAS_DRAIN_DELAY: '0s',
    KFAAS_DRAIN_TIMEOUT: '5s',
  });
  const gateway = createGateway(config, { provider, logger: o.logger, queue });
  const { port } = await gateway.start();
  return { provider, gateway, queue, url: `http://127.0.0.1:${port}` };
}

/** A real in-process worker consuming `topic` through the Kafka source. */
function startWorker(o: StackOptions & { gatewayUrl: string; env?: Record<string, string> }): Worker {
  const config = loadWorkerConfig({
    KAFKA_BROKERS: o.brokers.join(','),
    KFAAS_GATEWAY_URL: o.gatewayUrl,
    KFAAS_INVOCATIONS_TOPIC: o.topic,
    KFAAS_DEAD_LETTER_TOPIC: o.deadLetterTopic,
    KFAAS_CALLBACK_MIN_BACKOFF: '100ms',
    KFAAS_CALLBACK_MAX_BACKOFF: '500ms',
    KFAAS_CALLBACK_MAX_ATTEMPTS: '40',
    KFAAS_METRICS_PORT: '0',
    ...o.env,
  });
  const source = createKafkaInvocationSource({
    brokers: config.kafkaBrokers,
    logger: o.logger,
    kafkaLogLevel: 'nothing',
    topic: o.topic,
    deadLetterTopic: config.deadLetterTopic,
    maxInflight: config.maxInflight,
    drainTimeoutMs: 5_000,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    heartbeatIntervalMs: config.kafkaHeartbeatIntervalMs,
    maxWaitTimeMs: 500,
    maxExecTimeoutMs: 30_000,
    partitions: 3,
    lagIntervalMs: 0,
  });
  return createWorker({ config, source, logger: o.logger, serveMetrics: false, sourceHealthy: () => source.healthy() });
}

const fnSpec = (name: string, spec: Partial<FunctionSpec> = {}): FunctionSpec & { name: string } => ({
  name,
  image: 'test',
  timeouts: { exec: '10s' },
  retry: { maxAttempts: 3, minBackoff: '100ms', maxBackoff: '400ms' },
  ...spec,
});

/** Posts to the gateway; resolves with status, headers and body text. */
function post(url: string, body: Buffer | string, headers: Record<string, string> = {}, agent?: http.Agent) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers }, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function accept(url: string, body: Buffer | string = '', headers: Record<string, string> = {}): Promise<string> {
  const res = await post(url, body, headers);
  expect(res.status).toBe(202);
  return String(res.headers['x-call-id']);
}

const counts = (ids: Iterable<string>): Map<string, number> => {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
};

// ---------------------------------------------------------------------------------------------------------------
// One shared stack: gateway + worker + DLQ reader on private topics
// ---------------------------------------------------------------------------------------------------------------

describe('async invocation through Kafka', () => {
  let services: ServicesState;
  let kafka: Kafka;
  const logger = silentLogger();
  const topic = uniqueName('async-int');
  const deadLetterTopic = `${topic}.dlq`;
  let stack: Awaited<ReturnType<typeof startGateway>>;
  let worker: Worker;
  let dlq: Awaited<ReturnType<typeof collectDeadLetters>>;
  const callbacks = new Recorder(() => ({ status: 200 }));
  const recorders: Recorder[] = [];

  /** Registers a function served by a new Recorder. */
  async function deploy(name: string, script: (n: number, req: Received) => Reply, spec: Partial<FunctionSpec> = {}): Promise<Recorder> {
    const fn = await new Recorder(script).listen();
    recorders.push(fn);
    stack.provider.put(fnSpec(name, spec), NS, [fn.url]);
    return fn;
  }

  const callbackFor = (callId: string) =>
    waitFor(() => callbacks.forCall(callId)[0], { timeoutMs: 30_000, description: `callback of ${callId}` });

  beforeAll(async () => {
    services = loadServices();
    kafka = kafkaFor(services);
    const o = { brokers: services.brokers, topic, deadLetterTopic, logger };
    await callbacks.listen();
    stack = await startGateway(o);
    worker = startWorker({ ...o, gatewayUrl: stack.url, env: { KFAAS_KAFKA_SESSION_TIMEOUT: '6s', KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s' } });
    await worker.start();
    dlq = await collectDeadLetters(kafka, deadLetterTopic);
  });

  afterAll(async () => {
    await worker?.close();
    await stack?.gateway.close();
    await stack?.queue.close();
    await dlq?.consumer.disconnect();
    await callbacks.close();
    await Promise.all(recorders.map((r) => r.close()));
    if (kafka) await deleteTopics(kafka, topic);
  });

  it('delivers a call with its binary body, headers, sub-path and query, then calls back with every header', async () => {
    const fn = await deploy('echo', (_n, req) => ({
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'x-made-by': 'echo' },
      body: Buffer.concat([Buffer.from('echo:'), req.body]),
    }));
    const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));
    const res = await post(`${stack.url}/async-function/echo/a/b%2Fc?x=1&y=two%20words`, body, {
      'content-type': 'application/octet-stream',
      'x-custom': 'custom-value',
      'x-callback-url': `${callbacks.url}/hook?token=t1`,
    });
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    const callId = String(res.headers['x-call-id']);
    const startTime = String(res.headers['x-start-time']);
    expect(startTime).toMatch(/^\d{19}$/);

    const hook = await callbackFor(callId);
    const [call] = fn.forCall(callId);
    expect(call).toBeDefined();
    expect(call!.url).toBe('/a/b%2Fc?x=1&y=two%20words');
    expect(call!.headers['x-custom']).toBe('custom-value');
    expect(call!.headers['x-kfaas-attempt']).toBe('1');
    expect(Buffer.compare(call!.body, body)).toBe(0);

    expect(hook.method).toBe('POST');
    expect(hook.url).toBe('/hook?token=t1');
    expect(Buffer.compare(hook.body, Buffer.concat([Buffer.from('echo:'), body]))).toBe(0);
    expect(hook.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'x-made-by': 'echo',
      'x-call-id': callId,
      'x-function-name': 'echo',
      'x-function-status': '200',
      'x-start-time': startTime,
      'x-attempts': '1',
      'x-retry': '0',
      'x-retry-max': '2',
      'user-agent': 'kfaas-worker/0.1.0',
    });
    expect(Number(hook.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(callbacks.forCall(callId)).toHaveLength(1);
  });

  it('answers 404 for an unknown function and 400 for a bad callback URL, storing nothing', async () => {
    expect((await post(`${stack.url}/async-function/nope`, 'x')).status).toBe(404);
    const bad = await post(`${stack.url}/async-function/echo`, 'x', { 'x-callback-url': 'not-a-url' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toContain('X-Callback-Url');
  });

  it('retries a 503 and then reports the success', async () => {
    const fn = await deploy('flaky', (n) => (n === 1 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok now' }));
    const callId = await accept(`${stack.url}/async-function/flaky`, 'x', { 'x-callback-url': callbacks.url });
    const hook = await callbackFor(callId);
    expect(hook.headers).toMatchObject({ 'x-function-status': '200', 'x-attempts': '2', 'x-retry': '1' });
    expect(hook.body.toString()).toBe('ok now');
    expect(fn.forCall(callId).map((r) => r.headers['x-kfaas-attempt'])).toEqual(['1', '2']);
  });

  it('never retries a 400: one attempt, the callback reports 400, and the call is dead-lettered', async () => {
    const fn = await deploy('rejects', () => ({ status: 400, body: 'bad input' }));
    const callId = await accept(`${stack.url}/async-function/rejects`, 'x', { 'x-callback-url': callbacks.url });
    const hook = await callbackFor(callId);
    expect(hook.headers).toMatchObject({ 'x-function-status': '400', 'x-attempts': '1', 'x-kfaas-dead-letter': 'not_retriable' });
    expect(hook.body.toString()).toBe('bad input');
    const letter = await waitFor(() => dlq.letters.find((l) => l.invocation?.callId === callId), { timeoutMs: 20_000, description: 'dead letter' });
    expect(letter).toMatchObject({ reason: 'not_retriable', lastStatus: 400 });
    expect(fn.forCall(callId)).toHaveLength(1);
  });

  it('dead-letters after the last attempt; the dead letter is on the DLQ topic', async () => {
    const fn = await deploy('broken', () => ({ status: 500, body: 'boom' }), { retry: { maxAttempts: 2, minBackoff: '100ms', maxBackoff: '200ms' } });
    const callId = await accept(`${stack.url}/async-function/broken`, 'payload', { 'x-callback-url': callbacks.url });
    const letter = await waitFor(() => dlq.letters.find((l) => l.invocation?.callId === callId), { timeoutMs: 30_000, description: 'dead letter' });
    expect(letter).toMatchObject({ reason: 'max_attempts', attempts: 2, lastStatus: 500 });
    expect(letter.invocation!.body.toString()).toBe('payload');
    expect(fn.forCall(callId)).toHaveLength(2);
    const hook = await callbackFor(callId);
    expect(hook.headers).toMatchObject({ 'x-function-status': '500', 'x-retry': '1', 'x-retry-max': '1', 'x-kfaas-dead-letter': 'max_attempts' });
  });

  it('dead-letters an undecodable record and carries on with the next call', async () => {
    await deploy('after-garbage', () => ({ status: 200, body: 'fine' }));
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'after-garbage', value: Buffer.from('this is not an envelope') }] });
    } finally {
      await producer.disconnect();
    }
    const callId = await accept(`${stack.url}/async-function/after-garbage`, 'x', { 'x-callback-url': callbacks.url });
    await callbackFor(callId);
    const letter = await waitFor(
      () => dlq.letters.find((l) => l.reason === 'undecodable' && Buffer.from(l.rawBase64 ?? '', 'base64').toString() === 'this is not an envelope'),
      { timeoutMs: 20_000, description: 'dead letter of the undecodable record' },
    );
    expect(letter.error).toContain('magic');
  });

  it('delivers a callback once the receiver comes back, without running the call again', async () => {
    const receiver = await new Recorder(() => ({ status: 204 })).listen();
    const port = receiver.port;
    await receiver.close();
    const fn = await deploy('once', () => ({ status: 200, body: 'result' }));
    const callId = await accept(`${stack.url}/async-function/once`, 'x', { 'x-callback-url': `http://127.0.0.1:${port}/back` });
    // The worker has tried and failed to call back at least once before the receiver returns.
    await waitFor(
      async () => ((await worker.metrics.registry.getSingleMetric('kfaas_worker_callbacks_total')?.get())?.values ?? []).some((v) => v.labels.result === 'failed' && v.value > 0),
      { timeoutMs: 20_000, description: 'a failed callback' },
    );
    await receiver.listen(port);
    recorders.push(receiver);
    const hook = await waitFor(() => receiver.forCall(callId)[0], { timeoutMs: 30_000, description: 'callback after the receiver returned' });
    expect(hook.body.toString()).toBe('result');
    expect(fn.forCall(callId)).toHaveLength(1);
  });

  it('turns 1,000 concurrent async calls into 1,000 callbacks', async () => {
    const fn = await deploy('bulk', (_n, req) => ({ status: 200, body: req.body }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => post(`${stack.url}/async-function/bulk`, `n=${i}`, { 'x-callback-url': `${callbacks.url}/bulk` }, agent)),
      );
      expect(results.filter((r) => r.status !== 202)).toEqual([]);
      const ids = new Set(results.map((r) => String(r.headers['x-call-id'])));
      expect(ids.size).toBe(1000);
      await waitFor(() => callbacks.requests.filter((r) => ids.has(String(r.headers['x-call-id']))).length >= 1000, {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: '1,000 callbacks',
      });
      const got = counts(callbacks.requests.filter((r) => ids.has(String(r.headers['x-call-id']))).map((r) => String(r.headers['x-call-id'])));
      expect(got.size).toBe(1000);
      const dup = [...got.values()].filter((n) => n > 1).length;
      if (dup > 0) process.stderr.write(`bulk: ${dup} of 1000 calls were called back more than once (at-least-once)\n`);
      expect(fn.requests.filter((r) => ids.has(String(r.headers['x-call-id']))).length).toBeGreaterThanOrEqual(1000);
    } finally {
      agent.destroy();
    }
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Faults: a long call, a worker killed with SIGKILL, a broker that stops and comes back
// ---------------------------------------------------------------------------------------------------------------

describe('async invocation under faults', () => {
  const logger = silentLogger();
  let services: ServicesState;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(() => {
    services = loadServices();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('runs a call longer than the consumer session timeout exactly once', async () => {
    const topic = uniqueName('async-long');
    const o = { brokers: services.brokers, topic, deadLetterTopic: `${topic}.dlq`, logger };
    cleanups.push(() => deleteTopics(kafkaFor(services), topic));
    const callbacks = await new Recorder(() => ({ status: 200 })).listen();
    cleanups.push(() => callbacks.close());
    const stack = await startGateway(o);
    cleanups.push(() => stack.queue.close(), () => stack.gateway.close());
    // 9 s of work against a 6 s session: only heartbeats during the call keep the partition here.
    const fn = await new Recorder(() => ({ status: 200, body: 'slow result', delayMs: 9_000 })).listen();
    cleanups.push(() => fn.close());
    stack.provider.put(fnSpec('slow', { timeouts: { exec: '20s' } }), NS, [fn.url]);
    const worker = startWorker({ ...o, gatewayUrl: stack.url, env: { KFAAS_KAFKA_SESSION_TIMEOUT: '6s', KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s' } });
    cleanups.push(() => worker.close());
    await worker.start();

    const callId = await accept(`${stack.url}/async-function/slow`, 'x', { 'x-callback-url': callbacks.url });
    const hook = await waitFor(() => callbacks.forCall(callId)[0], { timeoutMs: 40_000, description: 'callback of the long call' });
    expect(hook.body.toString()).toBe('slow result');
    expect(Number(hook.headers['x-duration-seconds'])).toBeGreaterThanOrEqual(8.9);
    // A redelivery would have started during the call (after the 6 s session), so it would be visible by now.
    expect(fn.forCall(callId)).toHaveLength(1);
    await worker.close();
    expect(fn.forCall(callId)).toHaveLength(1);
    expect(callbacks.forCall(callId)).toHaveLength(1);
  }, 90_000);

  it('completes every accepted call at least once when a worker process is killed with SIGKILL mid-flight', async () => {
    const topic = uniqueName('async-kill');
    const o = { brokers: services.brokers, topic, deadLetterTopic: `${topic}.dlq`, logger };
    cleanups.push(() => deleteTopics(kafkaFor(services), topic));
    const callbacks = await new Recorder(() => ({ status: 200 })).listen();
    cleanups.push(() => callbacks.close());
    const stack = await startGateway(o);
    cleanups.push(() => stack.queue.close(), () => stack.gateway.close());
    const fn = await new Recorder(() => ({ status: 200, body: 'done', delayMs: 1_500 })).listen();
    cleanups.push(() => fn.close());
    stack.provider.put(fnSpec('victim'), NS, [fn.url]);
    // The topics exist before the child starts, so its consumer and our producer agree on 3 partitions.
    await ensureTopics(kafkaFor(services), [topic, `${topic}.retry`, `${topic}.dlq`]);

    const child = await startWorkerProcess({
      KAFKA_BROKERS: services.brokers.join(','),
      KFAAS_GATEWAY_URL: stack.url,
      KFAAS_INVOCATIONS_TOPIC: topic,
      KFAAS_DEAD_LETTER_TOPIC: `${topic}.dlq`,
      KFAAS_KAFKA_SESSION_TIMEOUT: '6s',
      KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s',
      KFAAS_MAX_EXEC_TIMEOUT: '30s',
      KFAAS_METRICS_PORT: '0',
      max_inflight: '8',
    });
    cleanups.push(async () => child.kill('SIGKILL'));

    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await accept(`${stack.url}/async-function/victim`, `n=${i}`, { 'x-callback-url': callbacks.url }));
    // 8 at a time, 1.5 s each: the kill lands with some calls done, some running and most not yet started.
    await waitFor(() => callbacks.requests.length >= 8, { timeoutMs: 60_000, description: 'the child worker completing calls' });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const survivor = startWorker({ ...o, gatewayUrl: stack.url, env: { KFAAS_KAFKA_SESSION_TIMEOUT: '6s', KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s' } });
    cleanups.push(() => survivor.close());
    await survivor.start();
    await waitFor(() => ids.every((id) => callbacks.forCall(id).length > 0), { timeoutMs: 90_000, intervalMs: 250, description: 'a callback for every accepted call' });

    // Who started a run is told by time. A call the child sent just before it died can still reach the function a
    // few ms after the kill (the gateway forwards what it already read), so the kill time is no boundary. The dead
    // member keeps its partitions until its 6 s session expires (its last heartbeat was at most 1 s before the kill),
    // so the survivor starts nothing before kill + 5 s: runs before kill + 2 s are the child's.
    const boundary = killedAt + 2_000;
    const startedByChild = new Set(fn.requests.filter((r) => r.at < boundary).map((r) => String(r.headers['x-call-id'])));
    const survivorFirstRun = Math.min(...fn.requests.filter((r) => r.at >= boundary).map((r) => r.at));
    // The reasoning above, checked: nothing ran between the child's last straggler and the survivor's assignment.
    expect(survivorFirstRun - killedAt).toBeGreaterThanOrEqual(4_000);
    const runs = counts(fn.requests.map((r) => String(r.headers['x-call-id'])));
    const duplicates = ids.filter((id) => (runs.get(id) ?? 0) > 1);
    process.stderr.write(
      `kill -9: 30 accepted, ${startedByChild.size} started by the killed worker, all 30 completed; ` +
        `${duplicates.length} ran twice or more (${fn.requests.length} runs in all), ` +
        `${ids.filter((id) => callbacks.forCall(id).length > 1).length} were called back more than once\n`,
    );
    // When a call the child never started ran twice, say when each run came (ms after the kill) and which attempt
    // the worker thought it was, so a failure tells a redelivery from a retry.
    for (const id of duplicates.filter((d) => !startedByChild.has(d))) {
      const seen = fn.requests.filter((r) => String(r.headers['x-call-id']) === id).map((r) => `+${r.at - killedAt} ms attempt ${String(r.headers['x-kfaas-attempt'] ?? '?')}`);
      process.stderr.write(`kill -9: ${id} not started by the child ran ${seen.length} times: ${seen.join(', ')}\n`);
    }
    expect(startedByChild.size).toBeLessThan(30);
    // Only calls the dead worker had started may run again; the others run exactly once.
    expect(duplicates.filter((id) => !startedByChild.has(id))).toEqual([]);
    expect(ids.filter((id) => !startedByChild.has(id)).every((id) => runs.get(id) === 1)).toBe(true);
  }, 180_000);

  it('answers 503 while the broker is down and accepts again once it is back, without a restart', async () => {
    const root = repoRoot();
    const tools = await resolveTools(root);
    const runDir = fs.mkdtempSync(path.join(root, '.test-state', 'private-kafka-'));
    const procs: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const p of procs) await killGroup(p.pgid, 5_000);
      fs.rmSync(runDir, { recursive: true, force: true });
    });
    const broker = await startKafka({ libDir: tools.kafkaLib, runDir, repoRoot: root, onStart: (p) => procs.push(p) });
    const brokers = [broker.broker];
    const topic = uniqueName('async-outage');
    const o = { brokers, topic, deadLetterTopic: `${topic}.dlq`, logger, enqueueTimeoutMs: 3_000 };
    const callbacks = await new Recorder(() => ({ status: 200 })).listen();
    cleanups.push(() => callbacks.close());
    const stack = await startGateway(o);
    cleanups.push(() => stack.queue.close(), () => stack.gateway.close());
    const fn = await new Recorder(() => ({ status: 200, body: 'ok' })).listen();
    cleanups.push(() => fn.close());
    stack.provider.put(fnSpec('steady'), NS, [fn.url]);
    const worker = startWorker({ ...o, gatewayUrl: stack.url, env: { KFAAS_KAFKA_SESSION_TIMEOUT: '6s', KFAAS_KAFKA_HEARTBEAT_INTERVAL: '1s' } });
    cleanups.push(() => worker.close());
    await worker.start();

    const before = await accept(`${stack.url}/async-function/steady`, 'before', { 'x-callback-url': callbacks.url });
    await waitFor(() => callbacks.forCall(before)[0], { timeoutMs: 30_000, description: 'callback before the outage' });

    // Stop the broker, remembering its exact command line to bring it back on the same ports and data.
    const cmdline = fs.readFileSync(`/proc/${broker.process.pgid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    await killGroup(broker.process.pgid, 10_000);
    const down = await post(`${stack.url}/async-function/steady`, 'during', { 'x-callback-url': callbacks.url });
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text).code).toBe('QUEUE_UNAVAILABLE');
    expect(down.headers['retry-after']).toBeDefined();

    procs.push(spawnService({ name: 'kafka-restarted', command: cmdline[0]!, args: cmdline.slice(1), runDir }));
    const after = await waitFor(
      async () => {
        const res = await post(`${stack.url}/async-function/steady`, 'after', { 'x-callback-url': callbacks.url });
        return res.status === 202 ? String(res.headers['x-call-id']) : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: 'a 202 after the broker came back' },
    );
    // The worker was not restarted either: it picks up from where the broker left off.
    const hook = await waitFor(() => callbacks.forCall(after)[0], { timeoutMs: 60_000, description: 'callback after the outage' });
    expect(hook.headers['x-function-status']).toBe('200');
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------------------------
// A worker in its own process (for SIGKILL): the built worker, dist/worker/main.js, as `kfaas worker` runs it
// ---------------------------------------------------------------------------------------------------------------

/** Starts `kfaas worker` (its main()) in a child process; resolves once it logs that it is consuming. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  // The build output, not a copy of chosen folders: whatever the worker imports is there.
  const main = path.join(repoRoot(), 'dist', 'worker', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (make test does) first`);
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(main)}); await m.main({});`], {
    cwd: repoRoot(),
    env: { ...process.env, ...env, KFAAS_LOG_LEVEL: 'info', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`worker process exited with ${child.exitCode}:\n${output}`);
      return output.includes('worker consuming');
    },
    { timeoutMs: 60_000, description: 'the worker process to start consuming' },
  );
  return child;
}

