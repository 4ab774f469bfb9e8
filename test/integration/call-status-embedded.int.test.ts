// The call status contract against the embedded SQLite queue (kfaas up), where status rows are written in the
// transactions that move each call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InvocationSource } from '../../common/queue.js';
import { createEmbeddedQueue } from '../../queue/embedded/index.js';
import { createRedriver } from '../../queue/shared/redrive.js';
import { CONTRACT_RESULT_MAX_BYTES, describeCallStatusContract, type StatusAdapters } from '../contract/call-status.contract.js';
import { silentLogger, uniqueName } from '../helpers/index.js';

async function makeEmbeddedStatusAdapters(): Promise<StatusAdapters> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${uniqueName('kfaas-status')}-`));
  const queue = createEmbeddedQueue({ dataDir, logger: silentLogger() });
  const sources: InvocationSource[] = [];
  let closing: Promise<void> | undefined;
  return {
    queue,
    statuses: queue,
    canceller: queue,
    redriver: createRedriver({ deadLetters: queue, queue, statuses: queue }),
    source: () => {
      const source = queue.source({ pollIntervalMs: 100, resultMaxBytes: CONTRACT_RESULT_MAX_BYTES });
      sources.push(source);
      return source;
    },
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

describeCallStatusContract('embedded (SQLite)', makeEmbeddedStatusAdapters);
