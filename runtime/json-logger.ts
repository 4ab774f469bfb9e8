/**
 * A small logger writing the same records as the winston root logger (common/logger.ts): one JSON object per
 * line on stdout, or the pretty line, with a timestamp, redaction and nested Errors kept. The watchdog runs in
 * every function process, and loading winston there cost 11 MiB of RSS and about 140 ms of startup.
 */
import { prettyLine, redactRecord, type LeveledLogger, type LogMeta } from '../common/log-record.js';

// npm's levels, as winston orders them: a record is written when its rank is at most the configured one.
const RANKS: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/** Options of the light logger. */
export interface JsonLoggerOptions {
  readonly level: string;
  readonly pretty?: boolean;
  readonly defaultMeta?: LogMeta;
  /** Where lines go (tests); default: process.stdout. */
  readonly write?: (line: string) => void;
}

/** Creates the logger; an unknown level is refused, naming it. */
export function createJsonLogger(options: JsonLoggerOptions): LeveledLogger {
  const max = RANKS[options.level];
  if (max === undefined) throw new Error(`unknown log level ${JSON.stringify(options.level)}: one of ${Object.keys(RANKS).join(', ')}`);
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const format = options.pretty ? prettyLine : (record: LogMeta) => JSON.stringify(record);

  const make = (base: LogMeta): LeveledLogger => {
    const log = (level: string, message: string, meta?: LogMeta): void => {
      const rank = RANKS[level];
      if (rank === undefined || rank > max) return;
      const record = redactRecord({ ...base, ...meta, level, message, timestamp: new Date().toISOString() });
      write(`${format(record)}\n`);
    };
    return {
      log,
      error: (message, meta) => log('error', message, meta),
      warn: (message, meta) => log('warn', message, meta),
      info: (message, meta) => log('info', message, meta),
      debug: (message, meta) => log('debug', message, meta),
      isInfoEnabled: () => RANKS['info']! <= max,
      child: (meta) => make({ ...base, ...meta }),
    };
  };
  return make({ ...options.defaultMeta });
}
