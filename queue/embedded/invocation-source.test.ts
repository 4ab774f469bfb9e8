import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anInvocation } from '../../test/contract/invocation-queue.contract.js';
import { silentLogger, waitFor } from '../../test/helpers/index.js';
import { createEmbeddedInvocationQueue } from './invocation-queue.js';
import { createEmbeddedSource } from './invocation-source.js';
import { openStore } from './store.js';
import { manualWalSync } from './testing/manual-wal-sync.js';

describe('embedded source', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-source-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts an acknowledged call at once: no poll tick, and no fsync between the enqueue and the start', async () => {
    const sync = manualWalSync();
    const store = openStore(dir, () => sync.wal);
    const notifier = new EventEmitter();
    const queue = createEmbeddedInvocationQueue({ store, notifier, topicBase: 'q', retryAfterSeconds: 1, isClosed: () => false });
    // A poll far beyond the test's wait: only the enqueue's announcement can start the call.
    const source = createEmbeddedSource({ store, notifier, topic: 'q', logger: silentLogger() }, { pollIntervalMs: 600_000 });
    const started: string[] = [];
    await source.start(async (inv) => {
      started.push(inv.callId);
      return { action: 'complete' };
    });
    try {
      const inv = anInvocation();
      const enqueued = queue.enqueue(inv);
      await waitFor(() => sync.waiting.length === 1, { intervalMs: 1, description: "the enqueue's sync" });
      sync.end();
      await enqueued;
      // From here on no sync ends: the claim must not wait for one (it used to share the next group commit).
      await waitFor(() => started.length === 1, { timeoutMs: 2_000, intervalMs: 5, description: 'the call to start while no sync ends' });
      // No sync ended since the enqueue's: `end` is the only way one does, and the test has not called it again.
      // (Whether the call's own `running` write is already waiting for a sync here depends on timing: not asserted.)
      expect(started).toEqual([inv.callId]);
    } finally {
      // Let the commits still waiting settle, so the source drains and closes.
      // Unref'd: if close() never settles (a regression), the test fails on jest's timeout instead of the run hanging.
      const ending = setInterval(() => sync.end(), 1).unref();
      try {
        await source.close();
      } finally {
        clearInterval(ending);
        store.close();
      }
    }
  });
});
