import { recordKey } from './topics.js';

describe('recordKey', () => {
  it('keys an unordered call by its call id, so one function spreads over partitions', () => {
    expect(recordKey({ callId: 'c-1' })).toBe('c-1');
    expect(recordKey({ callId: 'c-2', orderingKey: undefined })).toBe('c-2');
  });

  it('keys an ordered call by its ordering key, so its calls share a partition in order', () => {
    expect(recordKey({ callId: 'c-1', orderingKey: 'tenant-7' })).toBe('tenant-7');
  });
});
