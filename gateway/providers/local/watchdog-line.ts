/**
 * Turns one line of a local replica's output into the text /system/logs shows. The watchdog logs JSON records;
 * their message (`Forking fprocess.`, `Wrote 12 Bytes - Duration: 0.01 seconds`, a function's stderr line) is
 * what the classic OpenFaaS watchdog prints, so that becomes the text, with the record's own time.
 */

/** A replica output line as /system/logs reports it. */
export interface ParsedLine {
  readonly text: string;
  /** The record's RFC 3339 time, when the line was a watchdog record that had one. */
  readonly timestamp?: string;
}

// Fields every watchdog record carries; they are the log line's own columns, not part of its text.
const FRAMING = new Set(['message', 'level', 'timestamp', 'component', 'stream', 'service']);

/** Parses a watchdog JSON record into text (message, then other fields as key=value); any other line is kept as is. */
export function parseWatchdogLine(raw: string): ParsedLine {
  if (!raw.startsWith('{')) return { text: raw };
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return { text: raw };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { text: raw };
  const fields = record as Record<string, unknown>;
  if (typeof fields['message'] !== 'string') return { text: raw };
  const extra = Object.entries(fields)
    .filter(([key]) => !FRAMING.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const text = [fields['message'], ...extra].join(' ');
  const time = fields['timestamp'];
  return typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? { text, timestamp: new Date(time).toISOString() } : { text };
}
