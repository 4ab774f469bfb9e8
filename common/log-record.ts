/**
 * The shape of a log record, shared by the winston root logger and the watchdog's light logger so that both
 * write the same lines: which fields are redacted, how a nested Error is kept, how a pretty line reads.
 */

const REDACTED_KEYS = new Set(['authorization', 'cookie', 'password', 'secret', 'value', 'rawvalue', 'token']);

/** Redacts secret-looking fields and turns nested Errors into plain objects, in place; returns the record. */
export function redactRecord<T extends object>(record: T): T {
  const fields = record as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (REDACTED_KEYS.has(key.toLowerCase())) fields[key] = '[redacted]';
    // JSON.stringify would print an Error nested as { err } as {}.
    else if (fields[key] instanceof Error) fields[key] = serializeError(fields[key] as Error);
  }
  return record;
}

function serializeError(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }), stack: err.stack };
}

/** One human-readable line: `time level [component] message key=value ...`. */
export function prettyLine(record: Readonly<Record<string, unknown>>): string {
  const { timestamp, level, message, component, ...rest } = record;
  const extra = Object.entries(rest)
    .filter(([k]) => k !== 'service')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(timestamp)} ${String(level)} ${component ? `[${String(component)}] ` : ''}${String(message)}${extra ? ` ${extra}` : ''}`;
}

/** Metadata of a log record. */
export type LogMeta = Record<string, unknown>;

/**
 * The logging surface a component needs. winston's Logger satisfies it, and so does the watchdog's light
 * logger (runtime/json-logger.ts), which spares each function process winston's startup time and memory.
 */
export interface LeveledLogger {
  log(level: string, message: string, meta?: LogMeta): unknown;
  error(message: string, meta?: LogMeta): unknown;
  warn(message: string, meta?: LogMeta): unknown;
  info(message: string, meta?: LogMeta): unknown;
  debug(message: string, meta?: LogMeta): unknown;
  /** True when info records are written; lets a hot path skip building a message. */
  isInfoEnabled(): boolean;
  /** A logger adding `meta` to every record. */
  child(meta: LogMeta): LeveledLogger;
}
