/**
 * The call-status topic: whole snapshots keyed by call id, so compaction keeps each call's latest one, and
 * `delete` on top drops calls older than the retention (`cleanup.policy=compact,delete`).
 *
 * The one exception is `queued`, which a gateway writes for every call it accepts: those snapshots travel
 * bundled, one record per produce request, keyed `queued/<first call id>` (a '/' never appears in a call id) and
 * holding the snapshots one per line. A record per call cost the accepting gateway about a third of its accept
 * rate, and every other gateway one record decode per call. Compaction never merges bundles (their keys are
 * unique), so they stay until the retention deletes them; readers order snapshots by progress, not by offset,
 * so a bundle read after a call's later state changes nothing.
 */
import { encodeCallStatus, type CallStatus } from '../../common/call-status.js';
import type { BatchRecord } from './producer-batcher.js';
import type { TopicSpec } from './topics-admin.js';

/** Where status snapshots go, and how long they are kept. */
export interface StatusTopicOptions {
  readonly topic: string;
  readonly retentionMs: number;
}

/**
 * Partitions of a status or cancel topic this process creates. One: every reader (each gateway's view, each
 * worker's cancel view) reads every partition, so more buy readers nothing, while each extra partition adds a
 * record batch to every produce request that carries status records and to every fetch; on the accept path that
 * cost about a tenth of the CPU per call with 6. A topic created beforehand keeps its own partitions.
 */
export const STATUS_TOPIC_PARTITIONS = 1;

/** Default status retention: 24 h. */
export const DEFAULT_STATUS_RETENTION_MS = 24 * 3_600_000;

// Snapshots are small JSON (no bodies): 1 MiB is plenty and keeps compaction cheap.
const STATUS_MAX_MESSAGE_BYTES = 1_048_576;

/** The status topic's creation spec. */
export function statusTopicSpec(o: StatusTopicOptions, partitions = STATUS_TOPIC_PARTITIONS): TopicSpec {
  return {
    topic: o.topic,
    partitions,
    maxMessageBytes: STATUS_MAX_MESSAGE_BYTES,
    configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(o.retentionMs) },
  };
}

/** The record of one snapshot. */
export function statusRecord(topic: string, status: CallStatus): BatchRecord {
  return { topic, key: status.callId, value: encodeCallStatus(status) };
}

/** Key prefix of a bundle of `queued` snapshots. */
export const QUEUED_BUNDLE_PREFIX = 'queued/';

/** The `queued` snapshot of an accepted call, sent bundled with the others of its produce request. */
export function queuedStatusRecord(topic: string, status: CallStatus): BatchRecord {
  return { topic, key: QUEUED_BUNDLE_PREFIX + status.callId, value: encodeCallStatus(status), bundle: true };
}

const NEWLINE = 0x0a;

/**
 * Where the snapshots of a status record lie in its value, as [start, end) pairs: the whole value, or each line
 * of a bundle (JSON never holds a raw newline). Offsets rather than Buffers: the view compares its own snapshots
 * in place.
 */
export function snapshotRanges(key: Buffer | null, value: Buffer): number[] {
  if (!key || key.toString('latin1', 0, QUEUED_BUNDLE_PREFIX.length) !== QUEUED_BUNDLE_PREFIX) return [0, value.length];
  const out: number[] = [];
  let from = 0;
  for (let at = value.indexOf(NEWLINE); at !== -1; at = value.indexOf(NEWLINE, from)) {
    out.push(from, at);
    from = at + 1;
  }
  out.push(from, value.length);
  return out;
}

const CALL_ID_PREFIX = Buffer.from('{"callId":"');
const QUOTE = 0x22;

/**
 * The call id of a snapshot written by encodeCallStatus (bytes `start` to `end` of `value`), read without parsing
 * the JSON (callId is its first field, and call ids need no escaping); undefined when the bytes do not start so.
 */
export function callIdOfSnapshot(value: Buffer, start = 0, end = value.length): string | undefined {
  const idStart = start + CALL_ID_PREFIX.length;
  if (end <= idStart || value.compare(CALL_ID_PREFIX, 0, CALL_ID_PREFIX.length, start, idStart) !== 0) return undefined;
  const quote = value.indexOf(QUOTE, idStart);
  return quote === -1 || quote >= end ? undefined : value.toString('latin1', idStart, quote);
}
