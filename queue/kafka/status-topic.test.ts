import { STATUS_TOPIC_PARTITIONS, statusTopicSpec } from './status-topic.js';

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
