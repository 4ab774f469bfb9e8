/** The root winston logger factory; processes build one in main.ts and hand children to components. */
import winston from 'winston';

const REDACTED_KEYS = new Set(['authorization', 'cookie', 'password', 'secret', 'value', 'rawvalue', 'token']);

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (REDACTED_KEYS.has(key.toLowerCase())) (info as Record<string, unknown>)[key] = '[redacted]';
  }
  return info;
});

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
        winston.format.printf(({ timestamp, level, message, component, ...rest }) => {
          const extra = Object.entries(rest)
            .filter(([k]) => k !== 'service')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          return `${String(timestamp)} ${level} ${component ? `[${String(component)}] ` : ''}${String(message)}${extra ? ` ${extra}` : ''}`;
        }),
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
