/** The root winston logger factory; processes build one in main.ts and hand children to components. */
import winston from 'winston';
import { prettyLine, redactRecord } from './log-record.js';

const redact = winston.format((info) => redactRecord(info));

/** Options of the root logger. */
export interface LoggerOptions {
  readonly level?: string;
  readonly silent?: boolean;
  /** Pretty single-line output for humans (kfaas up); JSON otherwise. */
  readonly pretty?: boolean;
  readonly defaultMeta?: Record<string, unknown>;
}

/** Creates the root logger: timestamped, stack-preserving, redacting, JSON to stdout. */
export function createRootLogger(options: LoggerOptions = {}): winston.Logger {
  const base = [winston.format.timestamp(), winston.format.errors({ stack: true }), redact()];
  const format = options.pretty
    ? winston.format.combine(
        ...base,
        winston.format.printf((info) => prettyLine(info)),
      )
    : winston.format.combine(...base, winston.format.json());
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: options.defaultMeta,
    format,
    transports: [new winston.transports.Console()],
  });
}

/** The logger type components receive. */
export type Logger = winston.Logger;
