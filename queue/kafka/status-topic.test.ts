import { decodeCallStatus, encodeCallStatus, type CallStatus } from '../../common/call-status.js';
import { isValidCallId } from '../../common/headers.js';
import { callIdOfSnapshot, queuedStatusRecord, snapshotRanges, STATUS_TOPIC_PARTITIONS, statusTopicSpec } from './status-topic.js';

describe('status topic spec', () => {
  it('is compacted and deleted after the retention, on one partition unless told otherwise', () => {
    expect(statusTopicSpec({ topic: 't.status', retentionMs: 60_000 })).toMatchObject({
      topic: 't.status',
      partitions: 1,
      configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': '60000' },
    });
    expect(STATUS_TOPIC_PARTITIONS).toBe(1);
    expect(statusTopicSpec({ topic: 't.status', retentionMs: 60_000 }, 3).partitions).toBe(3);
  });
});

describe('queued bundles', () => {
  const status = (callId: string): CallStatus => ({ callId, function: 'f', namespace: 'ns', state: 'queued', attempts: 0, enqueuedAt: 1, updatedAt: 1 });

  it('marks the queued record for bundling under a key no call id can take', () => {
    const record = queuedStatusRecord('t.status', status('c-1'));
    expect(record).toMatchObject({ topic: 't.status', key: 'queued/c-1', bundle: true });
    expect(decodeCallStatus(record.value)).toEqual(status('c-1'));
    // '/' is outside the call id alphabet, so a bundle key never collides with a call's own records.
    expect(isValidCallId('queued/c-1')).toBe(false);
    expect(isValidCallId('queued:c-1')).toBe(true);
  });

  it('finds every line of a bundle, and a call-keyed record as one snapshot', () => {
    const lines = ['a', 'b', 'c'].map((id) => encodeCallStatus(status(id)));
    const bundle = Buffer.concat([lines[0]!, Buffer.from('\n'), lines[1]!, Buffer.from('\n'), lines[2]!]);
    const slices = (key: string | null, value: Buffer): Buffer[] => {
      const r = snapshotRanges(key === null ? null : Buffer.from(key), value);
      return Array.from({ length: r.length / 2 }, (_, i) => value.subarray(r[2 * i], r[2 * i + 1]));
    };
    expect(slices('queued/a', bundle).map((b) => decodeCallStatus(b).callId)).toEqual(['a', 'b', 'c']);
    expect(slices('queued/a', lines[0]!)).toEqual([lines[0]]);
    // A call id that merely starts like the prefix, without the '/', is an ordinary record.
    expect(slices('queued:a', bundle)).toEqual([bundle]);
    expect(slices(null, lines[1]!)).toEqual([lines[1]]);
  });

  it('reads the call id off the front of an encoded snapshot, and nothing off other bytes', () => {
    expect(callIdOfSnapshot(encodeCallStatus(status('0190a5b2-7c1e-7d3a-9f00-123456789abc')))).toBe('0190a5b2-7c1e-7d3a-9f00-123456789abc');
    expect(callIdOfSnapshot(Buffer.from('{"function":"f","callId":"x"}'))).toBeUndefined();
    expect(callIdOfSnapshot(Buffer.from('{"callId":"unterminated'))).toBeUndefined();
    expect(callIdOfSnapshot(Buffer.from('{"callId":"'))).toBeUndefined();
    // Within a range of a larger buffer: the id ends inside it, or there is none.
    const two = Buffer.from('{"callId":"x1","a":1}\n{"callId":"y2"}');
    expect(callIdOfSnapshot(two, 0, 21)).toBe('x1');
    expect(callIdOfSnapshot(two, 22, two.length)).toBe('y2');
    expect(callIdOfSnapshot(two, 0, 13)).toBeUndefined();
  });
});
