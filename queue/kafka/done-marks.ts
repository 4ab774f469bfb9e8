/**
 * Finished offsets beyond a committed position, written into the offset commit's metadata. Kafka commits one
 * position per partition, so a record finished out of order (a call deferred or retried while an earlier one
 * still runs) is not covered by the commit. Without these marks a crash would leave its stored decision AND its
 * source record behind, and the partition's next owner would run the call a second time. The next owner reads
 * the marks at assignment and skips those offsets. Pure: no I/O.
 *
 * Format: `kfaas-done:1:` then runs `gap.length` (base 36), comma-separated; the first gap counts from the
 * committed position, each next one from the end of the run before it. Marks that do not fit in the budget are
 * left out (those records run again, as at-least-once allows).
 */

const PREFIX = 'kfaas-done:1:';

/** The broker's default `offset.metadata.max.bytes` is 4096; stay well under it. */
export const DONE_MARKS_MAX_CHARS = 3_000;

/**
 * Encodes ascending finished offsets, each above `position`, into commit metadata; '' when there are none. It
 * reads `done` only until the budget is full, so a long backlog of finished records costs one budget's worth.
 */
export function encodeDoneMarks(position: bigint, done: Iterable<bigint>, maxChars = DONE_MARKS_MAX_CHARS): string {
  let out = PREFIX;
  let cursor = position;
  let start: bigint | undefined;
  let end = 0n;
  // Appends the run [start, end); false once it does not fit.
  const flush = (): boolean => {
    if (start === undefined) return true;
    const run = `${out.length > PREFIX.length ? ',' : ''}${(start - cursor).toString(36)}.${(end - start).toString(36)}`;
    if (out.length + run.length > maxChars) return false;
    out += run;
    cursor = end;
    return true;
  };
  for (const offset of done) {
    if (start !== undefined && offset === end) {
      end += 1n;
      continue;
    }
    if (!flush()) return out.length > PREFIX.length ? out : '';
    start = offset;
    end = offset + 1n;
  }
  flush();
  return out.length > PREFIX.length ? out : '';
}

/**
 * Decodes commit metadata into the finished offsets above `position`; [] for empty or foreign metadata (another
 * client's commit). Throws on kfaas metadata that does not parse, naming the problem.
 */
export function decodeDoneMarks(position: bigint, metadata: string | null | undefined): bigint[] {
  if (!metadata || !metadata.startsWith(PREFIX)) return [];
  const out: bigint[] = [];
  let cursor = position;
  for (const run of metadata.slice(PREFIX.length).split(',')) {
    const match = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(run);
    if (!match) throw new Error(`offset commit metadata: run "${run}" is not gap.length in base 36`);
    const start = cursor + parseBase36(match[1] as string);
    const length = parseBase36(match[2] as string);
    if (length < 1n || length > 1_000_000n) throw new Error(`offset commit metadata: run "${run}" has length ${length}`);
    for (let o = start; o < start + length; o += 1n) out.push(o);
    cursor = start + length;
  }
  return out;
}

function parseBase36(text: string): bigint {
  let value = 0n;
  for (const ch of text) value = value * 36n + BigInt(parseInt(ch, 36));
  return value;
}
