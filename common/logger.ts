/** The root winston logger factory; processes build one in main.ts and hand children to components. */
import winston from 'winston';

const REDACTED_KEYS = new Set(['authorization', 'cookie', 'password', 'secret', 'value', 'rawvalue', 'token']);

const redact = winston.format((info) => {
  const record = info as Record<string, unknown>;
  for (const key of Object.keys(info)) {
    if (REDACTED_KEYS.has(key.toLowerCase())) record[key] = '[redacted]';
    // winston's errors() format only handles a top-level Error; an Error nested as { err } would print as {}.
    else if (record[key] instanceof Error) record[key] = serializeError(record[key] as Error);
  }
  return info;
});

function serializeError(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }), stack: err.stack };
}

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
