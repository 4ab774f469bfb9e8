/** `kfaas dead-letters`: what failed on a local platform, and why, read straight from its queue database. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRootLogger } from '../common/logger.js';
import { createEmbeddedQueue } from '../queue/embedded/index.js';
import { formatDeadLetterRow, deadLetterJson } from '../common/dead-letter-view.js';

/** Lists dead letters as a table or JSON lines. */
export async function main(opts: Record<string, string | boolean | undefined>): Promise<void> {
  const dataDir = resolve(String(opts['dataDir'] ?? '.kfaas'));
  const queueDir = join(dataDir, 'queue');
  const limit = Number(opts['limit'] ?? '50');
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`kfaas dead-letters: --limit ${JSON.stringify(opts['limit'])}: must be a whole number >= 1\n`);
    process.exit(2);
  }
  if (!existsSync(queueDir)) {
    process.stderr.write(`kfaas dead-letters: no queue under ${queueDir}: is --data-dir the one kfaas up uses?\n`);
    process.exit(2);
  }
  const queue = createEmbeddedQueue({ dataDir: queueDir, logger: createRootLogger({ silent: true }) });
  try {
    const fn = typeof opts['function'] === 'string' ? opts['function'] : undefined;
    const letters = await queue.list({ limit, ...(fn ? { functionName: fn } : {}) });
    if (opts['json']) {
      for (const dl of letters) process.stdout.write(`${JSON.stringify(deadLetterJson(dl))}\n`);
    } else if (letters.length === 0) {
      process.stdout.write('no dead letters\n');
    } else {
      process.stdout.write(`${letters.map(formatDeadLetterRow).join('\n')}\n`);
    }
  } finally {
    await queue.close();
  }
}
