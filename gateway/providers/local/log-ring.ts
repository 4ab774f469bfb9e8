/** A bounded in-memory log per function: the last N lines, plus live subscribers for `follow`. */
import type { LogLine } from '../../ports.js';

/** Keeps the most recent `capacity` lines and tells subscribers about new ones. */
export class LogRing {
  private readonly lines: LogLine[] = [];
  private start = 0;
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(private readonly capacity: number) {
    if (!(capacity > 0)) throw new Error(`LogRing capacity must be positive (got ${capacity})`);
  }

  /** Appends a line, dropping the oldest once full. */
  push(line: LogLine): void {
    if (this.lines.length < this.capacity) {
      this.lines.push(line);
    } else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
    for (const listener of this.listeners) listener(line);
  }

  /** The buffered lines, oldest first. */
  snapshot(): LogLine[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }

  /** Calls `listener` for every line pushed from now on; returns the unsubscribe function. */
  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Reads a ring as the LogSource contract asks: the tail of what is buffered, then (with follow) new lines until aborted. */
export async function* readRing(
  ring: LogRing,
  query: { tail?: number; sinceMs?: number; instance?: string; follow: boolean; signal: AbortSignal },
): AsyncGenerator<LogLine> {
  // Subscribe before taking the snapshot, so no line falls between the two.
  const pending: LogLine[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = query.follow
    ? ring.subscribe((line) => {
        if (query.instance !== undefined && line.instance !== query.instance) return;
        pending.push(line);
        wake?.();
      })
    : undefined;
  const onAbort = (): void => wake?.();
  query.signal.addEventListener('abort', onAbort);
  try {
    let lines = ring.snapshot();
    if (query.instance !== undefined) lines = lines.filter((l) => l.instance === query.instance);
    if (query.sinceMs !== undefined) lines = lines.filter((l) => Date.parse(l.timestamp) >= query.sinceMs!);
    if (query.tail !== undefined) lines = query.tail === 0 ? [] : lines.slice(-query.tail);
    for (const line of lines) {
      if (query.signal.aborted) return;
      yield line;
    }
    while (query.follow && !query.signal.aborted) {
      const next = pending.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe?.();
    query.signal.removeEventListener('abort', onAbort);
  }
}
