/**
 * The call-status topic: whole snapshots keyed by call id, so compaction keeps each call's latest one, and
 * `delete` on top drops calls older than the retention (`cleanup.policy=compact,delete`).
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
