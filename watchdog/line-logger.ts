/** Forwards a function process's output to the log one line at a time, as the OpenFaaS watchdog does. */
import type { Readable } from 'node:stream';
import type { LeveledLogger as Logger } from '../common/log-record.js';

/** Longest line logged as one entry; longer output is split so a runaway line cannot grow memory. */
const MAX_LINE = 16 * 1024;

/** Logs each line of `stream` at info level with `meta` (e.g. `{ stream: 'stderr', callId }`). */
export function logLines(stream: Readable, logger: Logger, meta: Record<string, unknown>): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      logger.info(pending.slice(0, newline).replace(/\r$/, ''), meta);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    while (pending.length > MAX_LINE) {
      logger.info(pending.slice(0, MAX_LINE), meta);
      pending = pending.slice(MAX_LINE);
    }
  });
  stream.on('end', () => {
    if (pending !== '') logger.info(pending, meta);
  });
}
