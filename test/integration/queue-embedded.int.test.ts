// The queue contract against the embedded SQLite adapter, plus its own durability cases: an acknowledged
// enqueue survives a SIGKILL of the process that made it.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InvocationSource } from '../../common/queue.js';
import { DEFAULT_INVOCATIONS_TOPIC } from '../../common/topics.js';
import { createEmbeddedQueue, DB_FILE } from '../../queue/embedded/index.js';
import { compileSourceChild } from '../contract/child-process.js';
import { anInvocation, describeQueueContract, type QueueAdapters } from '../contract/invocation-queue.contract.js';
import { silentLogger, uniqueName, waitFor } from '../helpers/index.js';

const LEASE_MS = 1_500;

async function makeEmbeddedAdapters(): Promise<QueueAdapters> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${uniqueName('kfaas-embedded')}-`));
  const queue = createEmbeddedQueue({ dataDir, logger: silentLogger() });
  const sources: InvocationSource[] = [];
  let closing: Promise<void> | undefined;
  return {
    queue,
    source: (options = {}) => {
      const source = queue.source({ ...options, pollIntervalMs: 200 });
      sources.push(source);
      return source;
    },
    deadLetters: queue,
    async writeRaw(value) {
      // A second connection, as another process would write: WAL lets it in beside the queue's own.
      const db = new Database(path.join(dataDir, DB_FILE));
      try {
        db.prepare('INSERT INTO invocations (queue, ordering_key, fn, envelope, due_at, enqueued_at) VALUES (?, NULL, ?, ?, ?, ?)').run(
          DEFAULT_INVOCATIONS_TOPIC,
          'garbage',
          value,
          Date.now(),
          Date.now(),
        );
      } finally {
        db.close();
      }
    },
    childSpec: ({ maxInflight, handlerMs }) => ({ kind: 'embedded', dataDir, leaseMs: LEASE_MS, maxInflight, handlerMs }),
    crashRecoveryMs: LEASE_MS,
    close() {
      closing ??= (async () => {
        await Promise.all(sources.map((s) => s.close()));
        await queue.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

describeQueueContract('embedded (SQLite)', makeEmbeddedAdapters);

describe('embedded queue durability', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${uniqueName('kfaas-durable')}-`));
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged enqueue when the enqueuing process is SIGKILLed', async () => {
    const compiled = compileSourceChild();
    try {
      const entry = path.join(compiled.dir, 'enqueue-child.mjs');
      const queueModule = path.join(compiled.dir, 'queue', 'embedded', 'index.js');
      const invocationModule = path.join(compiled.dir, 'common', 'invocation.js');
      fs.writeFileSync(
        entry,
        `import { createEmbeddedQueue } from ${JSON.stringify(queueModule)};
         import { ENVELOPE_VERSION } from ${JSON.stringify(invocationModule)};
         import winston from 'winston';
         const queue = createEmbeddedQueue({ dataDir: process.argv[2], logger: winston.createLogger({ silent: true }) });
         let n = 0;
         const one = async (i) => {
           await queue.enqueue({ version: ENVELOPE_VERSION, callId: 'c' + i, function: 'f', namespace: 'd', method: 'POST', path: '/',
             rawQuery: '', headers: {}, body: Buffer.from('b' + i), enqueuedAt: Date.now(), attempt: 0,
             policy: { execTimeoutMs: 1000, maxAttempts: 1, minBackoffMs: 1, maxBackoffMs: 1, maxEventAgeMs: 0, retryOn: [] } });
           n += 1;
           process.stdout.write('acked c' + i + '\\n');
         };
         for (let i = 0; ; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => one(i + j)));`,
      );
      const child = spawn(process.execPath, [entry, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const acked = new Set<string>();
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        partial += chunk.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('acked ')) acked.add(line.slice(6));
      });
      await waitFor(() => acked.size >= 300, { timeoutMs: 30_000, description: '300 acknowledged enqueues' });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const snapshot = new Set(acked);
      const queue = createEmbeddedQueue({ dataDir, logger: silentLogger() });
      const seen = new Set<string>();
      const source = queue.source({ maxInflight: 50 });
      await source.start(async (inv) => {
        seen.add(inv.callId);
        return { action: 'complete' };
      });
      await waitFor(() => [...snapshot].every((id) => seen.has(id)), { timeoutMs: 30_000, description: 'every acknowledged call delivered' });
      await queue.close();
      expect(snapshot.size).toBeGreaterThanOrEqual(300);
    } finally {
      compiled.remove();
    }
  }, 120_000);

  it('re-runs a call whose lease expired after its source died, and not before', async () => {
    const queue = createEmbeddedQueue({ dataDir, logger: silentLogger() });
    const inv = anInvocation();
    await queue.enqueue(inv);
    // A lease held by an owner that no longer renews it is what a SIGKILLed source leaves behind.
    const db = new Database(path.join(dataDir, DB_FILE));
    const leaseUntil = Date.now() + 2_000;
    db.prepare("UPDATE invocations SET lease_owner = 'dead-process', lease_until = ?").run(leaseUntil);
    db.close();
    const seenAt: number[] = [];
    const source = queue.source({ pollIntervalMs: 100 });
    await source.start(async () => {
      seenAt.push(Date.now());
      return { action: 'complete' };
    });
    await waitFor(() => seenAt.length === 1, { timeoutMs: 10_000, description: 'the call after its lease expired' });
    expect(seenAt[0]).toBeGreaterThanOrEqual(leaseUntil);
    await queue.close();
  }, 30_000);
});
